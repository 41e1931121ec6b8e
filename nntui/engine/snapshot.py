"""What the UI may see of a trainer: a phase label and a frozen copy of state.

A snapshot is taken on request, never on every step, and holds what it shows by
reference: arrays the trainer never changes in place, and its history as
series.Series views of lists that only grow (a rewind puts shorter lists in
their place). So a widget may keep one while the worker thread trains on, and
taking one costs the same at epoch 30 and at epoch 30,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import gradnorm
from .metrics import Confusion, LazyConfusion
from .rules import Rule
from .series import Series

FORWARD, LOSS, BACKWARD, UPDATE = "forward", "loss", "backward", "update"
SNAPSHOT_BATCH_LOSSES = 2000  # the tail of per-batch losses a snapshot carries


@dataclass(frozen=True)
class Phase:
    kind: str  # forward | loss | backward | update
    layer: int | None = None  # 1..L for forward and backward

    def label(self) -> str:
        return self.kind if self.layer is None else f"{self.kind} {self.layer}"

    @property
    def arrow(self) -> str:
        return {FORWARD: "→", BACKWARD: "←"}.get(self.kind, "")


def step_phases(L: int) -> tuple[Phase, ...]:
    """forward 1..L -> loss -> backward L..1 -> update."""
    return (
        *(Phase(FORWARD, l) for l in range(1, L + 1)),
        Phase(LOSS),
        *(Phase(BACKWARD, l) for l in range(L, 0, -1)),
        Phase(UPDATE),
    )


@dataclass(frozen=True)
class History:
    """Per-epoch curves and the loss of the last SNAPSHOT_BATCH_LOSSES batches.
    From a trainer, each per-epoch series is a series.Series (a view of the
    trainer's list, not a copy: it reads and compares as a tuple) and the batch
    losses a tuple; tuples do as well (tests, ghosts)."""

    train_loss: Sequence[float] = ()
    val_loss: Sequence[float] = ()
    train_accuracy: Sequence[float] = ()
    val_accuracy: Sequence[float] = ()
    batch_loss: Sequence[float] = ()
    lr: Sequence[float] = ()  # the learning rate each epoch was trained with
    # Each weight matrix's mean gradient norm per epoch, {"W1": (...), ...} (engine/gradnorm.py).
    grad_norm: dict[str, Sequence[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    step: int  # completed steps
    epoch: int  # completed epochs
    batch_in_epoch: int  # index of the current (or next) batch in its epoch
    batches_per_epoch: int
    phases: tuple[Phase, ...]
    done: int  # how many phases of the current step are done (0 = at a step boundary)
    sizes: tuple[int, ...]
    activation: str
    output: str
    loss_name: str
    optimizer_name: str
    learning_rate: float
    task: str  # binary | multiclass | regression
    params: dict[str, np.ndarray]  # W1, b1, ... now
    history: History
    classes: tuple[str, ...] = ()  # the data's class names; () for regression
    # The network's inputs when they are features of the 2-D points (engine/features.py),
    # in order; () when the network takes the data's own inputs.
    features: tuple[str, ...] = ()
    # [data] scale's (shift, divisor) per input, applied after the features; None
    # unscaled. A view that feeds the network points of its own (a grid, the
    # training points) must scale them as the trainer does, or it draws another model.
    input_scale: tuple[np.ndarray, np.ndarray] | None = None
    # The confusion matrix at the last epoch's end, measured when first read
    # (`confusion`); None before it, or for regression. The same object until
    # the next epoch's end, so a view can tell whether it changed without measuring it.
    lazy_confusion: LazyConfusion | None = None
    # The trace of the step in progress (or the last one finished in phase mode);
    # empty in fast play, which records no trace.
    batch_x: np.ndarray | None = None
    batch_y: np.ndarray | None = None
    batch_points: np.ndarray | None = None  # the batch's (x1, x2) points when batch_x holds their features
    z: dict[int, np.ndarray] = field(default_factory=dict)  # z[l], l = 1..L
    a: dict[int, np.ndarray] = field(default_factory=dict)  # a[0] = batch_x, a[l]
    loss: float | None = None  # loss of the current batch
    deltas: dict[int, np.ndarray] = field(default_factory=dict)  # delta[l]
    grads: dict[str, np.ndarray] = field(default_factory=dict)  # dW1, db1, ... keyed "W1", "b1"
    updates: dict[str, np.ndarray] = field(default_factory=dict)  # ΔW keyed "W1", "b1"
    # How the optimizer computes each update, formulas with their numbers (rules.Rule),
    # from the last backward phase on; empty in fast play.
    rules: dict[str, Rule] = field(default_factory=dict)
    update_applied: bool = False  # False: updates is what the optimizer *will* do
    optimizer_state: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    optimizer_step: int = 0
    off: frozenset[tuple[int, int]] = frozenset()  # hidden units switched off, (layer, unit)
    edits: tuple[tuple[str, tuple[int, ...], float], ...] = ()  # weights set by hand: (name, index, value)
    # Early stopping (None without it): the best epoch so far (1-based), and
    # once it has stopped the run, why ("stopped: no better val loss for 20 epochs; ...").
    best_epoch: int | None = None
    stop_reason: str | None = None
    # A past epoch of the run shown from its timeline: the run's epochs then
    # (the history is the whole run's, `epoch` the one shown); None for the run now.
    replay_of: int | None = None
    # The run's timeline (engine/timeline.py), or None: the worker adds to it as
    # the run goes, so a view reads it only through `params_path`, a copy made at once.
    timeline: Any = None
    # The loss and accuracy measured after a hand edit (Trainer.measured_now), until the
    # next epoch's end; None otherwise. The history's last numbers describe the weights before it.
    measured_now: dict | None = None

    @property
    def confusion(self) -> Confusion | None:
        """The confusion matrix at the last epoch's end (metrics.Confusion)."""
        return self.lazy_confusion.value if self.lazy_confusion is not None else None

    @property
    def next_phase(self) -> Phase:
        return self.phases[self.done % len(self.phases)]

    @property
    def last_phase(self) -> Phase | None:
        return self.phases[self.done - 1] if self.done else None

    @property
    def shown_step(self) -> int:
        """The step the UI names: the one in progress (step + 1) while some of
        its phases are done, else the last one completed. One definition, so
        the status line, the diagram and the inspector never disagree."""
        return self.step + 1 if 0 < self.done < len(self.phases) else self.step

    @property
    def L(self) -> int:
        return len(self.sizes) - 1


def take_snapshot(trainer, at=None) -> Snapshot:
    """A cheap copy of what the UI shows of `trainer` (of its
    timeline's entry `at`, if given). Arrays are shared, never copied: the
    trainer never changes an array in place once made; nor is the history
    copied: each per-epoch series is a view of the trainer's list as it is now
    (the batch losses, cut in place by a step back, are a bounded copy of their tail)."""
    h = trainer.history
    e, s = (trainer.epoch, trainer.step) if at is None else (at.epoch, at.step)
    # A past epoch keeps the whole run's curves: the chart marks the epoch on them.
    history = History(
        Series(h["train_loss"]), Series(h["val_loss"]), Series(h["train_accuracy"]),
        Series(h["val_accuracy"]), tuple(h["batch_loss"][max(0, s - SNAPSHOT_BATCH_LOSSES):s]),
        lr=Series(h["lr"]), grad_norm={w: Series(v) for w, v in gradnorm.as_dict(h).items()},
    )
    stop = at.rules[1] if at is not None else trainer.stop
    stopping = dict(best_epoch=stop.best_epoch + 1 if e else None,
                    stop_reason=trainer.stopper.reason(stop) if stop.stopped else None) if stop is not None else {}
    tr = trainer.trace if at is None else None
    params, (t, state), lr, confusion = ((trainer.params, trainer.optimizer.copy_state(), trainer.optimizer.lr,
                                          trainer._confusion) if at is None else
                                         (at.params, at.optimizer, at.lr, at.confusion))
    common = dict(
        step=s, epoch=e, batch_in_epoch=trainer.batch if at is None else 0,
        batches_per_epoch=trainer.batches_per_epoch, phases=trainer.phases,
        done=tr.done if tr is not None else 0,
        sizes=trainer.net.sizes, activation=trainer.net.activation_name, output=trainer.net.output_name,
        loss_name=trainer.loss.name, optimizer_name=trainer.optimizer.name,
        learning_rate=lr, task=trainer.dataset.task, params=dict(params),
        classes=trainer.dataset.classes, features=trainer.features, lazy_confusion=confusion,
        input_scale=((trainer.scaler.shift, trainer.scaler.divisor)
                     if trainer.scaler is not None and trainer.scaler.active else None),
        history=history, optimizer_state={k: dict(v) for k, v in state.items()}, optimizer_step=t,
        off=trainer.net.off,
        edits=tuple((name, index, new) for _, name, index, _, new in trainer.edits),
        replay_of=trainer.epoch if at is not None else None, timeline=trainer.timeline,
        measured_now=trainer.measured_now if at is None else None, **stopping,
    )
    if tr is None:
        return Snapshot(**common)
    return Snapshot(
        **common, batch_x=tr.X, batch_y=tr.y, batch_points=tr.points, z=dict(tr.z), a=dict(tr.a), loss=tr.loss,
        deltas=dict(tr.delta), grads=dict(tr.grads), updates=dict(tr.updates), rules=dict(tr.rules),
        update_applied=tr.applied,
    )
