"""Snapshot tests of the app's screens (pytest-textual-snapshot).

Deterministic: built-in presets (fixed seeds), a fixed number of phases or
steps sent to the paused worker, and `app.settle()` before the screenshot so
the frame on screen is the one those commands produced. No Input has focus
(no cursor to blink). Regenerate with `pytest --snapshot-update`.
"""

from __future__ import annotations

import pytest

from nntui.app.app import make_app
from nntui.app.worker import Command, FinishStep, NextPhase, RunEpoch
from nntui.experiment.presets import load_preset

# The loss chart redraws at most 5 times a second; a redraw asked for sooner
# waits on a timer. Wait that long before the screenshot.
LOSS_CHART_THROTTLE = 0.3


def app_for(preset: str = "xor"):
    return make_app(load_preset(preset))


def commands(*sent: Command, theme: str | None = None):
    """A run_before that sends engine commands and waits until they are shown."""

    async def run_before(pilot) -> None:
        app = pilot.app
        if theme:
            app.theme = theme
        for command in sent:
            app.runner.send(command)
        await app.settle()
        await pilot.pause(LOSS_CHART_THROTTLE)

    return run_before


def test_main_screen(snap_compare):
    """The spiral preset after two epochs, paused, at 160x48."""
    assert snap_compare(app_for("spiral"), run_before=commands(RunEpoch(), RunEpoch()), terminal_size=(160, 48))


def test_main_screen_light_theme(snap_compare):
    """The same in Textual's light theme: every colour still legible."""
    assert snap_compare(
        app_for("spiral"), run_before=commands(RunEpoch(), RunEpoch(), theme="textual-light"), terminal_size=(160, 48)
    )


def test_main_screen_at_100x30(snap_compare):
    assert snap_compare(app_for("xor"), run_before=commands(RunEpoch(), NextPhase()), terminal_size=(100, 30))


def test_opening_screen(snap_compare):
    """What a new user sees first: step 0, paused, the hint."""
    assert snap_compare(app_for("xor"), terminal_size=(160, 48))


@pytest.mark.parametrize(
    "phases, kind",
    [(1, "forward"), (3, "loss"), (4, "backward"), (6, "update")],
    ids=["forward", "loss", "backward", "update"],
)
def test_step_inspector_in_each_phase(snap_compare, phases, kind):
    """xor (2-4-1): forward 1, forward 2, loss, backward 2, backward 1, update."""
    assert snap_compare(app_for("xor"), run_before=commands(FinishStep(), *[NextPhase()] * phases), terminal_size=(160, 48))


def test_help_screen(snap_compare):
    assert snap_compare(app_for("xor"), press=["question_mark"], terminal_size=(160, 48))


def test_preset_picker(snap_compare):
    assert snap_compare(app_for("xor"), press=["o"], terminal_size=(160, 48))


def test_error_dialog(snap_compare):
    async def run_before(pilot) -> None:
        pilot.app.main.opener.open("/no/such/folder/my-preset.toml")
        await pilot.app.opened()
        await pilot.pause()

    assert snap_compare(app_for("xor"), run_before=run_before, terminal_size=(160, 48))


def test_diverged(snap_compare):
    """lr-too-high after it diverged: paused, with the message and what to do."""

    async def run_before(pilot) -> None:
        app = pilot.app
        for _ in range(100):
            app.runner.send(FinishStep())
            frame = await app.settle()
            if frame.status == "diverged":
                break
        await pilot.pause(LOSS_CHART_THROTTLE)

    assert snap_compare(app_for("lr-too-high"), run_before=run_before, terminal_size=(160, 48))


def test_too_small_terminal(snap_compare):
    """Below 80x24: a clear message, no crash."""
    assert snap_compare(app_for("xor"), terminal_size=(79, 23))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_each_layout(snap_compare, size):
    """The compact layout (80x24: boundary, loss, the inspector; no header)
    and the medium one (controls in a drawer), after an epoch and a phase."""
    assert snap_compare(app_for("xor"), run_before=commands(RunEpoch(), NextPhase()), terminal_size=size)


def test_compact_layout_network_and_drawer(snap_compare):
    """At 80x24, i shows the network in the inspector's place and m opens the controls over it."""
    async def run_before(pilot) -> None:
        await commands(RunEpoch())(pilot)
        await pilot.press("i", "m")
        await pilot.pause()

    assert snap_compare(app_for("xor"), run_before=run_before, terminal_size=(80, 24))


def test_sixteen_colours(snap_compare, monkeypatch):
    """In a 16-colour terminal the map's shades would merge into one or two
    colours: the boundary is drawn in ASCII."""
    monkeypatch.delenv("COLORTERM")
    monkeypatch.setenv("TERM", "xterm")
    app = app_for("xor")
    assert app.console.color_system == "standard"
    assert snap_compare(app, run_before=commands(RunEpoch()), terminal_size=(100, 30))


@pytest.mark.parametrize("preset", ["plane", "blobs"])
def test_regression_map_and_class_palette(snap_compare, preset):
    """plane: the map shows everywhere, the points drawn on it (no holes);
    blobs: three classes in the palette binary data uses too (0 orange, 1 blue)."""
    assert snap_compare(app_for(preset), run_before=commands(RunEpoch(), RunEpoch()), terminal_size=(160, 48))


def test_confusion_matrix_on_iris(snap_compare):
    """iris after 5 epochs, x: the validation set's confusion matrix in the weights' place."""
    assert snap_compare(app_for("iris"), run_before=commands(*[RunEpoch()] * 5), press=["x"],
                        terminal_size=(160, 48))


def test_feature_inputs_on_xor_gate(snap_compare):
    """perceptron-features after 12 epochs (it stops at 9, every row right): x1, x2, x1·x2 on, the
    boundary over (x1, x2) bent by the product."""
    assert snap_compare(app_for("perceptron-features"), run_before=commands(*[RunEpoch()] * 12),
                        terminal_size=(160, 48))


# The clicks of the drawn-data snapshot: (column, row) in the boundary's
# content, and whether it is a right-click (the other class).
DRAWN_CLICKS = ((8, 3, False), (14, 5, False), (10, 11, False), (44, 4, True), (50, 9, True), (40, 12, True),
                (28, 8, False), (30, 2, True))


def test_drawn_points(snap_compare):
    """xor's points cleared (X), then 8 points drawn by Pilot mouse clicks (left:
    class 0, right: class 1), and 40 epochs trained on them: the boundary has
    followed the drawn points; the border says what a click draws, the hint
    line what the last click did."""

    async def run_before(pilot) -> None:
        app = pilot.app
        app.main.drawing.note_seconds = 1e9  # the hint line keeps the last click's note, however slow the machine
        await pilot.press("X", "X")  # asked twice
        await app.settle()
        for col, row, other in DRAWN_CLICKS:
            await pilot.click("#boundary", offset=(col + 1, row + 1), button=3 if other else 1)
        await pilot.pause()
        app.clear_notifications()  # the first drawing's notice times out: not in the picture
        await commands(*[RunEpoch()] * 40)(pilot)
        await pilot.hover("#boundary", offset=(31, 3))

    assert snap_compare(app_for("xor"), run_before=run_before, terminal_size=(160, 48))


def test_digits_images(snap_compare):
    """Image data (digits, 64-16-10) after 3 epochs at 160x48: the sample with
    its class probabilities, each hidden unit's weights as an 8×8 picture, and
    the validation mistakes, in place of the boundary, heatmaps and diagram."""
    assert snap_compare(app_for("digits"), run_before=commands(RunEpoch(), RunEpoch(), RunEpoch()),
                        terminal_size=(160, 48))


def test_unit_maps_with_a_dead_relu_unit(snap_compare):
    """spiral with relu units, 3 epochs in, hidden unit 2 of layer 1 killed
    (bias −50): the row of layer 1's maps under the diagram, unit 2 greyed,
    marked ✕ and selected (its caption says why), "1 dead" in the title."""
    from tests.test_unitmaps import relu_spiral_with_a_dead_unit

    from nntui.app.app import NNTuiApp

    config, trainer = relu_spiral_with_a_dead_unit()

    async def run_before(pilot) -> None:
        app = pilot.app
        await app.settle()
        app.main.views["network"].selected = (1, 2)
        await pilot.pause(LOSS_CHART_THROTTLE)

    assert snap_compare(NNTuiApp(config, trainer), run_before=run_before, terminal_size=(160, 48))
