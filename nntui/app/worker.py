"""The engine's driver: runs a Trainer in a worker thread, away from the UI.

The UI never touches the trainer. It sends commands through a queue
(`EngineRunner.send(Play())`, `EngineRunner.submit`): each command is a small
frozen dataclass whose `apply` runs on the worker thread, so adding one is
one class, with no dispatch to edit. The UI reads what the worker
publishes from one latest-frame slot (`EngineRunner.latest`). After each
publication the worker calls `on_publish`, which the app turns into a message
with `can_replace`, so however fast training runs the UI receives at most one
pending notice and draws at most about 20 frames a second.

Every frame is tagged with the *generation* of the model it came from. The UI
bumps the generation whenever it replaces the model (reset, new seed, another
preset, a control that needs a new network) and drops frames of older
generations, so it never shows a stale snapshot of the old model.

This module imports no Textual: it can be driven, and tested, from any thread.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from nntui.engine.datasets import Dataset
from nntui.engine.snapshot import History, Snapshot
from nntui.engine.trainer import Diverged, NoData, Trainer, quiet_overflow

# Speed levels, in training steps per second; None is "as fast as it goes".
# The slowest level plays phase by phase, one phase a second: time to read the
# numbers of each as the diagram and the inspector show them.
SPEEDS: tuple[int | None, ...] = (1, 5, 20, 100, 500, None)
# 100 steps a second: fast enough that xor is solved in seconds, slow enough to
# watch the boundary form (at full speed it is solved before the eye sees it).
DEFAULT_SPEED = SPEEDS.index(100)
MAX_SPEED = len(SPEEDS) - 1
# While playing, frames are published at most this often (20 a second).
PUBLISH_INTERVAL = 1 / 20
# The longest a key's hold keeps fast training waiting for the UI.
HOLD_TIMEOUT = 0.15
# Up to this many steps a second, steps are traced so the inspector can show them.
TRACE_UP_TO = 20
# What play says when drawn data has no points left.
NO_POINTS = "no points to train on: click on the boundary to draw some"
_KEEP = object()  # pause(): the status line keeps its message


def speed_label(level: int) -> str:
    s = SPEEDS[level]
    if level == 0:
        return f"{s} phase/s"
    return "max" if s is None else f"{s}/s"


class Status(StrEnum):
    """The state of play a frame carries. A StrEnum, so a widget that is
    handed one can also be handed its plain name (as in its tests)."""

    PAUSED = "paused"
    PLAYING = "playing"
    DIVERGED = "diverged"  # paused by a loss or parameter that became NaN or inf, or a loss that exploded
    ERROR = "error"  # paused by an exception the worker caught


@dataclass(frozen=True)
class Frame:
    """One publication of the worker: a snapshot and the state of play."""

    seq: int  # increases with every publication
    generation: int  # of the model the snapshot came from
    snapshot: Snapshot
    status: Status
    speed: int  # index into SPEEDS
    rate: float  # steps per second measured over the last second of play
    message: str | None = None  # why it diverged, or what failed
    # Play from a past epoch of the timeline cut the run's later epochs: their
    # history (for a ghost curve), with a count that grows at each such branch.
    branches: int = 0
    branched: History | None = None


class Command:
    """Something the UI asks of the worker. `apply` runs on the worker
    thread, between two steps; afterwards the worker publishes a frame."""

    redraws: ClassVar[bool] = True  # whether the frame after it may differ

    def apply(self, runner: EngineRunner) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Play(Command):
    def apply(self, runner: EngineRunner) -> None:
        runner.play()


@dataclass(frozen=True)
class Pause(Command):
    def apply(self, runner: EngineRunner) -> None:
        runner.pause()


@dataclass(frozen=True)
class TogglePlay(Command):
    def apply(self, runner: EngineRunner) -> None:
        if runner.playing:
            runner.pause()
        else:
            runner.play()


@dataclass(frozen=True)
class ShowEpoch(Command):
    """Show a past epoch of the run from its timeline (pauses play); an epoch
    at or past the run's last, or None, shows the run as it is."""

    epoch: int | None

    def apply(self, runner: EngineRunner) -> None:
        runner.show_epoch(self.epoch)


@dataclass(frozen=True)
class MoveEpoch(Command):
    """One kept epoch back (-1) or on (+1) through the timeline."""

    direction: int

    def apply(self, runner: EngineRunner) -> None:
        runner.move_epoch(self.direction)


class Move(Command):
    """A move by hand, which pauses play first (and comes back from a past epoch to the run)."""

    def apply(self, runner: EngineRunner) -> None:
        runner.pause(None)  # what the line said was of before the move
        runner.replay = None
        self.move(runner.trainer)

    def move(self, trainer: Trainer) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class NextPhase(Move):
    def move(self, trainer: Trainer) -> None:
        trainer.next_phase()


@dataclass(frozen=True)
class FinishStep(Move):
    def move(self, trainer: Trainer) -> None:
        trainer.finish_step()


@dataclass(frozen=True)
class RunEpoch(Move):
    def move(self, trainer: Trainer) -> None:
        trainer.run_epoch()


@dataclass(frozen=True)
class StepBack(Move):
    def apply(self, runner: EngineRunner) -> None:
        super().apply(runner)
        tr = runner.trainer
        if tr.step > 0 and not tr.can_step_back and tr.data_step == tr.step:
            runner.pause(f"step {tr.step}: the data changed here; the steps before trained "
                         "on other data and cannot be rewound")
        elif tr.step > 0 and not tr.can_step_back:
            # The ring is bounded by memory: say how far back it reaches.
            runner.pause(f"step {tr.step}: the earliest kept; the last {tr.rewind_depth} "
                         f"step{'s' * (tr.rewind_depth != 1)} can be rewound")

    def move(self, trainer: Trainer) -> None:
        trainer.phase_back()  # the mirror of n: one phase mid-step, else a whole step


@dataclass(frozen=True)
class Replace(Command):
    """Train another model from now on; its frames carry `generation`."""

    trainer: Trainer
    generation: int

    def apply(self, runner: EngineRunner) -> None:
        runner.replace(self.trainer, self.generation)


@dataclass(frozen=True)
class ReplaceData(Command):
    """Train the same run on other data (drawn points) from the next step on:
    `Trainer.replace_data`, here between two steps, so the engine never sees
    the data change under a step. Dropped if the model of `generation` has
    been replaced meanwhile. With no points left, play pauses and says why."""

    dataset: Dataset
    generation: int

    def apply(self, runner: EngineRunner) -> None:
        if runner.generation != self.generation:
            return
        runner.trainer.replace_data(self.dataset)
        if not len(self.dataset.x_train):
            runner.no_data()
        elif runner.waiting_for_data:  # play stopped for want of points: it goes on
            runner.play()


@dataclass(frozen=True)
class SetLearningRate(Command):
    lr: float

    def apply(self, runner: EngineRunner) -> None:
        runner.trainer.set_learning_rate(self.lr)


@dataclass(frozen=True)
class SwitchOff(Command):
    """Hold these hidden units' outputs at 0 from now on ((layer, unit) pairs)."""

    units: frozenset

    def apply(self, runner: EngineRunner) -> None:
        runner.trainer.switch_off(self.units)


@dataclass(frozen=True)
class SetWeight(Command):
    """One weight set by hand (W1, (0, 1), 0.5); training goes on from it.
    A weight the current model lacks (it was replaced meanwhile) is said on
    the status line, and nothing changes."""

    name: str
    index: tuple[int, ...]
    value: float

    def apply(self, runner: EngineRunner) -> None:
        try:
            runner.trainer.set_weight(self.name, self.index, self.value)
        except ValueError as e:
            runner.pause(f"weight not set: {e}")


@dataclass(frozen=True)
class SetOption(Command):
    """A live change of an optimizer option (momentum, betas, ...)."""

    name: str
    value: Any

    def apply(self, runner: EngineRunner) -> None:
        runner.trainer.set_option(self.name, self.value)


@dataclass(frozen=True)
class SetSpeed(Command):
    level: int  # index into SPEEDS

    def apply(self, runner: EngineRunner) -> None:
        runner.set_speed(self.level)


@dataclass(frozen=True)
class Wake(Command):
    """Nothing to do but wake the worker, e.g. so that it sees it is cancelled."""

    def apply(self, runner: EngineRunner) -> None:
        pass


@dataclass(frozen=True)
class Call(Command):
    """Run `fn(trainer)`; the future gets its result or its exception."""

    fn: Callable[[Trainer], Any]
    future: Future

    def apply(self, runner: EngineRunner) -> None:
        if self.future.set_running_or_notify_cancel():
            try:
                self.future.set_result(self.fn(runner.trainer))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self.future.set_exception(exc)


@dataclass(frozen=True)
class Sync(Command):
    """Publish now; the future gets that frame's seq."""

    future: Future
    redraws: ClassVar[bool] = False  # the frame it publishes is already the latest

    def apply(self, runner: EngineRunner) -> None:
        self.future.set_result(runner.publish())


class EngineRunner:
    """Owns one Trainer at a time and runs it on the worker thread's behalf.

    UI side (any thread): `send`, `submit`, `latest`, `generation`.
    Worker side: `run(is_cancelled)`, which returns when `is_cancelled()` is
    true (checked before every step and phase).
    """

    def __init__(
        self,
        trainer: Trainer,
        *,
        generation: int = 0,
        playing: bool = False,
        speed: int = DEFAULT_SPEED,
        on_publish: Callable[[], None] | None = None,
        on_error: Callable[[str, str], None] | None = None,
    ) -> None:
        self.trainer = trainer
        self.generation = generation
        self.playing = playing
        self.speed = speed
        self.on_publish = on_publish or (lambda: None)
        # on_error(title, text): an exception the worker caught and survived.
        self.on_error = on_error or (lambda title, text: None)
        self.commands: queue.Queue[Command] = queue.Queue()
        self._lock = threading.Lock()
        self._latest: Frame | None = None
        self._seq = 0
        self._status = Status.PLAYING if playing else Status.PAUSED
        self._message: str | None = None
        self._dirty = True
        self._last_publish = 0.0
        self._next_due = 0.0
        self._rate_samples: deque[tuple[float, float]] = deque()
        self.steps_run = 0  # steps trained by play since start (benchmarks read it)
        self._held = False
        self._released = threading.Event()
        self._waiting_for_data = False  # play paused by drawn data with no points
        # Play pauses once this many epochs are done: the preset's own count, the
        # first time it is reached; playing on from there goes on without a stop.
        self._stop_at: int | None = self._stop_epoch() if playing else None
        # Early stopping pauses play when it stops the run (once: play on goes on).
        self._watch_early_stop = playing and not trainer.stopped
        # The epoch shown from the run's timeline (None: the run as it is).
        self.replay: int | None = None
        self._branches, self._branched = 0, None
        # (the trainer, the epoch) where the loss rule last paused play: played on from
        # there, the epochs after it are the user's choice until the loss is back under the rule.
        self._played_past: tuple[Trainer, int] | None = None
        if trainer.timeline is None:
            trainer.keep_timeline()

    # ------------------------------------------------------------------ UI side

    def send(self, command: Command) -> None:
        """Queue a command: Play(), NextPhase(), SetSpeed(3), ..."""
        self.commands.put(command)

    def submit(self, fn: Callable[[Trainer], Any]) -> Future:
        """Run `fn(trainer)` on the worker between two steps; the Future gets
        its result or its exception."""
        future: Future = Future()
        self.commands.put(Call(fn, future))
        return future

    def sync(self) -> Future:
        """A Future for the seq of the frame the worker publishes once it has
        handled every command sent before this one."""
        future: Future = Future()
        self.commands.put(Sync(future))
        return future

    def hold(self) -> None:
        """Pause fast training until `release` (at most HOLD_TIMEOUT): the UI
        calls it when a key arrives, so the key's frame is drawn at once
        rather than sharing the CPU with training."""
        self._released.clear()
        self._held = True

    def release(self) -> None:
        self._held = False
        self._released.set()

    @property
    def held(self) -> bool:
        """Whether fast training waits for the UI (a hold not yet released)."""
        return self._held

    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    # ------------------------------------------- worker side: what commands call

    def play(self) -> None:
        """Play from here (a message about an earlier stop goes). From a past
        epoch, the run goes back there and trains on; its later epochs are
        published once (`Frame.branched`) for a ghost curve."""
        if self.replay is not None:
            tr = self.trainer
            later = tr.snapshot().history
            if tr.branch_from(self.replay):
                self._branches, self._branched = self._branches + 1, later
            self.replay = None
        self._set_playing(True)

    def show_epoch(self, epoch: int | None) -> None:
        tr = self.trainer
        self.pause(None)
        if epoch is None or tr.timeline is None or epoch >= tr.epoch or (tr.done or tr.batch):
            self.replay = None  # mid-epoch, the run's own state is the one to show
            return
        entry = tr.timeline.at(max(0, epoch))
        self.replay = entry.epoch if entry is not None else None

    def move_epoch(self, direction: int) -> None:
        tr = self.trainer
        if tr.timeline is None:
            return
        now = self.replay if self.replay is not None else tr.epoch
        if direction < 0 and self.replay is None and (tr.done or tr.batch):
            now = tr.epoch + 1  # mid-epoch: back to the last epoch's end first
        target = tr.timeline.step_from(now, direction)
        self.show_epoch(target if target is not None else (None if direction > 0 else self.replay))

    def pause(self, message: str | None | object = _KEEP) -> None:
        """Stop playing. `message` says why on the status line (None: nothing);
        omitted, the line says what it said."""
        self._set_playing(False)
        if message is not _KEEP:
            self._message = message

    def set_speed(self, level: int) -> None:
        """A level of SPEEDS (clamped); the next step is due at once."""
        self.speed = max(0, min(len(SPEEDS) - 1, int(level)))
        self._next_due = time.perf_counter()

    def replace(self, trainer: Trainer, generation: int) -> None:
        """Train `trainer` from now on; its frames carry `generation`."""
        self.trainer = trainer
        self.generation = generation
        self.replay = None
        if trainer.timeline is None:
            trainer.keep_timeline()
        self._message = None
        self._status = Status.PLAYING if self.playing else Status.PAUSED
        self._stop_at = self._stop_epoch() if self.playing else None
        self._watch_early_stop = self.playing and not trainer.stopped
        self._rate_samples.clear()
        self._next_due = time.perf_counter()

    @property
    def waiting_for_data(self) -> bool:
        """Whether play paused for want of points (and goes on once some are drawn)."""
        return self._waiting_for_data

    def no_data(self) -> None:
        """Nothing to train on (drawn data cleared): pause, and say so; play
        goes on by itself once points are drawn again."""
        was_playing = self.playing or self._waiting_for_data
        self.pause(NO_POINTS)
        self._waiting_for_data = was_playing
        self._dirty = True

    def publish(self) -> int:
        """Publish a frame now; its seq."""
        self._publish()
        return self._seq

    # -------------------------------------------------------------- worker side

    def run(self, is_cancelled: Callable[[], bool]) -> None:
        self._publish()
        while not is_cancelled():
            timeout = self._wait_time()
            try:
                command = self.commands.get_nowait() if timeout <= 0 else self.commands.get(timeout=timeout)
            except queue.Empty:
                pass
            else:
                self._guard(self._handle, command)
                # Answer keys at once: publish as soon as the queue is empty.
                if self.commands.empty():
                    self._publish()
                continue
            if is_cancelled():
                break
            if self.playing:
                self._guard(self._play, is_cancelled)
            if self._dirty and (
                not self.playing or time.perf_counter() - self._last_publish >= PUBLISH_INTERVAL
            ):
                self._publish()

    def _wait_time(self) -> float:
        """How long the loop may block on the queue before it has work to do."""
        if not self.playing:
            return 0.25
        now = time.perf_counter()
        if SPEEDS[self.speed] is None:
            return 0.0
        due = self._next_due
        if self._dirty:
            due = min(due, self._last_publish + PUBLISH_INTERVAL)
        return max(0.0, due - now)

    def _guard(self, fn: Callable[..., None], *args: Any) -> None:
        """Run one unit of work; a divergence or any exception pauses play and
        is reported, never raised: the worker survives everything."""
        tr, epoch = self.trainer, self.trainer.epoch
        try:
            with quiet_overflow():  # a divergence is reported as such, not as warnings
                fn(*args)
                if self.trainer is tr and tr.epoch > epoch:
                    self._check_loss(tr)
        except NoData:
            self.no_data()
        except Diverged as exc:
            self.playing = False
            self._status = Status.DIVERGED
            self._message = str(exc) or f"diverged at step {getattr(exc, 'step', '?')}"
            self._dirty = True
        except Exception as exc:  # noqa: BLE001 - the worker must not die
            self.playing = False
            self._status = Status.ERROR
            self._message = f"{type(exc).__name__}: {exc}"
            self._dirty = True
            self.on_error("The engine failed", "".join(traceback.format_exception(exc)))

    def _check_loss(self, tr: Trainer) -> None:
        """At an epoch's end: Diverged if its loss exploded or passed its
        loss's bound, by the rule `nntui train` stops on (Trainer.check_explosion),
        with the same message. Once the user plays on past such a pause, the
        later epochs are not paused again until one is back under the rule (a
        NaN or inf still is); an epoch at or before the pause's is judged anew."""
        try:
            tr.check_explosion()
        except Diverged:
            past = self._played_past
            if past is not None and past[0] is tr and tr.epoch > past[1]:
                return
            self._played_past = (tr, tr.epoch)
            raise
        self._played_past = None

    def _stop_epoch(self) -> int | None:
        epochs = self.trainer.config.train.epochs
        return epochs if self.trainer.epoch < epochs else None

    def _reached_stop(self) -> bool:
        """Pause with a message when play reaches the preset's epochs, or early stopping stops the run."""
        tr = self.trainer
        if self._watch_early_stop and tr.stopped:
            self.pause(tr.stopper.reason(tr.stop))
            self._watch_early_stop = False
            return True
        if self._stop_at is None or self.trainer.epoch < self._stop_at:
            return False
        self.pause(f"reached the preset's {self._stop_at} epochs")
        self._stop_at = None
        return True

    def _set_playing(self, playing: bool) -> None:
        self._waiting_for_data = False
        if playing and self._status in (Status.DIVERGED, Status.ERROR):
            self._message = None
        if playing and not self.playing:
            self._message = None
            self._stop_at = self._stop_epoch()
            if self.trainer.stopped:  # playing on: early stopping starts afresh, as at Keras's next fit
                self.trainer.rules.restart()
            self._watch_early_stop = True
        self.playing = playing
        self._status = Status.PLAYING if playing else Status.PAUSED
        self._rate_samples.clear()
        self._next_due = time.perf_counter()
        self._dirty = True

    def _handle(self, command: Command) -> None:
        command.apply(self)
        if command.redraws:
            self._dirty = True

    def _play(self, is_cancelled: Callable[[], bool]) -> None:
        """Train until the next frame is due (or a command is waiting)."""
        tr = self.trainer
        speed = SPEEDS[self.speed]
        if speed is None:
            # Fast path: whole steps with no trace, a snapshot only when publishing.
            self._finish_partial_step()
            deadline = self._last_publish + PUBLISH_INTERVAL
            commands = self.commands
            clock = time.perf_counter
            n = 0
            epoch = tr.epoch
            try:
                stop_at = self._stop_at
                while not is_cancelled() and commands.empty():
                    if (stop_at is not None and tr.epoch >= stop_at) or (self._watch_early_stop and tr.stopped):
                        break
                    if self._held:
                        # The UI is answering a key or drawing: let it have the CPU (the GIL).
                        if not self._released.wait(HOLD_TIMEOUT):
                            self._held = False  # never released: go on regardless
                    tr.train_step()
                    n += 1
                    if tr.epoch != epoch:  # every epoch judged, as `nntui train` judges it
                        self._check_loss(tr)
                        epoch = tr.epoch
                    if clock() >= deadline:
                        break
                # train_step checks the loss; the last step's parameters
                # are checked here, as no next loss will show them.
                tr.check_parameters()
            finally:
                self._count_steps(n)
                self._dirty = True
            self._reached_stop()
            return
        now = time.perf_counter()
        if now < self._next_due:
            return
        if self.speed == 0:
            # Phase by phase, a phase a second (a whole step a second flashed
            # each phase by in ~170 ms, too fast to read).
            tr.next_phase()
            if tr.done == 0:
                self._count_steps(1)
            self._next_due = max(self._next_due + 1.0 / speed, now - 1.0)
        else:
            if speed <= TRACE_UP_TO:
                tr.finish_step()  # keeps the trace for the inspector
            else:
                self._finish_partial_step()
                tr.train_step()
                tr.check_parameters()
            self._count_steps(1)
            self._next_due = max(self._next_due + 1.0 / speed, now - 1.0)
        self._dirty = True
        self._reached_stop()

    def _count_steps(self, n: int) -> None:
        self.steps_run += n

    def _finish_partial_step(self) -> None:
        """Before fast steps, complete a step left half done by `n`."""
        if self.trainer.done:
            self.trainer.finish_step()

    def _rate(self) -> float:
        """Steps a second of play, over about the last second. A step in
        progress counts by its phases done: at a phase a second, a step takes
        several seconds and whole steps alone measured 0.0 steps/s."""
        now = time.perf_counter()
        samples = self._rate_samples
        tr = self.trainer
        samples.append((now, self.steps_run + tr.done / len(tr.phases)))
        while len(samples) > 2 and now - samples[1][0] >= 1.0:
            samples.popleft()
        if not self.playing or len(samples) < 2:
            return 0.0
        (t0, n0), (t1, n1) = samples[0], samples[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0

    def _publish(self) -> None:
        tr = self.trainer
        snapshot = tr.snapshot_at(self.replay) if self.replay is not None else tr.snapshot()
        self._seq += 1
        frame = Frame(
            seq=self._seq,
            generation=self.generation,
            snapshot=snapshot,
            status=self._status,
            speed=self.speed,
            rate=self._rate(),
            message=self._message,
            branches=self._branches,
            branched=self._branched,
        )
        with self._lock:
            self._latest = frame
        self._dirty = False
        self._last_publish = time.perf_counter()
        self.on_publish()
