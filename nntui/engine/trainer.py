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
from dataclasses import dataclass, field

import numpy as np

from .datasets import Dataset, make_dataset
from .initializers import init_params
from .losses import LOSSES
from .network import Network
from .optimizers import make_optimizer
from .snapshot import BACKWARD, FORWARD, LOSS, UPDATE, History, Snapshot, step_phases

REWIND_DEPTH = 1000  # steps `step_back` can undo
SNAPSHOT_BATCH_LOSSES = 2000  # the tail of per-batch losses a snapshot carries


class Diverged(ArithmeticError):
    """The loss or a parameter became NaN or inf; the step that did it was not kept."""

    def __init__(self, step: int, what: str):
        self.step = step
        super().__init__(
            f"training diverged at step {step}: {what} became NaN or inf; "
            "try a smaller learning rate"
        )


@dataclass
class Trace:
    """Everything one step has computed so far, named as in the math."""

    X: np.ndarray
    y: np.ndarray
    z: dict = field(default_factory=dict)
    a: dict = field(default_factory=dict)
    loss: float | None = None
    delta: dict = field(default_factory=dict)
    grads: dict = field(default_factory=dict)
    new_params: dict | None = None
    pending: object = None
    updates: dict = field(default_factory=dict)
    applied: bool = False
    done: int = 0


@dataclass
class _Mark:
    """A step boundary the trainer can rewind to."""

    params: dict
    optimizer_state: object
    step: int
    epoch: int
    batch: int
    history_lengths: tuple


class Trainer:
    def __init__(self, config, dataset: Dataset | None = None):
        self.config = config
        self.dataset = dataset if dataset is not None else make_dataset(config.data)
        m, t = config.model, config.train
        self.net = Network(m.layers, m.activation, m.output)
        self.loss = LOSSES[t.loss]
        self.params = init_params(m.layers, self.net.gains(), m.init, m.seed, m.weights)
        self.initial_params = dict(self.params)
        self.optimizer = make_optimizer(t.optimizer, t.learning_rate, dict(t.options))
        self.phases = step_phases(self.net.L)
        n = len(self.dataset.x_train)
        self.batch_size = max(1, min(t.batch_size, n))
        self.batches_per_epoch = math.ceil(n / self.batch_size)
        self.step = 0
        self.epoch = 0
        self.batch = 0  # index of the next batch within the epoch
        self.trace: Trace | None = None  # the step in progress, or the last one traced
        self.history = {k: [] for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "batch_loss")}
        self._ring: deque[_Mark] = deque(maxlen=REWIND_DEPTH)
        self._order = self._epoch_order(0)

    # ----- data order -------------------------------------------------------

    def _epoch_order(self, epoch: int) -> np.ndarray:
        # One generator per epoch, from the model seed: a rewind or a resumed run
        # needs only the epoch number to draw the same shuffle again.
        return np.random.default_rng([self.config.model.seed, epoch]).permutation(len(self.dataset.x_train))

    def batch_indices(self) -> np.ndarray:
        return self._order[self.batch * self.batch_size : (self.batch + 1) * self.batch_size]

    # ----- the phases -------------------------------------------------------

    @property
    def done(self) -> int:
        """Phases of the current step already run (0 = at a step boundary)."""
        t = self.trace
        return t.done if t is not None and t.done < len(self.phases) else 0

    def next_phase(self):
        if self.done == 0:
            idx = self.batch_indices()
            self.trace = Trace(self.dataset.x_train[idx], self.dataset.y_train[idx])
            self.trace.a[0] = self.trace.X
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
        elif phase.kind == UPDATE:
            self._commit(tr.new_params, tr.pending)
            tr.applied = True
        tr.done += 1
        return phase

    def _loss(self, tr: Trace) -> None:
        L = self.net.L
        tr.loss = self.loss.value(tr.z[L], tr.a[L], tr.y)
        if not math.isfinite(tr.loss):
            self.trace = None
            raise Diverged(self.step + 1, "the loss")
        tr.delta[L] = self.loss.delta(tr.z[L], tr.a[L], tr.y, self.net.output)

    def _backward(self, tr: Trace, l: int) -> None:
        dW, db, delta_prev = self.net.backward_layer(self.params, l, tr.delta[l], tr.a[l - 1], tr.z.get(l - 1))
        tr.grads[f"W{l}"], tr.grads[f"b{l}"] = dW, db
        if delta_prev is not None:
            tr.delta[l - 1] = delta_prev

    def _commit(self, new_params: dict, pending) -> None:
        if not math.isfinite(sum(float(p.sum()) for p in new_params.values())):
            self.trace = None
            raise Diverged(self.step + 1, "a parameter")
        self._ring.append(_Mark(self.params, self.optimizer.copy_state(), self.step, self.epoch,
                                self.batch, tuple(len(v) for v in self.history.values())))
        self.params = new_params
        self.optimizer.commit(pending)
        self.history["batch_loss"].append(self.trace.loss)
        self.step += 1
        self.batch += 1
        if self.batch == self.batches_per_epoch:
            self._end_epoch()

    def _end_epoch(self) -> None:
        self.epoch += 1
        self.batch = 0
        self._order = self._epoch_order(self.epoch)
        metrics = self.evaluate()
        for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
            if metrics.get(k) is not None:
                self.history[k].append(metrics[k])

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
        idx = self.batch_indices()
        X, y = self.dataset.x_train[idx], self.dataset.y_train[idx]
        tr = Trace(X, y)
        tr.a[0] = X
        for l in range(1, self.net.L + 1):
            tr.z[l], tr.a[l] = self.net.forward_layer(self.params, l, tr.a[l - 1])
        self.trace = tr
        self._loss(tr)
        for l in range(self.net.L, 0, -1):
            self._backward(tr, l)
        tr.new_params, tr.pending = self.optimizer.compute(self.params, tr.grads)
        self._commit(tr.new_params, tr.pending)
        tr.done = len(self.phases)
        self.trace = None  # fast play records no per-step trace
        return tr.loss

    def run_steps(self, n: int) -> None:
        for _ in range(n):
            self.train_step()

    def run_epoch(self) -> None:
        """Run to the end of the current epoch."""
        start = self.epoch
        while self.epoch == start:
            self.train_step()

    def run(self, max_steps: int | None = None, until_epochs: int | None = None,
            target_loss: float | None = None, callback=None) -> None:
        """Train until a stop condition: `until_epochs` epochs done (default: the
        config's), `max_steps` more steps, or the epoch's train loss at or below
        `target_loss` (default: the config's)."""
        until_epochs = self.config.train.epochs if until_epochs is None else until_epochs
        target = self.config.train.target_loss if target_loss is None else target_loss
        stop_step = None if max_steps is None else self.step + max_steps
        while self.epoch < until_epochs and (stop_step is None or self.step < stop_step):
            epoch = self.epoch
            self.train_step()
            if self.epoch != epoch:
                if callback is not None:
                    callback(self)
                if target is not None and self.history["train_loss"][-1] <= target:
                    return

    # ----- rewinding --------------------------------------------------------

    def step_back(self) -> bool:
        """Undo the step in progress, or else the last whole step. False if nothing is left."""
        if self.done:
            self.trace = None
            return True
        if not self._ring:
            return False
        mark = self._ring.pop()
        self.params = mark.params
        self.optimizer.restore_state(mark.optimizer_state)
        if mark.epoch != self.epoch:
            self._order = self._epoch_order(mark.epoch)
        self.step, self.epoch, self.batch = mark.step, mark.epoch, mark.batch
        for (k, v), n in zip(self.history.items(), mark.history_lengths):
            del v[n:]
        self.trace = None
        return True

    @property
    def can_step_back(self) -> int:
        return len(self._ring) + (1 if self.done else 0)

    # ----- live changes -----------------------------------------------------

    def set_learning_rate(self, lr: float) -> None:
        self.optimizer.lr = float(lr)

    def set_option(self, name: str, value) -> None:
        self.optimizer.set_option(name, value)

    # ----- evaluation -------------------------------------------------------

    def predict(self, X) -> np.ndarray:
        return self.net.forward(self.params, np.asarray(X, dtype=np.float64))

    def _metrics(self, X, y) -> tuple[float | None, float | None]:
        if len(X) == 0:
            return None, None
        L = self.net.L
        a = X
        z = None
        for l in range(1, L + 1):
            z, a = self.net.forward_layer(self.params, l, a)
        loss = self.loss.value(z, a, y)
        task = self.dataset.task
        if task == "multiclass":
            acc = float(np.mean(a.argmax(axis=1) == y))
        elif task == "binary":
            acc = float(np.mean((a >= 0.5) == (y >= 0.5)))
        else:
            acc = None
        return loss, acc

    def evaluate(self) -> dict:
        d = self.dataset
        train_loss, train_acc = self._metrics(d.x_train, d.y_train)
        val_loss, val_acc = self._metrics(d.x_val, d.y_val)
        return {"train_loss": train_loss, "val_loss": val_loss,
                "train_accuracy": train_acc, "val_accuracy": val_acc}

    # ----- for the UI -------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """A cheap copy of what the UI shows. Arrays are shared, never copied:
        the trainer never changes an array in place once made."""
        h = self.history
        history = History(
            tuple(h["train_loss"]), tuple(h["val_loss"]), tuple(h["train_accuracy"]),
            tuple(h["val_accuracy"]), tuple(h["batch_loss"][-SNAPSHOT_BATCH_LOSSES:]),
        )
        tr = self.trace
        common = dict(
            step=self.step, epoch=self.epoch, batch_in_epoch=self.batch,
            batches_per_epoch=self.batches_per_epoch, phases=self.phases,
            done=tr.done if tr is not None else 0,
            sizes=self.net.sizes, activation=self.net.activation_name, output=self.net.output_name,
            loss_name=self.loss.name, optimizer_name=self.optimizer.name,
            learning_rate=self.optimizer.lr, task=self.dataset.task, params=dict(self.params),
            history=history, optimizer_state={k: dict(v) for k, v in self.optimizer.state.items()},
            optimizer_step=self.optimizer.t,
        )
        if tr is None:
            return Snapshot(**common)
        return Snapshot(
            **common, batch_x=tr.X, batch_y=tr.y, z=dict(tr.z), a=dict(tr.a), loss=tr.loss,
            deltas=dict(tr.delta), grads=dict(tr.grads), updates=dict(tr.updates),
            update_applied=tr.applied,
            last_phase_label=self.phases[tr.done - 1].label() if tr.done else "",
        )
