"""What the UI may see of a trainer: a phase label and a frozen copy of state.

A snapshot is taken on request, never on every step, and holds copies only,
so a widget may keep one while the worker thread trains on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .metrics import Confusion
from .rules import Rule

FORWARD, LOSS, BACKWARD, UPDATE = "forward", "loss", "backward", "update"


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
    """Per-epoch curves and the loss of every batch, as plain lists copied out."""

    train_loss: tuple[float, ...] = ()
    val_loss: tuple[float, ...] = ()
    train_accuracy: tuple[float, ...] = ()
    val_accuracy: tuple[float, ...] = ()
    batch_loss: tuple[float, ...] = ()
    # Each weight matrix's mean gradient norm per epoch, {"W1": (...), ...} (engine/gradnorm.py).
    grad_norm: dict[str, tuple[float, ...]] = field(default_factory=dict)


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
    # The confusion matrix at the last epoch's end (metrics.Confusion); None before it, or for regression.
    confusion: Confusion | None = None
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
