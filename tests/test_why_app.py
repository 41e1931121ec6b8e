"""The why views and switching a unit off, in the app: keys, the shared place,
80x24, and the snapshots at 160x48 and 80x24."""

from __future__ import annotations

import numpy as np

from nntui.app import keys
from nntui.app.main_screen import MainScreen
from nntui.app.widgets.network import SwitchUnit
from nntui.app.worker import RunEpoch
from tests.test_app import SIZE, app_for, press, screen_text

SMALL = (80, 24)


def why_views(app) -> dict[str, bool]:
    return {name: app.screen.views[name].display for name in ("gradients", "hidden", "landscape", "heatmaps")}


async def test_g_h_and_z_show_one_why_view_in_the_weights_place():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        assert why_views(app) == {"gradients": False, "hidden": False, "landscape": False, "heatmaps": True}
        await press(pilot, "G")
        assert why_views(app) == {"gradients": True, "hidden": False, "landscape": False, "heatmaps": False}
        await press(pilot, "H")
        assert why_views(app) == {"gradients": False, "hidden": True, "landscape": False, "heatmaps": False}
        assert "hidden space" in screen_text(app)
        await press(pilot, "z")
        assert why_views(app)["landscape"] and not why_views(app)["hidden"]
        await press(pilot, "x")  # the confusion matrix takes the place back
        assert not any(why_views(app)[k] for k in ("gradients", "hidden", "landscape"))
        await press(pilot, "z", "z")  # pressed twice: back to the weights
        assert why_views(app)["heatmaps"] and not why_views(app)["landscape"]


async def test_the_why_views_take_the_loss_charts_place_at_80x24():
    app = app_for("xor")
    async with app.run_test(size=SMALL) as pilot:
        await app.settle()
        assert isinstance(app.screen, MainScreen) and app.screen.compact
        await press(pilot, "G")
        assert app.screen.views["gradients"].display and not app.screen.views["loss"].display
        await press(pilot, "e")
        text = screen_text(app)
        assert "gradients" in text and "W1/W2" in text


async def test_y_and_shift_y_cycle_the_hidden_spaces_units_and_layers():
    app = app_for("spiral")  # two hidden layers
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await press(pilot, "H")
        hidden = app.screen.views["hidden"]
        assert hidden.choice() == (1, (0, 1))
        await press(pilot, "y")
        assert hidden.choice() == (1, (0, 2)) and "2 → y" in screen_text(app)
        await press(pilot, "Y")
        assert hidden.choice() == (2, (0, 1)) and "layer 2:" in screen_text(app)


async def test_0_switches_the_selected_hidden_unit_off_and_on():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        assert app.screen.unit == (1, 0)
        await press(pilot, "0")
        assert app.screen.frame.snapshot.off == frozenset({(1, 0)})
        await press(pilot, "e")
        s = app.screen.frame.snapshot
        assert s.off == frozenset({(1, 0)})
        assert "switched off" in screen_text(app)  # the diagram's caption says so
        await press(pilot, "0")
        assert app.screen.frame.snapshot.off == frozenset()


async def test_a_right_click_message_switches_a_unit_and_only_hidden_ones():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        network = app.screen.views["network"]
        network.post_message(SwitchUnit(1, 2))
        await pilot.pause()
        await app.settle()
        assert app.screen.frame.snapshot.off == frozenset({(1, 2)})
        app.screen.unit = (2, 0)  # the output unit
        await press(pilot, "0")
        assert app.screen.frame.snapshot.off == frozenset({(1, 2)})  # refused, with a notice


async def test_a_unit_off_changes_the_boundary_and_the_loss_live():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(30):
            app.runner.send(RunEpoch())
        await app.settle()
        before = app.runner.trainer.evaluate()["train_loss"]
        boundary = app.screen.views["boundary"]
        def picture_now():  # the cells' colours: the map under the points
            return [[(seg.text, seg.style) for seg in boundary.render_line(y)] for y in range(boundary.size.height)]

        picture = picture_now()
        confusion = app.screen.frame.snapshot.lazy_confusion
        await press(pilot, "0")
        after = app.runner.trainer.evaluate()["train_loss"]
        assert after != before
        # Paused, the screen says so at once: the status line's loss is the edited net's,
        # the boundary is redrawn, the confusion matrix measured anew.
        s = app.screen.frame.snapshot
        assert s.measured_now["train_loss"] == after
        assert f"loss now {after:.3g}" in screen_text(app)
        assert picture_now() != picture
        assert s.lazy_confusion is not confusion
        await press(pilot, "e")  # the next epoch's end has numbers of its own again
        assert app.screen.frame.snapshot.measured_now is None and "loss now" not in screen_text(app)
        p = app.screen.frame.snapshot.params
        x = app.runner.trainer.x_train
        h = np.tanh(x @ p["W1"] + p["b1"])
        h[:, 0] = 0
        z = h @ p["W2"] + p["b2"]
        assert np.allclose(app.runner.trainer.predict(app.runner.trainer.dataset.x_train), 1 / (1 + np.exp(-z)))


def test_the_keys_are_in_the_help():
    rows = dict(keys.help_rows(keys.keys_for(["gradients", "hidden", "landscape", "network"])))
    assert "gradient's size per layer" in rows["G"] and "hidden space" in rows["H"]
    assert "loss landscape" in rows["z"] and "held at 0" in rows["0"] and "right-click" in rows["0"]
    assert "next pair" in rows["y  Y"]


# ------------------------------------------------------------------ snapshots


def _epochs(n: int, view_key: str):
    async def run_before(pilot) -> None:
        app = pilot.app
        await pilot.press(view_key)
        for _ in range(n):
            app.runner.send(RunEpoch())
            await app.settle()
        await pilot.pause(0.3)
        landscape = app.screen.views["landscape"]
        if landscape.display:
            landscape.finish()  # the slice around the weights now (live, it follows after a rest)
        app.clear_notifications()  # the key's notice would cover the view
        await pilot.pause(0.3)

    return run_before


def test_snapshot_gradients_on_vanishing(snap_compare):
    from nntui.app.app import NNTuiApp
    from nntui.engine.trainer import Trainer
    from nntui.experiment.presets import load_preset

    config = load_preset("vanishing")  # the main screen, not the race it opens with
    assert snap_compare(NNTuiApp(config, Trainer(config), race=False), run_before=_epochs(8, "G"),
                        terminal_size=(160, 48))


def test_snapshot_hidden_space_on_spiral(snap_compare):
    assert snap_compare(app_for("spiral"), run_before=_epochs(6, "H"), terminal_size=(160, 48))


def test_snapshot_landscape_on_xor(snap_compare):
    assert snap_compare(app_for("xor"), run_before=_epochs(8, "z"), terminal_size=(160, 48))


def test_snapshot_hidden_space_at_80x24(snap_compare):
    assert snap_compare(app_for("xor"), run_before=_epochs(6, "H"), terminal_size=SMALL)


def test_snapshot_gradients_at_80x24(snap_compare):
    assert snap_compare(app_for("xor"), run_before=_epochs(6, "G"), terminal_size=SMALL)


def test_snapshot_landscape_at_80x24(snap_compare):
    assert snap_compare(app_for("xor"), run_before=_epochs(6, "z"), terminal_size=SMALL)
