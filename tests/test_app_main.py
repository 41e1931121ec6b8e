"""The main screen's parts: the key table (bindings, help, palette), the hint
line as a pure function, the shared view settings, and a registry without
some views."""

from __future__ import annotations

from textual.keys import _character_to_key

from nntui.app import keys
from nntui.app.app import NNTuiApp
from nntui.app.hint import HintState, hint_markup
from nntui.app.main_screen import MainScreen, size_class
from nntui.app.screens.compare import CompareScreen
from nntui.app.screens.help import HelpScreen
from nntui.app.views import VIEWS
from nntui.app.worker import Status
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset
from tests.test_app import SIZE, app_for, press, screen_text

MOUSE = {"click", "right-click"}


def help_keys(rows: list[tuple[str, str]]) -> set[str]:
    """Textual's names of the keys the help lists ("+  -" is plus and minus)."""
    names = set()
    for shown, _ in rows:
        for key in shown.split("  "):
            if key == "1-9":  # one row for the keys that answer a lesson's question
                names.update("123456789")
            elif key not in MOUSE:
                names.add(_character_to_key(key) if len(key) == 1 else key)
    return names


def bound_actions(node) -> dict[str, set[str]]:
    """action -> the keys bound to it on a screen or the App."""
    actions: dict[str, set[str]] = {}
    for key, binding in node._bindings:
        actions.setdefault(binding.action, set()).add(key)
    return actions


async def test_every_bound_key_is_in_the_help_and_every_key_in_the_help_is_bound():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = help_keys(app.screen.rows)
        main, own = bound_actions(app.main), bound_actions(app)
        for action, bound in main.items():
            assert bound & listed, f"{action} ({', '.join(sorted(bound))}) is bound but not in the help"
        every_bound = set().union(*main.values(), *own.values())
        assert listed <= every_bound, f"in the help but not bound: {sorted(listed - every_bound)}"
        # the help shows the rows the table makes, and the footer the table's labels
        text = screen_text(app)
        assert "raise / lower the learning rate" in text and "ctrl+s" in text
        await press(pilot, "escape")
        footer = screen_text(app).splitlines()[-1]
        assert "space play" in footer and "^s save" in footer and "R seed" not in footer


def test_each_key_is_declared_once():
    bound = [name for k in keys.KEYS if k.action for name in k.keys.split(",")]
    assert len(bound) == len(set(bound))
    footer = [k.footer for k in keys.KEYS if k.footer is not None]
    assert sorted(footer) == list(range(len(footer)))  # a place each, no gaps
    rows = keys.help_rows(keys.KEYS)
    assert ("+  -", "raise / lower the learning rate (applies live)") in rows
    assert (",  .", next(k.help for k in keys.KEYS if k.keys == "comma")) in rows
    assert [b.key for b in keys.bindings(keys.KEYS)][:7] == ["space", "n", "s", "e", "b", "question_mark", "q"]


async def test_the_palette_offers_the_tables_commands_over_the_single_run_only():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        titles = {c.title for c in app.get_system_commands(app.main)}
        assert {title for title, _, _ in keys.palette(keys.KEYS)} <= titles
        log = next(c for c in app.get_system_commands(app.main) if c.title == "Log-scale loss")
        log.callback()
        await pilot.pause()
        assert app.main.views["loss"].log_scale
        other = {c.title for c in app.get_system_commands(HelpScreen([]))}
        assert "Next phase" not in other and "Theme" in other


class WithoutSomeViews(NNTuiApp):
    # The heatmaps, the loss chart and the boundary, with the views that share their turns.
    VIEWS = tuple(v for v in VIEWS if v.name not in ("heatmaps", "units", "confusion", "loss", "boundary", "sample",
                                                     "gradients", "hidden", "landscape"))


async def test_a_view_the_registry_leaves_out_leaves_its_keys_out():
    config = load_preset("xor")
    app = WithoutSomeViews(config, Trainer(config))
    async with app.run_test(size=SIZE) as pilot:
        assert set(app.main.views) == {v.name for v in WithoutSomeViews.VIEWS}
        bound = {key for key, _ in app.main._bindings}
        for gone in ("t", "l", "h", "c", "x", "f", "p", "u", "X"):
            assert gone not in bound, gone
        assert {"d", "a", "n", "j", "comma"} <= bound  # their views (the inspector, network...) are there
        await press(pilot, "n", "t", "d", "l", "f", "x", "p", "u", "X", "a", "j", "full_stop", "s")
        assert app.main.shown.step == 1 and app.is_running
        assert app.main.views["inspector"].digits == 10 == app.main.views["network"].digits
        await press(pilot, "question_mark")
        listed = help_keys(app.screen.rows)
        assert "t" not in listed and "d" in listed and "click" not in {r for r, _ in app.screen.rows}
        titles = {c.title for c in app.get_system_commands(app.main)}
        assert "Log-scale loss" not in titles and "Next phase" in titles


async def test_the_shared_settings_reach_every_view_that_shows_them():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "a")
        shows_ascii = [name for name, view in app.main.views.items() if hasattr(type(view), "ascii")]
        assert {"boundary", "network"} <= set(shows_ascii)
        assert all(app.main.views[name].ascii for name in shows_ascii)
        await press(pilot, "j", "j")  # from h1[0]: h1[1], h1[2]
        assert app.main.unit == (1, 2) == app.main.views["network"].selected
        assert app.main.views["inspector"].neuron == 2 and app.main.views["heatmaps"].selected == (1, 0, 2)
        app.main.unit = (0, 1)  # an input: its row of W1
        await pilot.pause()
        assert app.main.views["heatmaps"].selected == (1, 1, 0) and app.main.views["inspector"].neuron == 2


async def test_the_race_replaces_the_main_screen_and_its_keys():
    app = app_for("optimizers")  # it declares variants: it opens as their race
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            if isinstance(app.screen, CompareScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, CompareScreen) and app.screen_stack[0] is app.main
        assert "n" not in app.active_bindings and "t" not in app.active_bindings
        assert "question_mark" in app.active_bindings
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main and "n" in app.active_bindings


def test_the_layout_follows_the_terminals_size():
    assert size_class(79, 48) == size_class(160, 23) == "too-small"
    assert size_class(80, 24) == size_class(99, 48) == size_class(160, 29) == "compact"
    assert size_class(100, 30) == size_class(139, 48) == size_class(160, 39) == "medium"
    assert size_class(140, 40) == size_class(160, 48) == "large"


async def test_one_size_mechanism_sets_the_screens_classes():
    app = app_for("xor")
    async with app.run_test(size=(90, 26)) as pilot:
        main = app.main
        assert main.has_class("-compact", "-narrow") and not main.has_class("-medium")
        assert not main.has_class("-too-small")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert main.has_class("-medium", "-narrow") and not main.has_class("-compact")
        await pilot.resize_terminal(70, 20)
        await pilot.pause()
        assert main.has_class("-too-small", "-compact")  # too small is compact too, as before
        assert "Enlarge the terminal" in screen_text(app)
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert not any(main.has_class(c) for c in ("-too-small", "-compact", "-medium", "-narrow"))
        # Textual's breakpoints would be a second mechanism
        assert not MainScreen.HORIZONTAL_BREAKPOINTS and not NNTuiApp.HORIZONTAL_BREAKPOINTS


# ------------------------------------------------------------------ the hint line, without Textual


def test_the_hint_when_paused_step_by_step():
    text = hint_markup(HintState(Status.PAUSED, 2, next_phase="loss"))
    assert text.startswith("step-by-step") and "([i]loss[/])" in text and "[b]e[/] epoch" in text
    compact = hint_markup(HintState(Status.PAUSED, 2, next_phase="loss", compact=True))
    assert "[b]i[/] panel" in compact and "step-by-step" not in compact


def test_the_hint_when_playing_says_the_speed():
    text = hint_markup(HintState(Status.PLAYING, 3))
    assert text.startswith("speed ") and "[b]space[/] pause" in text


def test_the_hint_says_why_it_stopped_escaped():
    diverged = hint_markup(HintState(Status.DIVERGED, 2, message="loss [inf]"))
    assert diverged.index("lower the learning rate") < diverged.index("loss \\[inf]")  # the keys first: a cut line keeps them
    assert "⚠ diverged" in diverged
    assert "the loss became NaN or inf" in hint_markup(HintState(Status.DIVERGED, 2))
    assert "✖ the engine failed" in hint_markup(HintState(Status.ERROR, 2))
    paused = hint_markup(HintState(Status.PAUSED, 2, message="done: 60 epochs"))
    assert paused.startswith("[b]done: 60 epochs[/]") and "trains on" in paused


def test_the_hint_while_drawing_and_opening():
    note = HintState(Status.PLAYING, 2, draw_note="added a point", drawing="class 1")
    assert "drawing [b]class 1[/]" in hint_markup(note) and "[b]space[/] pause" in hint_markup(note)
    small = HintState(Status.PAUSED, 2, draw_note="added a point", compact=True)
    assert hint_markup(small) == "[b]added a point[/]  [b]p u X[/] · [b]?[/] help"
    opening = HintState(Status.DIVERGED, 2, opening="big [x].toml", open_progress=0.25)
    assert hint_markup(opening) == "[b]Opening big \\[x].toml…[/] 25% of its data read · [b]escape[/] cancels"
