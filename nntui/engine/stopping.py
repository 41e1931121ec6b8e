"""Early stopping by Keras's rule (keras.callbacks.EarlyStopping).

At each epoch's end the monitored value is compared with the best so far: an
improvement is better by more than `min_delta` (strictly), and resets the
wait. Otherwise the wait grows; the run stops at the first epoch whose wait
reaches `patience` (never the first epoch), that is `patience` epochs after
the best. With `restore_best` the best epoch's weights come back when it
stops (as in Keras, only then: a run that reaches its epochs keeps its last).

The state is immutable (`StopState`, replaced at each epoch's end), so the
trainer's rewind ring and checkpoints hold it by reference, as they hold the
parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

MONITORS = ("val_loss", "val_accuracy", "train_loss")
NEEDS_VALIDATION = ("val_loss", "val_accuracy")


def mode_of(monitor: str) -> str:
    """'max' for an accuracy, else 'min' (Keras's mode="auto")."""
    return "max" if monitor.endswith("accuracy") else "min"


@dataclass(frozen=True)
class StopState:
    best: float
    best_epoch: int = 0  # 0-based, as Keras counts; reported 1-based
    wait: int = 0
    stopped_epoch: int | None = None  # 1-based: the epochs run when it stopped
    best_params: dict | None = field(default=None, compare=False)  # the best epoch's weights, with restore_best

    @property
    def stopped(self) -> bool:
        return self.stopped_epoch is not None


class EarlyStopping:
    def __init__(self, monitor: str = "val_loss", patience: int = 20, min_delta: float = 0.0,
                 restore_best: bool = True):
        if monitor not in MONITORS:
            raise ValueError(f"unknown monitor {monitor!r}; allowed: {', '.join(MONITORS)}")
        self.monitor, self.patience, self.restore_best = monitor, int(patience), bool(restore_best)
        self.mode = mode_of(monitor)
        # Keras keeps min_delta's sign with the direction: current - min_delta < best in min mode
        # after negating it, i.e. current + |min_delta| < best.
        self.min_delta = abs(float(min_delta)) * (-1 if self.mode == "min" else 1)

    def start(self) -> StopState:
        return StopState(math.inf if self.mode == "min" else -math.inf)

    def improves(self, value: float, best: float) -> bool:
        if self.mode == "min":
            return value - self.min_delta < best
        return value - self.min_delta > best

    def update(self, state: StopState, epoch: int, value: float | None, params: dict) -> StopState:
        """The state after the epoch `epoch` (0-based) ended with `value`;
        `params` are its weights (kept by reference, never copied)."""
        if value is None or state.stopped:
            return state
        if self.restore_best and state.best_params is None:
            state = replace(state, best_params=params)
        wait = state.wait + 1
        if self.improves(value, state.best):
            return replace(state, best=value, best_epoch=epoch, wait=0,
                           best_params=params if self.restore_best else None)
        if wait >= self.patience and epoch > 0:
            return replace(state, wait=wait, stopped_epoch=epoch + 1)
        return replace(state, wait=wait)

    def reason(self, state: StopState) -> str:
        """"stopped: no better val loss for 20 epochs; best at epoch 14 (restored)"."""
        what = self.monitor.replace("_", " ")
        restored = " (restored)" if self.restore_best and state.best_params is not None else ""
        return (f"stopped: no better {what} for {state.wait} epochs; "
                f"best at epoch {state.best_epoch + 1}{restored}")
