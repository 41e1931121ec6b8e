"""The worker without the app: typed commands in, frames with a Status out."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import FrozenInstanceError, dataclass

import pytest

from nntui.app.worker import (
    SPEEDS,
    Command,
    EngineRunner,
    FinishStep,
    NextPhase,
    Pause,
    Play,
    Replace,
    RunEpoch,
    SetLearningRate,
    SetOption,
    SetSpeed,
    Status,
    StepBack,
    TogglePlay,
    Wake,
)
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset


@contextmanager
def running(preset: str = "xor", **kw):
    runner = EngineRunner(Trainer(load_preset(preset)), **kw)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop.is_set,), daemon=True)
    thread.start()
    try:
        yield runner
    finally:
        stop.set()
        runner.send(Wake())
        thread.join(5)
        assert not thread.is_alive()


def settled(runner: EngineRunner):
    """The frame published once every command sent so far is done."""
    seq = runner.sync().result(5)
    frame = runner.latest()
    assert frame.seq >= seq
    return frame


def test_moves_by_hand():
    with running() as runner:
        runner.send(NextPhase())
        frame = settled(runner)
        assert frame.snapshot.done == 1 and frame.status is Status.PAUSED
        runner.send(FinishStep())
        assert settled(runner).snapshot.step == 1
        runner.send(StepBack())
        assert settled(runner).snapshot.step == 0
        runner.send(RunEpoch())
        s = settled(runner).snapshot
        assert s.epoch == 1 and s.step == s.batches_per_epoch


def test_play_pause_toggle_and_a_move_pauses():
    with running() as runner:
        runner.send(SetSpeed(SPEEDS.index(100)))
        runner.send(Play())
        assert settled(runner).status is Status.PLAYING
        runner.send(TogglePlay())
        assert settled(runner).status is Status.PAUSED
        runner.send(TogglePlay())
        assert settled(runner).status is Status.PLAYING
        runner.send(NextPhase())
        frame = settled(runner)
        assert frame.status is Status.PAUSED and frame.snapshot.done == 1
        runner.send(Pause())
        assert settled(runner).status == "paused"  # a StrEnum: its name compares equal


def test_settings_reach_the_trainer():
    with running() as runner:
        runner.send(SetLearningRate(0.025))
        runner.send(SetSpeed(99))
        settled(runner)
        assert runner.trainer.optimizer.lr == 0.025
        assert runner.speed == len(SPEEDS) - 1  # clamped
        runner.send(SetSpeed(-3))
        settled(runner)
        assert runner.speed == 0


def test_live_changes_reach_the_optimizer():
    with running("xor") as runner:  # sgd: it takes a momentum
        runner.send(SetLearningRate(0.5))
        runner.send(SetOption("momentum", 0.25))
        settled(runner)
        assert runner.trainer.optimizer.lr == 0.5
        assert runner.trainer.optimizer.options["momentum"] == 0.25


def test_replace_tags_frames_with_the_new_generation():
    with running() as runner:
        runner.send(FinishStep())
        settled(runner)
        runner.send(Replace(Trainer(load_preset("moons")), 7))
        frame = settled(runner)
        assert frame.generation == 7 and frame.snapshot.step == 0
        assert runner.trainer.config.data.dataset == "moons"


def test_a_failing_command_pauses_with_an_error_and_the_worker_survives():
    errors = []

    @dataclass(frozen=True)
    class Boom(Command):
        def apply(self, runner: EngineRunner) -> None:
            raise RuntimeError("boom")

    with running(on_error=lambda title, text: errors.append(text)) as runner:
        runner.send(Boom())
        frame = settled(runner)
        assert frame.status is Status.ERROR and "boom" in frame.message
        assert errors and "boom" in errors[0]
        runner.send(FinishStep())
        frame = settled(runner)
        assert frame.status is Status.PAUSED and frame.snapshot.step == 1


def test_a_new_command_is_one_class():
    @dataclass(frozen=True)
    class HalveLearningRate(Command):
        def apply(self, runner: EngineRunner) -> None:
            runner.trainer.set_learning_rate(runner.trainer.optimizer.lr / 2)

    with running() as runner:
        lr = runner.trainer.optimizer.lr
        runner.send(HalveLearningRate())
        settled(runner)
        assert runner.trainer.optimizer.lr == lr / 2


def test_commands_are_frozen_values():
    assert SetSpeed(3) == SetSpeed(3) and NextPhase() == NextPhase()
    with pytest.raises(FrozenInstanceError):
        SetSpeed(3).level = 4


def test_step_back_says_how_many_steps_the_ring_keeps():
    """The rewind ring is bounded by memory; at its end the frame says how far back it reaches."""
    with running() as runner:
        runner.trainer.keep_rewind(2)
        for _ in range(4):
            runner.send(FinishStep())
        runner.send(StepBack())
        frame = settled(runner)
        assert frame.snapshot.step == 3 and frame.message is None
        runner.send(StepBack())
        runner.send(StepBack())  # nothing older: it stays, and says why
        frame = settled(runner)
        assert frame.snapshot.step == 2
        assert "the last 2 steps can be rewound" in frame.message


def test_the_slowest_speed_is_named_per_phase():
    from nntui.app.worker import SPEEDS, speed_label

    assert speed_label(0) == "1 phase/s" and speed_label(1) == "5/s" and speed_label(len(SPEEDS) - 1) == "max"


def test_early_stopping_pauses_play_and_says_why():
    from nntui.experiment.config import config_from_dict

    d = load_preset("overfit").to_dict()
    d["train"]["early_stopping"] = {"monitor": "val_loss", "patience": 10}
    runner = EngineRunner(Trainer(config_from_dict(d, "overfit.toml")))
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop.is_set,), daemon=True)
    thread.start()
    try:
        runner.send(SetSpeed(len(SPEEDS) - 1))  # full speed
        runner.send(Play())
        deadline = time.monotonic() + 30
        while runner.trainer.epoch < 400 and not runner.trainer.stopped and time.monotonic() < deadline:
            time.sleep(0.05)
        frame = settled(runner)
        tr = runner.trainer
        assert tr.stopped and frame.status is Status.PAUSED and tr.epoch == tr.stop.stopped_epoch
        assert frame.message == (f"stopped: no better val loss for 10 epochs; "
                                 f"best at epoch {tr.stop.best_epoch + 1} (restored)")
        stopped_at = tr.epoch
        runner.send(Play())  # playing on goes on from the best weights, early stopping afresh
        deadline = time.monotonic() + 10
        while runner.trainer.epoch <= stopped_at and time.monotonic() < deadline:
            time.sleep(0.02)
        assert runner.trainer.epoch > stopped_at
    finally:
        stop.set()
        runner.send(Wake())
        thread.join(5)


def test_a_command_pauses_with_a_reason_through_the_public_runner():
    """pause(message) says why on the status line; pause() keeps what it says; play() clears it."""

    @dataclass(frozen=True)
    class StopForALesson(Command):
        def apply(self, runner: EngineRunner) -> None:
            runner.pause("a question about the boundary")

    with running(playing=True) as runner:
        runner.send(StopForALesson())
        frame = settled(runner)
        assert frame.status is Status.PAUSED and frame.message == "a question about the boundary"
        runner.send(Pause())
        assert settled(runner).message == "a question about the boundary"
        runner.send(Play())
        frame = settled(runner)
        assert frame.status is Status.PLAYING and frame.message is None


def test_the_timeline_moves_epoch_by_epoch_and_play_branches_from_a_past_one():
    from nntui.app.worker import MoveEpoch, ShowEpoch

    with running("overfit") as runner:
        for _ in range(6):
            runner.send(RunEpoch())
        assert settled(runner).snapshot.epoch == 6
        runner.send(MoveEpoch(-1))
        s = settled(runner).snapshot
        assert (s.epoch, s.replay_of) == (5, 6) and len(s.history.train_loss) == 6
        runner.send(ShowEpoch(2))
        s = settled(runner).snapshot
        ref = Trainer(load_preset("overfit"))
        ref.run(until_epochs=2)
        assert s.epoch == 2 and all((s.params[k] == ref.params[k]).all() for k in ref.params)
        runner.send(MoveEpoch(+1))
        assert settled(runner).snapshot.epoch == 3
        for _ in range(3):
            runner.send(MoveEpoch(+1))
        s = settled(runner).snapshot
        assert s.epoch == 6 and s.replay_of is None  # past the last kept epoch: the run as it is
        runner.send(ShowEpoch(3))
        settled(runner)
        runner.send(Play())  # trains on from epoch 3: epochs 4-6 become a ghost
        frame = settled(runner)
        runner.send(Pause())
        assert frame.branches == 1 and len(frame.branched.train_loss) == 6
        frame = settled(runner)
        ref = Trainer(load_preset("overfit"))
        ref.run(until_epochs=frame.snapshot.epoch)
        assert frame.snapshot.replay_of is None and frame.snapshot.history.train_loss == tuple(ref.history["train_loss"])


# ------------------------------------------------- divergence by the CLI's loss rule


def cli_diverged(*flags: str) -> str:
    """`nntui train lr-too-high FLAGS`: exit 3, and its one line."""
    from click.testing import CliRunner

    from nntui.cli import main

    result = CliRunner().invoke(main, ["train", "lr-too-high", *flags])
    assert result.exit_code == 3, result.stderr
    return result.stderr


def wait_for(runner: EngineRunner, status: Status, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        frame = settled(runner)
        if frame.status is status:
            return frame
        time.sleep(0.02)
    raise AssertionError(f"never {status}: {settled(runner)}")


def by_hand(command: Command):
    """Send `command` until the worker pauses on a divergence (a move after that would play on)."""

    def drive(runner: EngineRunner) -> None:
        for _ in range(200):
            runner.send(command)
            if settled(runner).status is Status.DIVERGED:
                return

    return drive


PLAYS = {  # each way the worker runs epochs: full-speed play, traced play, a step at a time, an epoch at a time
    "max speed": lambda runner: (runner.send(SetSpeed(len(SPEEDS) - 1)), runner.send(Play())),
    "traced play": lambda runner: (runner.send(SetSpeed(SPEEDS.index(100))), runner.send(Play())),
    "phase by phase": by_hand(NextPhase()),
    "step by step": by_hand(FinishStep()),
    "epoch by epoch": by_hand(RunEpoch()),
}


@pytest.mark.parametrize("play", PLAYS)
def test_a_loss_above_its_bound_pauses_the_app_as_the_cli_stops(play):
    """lr-too-high's first epoch ends at a loss of 1e14, finite, and with no
    lowest before it (so no thousandfold): only the mse's absolute bound (1e6)
    says it diverged. `nntui train` stops there, exit 3; the app pauses at the
    same step, with the same words, instead of playing on to a NaN 20 epochs later."""
    import math

    from nntui.engine.losses import LOSSES

    with running("lr-too-high") as runner:
        PLAYS[play](runner)
        frame = wait_for(runner, Status.DIVERGED)
        tr = runner.trainer
        losses = tr.history["train_loss"]
        bound = LOSSES["mse"].too_high(tr.dataset.y_train, 1)
        assert tr.epoch == 1 and frame.snapshot.step == 10 and len(losses) == 1
        assert math.isfinite(losses[0]) and losses[0] > bound  # neither NaN nor a thousandfold: the bound alone
        assert frame.message.startswith("training diverged at step 10: the loss reached 1.07e+14 in 1 epoch, "
                                        "above 1e+06 (10^6 × the targets' mean square, at least 10^6)")
        assert not runner.playing and all(math.isfinite(float(v.sum())) for v in tr.params.values())
    assert f"nntui: error: lr-too-high.toml: {frame.message} (it is 0.3 now;" in cli_diverged()


def test_a_thousandfold_explosion_pauses_the_app_as_the_cli_stops():
    """At lr 0.1 the loss stays under the bound a while but grows 1000 times
    its lowest by epoch 3: the other half of the same rule."""
    config = load_preset("lr-too-high")
    runner = EngineRunner(Trainer(config))
    runner.trainer.set_learning_rate(0.1)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop.is_set,), daemon=True)
    thread.start()
    try:
        runner.send(SetSpeed(len(SPEEDS) - 1))
        runner.send(Play())
        frame = wait_for(runner, Status.DIVERGED)
    finally:
        stop.set()
        runner.send(Wake())
        thread.join(5)
    assert frame.snapshot.step == 30 and "the loss exploded from 546 to 2.9e+07 in 3 epochs" in frame.message
    assert f"lr-too-high.toml: {frame.message} (it is 0.1 now;" in cli_diverged("--learning-rate", "0.1")


def test_playing_on_past_the_bound_is_the_users_choice_and_reset_judges_afresh():
    """Paused at epoch 1, space plays on: the epochs after it are not paused
    again by the rule (the run goes on to its NaN, still flagged); stepping back
    to before the pause judges that epoch anew; a new run is judged from its first epoch."""
    with running("lr-too-high") as runner:
        runner.send(RunEpoch())
        assert wait_for(runner, Status.DIVERGED).snapshot.epoch == 1
        runner.send(RunEpoch())  # on past it: epoch 2, above the bound too, is not paused for
        frame = settled(runner)
        assert frame.status is Status.PAUSED and frame.snapshot.epoch == 2
        runner.send(SetSpeed(len(SPEEDS) - 1))
        runner.send(Play())
        frame = wait_for(runner, Status.DIVERGED)
        assert "became NaN or inf" in frame.message and frame.snapshot.epoch > 2
        for _ in range(frame.snapshot.step - 9):
            runner.send(StepBack())
        assert settled(runner).snapshot.step == 9
        runner.send(FinishStep())  # epoch 1 ends again: judged again
        frame = wait_for(runner, Status.DIVERGED)
        assert frame.snapshot.step == 10 and "above 1e+06" in frame.message
        runner.send(Replace(Trainer(load_preset("lr-too-high")), 1))
        runner.send(RunEpoch())
        frame = wait_for(runner, Status.DIVERGED)
        assert frame.generation == 1 and frame.snapshot.step == 10 and "above 1e+06" in frame.message
