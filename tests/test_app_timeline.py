"""The app's timeline, early stopping and learning-rate curve, through Pilot:
{ and } move through a finished run's epochs, a click on the loss chart jumps,
every view shows that epoch, space branches from it, and the controls switch
early stopping and the init."""

from __future__ import annotations

import asyncio

import numpy as np

from nntui.app.worker import Pause, RunEpoch, Status
from nntui.engine.trainer import Trainer
from nntui.experiment.config import config_from_dict
from nntui.experiment.presets import load_preset
from tests.test_app import SIZE, app_for, press, screen_text

LOSS_CHART_THROTTLE = 0.25


def overfit_run(epochs: int):
    ref = Trainer(load_preset("overfit"))
    ref.run(until_epochs=epochs)
    return ref


async def run_epochs(app, n: int) -> None:
    for _ in range(n):
        app.runner.send(RunEpoch())
    await app.settle()


async def test_braces_move_through_every_epoch_and_every_view_shows_it():
    app = app_for("overfit")
    async with app.run_test(size=SIZE) as pilot:
        await run_epochs(app, 12)
        await press(pilot, "left_curly_bracket")
        s = app.main.shown
        assert (s.epoch, s.replay_of) == (11, 12)
        for _ in range(11):
            await press(pilot, "left_curly_bracket")
        assert app.main.shown.epoch == 0
        await press(pilot, "right_curly_bracket", "right_curly_bracket", "right_curly_bracket")
        s = app.main.shown
        ref = overfit_run(3)
        assert s.epoch == 3 and all(np.array_equal(s.params[k], ref.params[k]) for k in ref.params)
        assert np.array_equal(s.confusion.counts, ref.confusion.counts)  # the confusion matrix of that epoch
        await pilot.pause(LOSS_CHART_THROTTLE)
        text = screen_text(app)
        assert "epoch 3 of 12 (timeline)" in text  # the status line, with that epoch's loss
        from nntui.app.widgets._common import fmt

        assert f"loss {fmt(ref.history['train_loss'][-1], 3)} val {fmt(ref.history['val_loss'][-1], 3)}" in text
        assert "┊ epoch 3 of 12" in text  # the loss chart marks it
        for view in app.main.views.values():  # every view was given that epoch's end
            if view.snapshot is not None:
                assert view.snapshot.epoch == 3, type(view).__name__
        for _ in range(9):
            await press(pilot, "right_curly_bracket")
        assert app.main.shown.replay_of is None and app.main.shown.epoch == 12  # back to the run


async def test_space_from_a_past_epoch_trains_on_from_there_and_keeps_a_ghost():
    app = app_for("overfit")
    async with app.run_test(size=SIZE) as pilot:
        await run_epochs(app, 10)
        for _ in range(6):
            await press(pilot, "left_curly_bracket")
        assert app.main.shown.epoch == 4
        await press(pilot, "space")
        await asyncio.sleep(0.05)
        app.runner.send(Pause())
        await app.settle()
        for _ in range(200):  # the branch's frame reaches the screen
            if app.main.ghosts.items:
                break
            await asyncio.sleep(0.01)
            await app.settle()
        assert app.main.ghosts.items and len(app.main.ghosts.items[-1].train_loss) == 10, app.main.ghosts.items
        shown = app.main.shown
        ref = overfit_run(shown.epoch)
        assert shown.history.train_loss == tuple(ref.history["train_loss"])  # a run that went on from epoch 4


async def test_a_click_on_the_loss_chart_jumps_to_that_epoch():
    app = app_for("overfit")
    async with app.run_test(size=SIZE) as pilot:
        await run_epochs(app, 40)
        await pilot.pause(LOSS_CHART_THROTTLE)
        chart = app.main.views["loss"]
        lw, pw, xmin, xmax = chart._xmap
        x = lw + 1 + pw // 2  # the middle of the plot
        want = chart.epoch_at(x)
        assert 10 < want < 30
        await pilot.click(chart, offset=(x, 2))
        await app.settle()
        await pilot.pause()
        assert (app.main.shown.epoch, app.main.shown.replay_of) == (want, 40)


async def test_early_stopping_stops_play_says_why_and_marks_the_best_epoch(tmp_path):
    d = load_preset("overfit").to_dict()
    d["train"]["early_stopping"] = {"monitor": "val_loss", "patience": 20}
    from nntui.app.app import make_app

    app = make_app(config_from_dict(d, "overfit.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "right_square_bracket", "right_square_bracket", "right_square_bracket")  # faster
        await press(pilot, "space")
        for _ in range(400):
            frame = await app.settle()
            if frame.status == Status.PAUSED:
                break
            await asyncio.sleep(0.02)
        tr = app.runner.trainer
        assert tr.stopped
        best = tr.stop.best_epoch + 1
        await pilot.pause(LOSS_CHART_THROTTLE)
        text = screen_text(app)
        assert f"stopped: no better val loss for 20 epochs; best at epoch {best} (restored)" in text
        assert f"┊ best {best}" in text


async def test_the_learning_rate_shows_under_the_curves():
    d = load_preset("overfit").to_dict()
    d["train"]["schedule"] = {"kind": "step", "step_size": 5, "gamma": 0.5}
    from nntui.app.app import make_app

    app = make_app(config_from_dict(d, "overfit.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await run_epochs(app, 12)
        await press(pilot, "L")  # the lesson hidden: the chart has the rows for the rate's panel
        await press(pilot, "E")
        await pilot.pause(LOSS_CHART_THROTTLE)
        chart = app.main.views["loss"]
        assert chart.show_lr and chart.plotted.get("lr") == 12 and "lr" in chart.border_title
        # + doubles the whole schedule: the rate now, and the base it is computed from
        before = app.runner.trainer.optimizer.lr
        await press(pilot, "plus")
        assert app.runner.trainer.optimizer.lr > before and app.runner.trainer.schedule.base_lr > 0.01


async def test_the_controls_switch_the_init_and_early_stopping():
    app = app_for("zero-init")
    async with app.run_test(size=SIZE) as pilot:
        await run_epochs(app, 3)
        assert app.main.apply_control("model.init", "xavier")
        await app.settle()
        assert app.main.config.model.init == "xavier" and app.runner.trainer.epoch == 0  # a new run
        assert app.main.ghosts.items  # the zero-init run stays as a ghost
        assert app.main.apply_control("train.early_stopping", True)
        assert app.main.apply_control("train.early_stopping.patience", "7")
        await app.settle()
        es = app.runner.trainer.config.train.early_stopping
        assert es is not None and es.patience == 7
        assert app.main.controls.value_of("train.early_stopping.patience") == "7"
        await pilot.pause()
        assert "init" in screen_text(app) and "patience" in screen_text(app)
