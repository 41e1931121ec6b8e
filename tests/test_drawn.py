"""Drawn data: points added with the mouse on the boundary, trained on live.

Engine: Trainer.replace_data keeps the run (weights, optimizer state, history)
and its batch order consistent, through a runfile too. App (Pilot): a click
adds a point of the right class at the clicked (x1, x2), the next epoch trains
on it, u removes the nearest point, X clears them, and ctrl+s saves the drawn
data as a CSV preset that reopens with the same points.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math

import numpy as np
import pytest
from textual.widgets import Input

from nntui.app.app import make_app
from nntui.app.screens.save import SaveDialog
from nntui.app.worker import NO_POINTS, FinishStep, RunEpoch, Status
from nntui.experiment.drawn_preset import csv_text, save_drawn_preset, toml_text
from nntui.engine import drawn
from nntui.engine.runfile import save_run
from nntui.engine.trainer import NoData, Trainer
from nntui.experiment.presets import load_preset, read_toml
from nntui.experiment.runs import load_run
from tests.test_app import open_preset

SIZE = (160, 48)


def app_for(preset: str = "xor"):
    return make_app(load_preset(preset))


def rows(x: np.ndarray) -> list[tuple[float, ...]]:
    return sorted(map(tuple, np.asarray(x).tolist()))


async def trainer_data(app):
    """The data the engine's trainer holds now (asked on its own thread)."""
    return await asyncio.wrap_future(app.runner.submit(lambda tr: tr.dataset))


async def click(pilot, col: int, row: int, **kw) -> tuple[float, float]:
    """Click the boundary's content cell (col, row); the (x1, x2) it maps to."""
    app = pilot.app
    at = app.main.views["boundary"].data_at(col, row)
    assert at is not None
    await pilot.click("#boundary", offset=(col + 1, row + 1), **kw)  # + 1: the border
    await pilot.pause()
    await app.settle()
    return at


# ------------------------------------------------------------------ engine


def test_start_merges_the_validation_points_into_training():
    ds = Trainer(load_preset("xor")).dataset
    d = drawn.start(ds)
    assert d.name == "drawn" and len(d.x_val) == 0
    assert rows(d.x_train) == rows(np.concatenate([ds.x_train, ds.x_val]))
    assert drawn.start(d) is d


def test_only_two_input_data_can_be_drawn():
    iris = Trainer(load_preset("iris")).dataset
    assert "4 inputs" in drawn.why_not(iris)
    with pytest.raises(ValueError, match="2-input"):
        drawn.add_point(iris, 0.0, 0.0, 1)


def test_labels_are_checked_by_task():
    ds = Trainer(load_preset("blobs")).dataset
    assert drawn.add_point(ds, 1.0, 2.0, 2).y_train[-1] == 2
    with pytest.raises(ValueError, match="class 3"):
        drawn.add_point(ds, 1.0, 2.0, 3)
    with pytest.raises(ValueError, match="0 or 1"):
        drawn.add_point(Trainer(load_preset("xor")).dataset, 0.0, 0.0, 2)


def test_remove_nearest_and_clear():
    ds = drawn.cleared(Trainer(load_preset("xor")).dataset)
    for x1, x2, label in ((0, 0, 0), (3, 3, 1), (-2, 1, 1)):
        ds = drawn.add_point(ds, x1, x2, label)
    less, row = drawn.remove_nearest(ds, 2.5, 2.0)
    assert row == 1 and rows(less.x_train) == [(-2.0, 1.0), (0.0, 0.0)]
    assert drawn.remove_nearest(drawn.cleared(ds), 0, 0)[1] is None
    assert drawn.cleared(ds).y_train.shape == (0, 1)


def test_palette_follows_the_targets():
    assert drawn.palette(np.array([-1.0, 0.2, 1.0])) == (-1.0, -0.5, 0.0, 0.5, 1.0)
    assert drawn.palette(np.array([-0.3, 1.17])) == (-1.2, -0.6, 0.0, 0.6, 1.2)
    assert drawn.palette(np.array([])) == (-1.0, -0.5, 0.0, 0.5, 1.0)


def test_replace_data_keeps_the_run_and_trains_on_the_new_point():
    tr = Trainer(load_preset("xor"))
    tr.run_steps(5)  # mid-epoch: batch 5 of 10
    params, opt_t, history = tr.params, tr.optimizer.t, list(tr.history["batch_loss"])
    data = drawn.add_point(tr.dataset, 0.25, -4.5, 1)
    tr.replace_data(data)
    assert tr.params is params and tr.optimizer.t == opt_t and tr.history["batch_loss"] == history
    assert (tr.step, tr.epoch, tr.batch) == (5, 0, 0)  # the epoch starts over on the new data
    assert tr.batches_per_epoch == math.ceil(201 / 16) and not tr.can_step_back
    seen = []
    while tr.epoch == 0:
        tr.finish_step()
        seen.append(tr.trace.X)
    batches = np.concatenate(seen)
    assert rows(batches) == rows(data.x_train)  # every point once, the new one too
    assert len(tr.history["train_loss"]) == 1


def test_drawn_points_reach_a_net_of_features_as_their_features():
    tr = Trainer(load_preset("perceptron-features"))  # x1, x2, x1_x2
    data = drawn.add_point(drawn.start(tr.dataset), 0.5, -2.0, 1)
    tr.replace_data(data)
    assert tr.x_train.shape == (len(data.x_train), 3)
    assert np.array_equal(tr.x_train[:, 2], data.x_train[:, 0] * data.x_train[:, 1])
    tr.finish_step()  # trains on them
    assert tr.step == 1


def test_the_new_point_counts_in_the_batch_loss():
    tr = Trainer(load_preset("xor"))
    tr.run_steps(3)
    one = drawn.add_point(drawn.cleared(tr.dataset), 1.5, -2.0, 1)
    tr.replace_data(one)
    before = tr.params
    tr.finish_step()
    assert np.array_equal(tr.trace.X, [[1.5, -2.0]])
    p = tr.net.forward(before, np.array([[1.5, -2.0]]))[0, 0]
    assert tr.trace.loss == pytest.approx(-math.log(p), rel=1e-12)  # bce of the point, label 1


def test_no_points_is_nodata_not_divergence():
    tr = Trainer(load_preset("xor"))
    tr.replace_data(drawn.cleared(tr.dataset))
    with pytest.raises(NoData):
        tr.train_step()
    with pytest.raises(NoData):
        tr.next_phase()
    assert tr.step == 0 and np.isfinite(tr.params["W1"]).all()


def test_replace_data_refuses_data_that_does_not_fit():
    tr = Trainer(load_preset("xor"))
    with pytest.raises(ValueError, match="does not fit"):
        tr.replace_data(drawn.start(Trainer(load_preset("blobs")).dataset))


def test_full_batch_takes_the_new_rows():
    config = load_preset("xor")
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, batch_size=1000))
    tr = Trainer(config)  # full batch: its row order is drawn once, then kept
    tr.run_steps(2)
    data = drawn.add_point(tr.dataset, 0.5, 0.5, 1)
    tr.replace_data(data)
    tr.finish_step()
    assert tr.batches_per_epoch == 1 and rows(tr.trace.X) == rows(data.x_train)


def test_a_drawn_run_resumes_from_its_runfile_bit_identically(tmp_path):
    tr = Trainer(load_preset("xor"))
    tr.run_epoch()  # one validation loss in the history
    tr.run_steps(4)
    tr.replace_data(drawn.add_point(tr.dataset, 0.1, 0.2, 0))
    tr.run_steps(17)
    resumed = load_run(save_run(tr, tmp_path / "drawn.npz"))
    assert resumed.dataset.name == "drawn" and len(resumed.history["val_loss"]) == 1
    tr.run_steps(30)
    resumed.run_steps(30)
    assert all(np.array_equal(tr.params[k], resumed.params[k]) for k in tr.params)
    assert tr.history == resumed.history


def test_replace_data_command_pauses_without_points_and_plays_on_with_them():
    from nntui.app.worker import EngineRunner, ReplaceData

    tr = Trainer(load_preset("xor"))
    runner = EngineRunner(tr, playing=True)
    empty = drawn.cleared(tr.dataset)
    ReplaceData(empty, generation=0).apply(runner)
    assert tr.dataset is empty and not runner.playing and runner._message == NO_POINTS
    one = drawn.add_point(empty, 1.0, 1.0, 1)
    ReplaceData(one, generation=7).apply(runner)  # of a model replaced since: dropped
    assert tr.dataset is empty and not runner.playing
    ReplaceData(one, generation=0).apply(runner)
    assert tr.dataset is one and runner.playing  # play stopped for want of points goes on


def test_replace_data_command_leaves_a_pause_by_hand_alone():
    from nntui.app.worker import EngineRunner, ReplaceData

    tr = Trainer(load_preset("xor"))
    runner = EngineRunner(tr, playing=False)
    ReplaceData(drawn.cleared(tr.dataset), 0).apply(runner)
    ReplaceData(drawn.add_point(tr.dataset, 1.0, 1.0, 1), 0).apply(runner)
    assert not runner.playing


# ------------------------------------------------------------ saving a preset


@pytest.mark.parametrize("preset", ["xor", "blobs", "plane"])
def test_saved_preset_reopens_with_the_same_points(tmp_path, preset):
    config = load_preset(preset)
    data = drawn.add_point(Trainer(config).dataset, 0.125, -1.5, 1 if preset != "plane" else 0.5)
    toml_path, csv_path = save_drawn_preset(config, data, tmp_path / "mine")
    assert toml_path.name == "mine.toml" and csv_path.name == "mine.csv"
    again = load_preset(toml_path)
    ds = Trainer(again).dataset
    assert len(ds.x_val) == 0 and ds.task == data.task and ds.classes == data.classes
    assert rows(np.column_stack([ds.x_train, ds.y_train])) == rows(np.column_stack([data.x_train, data.y_train]))
    assert again.model == config.model and again.train == config.train


def test_saving_refuses_a_class_with_no_point(tmp_path):
    from nntui.experiment.drawn_preset import DrawnSaveError

    ds = drawn.add_point(drawn.cleared(Trainer(load_preset("blobs")).dataset), 0, 0, 1)
    with pytest.raises(DrawnSaveError, match="classes 0, 2 have no point"):
        save_drawn_preset(load_preset("blobs"), ds, tmp_path / "x.toml")
    assert not (tmp_path / "x.csv").exists()


def test_toml_writer_round_trips_what_a_preset_holds(tmp_path):
    d = {"title": 'say "hi"\\ ünï', "data": {"dataset": "csv", "target": ["y"], "validation": 0.0},
         "model": {"layers": [2, 3, 1], "weights": {"W1": [[1e-300, -2.5]], "b1": [0.1]}},
         "train": {"nesterov": True, "betas": [0.9, 0.999], "eps": 1e-08}}
    path = tmp_path / "p.toml"
    path.write_text(toml_text(d))
    assert read_toml(path, "p.toml") == d


def test_csv_keeps_class_names_and_exact_numbers():
    ds = drawn.add_point(drawn.cleared(Trainer(load_preset("xor")).dataset), 0.1 + 0.2, -1 / 3, 1)
    assert csv_text(ds) == "x1,x2,label\n0.30000000000000004,-0.3333333333333333,1\n"


# ------------------------------------------------------------------ the app


async def test_left_click_adds_a_point_of_the_current_class_where_clicked():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        n = len(app.main.dataset.x_train) + len(app.main.dataset.x_val)
        at = await click(pilot, 12, 4)
        d = app.main.dataset
        assert d.name == "drawn" and len(d.x_train) == n + 1 and len(d.x_val) == 0
        assert tuple(d.x_train[-1]) == at and d.y_train[-1, 0] == 0.0
        assert at[0] < 0 < at[1]  # left of centre, above it: the plane's own axes
        assert (await trainer_data(app)) is d  # the engine trains on it
        assert "added a class 0 point at" in app.main.hint.markup and f"{n + 1} points" in app.main.hint.markup
        assert "drawn data" in app.sub_title


async def test_right_click_and_shift_click_add_the_other_class():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        a = await click(pilot, 30, 8, button=3)
        assert tuple(app.main.dataset.x_train[-1]) == a and app.main.dataset.y_train[-1, 0] == 1.0
        b = await click(pilot, 40, 3, shift=True)
        assert tuple(app.main.dataset.x_train[-1]) == b and app.main.dataset.y_train[-1, 0] == 1.0
        await click(pilot, 41, 3)
        assert app.main.dataset.y_train[-1, 0] == 0.0


async def draw_cycling(pilot, n: int) -> list[float]:
    """Draw n points, pressing p after each: the label (or value) each got."""
    got = []
    for _ in range(n):
        await click(pilot, 20, 6)
        got.append(float(pilot.app.main.dataset.y_train.reshape(len(pilot.app.main.dataset.y_train), -1)[-1, 0]))
        await pilot.press("p")
    return got


async def test_p_cycles_the_class_of_multiclass_data():
    app = app_for("blobs")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        assert [int(v) for v in await draw_cycling(pilot, 4)] == [0, 1, 2, 0]
        await click(pilot, 20, 7, button=3)  # the class after the current one (1)
        assert int(app.main.dataset.y_train[-1]) == 2
        assert "class 1" in app.main.views["boundary"].border_subtitle


async def test_p_cycles_the_palette_of_regression():
    app = app_for("plane")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        assert await draw_cycling(pilot, 6) == [*app.main.drawing.palette, app.main.drawing.palette[0]]
        assert app.main.drawing.palette[2] == 0.0 and app.main.drawing.palette[0] == -app.main.drawing.palette[4]


async def test_the_next_epoch_trains_on_the_clicked_point():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        at = await click(pilot, 50, 12)
        batches = []
        for _ in range(app.runner.trainer.batches_per_epoch):
            app.runner.send(FinishStep())
            frame = await app.settle()
            batches.append(frame.snapshot.batch_x)
        assert frame.snapshot.epoch == 1
        hits = [x for x in np.concatenate(batches) if tuple(x) == at]
        assert len(hits) == 1  # trained on once in the epoch
        assert len(frame.snapshot.history.val_loss) == 0  # drawn data has no validation set


async def test_a_single_drawn_point_is_the_whole_batch_and_its_loss():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.press("X", "X")  # asked twice
        await app.settle()
        at = await click(pilot, 10, 10, button=3)  # class 1
        params = app.main.shown.params
        app.runner.send(FinishStep())
        frame = await app.settle()
        s = frame.snapshot
        assert np.array_equal(s.batch_x, [at])
        p = app.runner.trainer.net.forward(params, np.array([at]))[0, 0]
        assert s.loss == pytest.approx(-math.log(p), rel=1e-12)


async def test_u_removes_the_point_nearest_the_mouse():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.hover("#boundary", offset=(21, 9))
        at = app.main.views["boundary"].pointer
        assert at == app.main.views["boundary"].data_at(20, 8)
        points = np.concatenate([app.main.dataset.x_train, app.main.dataset.x_val])
        nearest = points[np.argmin(np.hypot(*(points - at).T))]
        await pilot.press("u")
        await app.settle()
        assert len(app.main.dataset.x_train) == len(points) - 1
        assert tuple(nearest) not in set(map(tuple, app.main.dataset.x_train.tolist()))
        assert "removed the class" in app.main.hint.markup
        assert (await trainer_data(app)) is app.main.dataset


async def test_x_clears_every_point_and_play_waits_for_new_ones():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.press("X")  # once: it asks first, as nothing brings the points back
        await pilot.pause()
        assert len(app.main.dataset.x_train) == 160 and app.main.dataset.name != "drawn"
        assert any("Press X again" in n.message for n in app._notifications)
        await pilot.press("X")
        frame = await app.settle()
        assert len(app.main.dataset.x_train) == 0 and len((await trainer_data(app)).x_train) == 0
        assert frame.message == NO_POINTS
        await pilot.press("space")  # play: nothing to train on, so it pauses and says why
        frame = await app.settle()
        assert frame.status == Status.PAUSED and frame.message == NO_POINTS and frame.snapshot.step == 0
        app.runner.send(RunEpoch())
        frame = await app.settle()
        assert frame.snapshot.step == 0 and frame.status == Status.PAUSED  # no error, no divergence
        await click(pilot, 10, 10)
        assert len(app.main.dataset.x_train) == 1
        assert "cleared" not in app.main.hint.markup


async def test_clicks_on_data_with_more_inputs_say_why_not():
    app = app_for("iris")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        before = app.main.dataset
        notices = []
        app.notify = lambda message, **kw: notices.append(message)
        await pilot.click("#boundary", offset=(10, 5))
        await pilot.pause()
        await pilot.press("X")
        assert app.main.dataset is before
        assert notices and all("4 inputs" in m for m in notices) and len(notices) == 2


async def test_reset_keeps_the_drawn_points():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await click(pilot, 12, 4)
        data = app.main.dataset
        await pilot.press("r")
        await app.settle()
        assert app.main.dataset is data and (await trainer_data(app)) is data
        assert app.main.shown.step == 0


async def test_ctrl_s_saves_the_drawn_data_as_a_preset_that_reopens(tmp_path):
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.press("X", "X")  # asked twice
        await app.settle()
        for col, row, button in ((5, 3, 1), (40, 12, 3), (20, 8, 1)):
            await click(pilot, col, row, button=button)
        data = app.main.dataset
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SaveDialog)
        field = app.screen.query_one("#preset-path", Input)
        assert field.value == "./xor-drawn.toml"
        field.value = str(tmp_path / "mine.toml")
        field.focus()
        await pilot.press("enter")
        for _ in range(300):
            if (tmp_path / "mine.toml").exists():
                break
            await asyncio.sleep(0.01)
        await pilot.pause()
        ds = Trainer(load_preset(tmp_path / "mine.toml")).dataset
        assert rows(np.column_stack([ds.x_train, ds.y_train])) == rows(np.column_stack([data.x_train, data.y_train]))
        assert await open_preset(app, str(tmp_path / "mine.toml"))
        await app.settle()
        assert app.main.config.data.dataset == "csv" and len(app.main.dataset.x_train) == 3


async def test_ctrl_s_offers_the_experiment_as_a_preset_for_data_not_drawn():
    """Data not drawn has no points to write: its preset is the experiment
    alone (a .toml, no .csv)."""
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SaveDialog)
        assert len(app.screen.query(Input)) == 2
        assert "save this experiment" in str(app.screen.query_one("#preset-title").render())
        assert app.screen.query_one("#preset-path", Input).value == "./xor-mine.toml"


async def test_controls_rebuild_the_network_on_the_drawn_points_even_when_cleared():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.press("X", "X")  # asked twice
        await app.settle()
        assert app.main.apply_control("model.hidden", "8")  # the checks read the preset's data
        await app.settle()
        assert app.main.config.model.layers == (2, 8, 1)
        assert len((await trainer_data(app)).x_train) == 0 and app.main.dataset.name == "drawn"


async def test_b_says_the_steps_before_a_drawing_cannot_be_rewound():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        app.runner.send(FinishStep())
        await app.settle()
        await click(pilot, 12, 4)
        await pilot.press("b")
        frame = await app.settle()
        assert frame.snapshot.step == 1 and "the data changed here" in frame.message


async def test_drawing_while_playing_goes_on_with_the_same_run():
    from nntui.app.worker import Pause, Play, SetSpeed

    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        app.runner.send(SetSpeed(2))  # 20 steps a second: the CPU stays idle enough for Pilot
        app.runner.send(Play())
        for _ in range(200):
            frame = await app.settle()
            if frame.snapshot.step >= 3:
                break
            await asyncio.sleep(0.02)
        step, generation = frame.snapshot.step, app.main.generation
        at = await click(pilot, 25, 7)
        assert "pause" in app.main.hint.markup and "added a class 0 point" in app.main.hint.markup
        for _ in range(200):
            frame = await app.settle()
            if frame.snapshot.step >= step + 3:
                break
            await asyncio.sleep(0.02)
        app.runner.send(Pause())
        frame = await app.settle()
        assert app.main.generation == generation and frame.status == Status.PAUSED
        assert frame.snapshot.step >= step + 3  # the same run went on: no reset to step 0
        data = await trainer_data(app)
        assert data is app.main.dataset and tuple(data.x_train[-1]) == at


# ------------------------------------------------ what was drawn, saved as drawn


@pytest.mark.parametrize("names", [("a,b", 'say "hi"'), ("one\ntwo", "x"), ('"', ",")])
def test_any_class_name_round_trips_through_the_saved_csv(tmp_path, names):
    config = load_preset("xor")
    data = dataclasses.replace(Trainer(config).dataset, classes=tuple(sorted(names)))
    data = drawn.add_point(data, 0.5, 0.5, 1)
    toml_path, _ = save_drawn_preset(config, data, tmp_path / "mine")
    ds = Trainer(load_preset(toml_path)).dataset
    assert ds.classes == data.classes
    assert rows(np.column_stack([ds.x_train, ds.y_train])) == rows(np.column_stack([data.x_train, data.y_train]))


@pytest.mark.parametrize("there", ["mine.csv", "mine.toml"])
def test_a_save_never_replaces_a_file_unasked(tmp_path, there):
    from nntui.experiment.drawn_preset import DrawnExists

    config = load_preset("xor")
    data = drawn.add_point(Trainer(config).dataset, 0.5, 0.5, 1)
    (tmp_path / there).write_text("mine, not yours\n")
    with pytest.raises(DrawnExists, match=there):
        save_drawn_preset(config, data, tmp_path / "mine")
    assert (tmp_path / there).read_text() == "mine, not yours\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [there]
    save_drawn_preset(config, data, tmp_path / "mine", replace=True)
    assert len(Trainer(load_preset(tmp_path / "mine.toml")).dataset.x_train) == len(data.x_train)


async def save_drawn_in_app(pilot, path) -> None:
    app = pilot.app
    await pilot.press("ctrl+s")
    field = app.screen.query_one("#preset-path", Input)
    field.value = str(path)
    field.focus()
    await pilot.press("enter")
    for _ in range(300):  # the save runs on a worker; the question comes back from it
        await asyncio.sleep(0.01)
        if type(app.screen).__name__ == "ReplaceDialog" or path.exists():
            break
    await pilot.pause()


@pytest.mark.parametrize("answer", ["escape", "r"])
async def test_the_app_asks_before_replacing_a_drawn_preset(tmp_path, answer):
    from nntui.app.screens.replace import ReplaceDialog

    (tmp_path / "mine.csv").write_text("mine, not yours\n")
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await click(pilot, 5, 3)
        await save_drawn_in_app(pilot, tmp_path / "mine.toml")
        assert isinstance(app.screen, ReplaceDialog)
        assert "mine.csv" in str(app.screen.message)
        await pilot.press(answer)
        for _ in range(300):
            if (tmp_path / "mine.toml").exists():
                break
            await asyncio.sleep(0.01)
        await pilot.pause()
        assert not isinstance(app.screen, ReplaceDialog)
    if answer == "escape":
        assert (tmp_path / "mine.csv").read_text() == "mine, not yours\n"
        assert not (tmp_path / "mine.toml").exists()
    else:
        assert len(Trainer(load_preset(tmp_path / "mine.toml")).dataset.x_train) == len(app.main.dataset.x_train)
