"""What a run does at each epoch's end besides measuring it: early stopping's
update, then the learning-rate schedule's step ([train.early_stopping],
[train.schedule]; engine/stopping.py, engine/schedules.py).

`state` is one immutable value, replaced at each epoch's end (or by a live
rate change): the trainer's rewind ring, checkpoints and timeline hold it by
reference, and `load` puts it back.
"""

from __future__ import annotations

import numpy as np

from .schedules import Schedule
from .stopping import EarlyStopping, StopState


class EpochRules:
    def __init__(self, train_config, optimizer):
        sc, es = getattr(train_config, "schedule", None), getattr(train_config, "early_stopping", None)
        self.optimizer = optimizer
        self.schedule = (Schedule(train_config.learning_rate, sc.kind, dict(sc.args), sc.warmup, sc.warmup_start)
                         if sc is not None else None)
        if self.schedule is not None:
            optimizer.schedule_lr(self.schedule.lr)
        self.plateau_monitor = getattr(sc, "monitor", None) or "val_loss"
        self.stopper = (EarlyStopping(es.monitor, es.patience, es.min_delta, es.restore_best)
                        if es is not None else None)
        self.stop: StopState | None = self.stopper.start() if self.stopper else None
        self.state = self._save()

    @property
    def active(self) -> bool:
        return self.schedule is not None or self.stopper is not None

    @property
    def stopped(self) -> bool:
        return self.stop is not None and self.stop.stopped

    def end_epoch(self, history: dict, epoch: int, params: dict) -> dict | None:
        """Epoch `epoch` (1-based) has ended with `params`: the best epoch's
        parameters when early stopping stops now and restores them, else None."""
        restore = None
        if self.stopper is not None and not self.stop.stopped:
            self.stop = self.stopper.update(self.stop, epoch - 1, _last(history, self.stopper.monitor), params)
            if self.stop.stopped and self.stop.best_params is not None:
                restore = self.stop.best_params
        if self.schedule is not None:
            metric = _last(history, self.plateau_monitor) if self.schedule.reads_metric else None
            if metric is None and self.schedule.reads_metric:
                metric = _last(history, "train_loss")
            self.optimizer.schedule_lr(self.schedule.step(metric))
        self.state = self._save()
        return restore

    def restart(self) -> None:
        """Early stopping afresh (Keras starts it at each fit): a stopped run
        asked to train on may stop again, `patience` epochs after a new best."""
        if self.stopper is not None:
            self.stop = self.stopper.start()
            self.state = self._save()

    def scale(self, factor: float) -> None:
        """A live change of the rate scales the whole schedule."""
        if self.schedule is not None:
            self.schedule.scale(factor)
            self.optimizer.schedule_lr(self.schedule.lr)
            self.state = self._save()

    def _save(self) -> tuple:
        return (self.schedule.state() if self.schedule is not None else None, self.stop)

    def load(self, state: tuple) -> None:
        self.state = state
        sched, self.stop = state
        if sched is not None:
            self.schedule.set_state(sched)
            self.optimizer.schedule_lr(self.schedule.lr)

    # ----- as plain data, for a runfile

    def to_dict(self) -> dict:
        out = {}
        if self.schedule is not None:
            out["schedule"] = self.schedule.state()
        if self.stop is not None:
            st = self.stop
            out["stop"] = {"best": st.best, "best_epoch": st.best_epoch, "wait": st.wait,
                           "stopped_epoch": st.stopped_epoch}
            if st.best_params is not None:
                out["best_params"] = dict(st.best_params)
        return out

    def from_dict(self, state: dict, param_names) -> None:
        if self.schedule is not None and "schedule" in state:
            self.schedule.set_state(state["schedule"])
        if self.stop is not None and "stop" in state:
            st, best = state["stop"], state.get("best_params")
            if best is not None:
                best = {k: np.asarray(best[k], dtype=np.float64) for k in param_names}
            self.stop = StopState(float(st["best"]), int(st["best_epoch"]), int(st["wait"]),
                                  None if st["stopped_epoch"] is None else int(st["stopped_epoch"]), best)
        self.state = self._save()


def _last(history: dict, name: str) -> float | None:
    values = history[name]
    return values[-1] if values else None
