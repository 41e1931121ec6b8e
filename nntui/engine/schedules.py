"""Learning-rate schedules, stepped once an epoch as torch.optim.lr_scheduler steps them.

Each class is torch's (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
LinearLR, ReduceLROnPlateau, SequentialLR) over one parameter group, with the
same recursive ("chainable") formulas, so the rates agree with torch's to the
last bit, quirks included:

- the constructor runs an initial step (`_initial_step`), which for LinearLR
  already multiplies the rate by start_factor;
- CosineAnnealingLR computes each rate from the previous one, not from the
  closed form, except when stepped to an epoch explicitly;
- SequentialLR resets the rate, undoes every scheduler's initial step, and at
  a milestone moves the next scheduler to epoch 0 with its closed form
  (`_update_lr(0)`, which does not count as a step).

A warm-up is SequentialLR([LinearLR(warmup_start, 1, warmup), KIND], [warmup]).
ReduceLROnPlateau reads a metric and takes no warm-up (torch's SequentialLR
refuses it).

`Schedule` is what the trainer holds: `lr` is the rate for the coming epoch;
`step(metric)` at each epoch's end; `state()`/`set_state()` a plain dict that
round-trips through JSON (a runfile) and restores the schedule exactly.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from typing import Any

KINDS = ("step", "multistep", "exponential", "cosine", "plateau")

# Each kind's arguments with torch's names and defaults; REQUIRED has none.
REQUIRED = object()
ARGUMENTS: dict[str, dict[str, Any]] = {
    "step": {"step_size": REQUIRED, "gamma": 0.1},
    "multistep": {"milestones": REQUIRED, "gamma": 0.1},
    "exponential": {"gamma": REQUIRED},
    "cosine": {"T_max": REQUIRED, "eta_min": 0.0},
    "plateau": {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4, "threshold_mode": "rel",
                "cooldown": 0, "min_lr": 0.0, "eps": 1e-8},
}
WARMUP_START = 1.0 / 3  # LinearLR's default start_factor


class _Group:
    """torch's param_group, as far as a scheduler reads it."""

    __slots__ = ("lr", "initial_lr")

    def __init__(self, lr: float):
        self.lr = lr
        self.initial_lr: float | None = None


class _Scheduler:
    """torch.optim.lr_scheduler.LRScheduler over one group."""

    _FIELDS = ("last_epoch", "_step_count", "base_lr")

    def __init__(self, group: _Group):
        self.group = group
        if group.initial_lr is None:  # torch: group.setdefault("initial_lr", lr)
            group.initial_lr = group.lr
        self.base_lr = group.initial_lr
        self.last_epoch = -1
        self._is_initial = False
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def step(self, metric: float | None = None) -> None:
        self._step_count += 1
        self._update_lr(None)

    def _update_lr(self, epoch: int | None) -> None:
        if epoch is None:
            self.last_epoch += 1
            self.group.lr = self.get_lr()
        else:
            self.last_epoch = epoch
            self.group.lr = self.closed_form()

    def get_lr(self) -> float:
        raise NotImplementedError

    def closed_form(self) -> float:
        raise NotImplementedError

    def state(self) -> dict:
        return {k: getattr(self, k) for k in self._FIELDS}

    def set_state(self, state: dict) -> None:
        for k in self._FIELDS:
            setattr(self, k, state[k])


class StepLR(_Scheduler):
    def __init__(self, group, step_size: int, gamma: float = 0.1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(group)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self.group.lr
        return self.group.lr * self.gamma

    def closed_form(self):
        return self.base_lr * self.gamma ** (self.last_epoch // self.step_size)


class MultiStepLR(_Scheduler):
    def __init__(self, group, milestones, gamma: float = 0.1):
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(group)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self.group.lr
        return self.group.lr * self.gamma ** self.milestones[self.last_epoch]

    def closed_form(self):
        return self.base_lr * self.gamma ** bisect_right(sorted(self.milestones.elements()), self.last_epoch)


class ExponentialLR(_Scheduler):
    def __init__(self, group, gamma: float):
        self.gamma = gamma
        super().__init__(group)

    def get_lr(self):
        if self._is_initial:
            return self.group.lr
        return self.group.lr * self.gamma

    def closed_form(self):
        return self.base_lr * self.gamma ** self.last_epoch


class CosineAnnealingLR(_Scheduler):
    def __init__(self, group, T_max: int, eta_min: float = 0.0):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(group)

    def get_lr(self):
        lr, base, eta_min, T_max, e = self.group.lr, self.base_lr, self.eta_min, self.T_max, self.last_epoch
        if self._is_initial:
            return lr
        if self._step_count == 1 and e > 0:
            return eta_min + (base - eta_min) * (1 + math.cos(e * math.pi / T_max)) / 2
        if (e - 1 - T_max) % (2 * T_max) == 0:
            return lr + (base - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
        return (1 + math.cos(math.pi * e / T_max)) / (1 + math.cos(math.pi * (e - 1) / T_max)) * (lr - eta_min) + eta_min

    def closed_form(self):
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2


class LinearLR(_Scheduler):
    def __init__(self, group, start_factor: float = WARMUP_START, end_factor: float = 1.0, total_iters: int = 5):
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(group)

    def get_lr(self):
        lr, s, f, n, e = self.group.lr, self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if e == 0:
            return lr * s
        if self._is_initial or e > n:
            return lr
        return lr * (1.0 + (f - s) / (n * s + (e - 1) * (f - s)))

    def closed_form(self):
        s, f, n = self.start_factor, self.end_factor, self.total_iters
        return self.base_lr * (s + (f - s) * min(n, self.last_epoch) / n)


class ReduceLROnPlateau:
    """torch's ReduceLROnPlateau over one group: it reads a metric."""

    _FIELDS = ("last_epoch", "best", "num_bad_epochs", "cooldown_counter")

    def __init__(self, group, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0, eps=1e-8):
        self.group = group
        self.mode, self.factor, self.patience, self.threshold = mode, factor, patience, threshold
        self.threshold_mode, self.cooldown, self.min_lr, self.eps = threshold_mode, cooldown, min_lr, eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metric: float | None = None) -> None:
        current = float(metric)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            old = float(self.group.lr)
            new = max(old * self.factor, self.min_lr)
            if old - new > self.eps:
                self.group.lr = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def state(self) -> dict:
        return {k: getattr(self, k) for k in self._FIELDS}

    def set_state(self, state: dict) -> None:
        for k in self._FIELDS:
            setattr(self, k, state[k])


class SequentialLR:
    """torch's SequentialLR: the schedulers in turn, switching at the milestones."""

    def __init__(self, group: _Group, schedulers: list[_Scheduler], milestones: list[int]):
        self.group, self.schedulers, self.milestones = group, schedulers, milestones
        self.last_epoch = 0
        group.lr = group.initial_lr
        for s in schedulers:  # undo each one's initial step
            s.last_epoch -= 1
        schedulers[bisect_right(milestones, 0)]._initial_step()

    def step(self, metric: float | None = None) -> None:
        self.last_epoch += 1
        idx = bisect_right(self.milestones, self.last_epoch)
        scheduler = self.schedulers[idx]
        if idx > 0 and self.milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()

    def state(self) -> dict:
        return {"last_epoch": self.last_epoch, "schedulers": [s.state() for s in self.schedulers]}

    def set_state(self, state: dict) -> None:
        self.last_epoch = state["last_epoch"]
        for s, st in zip(self.schedulers, state["schedulers"]):
            s.set_state(st)


_CLASSES = {"step": StepLR, "multistep": MultiStepLR, "exponential": ExponentialLR,
            "cosine": CosineAnnealingLR, "plateau": ReduceLROnPlateau}


class Schedule:
    """The rate for each epoch: `kind` with torch's `args`, after `warmup`
    epochs of linear warm-up from `warmup_start` × lr (0: none)."""

    def __init__(self, lr: float, kind: str, args: dict, warmup: int = 0, warmup_start: float = WARMUP_START):
        if kind not in _CLASSES:
            raise ValueError(f"unknown schedule kind {kind!r}; allowed: {', '.join(KINDS)}")
        if warmup and kind == "plateau":
            raise ValueError("plateau takes no warm-up (torch's SequentialLR refuses ReduceLROnPlateau)")
        self.kind, self.args, self.warmup, self.warmup_start = kind, dict(args), warmup, warmup_start
        self.group = _Group(float(lr))
        if warmup:
            warm = LinearLR(self.group, warmup_start, 1.0, warmup)
            self._sched = SequentialLR(self.group, [warm, _CLASSES[kind](self.group, **self.args)], [warmup])
        else:
            self._sched = _CLASSES[kind](self.group, **self.args)
        if self.group.initial_lr is None:  # plateau keeps none: the rate it started from
            self.group.initial_lr = float(lr)

    @property
    def lr(self) -> float:
        return self.group.lr

    @property
    def base_lr(self) -> float:
        """The rate the schedule is computed from (torch's initial_lr)."""
        return self.group.initial_lr

    @property
    def reads_metric(self) -> bool:
        return self.kind == "plateau"

    def step(self, metric: float | None = None) -> float:
        """An epoch has ended (with `metric`, for plateau): the rate for the next one."""
        self._sched.step(metric)
        return self.group.lr

    def scale(self, factor: float) -> None:
        """Scale the whole schedule (a live change of the rate): the rate now,
        and the base rates it is computed from."""
        g = self.group
        g.lr *= factor
        g.initial_lr *= factor
        parts = self._sched.schedulers if isinstance(self._sched, SequentialLR) else [self._sched]
        for s in parts:
            if hasattr(s, "base_lr"):
                s.base_lr *= factor

    def state(self) -> dict:
        return {"lr": self.group.lr, "initial_lr": self.group.initial_lr, "sched": self._sched.state()}

    def set_state(self, state: dict) -> None:
        self.group.lr, self.group.initial_lr = float(state["lr"]), float(state["initial_lr"])
        self._sched.set_state(state["sched"])
