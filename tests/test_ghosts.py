"""The app's history of runs: the run a change replaces stays on the loss
chart as a ghost curve (app/ghosts.py, LossChart.set_ghosts, keys h and c)."""

from __future__ import annotations

import dataclasses


from nntui.app.app import make_app
from nntui.app.main_screen import next_lr
from nntui.app.ghosts import MAX_GHOSTS, Ghosts
from nntui.app.keys import KEYS, help_rows
from nntui.app.worker import RunEpoch
from nntui.experiment.config import override
from nntui.engine.snapshot import History
from nntui.experiment.presets import load_preset
from tests.test_app import open_preset

LOSS_CHART_THROTTLE = 0.3


def _history(n: int) -> History:
    return History(train_loss=tuple(0.7 - 0.01 * i for i in range(n)), val_loss=tuple(0.8 - 0.01 * i for i in range(n)))


# --- the state -------------------------------------------------------------------------------


def test_a_replaced_run_becomes_a_ghost_labelled_by_what_differed():
    g = Ghosts()
    sgd = load_preset("optimizers")
    ghost = g.replaced(sgd, _history(7), override(sgd, optimizer="adam"))
    assert ghost is not None and ghost.label == "sgd lr 0.01" and len(ghost.train_loss) == 7
    relu = override(sgd, activation="relu")
    assert g.replaced(override(sgd, optimizer="adam"), _history(3), relu).label == "adam lr 0.01 tanh"
    assert g.replaced(relu, _history(3), override(relu, options={"momentum": 0.9})).label == "sgd lr 0.01 no momentum"
    seed = dataclasses.replace(relu, model=dataclasses.replace(relu.model, seed=7))
    assert g.replaced(seed, _history(2), relu).label == "sgd lr 0.01 seed 7"
    assert [x.label for x in g.items][0] == "sgd lr 0.01"  # oldest first
    assert len({x.colour for x in g.items}) == len(g.items)


def test_no_ghost_without_an_epoch_or_for_the_same_config():
    g = Ghosts()
    c = load_preset("xor")
    assert g.replaced(c, None, override(c, optimizer="adam")) is None
    assert g.replaced(c, History(batch_loss=(0.7, 0.6)), override(c, optimizer="adam")) is None
    assert g.replaced(c, _history(4), c) is None  # r: the same run again
    assert g.items == ()


def test_other_data_or_loss_clears_the_ghosts_and_the_last_few_are_kept():
    g = Ghosts()
    c = load_preset("xor")
    for i in range(MAX_GHOSTS + 3):
        g.replaced(override(c, learning_rate=0.1 + i), _history(3), override(c, learning_rate=0.2 + i))
    assert len(g.items) == MAX_GHOSTS and g.items[-1].label == f"sgd lr {0.1 + MAX_GHOSTS + 2:g}"
    version = g.version
    g.replaced(c, _history(3), override(c, seed=99))  # --seed changes the data's seed too
    assert g.items == () and g.version > version


def test_toggle_and_clear_change_the_version():
    g = Ghosts()
    v = g.version
    assert g.toggle() is False and g.version == v + 1
    assert g.toggle() is True
    g.clear()
    assert g.items == () and g.version == v + 3


# --- the app ---------------------------------------------------------------------------------


async def _trained(app, pilot, epochs: int) -> None:
    for _ in range(epochs):
        app.runner.send(RunEpoch())
    await app.settle()
    await pilot.pause(LOSS_CHART_THROTTLE)


async def test_a_new_optimizer_leaves_the_old_curve_and_keys_hide_and_clear_it():
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        chart = app.main.views["loss"]
        await _trained(app, pilot, 6)
        assert app.main.apply_control("train.optimizer", "adam")
        await app.settle()
        await pilot.pause(LOSS_CHART_THROTTLE)
        # the new run is at step 0: its chart shows the ghost alone, on the epoch axis
        assert chart.plotted == {"ghost: sgd lr 0.1": 6}
        assert "sgd lr 0.1" in str(chart.border_subtitle)
        await _trained(app, pilot, 3)
        assert chart.plotted["ghost: sgd lr 0.1"] == 6 and chart.plotted["train loss"] == 3
        # a live change (the learning rate) starts no new run
        await pilot.press("plus")
        await _trained(app, pilot, 1)
        assert len(app.main.ghosts.items) == 1
        assert app.main.apply_control("model.activation", "relu")
        await app.settle()
        assert [g.label for g in app.main.ghosts.items] == ["sgd lr 0.1", f"adam lr {next_lr(0.1, True):g} tanh"]
        await pilot.press("h")
        await pilot.pause(LOSS_CHART_THROTTLE)
        assert not app.main.ghosts.visible and not any(k.startswith("ghost") for k in chart.plotted)
        assert "2 earlier runs hidden (h)" in str(chart.border_subtitle)
        await pilot.press("h")
        await pilot.pause(LOSS_CHART_THROTTLE)
        assert len([k for k in chart.plotted if k.startswith("ghost")]) == 2
        await pilot.press("c")
        await pilot.pause(LOSS_CHART_THROTTLE)
        assert app.main.ghosts.items == () and not any(k.startswith("ghost") for k in chart.plotted)


async def test_another_preset_clears_the_ghosts():
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        await _trained(app, pilot, 2)
        app.main.action_reset_new_seed()
        await app.settle()
        assert len(app.main.ghosts.items) == 1 and app.main.ghosts.items[0].label.startswith("sgd lr 0.1 seed 0")
        assert await open_preset(app, "moons")
        await app.settle()
        assert app.main.ghosts.items == ()


def test_help_lists_the_keys():
    keys = dict(help_rows(KEYS))
    assert "hide" in keys["h"] and "clear" in keys["c"]


# --- snapshot --------------------------------------------------------------------------------


def test_snapshot_sgd_ghost_under_an_adam_run(snap_compare):
    """xor: 12 epochs of sgd, then adam from the same start for 4: the sgd curve stays, named."""

    async def run_before(pilot) -> None:
        app = pilot.app
        for _ in range(12):
            app.runner.send(RunEpoch())
        await app.settle()
        assert app.main.apply_control("train.optimizer", "adam")
        await app.settle()
        for _ in range(4):
            app.runner.send(RunEpoch())
        await app.settle()
        await pilot.pause(LOSS_CHART_THROTTLE)

    assert snap_compare(make_app(load_preset("xor")), run_before=run_before, terminal_size=(160, 48))


def test_a_branch_from_a_past_epoch_keeps_the_run_as_it_was():
    from nntui.app.ghosts import Ghosts
    from nntui.engine.snapshot import History
    from nntui.experiment.presets import load_preset

    ghosts = Ghosts()
    config = load_preset("overfit")
    h = History(train_loss=(0.7, 0.6, 0.5, 0.4), val_loss=(0.7, 0.65, 0.66, 0.7))
    g = ghosts.branched(config, h, 2)
    assert g.train_loss == h.train_loss and g.label.endswith("to epoch 4") and ghosts.items == (g,)
    assert ghosts.branched(config, h, 4) is None  # nothing later to keep
