"""The app's compare view (app/screens/compare.py) and its dialog (vary.py):
variants raced together, the `optimizers` preset opening as a four-way race,
the `v` key, and the race keys acting on every variant at once."""

from __future__ import annotations

import asyncio
import dataclasses

from nntui.app.app import make_app
from nntui.app.screens.compare import CompareScreen
from nntui.app.screens.vary import VaryDialog, suggestions
from nntui.experiment.config import override
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset
from tests.test_app import open_preset


def _racing(app) -> bool:
    return isinstance(app.screen, CompareScreen) and hasattr(app.screen, "boundaries")


async def _wait_for(pilot, condition, timeout: float = 60.0) -> None:
    """Poll (not a timing assertion: the deadline only stops a hung test)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "timed out"
        await pilot.pause(0.05)


def _optimizers(epochs: int):
    """The optimizers preset, its race and all, for fewer epochs (override drops the race)."""
    c = load_preset("optimizers")
    return dataclasses.replace(c, train=dataclasses.replace(c.train, epochs=epochs))


def _done(app) -> bool:
    return _racing(app) and all(r.done for r in app.screen.race.runners)


async def test_optimizers_opens_as_a_four_way_race_whose_keys_move_every_variant():
    app = make_app(load_preset("optimizers"))
    async with app.run_test(size=(160, 48)) as pilot:
        await _wait_for(pilot, lambda: _racing(app))
        screen = app.screen
        assert [v.label for v in screen.variants] == ["sgd", "sgd momentum 0.9", "rmsprop", "adam"]
        assert screen.playing  # a preset's race runs as soon as it opens
        await pilot.press("space")
        assert not screen.playing
        await pilot.press("r")
        assert [r.trainer.step for r in screen.race.runners] == [0, 0, 0, 0]
        await pilot.press("e", "e", "e")
        assert [r.trainer.epoch for r in screen.race.runners] == [3, 3, 3, 3]
        await pilot.press("s")
        assert [r.trainer.step for r in screen.race.runners] == [31, 31, 31, 31]
        # each variant is its solo run, bit for bit
        base = load_preset("optimizers")
        for r, pairs in zip(screen.race.runners, base.variants):
            options = {k: v for k, v in pairs if k != "optimizer"}
            solo = Trainer(override(base, options=options, optimizer=dict(pairs)["optimizer"]))
            solo.run(until_epochs=3)
            assert r.trainer.history["train_loss"] == solo.history["train_loss"]
        # one boundary a variant, titled by its label, its loss and accuracy under it
        await pilot.pause()
        assert "sgd momentum 0.9" in str(screen.boundaries[1].border_title)
        loss = screen.race.runners[3].trainer.history["train_loss"][-1]
        assert f"loss {loss:.3g}" in str(screen.boundaries[3].border_subtitle)
        assert "race · epoch 3/60 · paused · 5 epochs/s" in str(screen.hint.render())
        assert screen.chart.builds >= 1
        # the single run's keys are off over the race (they would act on the hidden run)
        step = app.runner.trainer.step
        assert "n" not in app.active_bindings and "question_mark" in app.active_bindings
        await pilot.press("space")
        assert screen.playing
        await _wait_for(pilot, lambda: min(r.trainer.epoch for r in screen.race.runners) >= 5)
        await pilot.press("space")
        epochs = [r.trainer.epoch for r in screen.race.runners]
        assert max(epochs) - min(epochs) <= 1  # level by epoch
        # [ and ] set the speed, in epochs a second of each variant
        speed = screen.speed
        await pilot.press("left_square_bracket")
        assert screen.speed == speed - 1
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert screen.speed == speed + 1
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)
        assert "n" in app.active_bindings
        assert app.runner.trainer.step == step  # the single run waited where it was


async def test_a_finished_race_is_charted_to_its_last_epoch():
    app = make_app(_optimizers(6))
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait_for(pilot, lambda: _done(app))
        await pilot.pause()
        screen = app.screen
        assert not screen.playing
        assert all(len(r.trainer.history["train_loss"]) == 6 for r in screen.race.runners)
        assert screen.chart._key[0] == (6, 6, 6, 6)  # built on the final histories
        assert "done" in str(screen.hint.render())
        await pilot.press("space")  # a finished race says how to run it again
        assert not screen.playing
        await pilot.press("v")
        assert not isinstance(app.screen, CompareScreen)


async def test_v_asks_what_to_race_and_runs_it_on_any_preset():
    app = make_app(override(load_preset("xor"), epochs=4))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)  # xor declares no race
        await pilot.press("v")
        assert isinstance(app.screen, VaryDialog)
        # a mistake is told in the dialog, which stays open
        app.screen.query_one("#path").value = "learning_rate=0.1,fast"
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert isinstance(app.screen, VaryDialog)
        problem = str(app.screen.query_one("#problem").render())
        assert "learning_rate" in problem and "fast" in problem
        # the first suggestion races three optimizers
        app.screen.query_one("#races").focus()
        await pilot.press("home", "enter")
        await _wait_for(pilot, lambda: _racing(app))
        assert [v.label for v in app.screen.variants] == ["sgd", "rmsprop", "adam"]
        await _wait_for(pilot, lambda: _done(app))
        assert all(r.trainer.epoch == 4 for r in app.screen.race.runners)
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)
        # typing while the list has the focus types into the box; a bad value gets the CLI's message
        await pilot.press("v")
        await pilot.press(*"learning_rate=fast")
        assert app.screen.query_one("#path").value == "learning_rate=fast"
        await pilot.press("enter")
        await pilot.pause()
        problem = str(app.screen.query_one("#problem").render())
        assert "must be a finite number" in problem and isinstance(app.screen, VaryDialog)
        await pilot.press("escape")
        # the controls panel's button asks too
        await pilot.click("#race")
        assert isinstance(app.screen, VaryDialog)
        await pilot.press("escape")
        assert not isinstance(app.screen, (VaryDialog, CompareScreen))
        # a typed race, as on the command line
        await pilot.press("v")
        app.screen.query_one("#path").value = "learning_rate=0.1,1"
        app.screen.query_one("#path").focus()
        await pilot.press("enter")
        await _wait_for(pilot, lambda: _racing(app))
        assert [v.config.train.learning_rate for v in app.screen.variants] == [0.1, 1.0]
        await pilot.press("escape")
        # opening a preset that declares a race opens its race; > leaves it for the next lesson
        assert await open_preset(app, "optimizers")
        await _wait_for(pilot, lambda: _racing(app))
        await pilot.press("greater_than_sign")
        await _wait_for(pilot, lambda: not isinstance(app.screen, CompareScreen) and app.main.config.name != "optimizers")
        from nntui.experiment.presets import STORY_ORDER

        assert STORY_ORDER.index(app.main.config.name) == STORY_ORDER.index("optimizers") + 1


def test_suggestions_are_races_that_validate_for_the_config():
    xor = load_preset("xor")
    got = suggestions(xor)
    assert got[0] == "optimizer=sgd,rmsprop,adam"
    assert f"learning_rate={xor.train.learning_rate / 10:g},{xor.train.learning_rate:g}," \
           f"{xor.train.learning_rate * 10:g}" in got
    # a perceptron has no hidden layer: nothing about activations or init
    assert not any(s.startswith(("activation", "init")) for s in suggestions(load_preset("perceptron-and")))
    # seeds change nothing when the weights and the data are both given (valley): not suggested
    assert any(s.startswith("seed=") for s in got)
    assert not any(s.startswith("seed=") for s in suggestions(load_preset("valley")))


async def _race_to_its_end(pilot) -> None:
    """A snapshot's run_before: the race at full speed, to its (deterministic) end."""
    await _wait_for(pilot, lambda: _racing(pilot.app))
    await pilot.press(*"]" * 4)
    await _wait_for(pilot, lambda: _done(pilot.app))
    await pilot.pause(0.2)


def test_snapshot_the_optimizers_race(snap_compare):
    """optimizers: the four-way race, run to its end."""
    assert snap_compare(make_app(load_preset("optimizers")), run_before=_race_to_its_end, terminal_size=(160, 48))


def test_snapshot_the_race_at_80x24(snap_compare):
    app = make_app(_optimizers(20))
    assert snap_compare(app, run_before=_race_to_its_end, terminal_size=(80, 24))


async def test_a_full_batch_race_plays_at_its_rate_not_a_step_a_frame():
    """valley's epoch is one step: at 5 epochs a second (20 frames a second),
    the race steps once every 4 frames, not every frame."""
    from nntui.app.screens import compare

    app = make_app(load_preset("valley"))
    async with app.run_test(size=(100, 30)) as pilot:
        await _wait_for(pilot, lambda: _racing(app))
        screen = app.screen
        screen._set_playing(False)
        screen.action_restart()
        assert compare.SPEEDS[screen.speed] == 5 and compare.FPS == 20
        screen._set_playing(True)
        screen._timer.pause()  # the test ticks by hand
        for _ in range(16):
            screen._tick()
        assert [r.trainer.epoch for r in screen.race.runners] == [4, 4, 4]
        screen.action_speed(-1)  # 2 epochs a second: one every 10 frames
        for _ in range(20):
            screen._tick()
        assert [r.trainer.epoch for r in screen.race.runners] == [6, 6, 6]
