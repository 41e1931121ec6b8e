"""The step machine: one training step is a fixed sequence of phases,

    forward 1 .. forward L  ->  loss  ->  backward L .. backward 1  ->  update

and the trainer can advance by one phase, the rest of a step, an epoch or N
steps. Phase mode keeps a trace of every z, a, delta and gradient for the UI;
`train_step` (fast play) runs the same arithmetic in the same order without
keeping it, so both paths give bit-identical parameters.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import gradnorm, trainer_state
from .datasets import Dataset, make_dataset
from .features import PLANE, expand, is_plane
from .initializers import init_params
from .losses import LOSSES
from .metrics import Confusion, LazyConfusion
from .network import Network
from .optimizers import make_optimizer
from .epoch_rules import EpochRules
from .scaling import Scaler
from .spec import Config
from .snapshot import BACKWARD, FORWARD, LOSS, UPDATE, Snapshot, step_phases, take_snapshot
from .timeline import EpochEnd, Timeline, entry_bytes

REWIND_DEPTH = 1000  # steps `step_back` can undo, for nets small enough
REWIND_BYTES = 256 * 2**20  # what the ring may hold: a large net keeps fewer steps (at least 1)


# A diverging run overflows on its way to inf; the trainer reports that itself
# (Diverged), so numpy's warnings would only repeat it, less clearly.
# A fresh errstate each time: one instance is not safe to enter from two threads.
def quiet_overflow() -> np.errstate:
    return np.errstate(over="ignore", invalid="ignore")


def _finite(params: dict) -> bool:
    # One sum per array: NaN or inf anywhere makes the sum NaN or inf. A finite
    # sum proves the array finite; a sum of huge finite values can overflow, so
    # only then is the array checked element by element.
    with np.errstate(over="ignore", invalid="ignore"):
        for p in params.values():
            if not math.isfinite(float(p.sum())) and not np.isfinite(p).all():
                return False
    return True


class Diverged(ArithmeticError):
    """The loss or a parameter became NaN or inf (the step that did it was not
    kept), or the loss exploded: an epoch's loss grew EXPLODED times or more
    above the run's lowest."""

    def __init__(self, step: int, what: str, how: str = "became NaN or inf",
                 advice: str = "try a smaller learning rate"):
        self.step = step
        super().__init__(f"training diverged at step {step}: {what} {how}; {advice}")


def check_explosion(losses: list, factor: float, low: float, step: int, bound: float = math.inf,
                    bound_text: str = "") -> None:
    """Diverged if the epoch just ended (`losses[-1]`) lost `factor` times the
    run's lowest before it, `low` (and more than 1 above it: 1e-20 growing to
    1e-17 is no explosion), or more than its loss's absolute bound (Loss.too_high),
    which holds from the first epoch on, whatever the lowest."""
    if len(losses) >= 2:
        last = losses[-1]
        if last > factor * low and last > low + 1.0:
            raise Diverged(step, "the loss", f"exploded from {low:.3g} to {last:.3g} in {len(losses)} epochs")
    if losses and not losses[-1] <= bound:  # NaN too
        raise Diverged(step, "the loss", f"reached {losses[-1]:.3g} in {len(losses)} epoch"
                       f"{'s' * (len(losses) != 1)}, above {bound:.3g} ({bound_text})")


def overflowed_state(state: dict) -> str | None:
    """"W1/exp_avg_sq", the first optimizer buffer that holds NaN or inf, or None."""
    for name, st in state.items():
        bad = next((key for key, arr in st.items() if not _finite({key: arr})), None)
        if bad is not None:
            return f"{name}/{bad}"
    return None


def lazy_confusion(net, params: dict, d: Dataset, x_train, x_val, epoch: int) -> LazyConfusion | None:
    """The confusion matrix of `params`, to measure when asked: of the
    validation set (network inputs x_val), else of the training set; None for regression."""
    if d.task == "regression":
        return None
    if len(d.y_val):
        return LazyConfusion(net, params, x_val, d.y_val, d.task, d.classes, "validation", epoch)
    return LazyConfusion(net, params, x_train, d.y_train, d.task, d.classes, "train", epoch)


class Lowest:
    """The lowest of a history's losses before its last, kept as the history
    grows: a run played an epoch a step (full batch) is judged every step, and
    min() over the whole history each time grew with the run. A cut history
    (a step back, a branch) resets it; another list starts it afresh."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._seen, self._n, self._low = None, 0, math.inf

    def before_last(self, losses: list) -> float:
        end = len(losses) - 1
        if self._seen is not losses or self._n > end:
            self._seen, self._n, self._low = losses, 0, math.inf
        if self._n < end:
            self._low = min(self._low, min(losses[self._n:end]))
            self._n = end
        return self._low


class NoData(ValueError):
    """The training set is empty (drawn data cleared): there is no batch to
    train on until points are added."""


# An epoch's train loss this many times its run's lowest is divergence, not
# noise: the loss is on its way to overflow (lr 0.1 on lr-too-high ends at 1e250).
EXPLODED = 1000.0


class Trace:
    """Everything one step has computed so far, named as in the math."""

    __slots__ = ("X", "y", "points", "z", "a", "loss", "delta", "grads", "new_params", "pending",
                 "updates", "rules", "applied", "done")

    def __init__(self, X: np.ndarray, y: np.ndarray, points: np.ndarray | None = None):
        self.X, self.y = X, y
        self.points = points  # the batch's (x1, x2) when X holds their features
        self.z: dict[int, np.ndarray] = {}
        self.a: dict[int, np.ndarray] = {0: X}
        self.loss: float | None = None
        self.delta: dict[int, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.new_params: dict | None = None
        self.pending = None
        self.updates: dict[str, np.ndarray] = {}
        self.rules: dict = {}  # parameter -> the optimizer's Rule, in phase mode
        self.applied = False
        self.done = 0


@dataclass(slots=True)  # not frozen: one is made every step, and a frozen one costs 4 times as much
class Checkpoint:
    """The run at a step boundary, by reference: parameters and optimizer state
    are replaced each step, never changed in place, so holding them is enough.
    The history is not held: going back cuts it to `step` batches and `epoch` epochs.
    Never changed once made."""

    params: dict[str, np.ndarray]
    optimizer: Any  # the optimizer's (t, state), from copy_state()
    step: int
    epoch: int
    batch: int
    tally: tuple  # the epoch so far: (sum of batch loss x batch size, samples right, gradient norm sums)
    confusion: LazyConfusion | None
    rules: tuple  # EpochRules.state: the schedule's and early stopping's



def checked_weight(params: dict, name: str, index, value) -> tuple[tuple[int, ...], float]:
    """(index, value) of a weight set by hand, or ValueError naming what is wrong:
    an unknown parameter, an index outside it, a value that is not a finite number."""
    if name not in params:
        raise ValueError(f"no parameter '{name}'; this network has {', '.join(params)}")
    shape = params[name].shape
    index = tuple(int(i) for i in np.atleast_1d(index))
    if len(index) != len(shape) or not all(0 <= i < n for i, n in zip(index, shape)):
        raise ValueError(f"{name}{list(index)} is outside {name}, of shape {'×'.join(map(str, shape))}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"a weight must be a finite number, not {value}")
    return index, value

class Trainer:
    def __init__(self, config: Config, dataset: Dataset | None = None):
        self.config = config
        self._lowest = Lowest()
        self.dataset = dataset if dataset is not None else make_dataset(config.data)
        # The network's inputs: the data's own, or the features of its 2-D points.
        d = self.dataset
        asked = getattr(config.data, "features", PLANE)  # a bare config (tests) may have no [data]
        self.features: tuple[str, ...] = () if is_plane(asked) or d.n_inputs != 2 else tuple(asked)
        self._set_inputs()
        m, t = config.model, config.train
        self.net = Network(m.layers, m.activation, m.output)
        self.loss = LOSSES[t.loss]
        self.params = init_params(m.layers, self.net.gains(), m.init, m.seed, m.weights)
        self.initial_params = dict(self.params)
        self.optimizer = make_optimizer(t.optimizer, t.learning_rate, dict(t.options))
        self.phases = step_phases(self.net.L)
        n = len(self.x_train)
        self.batch_size = max(1, min(t.batch_size, n))
        self.batches_per_epoch = math.ceil(n / self.batch_size)
        self.step = 0
        self.epoch = 0
        self.batch = 0  # index of the next batch within the epoch
        self.trace: Trace | None = None  # the step in progress, or the last one traced
        self.data_step: int | None = None  # the step at which replace_data last changed the data
        self.history = {k: [] for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "batch_loss",
                                        "lr")}
        self.history.update({k: [] for k in gradnorm.keys(self.net.W[1:])})
        # The classifier's confusion matrix at the last epoch's end, measured
        # only when asked for (None before the first epoch, and for regression).
        self._confusion: LazyConfusion | None = None
        # [train.schedule] and [train.early_stopping], applied at each epoch's end.
        self.rules = EpochRules(t, self.optimizer)
        self.timeline: Timeline | None = None  # every epoch's end, once keep_timeline is called
        # A Checkpoint at each step boundary, the latest last.
        self._ring: deque[Checkpoint] = deque(maxlen=self._rewind_depth())
        # The epoch so far: (sum of batch loss x batch size, samples classified right,
        # per weight matrix the sum of its gradient's norms).
        self._tally = self._fresh_tally()
        self._order: np.ndarray | None = None  # the epoch's row order, set by _shuffle
        self._p_epoch: np.ndarray | None = None  # the epoch's 2-D points, when the inputs are their features
        self._shuffle(0)
        # Weights set by hand, in order: (step, name, index, old value, new value).
        self.edits: list[tuple[int, str, tuple[int, ...], float, float]] = []
        # After a hand edit (a unit off, a weight set), until the next epoch's end:
        # evaluate() of the edited network, since the last epoch's numbers describe other weights.
        self.measured_now: dict | None = None

    def _fresh_tally(self) -> tuple:
        return 0.0, 0, gradnorm.zero(self.net.L)

    def _rewind_depth(self) -> int:
        # An entry holds one set of parameters and up to three optimizer buffers per parameter.
        # Bounded by memory, not by a count alone: a huge net's ring once held
        # 100 steps of 0.5 GB each. One step is always kept: a parameter that
        # overflows shows as a bad loss one step later, and is rolled back.
        entry = 4 * sum(p.nbytes for p in self.params.values())
        return max(1, min(REWIND_DEPTH, REWIND_BYTES // max(entry, 1)))

    @property
    def rewind_depth(self) -> int:
        """How many steps `step_back` can undo at most (the ring's size)."""
        return self._ring.maxlen

    @property
    def can_step_back(self) -> bool:
        """Whether `step_back` has anything left to undo."""
        return bool(self.done) or bool(self._ring)

    def keep_rewind(self, steps: int) -> None:
        """Keep at most `steps` steps to rewind (headless training keeps 1:
        enough to roll back a step that diverged, and nothing more)."""
        self._ring = deque(self._ring, maxlen=max(1, min(steps, self._rewind_depth())))

    # ----- data order -------------------------------------------------------

    def _epoch_order(self, epoch: int) -> np.ndarray:
        n = len(self.x_train)
        if self.batches_per_epoch == 1:
            # A full batch takes every row every epoch, so a shuffle could change
            # only the rounding of the sums over the batch, never what is summed.
            # The rows keep the training set's own order, the same every epoch.
            return np.arange(n)
        # One generator per epoch, from the model seed: a rewind or a resumed run
        # needs only the epoch number to draw the same shuffle again.
        return np.random.default_rng([self.config.model.seed, epoch]).permutation(n)

    def _shuffle(self, epoch: int) -> None:
        if self.batches_per_epoch == 1:
            if self._order is None:
                # Full batch: one order for every epoch, so this runs once, not at
                # each epoch's end (that bookkeeping cost as much as a third of a
                # step), and the batch is the training set itself, not a copy.
                self._order = self._epoch_order(epoch)
                self._x_epoch, self._y_epoch = self.x_train, self.dataset.y_train
                self._p_epoch = self.dataset.x_train if self.features else None
            return
        # Gathering the epoch's rows once makes every batch a cheap contiguous slice.
        self._order = self._epoch_order(epoch)
        self._x_epoch = self.x_train[self._order]
        self._y_epoch = self.dataset.y_train[self._order]
        self._p_epoch = self.dataset.x_train[self._order] if self.features else None

    def batch_indices(self) -> np.ndarray:
        """Rows of the training set in the current batch."""
        return self._order[self.batch * self.batch_size : (self.batch + 1) * self.batch_size]

    def _batch(self) -> Trace:
        if not self.batches_per_epoch:
            raise NoData("the training set is empty: there is nothing to train on")
        lo = self.batch * self.batch_size
        hi = lo + self.batch_size
        points = self._p_epoch[lo:hi] if self._p_epoch is not None else None
        return Trace(self._x_epoch[lo:hi], self._y_epoch[lo:hi], points)

    # ----- the phases -------------------------------------------------------

    @property
    def done(self) -> int:
        """Phases of the current step already run (0 = at a step boundary)."""
        t = self.trace
        return t.done if t is not None and t.done < len(self.phases) else 0

    def next_phase(self):
        if self.done == 0:
            self.trace = self._batch()
        tr = self.trace
        phase = self.phases[tr.done]
        if phase.kind == FORWARD:
            tr.z[phase.layer], tr.a[phase.layer] = self.net.forward_layer(self.params, phase.layer, tr.a[phase.layer - 1])
        elif phase.kind == LOSS:
            self._loss(tr)
        elif phase.kind == BACKWARD:
            self._backward(tr, phase.layer)
            if phase.layer == 1:  # the update about to be applied, computed without applying it
                tr.new_params, tr.pending = self.optimizer.compute(self.params, tr.grads)
                tr.updates = {k: tr.new_params[k] - self.params[k] for k in self.params}
                tr.rules = {k: self.optimizer.explain(k, self.params, tr.grads, tr.pending) for k in self.params}
        elif phase.kind == UPDATE:
            if not _finite(tr.new_params):
                self.trace = None
                raise Diverged(self.step + 1, "a parameter")
            self._commit(tr.new_params, tr.pending)
            tr.applied = True
        tr.done += 1
        return phase

    def _loss(self, tr: Trace) -> None:
        L = self.net.L
        tr.loss = self.loss.value(tr.z[L], tr.a[L], tr.y)
        if not math.isfinite(tr.loss):
            self.trace = None
            self.check_parameters()
            raise Diverged(self.step + 1, "the loss")
        tr.delta[L] = self.loss.delta(tr.z[L], tr.a[L], tr.y, self.net.output)

    def _backward(self, tr: Trace, l: int) -> None:
        net = self.net
        dW, db, delta_prev = net.backward_layer(self.params, l, tr.delta[l], tr.a[l - 1], tr.z.get(l - 1))
        tr.grads[net.W[l]], tr.grads[net.b[l]] = dW, db
        if delta_prev is not None:
            tr.delta[l - 1] = delta_prev

    def _forward(self, tr: Trace) -> None:
        for l in range(1, self.net.L + 1):
            tr.z[l], tr.a[l] = self.net.forward_layer(self.params, l, tr.a[l - 1])

    def _backward_all(self, tr: Trace) -> None:
        for l in range(self.net.L, 0, -1):
            self._backward(tr, l)

    def gradients(self, X, y) -> dict[str, np.ndarray]:
        """dL/dW_l and dL/db_l of the current parameters on the batch X, y,
        by the same forward and backward passes a step runs; nothing changes."""
        tr = Trace(X, y)
        self._forward(tr)
        L = self.net.L
        tr.delta[L] = self.loss.delta(tr.z[L], tr.a[L], y, self.net.output)
        self._backward_all(tr)
        return tr.grads

    def _commit(self, new_params: dict, pending) -> None:
        opt = self.optimizer
        # References, not copies: parameters and optimizer state are replaced each step, never mutated.
        self._ring.append(self._checkpoint())
        self.params = new_params
        opt.commit(pending)
        tr = self.trace
        n = len(tr.y)
        L = self.net.L
        loss_sum, right, norms = self._tally
        self._tally = (loss_sum + tr.loss * n, right + self._correct(tr.a[L], tr.y),
                       gradnorm.added(norms, tr.grads, self.net.W[1:]))
        self.history["batch_loss"].append(tr.loss)
        self.step += 1
        self.batch += 1
        if self.batch == self.batches_per_epoch:
            self._end_epoch()

    def check_parameters(self) -> None:
        """Raise Diverged if a parameter is NaN or inf, after undoing every step
        back to the last finite parameters. `train_step` checks only the loss (a
        parameter that overflowed shows up as a bad loss one step later), so a
        caller that stops after a burst of train_step calls should call this."""
        if _finite(self.params):
            return
        while not _finite(self.params) and self._ring:
            self.step_back()
        raise Diverged(self.step + 1, "a parameter")

    def _end_epoch(self) -> None:
        """Record the epoch: train loss and accuracy are the means over its batches,
        as Keras reports them (free: each batch computed them already); validation
        is measured on the whole validation set with the parameters at epoch end."""
        n = len(self.x_train)
        h = self.history
        h["train_loss"].append(self._tally[0] / n)
        if self.dataset.task != "regression":
            h["train_accuracy"].append(self._tally[1] / n)
        val_loss, val_acc = self._metrics(self.x_val, self.dataset.y_val)
        if val_loss is not None:
            h["val_loss"].append(val_loss)
        if val_acc is not None:
            h["val_accuracy"].append(val_acc)
        h["lr"].append(self.optimizer.lr)
        for k, total in zip(gradnorm.keys(self.net.W[1:]), self._tally[2]):
            h[k].append(total / self.batches_per_epoch)
        self._tally = self._fresh_tally()
        self.epoch += 1
        self.measured_now = None
        self._confusion = self._lazy_confusion(self.params, self.epoch)
        self.batch = 0
        self._shuffle(self.epoch)
        trained, measured = self.params, self._confusion
        if self.rules.active:
            best = self.rules.end_epoch(self.history, self.epoch, self.params)
            if best is not None:  # early stopping stopped, and restores the best epoch's weights
                self.params = best
                self._confusion = self._lazy_confusion(best, self.rules.stop.best_epoch + 1)
        if self.timeline is not None:  # the epoch as trained, even when the run ends restored
            self.timeline.record(EpochEnd(self.epoch, self.step, trained, self.optimizer.copy_state(),
                                          self.rules.state, self.optimizer.lr, measured))

    schedule = property(lambda self: self.rules.schedule)  # schedules.Schedule of [train.schedule], or None
    stopper = property(lambda self: self.rules.stopper)  # stopping.EarlyStopping of [train.early_stopping], or None
    stop = property(lambda self: self.rules.stop)  # its stopping.StopState, or None

    @property
    def stopped(self) -> bool:
        """Whether early stopping has ended the run."""
        return self.rules.stopped

    # ----- the timeline -----------------------------------------------------

    def keep_timeline(self, budget: int | None = None) -> Timeline:
        """Keep every epoch's end from now on (within `budget` bytes, thinned evenly beyond it)."""
        self.timeline = Timeline(entry_bytes(self.params), **({"budget": budget} if budget is not None else {}))
        if self.batch == 0 and not self.done:
            self.timeline.record(EpochEnd(self.epoch, self.step, self.params, self.optimizer.copy_state(),
                                          self.rules.state, self.optimizer.lr, self._confusion))
        return self.timeline

    def snapshot_at(self, epoch: int) -> Snapshot | None:
        """What the views show of the timeline's `epoch` (the nearest kept before it), without changing the run."""
        entry = self.timeline.at(epoch) if self.timeline is not None else None
        return self.snapshot(at=entry) if entry is not None else None

    def branch_from(self, epoch: int) -> bool:
        """Go back to the timeline's `epoch` (the nearest kept before it) to train on from there:
        the later epochs are dropped from the history and the timeline (a caller keeps them as a ghost)."""
        entry = self.timeline.at(epoch) if self.timeline is not None else None
        if entry is None:
            return False
        self.params, self.step, self.epoch, self.batch = entry.params, entry.step, entry.epoch, 0
        self.optimizer.restore_state(entry.optimizer)
        self.rules.load(entry.rules)
        if self.schedule is None:  # a schedule's rate came back with its state
            self.optimizer.lr = entry.lr
        self._confusion, self._tally, self.trace = entry.confusion, self._fresh_tally(), None
        self._ring.clear()
        self._truncate_history()
        self.timeline.drop_after(entry.epoch)
        self._shuffle(self.epoch)
        return True

    def _truncate_history(self) -> None:
        # The per-epoch series get shorter lists in place of the old ones, never a
        # `del`: a snapshot holds views of them (series.Series), which must stay as
        # they were. A snapshot copies its tail of batch losses, so that list (a
        # step back cuts one item of it) is cut in place.
        h = self.history
        for k, v in list(h.items()):
            if k == "batch_loss":
                del v[self.step:]
            elif len(v) > self.epoch:
                h[k] = v[:self.epoch]
        self._lowest.reset()  # the lowest may have been cut

    # ----- larger moves -----------------------------------------------------

    def finish_step(self) -> None:
        """Run the rest of the current step (a whole step at a boundary)."""
        while True:
            self.next_phase()
            if self.done == 0:
                return

    def train_step(self) -> float:
        """One whole step, the fast way: the same arithmetic, no trace kept for the UI."""
        if self.done:
            self.finish_step()
            return self.trace.loss
        tr = self.trace = self._batch()
        self._forward(tr)
        self._loss(tr)
        self._backward_all(tr)
        tr.new_params, tr.pending = self.optimizer.compute(self.params, tr.grads)
        self._commit(tr.new_params, tr.pending)
        tr.done = len(self.phases)
        self.trace = None  # fast play records no per-step trace
        return tr.loss

    def run_steps(self, n: int) -> None:
        with quiet_overflow():
            for _ in range(n):
                self.train_step()
            self.check_parameters()  # the last step's parameters: no next loss will show them

    def run_epoch(self) -> None:
        """Run to the end of the current epoch."""
        start = self.epoch
        with quiet_overflow():
            while self.epoch == start:
                self.train_step()
            self.check_parameters()

    def run(self, max_steps: int | None = None, until_epochs: int | None = None,
            target_loss: float | None = None, callback=None, explode: float | None = EXPLODED) -> None:
        """Train until a stop condition: `until_epochs` epochs done (default: the
        config's), `max_steps` more steps, the epoch's train loss at or below
        `target_loss` (default: the config's), or early stopping stopping the run. Diverged if the loss or a
        parameter becomes NaN or inf, or (unless `explode` is None) an epoch's
        loss is `explode` times the run's lowest."""
        until_epochs = self.config.train.epochs if until_epochs is None else until_epochs
        target = self.config.train.target_loss if target_loss is None else target_loss
        stop_step = None if max_steps is None else self.step + max_steps
        losses = self.history["train_loss"]
        low = min(losses) if losses else math.inf  # the run's lowest epoch loss, kept as it goes
        if self.stopped and self.epoch < until_epochs:
            self.rules.restart()  # asked to train on: early stopping starts afresh, as at Keras's next fit
        with quiet_overflow():
            start = self._checkpoint()
            while self.epoch < until_epochs and (stop_step is None or self.step < stop_step) and not self.stopped:
                epoch = self.epoch
                self.train_step()
                if self.epoch != epoch:
                    self._check_optimizer_state(start)
                    start = self._checkpoint()
                    if callback is not None:
                        callback(self)
                    if explode is not None:
                        check_explosion(losses, explode, low, self.step, self._loss_bound(), self.loss.too_high_text)
                    low = min(low, losses[-1])
                    if target is not None and losses[-1] <= target:
                        break
            self.check_parameters()
            self._check_optimizer_state(start)

    def _checkpoint(self) -> Checkpoint:
        """The state now, by reference (no array is ever changed in place)."""
        return Checkpoint(self.params, self.optimizer.copy_state(), self.step, self.epoch, self.batch, self._tally,
                          self._confusion, self.rules.state)

    def _restore(self, cp: Checkpoint) -> None:
        """Back to `cp`: the history after it is cut, the step in progress dropped."""
        self.params = cp.params
        self.optimizer.restore_state(cp.optimizer)
        if cp.epoch != self.epoch:
            self._shuffle(cp.epoch)
        self.step, self.epoch, self.batch = cp.step, cp.epoch, cp.batch
        self._tally, self._confusion = cp.tally, cp.confusion
        self.measured_now = None
        if cp.rules is not self.rules.state:
            self.rules.load(cp.rules)
        self._truncate_history()
        if self.timeline is not None:
            self.timeline.drop_after(cp.epoch)
        self.trace = None

    def _check_optimizer_state(self, checkpoint: Checkpoint) -> None:
        """Adam's v (or another optimizer's state) can overflow while the
        parameters stay finite (its steps just become 0): no later loss shows
        it, and a runfile must not hold it. Checked at each epoch's end; back
        to the epoch's start, then Diverged."""
        bad = overflowed_state(self.optimizer.state)
        if bad is not None:
            self._restore(checkpoint)
            self._ring.clear()
            raise Diverged(checkpoint.step + 1, f"the optimizer's state ({bad})", "overflowed to inf or NaN",
                           "gradients this large come from inputs on a huge scale: scale the data down")

    def check_explosion(self, factor: float = EXPLODED) -> None:
        """After an epoch stepped outside `run` (the race steps its variants one
        step at a time, the app plays its run): Diverged if its loss exploded,
        or passed its loss's bound, as `run` would say."""
        losses = self.history["train_loss"]
        check_explosion(losses, factor, self._lowest.before_last(losses), self.step, self._loss_bound(),
                        self.loss.too_high_text)

    _too_high: tuple = (None, math.inf)  # (the data it was measured on, Loss.too_high for it)

    def _loss_bound(self) -> float:  # measured once per data set: the bound reads every target
        if self._too_high[0] is not self.dataset:
            self._too_high = (self.dataset, self.loss.too_high(self.dataset.y_train, self.dataset.n_outputs))
        return self._too_high[1]

    # ----- rewinding --------------------------------------------------------

    def phase_back(self) -> bool:
        """The mirror of next_phase: undo the last phase of the step in
        progress (its numbers are dropped; running it again gives the same),
        or else the last whole step. False if nothing is left."""
        tr = self.trace
        if not self.done:
            return self.step_back()
        phase = self.phases[tr.done - 1]
        if phase.kind == FORWARD:
            del tr.z[phase.layer], tr.a[phase.layer]
        elif phase.kind == LOSS:
            tr.loss = None
            tr.delta.pop(self.net.L, None)
        elif phase.kind == BACKWARD:
            tr.grads.pop(self.net.W[phase.layer], None)
            tr.grads.pop(self.net.b[phase.layer], None)
            tr.delta.pop(phase.layer - 1, None)
            if phase.layer == 1:
                tr.new_params, tr.pending, tr.updates, tr.rules = None, None, {}, {}
        tr.done -= 1
        if tr.done == 0:
            self.trace = None
        return True

    def step_back(self) -> bool:
        """Undo the step in progress, or else the last whole step. False if nothing is left."""
        if self.done:
            self.trace = None
            return True
        if not self._ring:
            return False
        self._restore(self._ring.pop())
        return True

    # ----- saving and resuming ---------------------------------------------

    def state_dict(self) -> dict:
        """Everything a resumed run needs to go on bit-identically (trainer_state.py)."""
        return trainer_state.state_of(self)

    def load_state_dict(self, state: dict) -> None:
        """Adopt what state_dict() gave (from this run or a runfile); ValueError
        names a missing entry or a shape that does not fit this network."""
        trainer_state.load_state(self, state)

    # ----- live changes -----------------------------------------------------

    def replace_data(self, dataset: Dataset) -> None:
        """Train on other data from now on, as the same run: the parameters,
        the optimizer's state, the counters and the history are kept (drawn
        data, edited while the run goes on). The data must fit the network
        (inputs, task, outputs); it may be empty (training then raises NoData).

        The epoch in progress starts over on the new data (its batches so far
        stay in the batch losses; its mean loss counts only the new ones), in
        the order `_epoch_order` gives this epoch for the new row count, so a
        resumed run goes on identically. A step in progress is dropped (its
        batch came from the old data), and the steps before cannot be rewound:
        their batch order belongs to the old data."""
        old = self.dataset
        if (dataset.n_inputs, dataset.task, dataset.n_outputs) != (old.n_inputs, old.task, old.n_outputs):
            raise ValueError(
                f"the new data ({dataset.n_inputs} inputs, {dataset.task}, {dataset.n_outputs} outputs) "
                f"does not fit this network ({old.n_inputs} inputs, {old.task}, {old.n_outputs} outputs)")
        self.dataset = dataset
        self._set_inputs()
        self.trace = None
        n = len(dataset.x_train)
        self.batch_size = max(1, min(self.config.train.batch_size, n))
        self.batches_per_epoch = math.ceil(n / self.batch_size)
        self.batch = 0
        self._tally = self._fresh_tally()
        self._ring.clear()
        self.data_step = self.step
        self._order = None  # a full batch caches its order once: draw it again
        self._shuffle(self.epoch)

    def _set_inputs(self) -> None:
        """The network's inputs for the data's points: the points, or their features."""
        d = self.dataset
        self.scaler = None
        raw = self.inputs(d.x_train)
        self.scaler = Scaler(getattr(self.config.data, "scale", "none"), raw)
        self.x_train, self.x_val = self.scaler(raw), self.inputs(d.x_val)

    def switch_off(self, units) -> None:
        """Hold these hidden units' outputs at 0 from now on, in training and in
        every forward pass ((layer, unit) pairs; empty: every unit on). A step in
        progress is dropped: its numbers were computed with the other units."""
        n = self.net
        self.net = Network(n.sizes, n.activation_name, n.output_name, units)
        self._edited()

    def set_weight(self, name: str, index, value: float) -> None:
        """Set one parameter by hand (W1[0, 1], b2[0]) and go on from there.
        The optimizer's state (momentum, Adam's moments) is kept, as a person
        nudging a weight mid-run would expect; a step in progress is dropped
        (its numbers were computed with the old weight), and so is the rewind
        history, which would silently undo the edit. Raises ValueError naming
        what is wrong: an unknown parameter, an index outside it, a value
        that is not a finite number."""
        index, value = checked_weight(self.params, name, index, value)
        new = self.params[name].copy()  # arrays are never changed in place: snapshots share them
        old = float(new[index])
        new[index] = value
        self.params = {**self.params, name: new}
        self.edits.append((self.step, name, index, old, value))
        self._ring.clear()
        self._edited()

    def _edited(self) -> None:
        """The network changed by hand: the step in progress goes (its numbers were
        computed before), the loss, accuracy and confusion are measured anew."""
        self.trace = None
        self.measured_now = self.evaluate()
        self._confusion = self._lazy_confusion(self.params, self.epoch)

    def set_learning_rate(self, lr: float) -> None:
        """A new rate from now on. With a schedule, `lr` is its new base rate
        (the preset's learning_rate): the whole schedule is scaled to it."""
        if self.schedule is not None:
            self.rules.scale(float(lr) / self.schedule.base_lr)
        else:
            self.optimizer.lr = float(lr)

    def set_option(self, name: str, value) -> None:
        self.optimizer.set_option(name, value)

    # ----- evaluation -------------------------------------------------------

    def inputs(self, X) -> np.ndarray:
        """What the network takes for data points X: their features, if the run has any."""
        X = np.asarray(X, dtype=np.float64)
        X = expand(X, self.features) if self.features else X
        return self.scaler(X) if self.scaler is not None else X

    def predict(self, X) -> np.ndarray:
        """The output for data points X (2-D points for a run with features)."""
        return self.net.forward(self.params, self.inputs(X))

    def _correct(self, a, y) -> int:
        task = self.dataset.task
        if task == "binary":
            return int(np.count_nonzero((a >= 0.5) == (y >= 0.5)))
        if task == "multiclass":
            return int(np.count_nonzero(a.argmax(axis=1) == y))
        return 0

    def _metrics(self, X, y, outputs: bool = False) -> tuple:
        """Loss and accuracy (None for regression) of the current parameters on
        network inputs X, labels y; with `outputs`, the outputs a as well."""
        if len(X) == 0:
            return (None, None, None) if outputs else (None, None)
        z, a = self.net.forward_output(self.params, X)
        acc = None if self.dataset.task == "regression" else self._correct(a, y) / len(y)
        return (self.loss.value(z, a, y), acc, a) if outputs else (self.loss.value(z, a, y), acc)

    @property
    def confusion(self) -> Confusion | None:
        """The confusion matrix at the last epoch's end (None before it, and for
        regression), measured the first time it is asked for."""
        return self._confusion.value if self._confusion is not None else None

    def _lazy_confusion(self, params: dict, epoch: int) -> LazyConfusion | None:
        return lazy_confusion(self.net, params, self.dataset, self.x_train, self.x_val, epoch)

    def evaluate(self) -> dict:
        """Loss and accuracy of the current parameters on the whole training and validation sets."""
        d = self.dataset
        train_loss, train_acc = self._metrics(self.x_train, d.y_train)
        val_loss, val_acc = self._metrics(self.x_val, d.y_val)
        return {"train_loss": train_loss, "val_loss": val_loss,
                "train_accuracy": train_acc, "val_accuracy": val_acc}

    # ----- for the UI -------------------------------------------------------

    def snapshot(self, at: EpochEnd | None = None) -> Snapshot:
        """A cheap copy of what the UI shows (of the timeline's entry `at`, if given)."""
        return take_snapshot(self, at)
