"""The preset's [train.early_stopping] and [train.schedule] tables, checked.

They are declared in engine/spec.py (TrainConfig.early_stopping and .schedule,
kind None: tables checked by hand, here).

Each function takes the config's checker (for its one-line messages: the
file, the key, the value, what is allowed) and returns the engine's type.

    [train.early_stopping]   monitor "val_loss" | "val_accuracy" | "train_loss" (default val_loss),
                             patience 20 (whole, >= 0), min_delta 0.0 (>= 0), restore_best true
    [train.schedule]         kind (required): step | multistep | exponential | cosine | plateau,
                             then torch.optim.lr_scheduler's own arguments for it:
                               step        step_size (required), gamma 0.1
                               multistep   milestones (required, increasing), gamma 0.1
                               exponential gamma (required)
                               cosine      T_max (required), eta_min 0
                               plateau     mode, factor 0.1, patience 10, threshold 1e-4,
                                           threshold_mode "rel", cooldown 0, min_lr 0, eps 1e-8;
                                           monitor (what it reads; default: the early stopping's
                                           monitor, else val_loss, else train_loss without validation)
                             warmup (whole epochs, >= 1) and warmup_start (0 < f <= 1, default 1/3):
                             torch's SequentialLR([LinearLR(warmup_start, 1, warmup), KIND], [warmup])
"""

from __future__ import annotations

from typing import Any

from nntui.engine.names import allowed, did_you_mean
from nntui.engine.schedules import ARGUMENTS, KINDS, REQUIRED, WARMUP_START
from nntui.engine.spec import EarlyStoppingConfig, ScheduleConfig
from nntui.engine.stopping import MONITORS, NEEDS_VALIDATION, mode_of

ES = "train.early_stopping"
SC = "train.schedule"
_ES_KEYS = ("monitor", "patience", "min_delta", "restore_best")
_SC_OWN = ("kind", "warmup", "warmup_start", "monitor")


def early_stopping(ck, t: Any) -> EarlyStoppingConfig | None:
    if t is None:
        return None
    if not isinstance(t, dict):
        ck.fail("train", "early_stopping", t, "must be a table: write [train.early_stopping] on a line of its "
                "own, then monitor, patience, min_delta, restore_best")
    ck.no_unknown(t, ES, _ES_KEYS)
    d = EarlyStoppingConfig()
    monitor = ck.name(ES, "monitor", t.get("monitor", d.monitor), MONITORS, "monitor")
    patience = ck.integer(ES, "patience", t.get("patience", d.patience), 0)
    min_delta = ck.number(ES, "min_delta", t.get("min_delta", d.min_delta), lo=0.0)
    restore = t.get("restore_best", d.restore_best)
    if not isinstance(restore, bool):
        ck.fail(ES, "restore_best", restore, "must be true or false")
    return EarlyStoppingConfig(monitor, patience, min_delta, restore)


def schedule(ck, t: Any, stopping: EarlyStoppingConfig | None) -> ScheduleConfig | None:
    if t is None:
        return None
    if not isinstance(t, dict):
        ck.fail("train", "schedule", t, "must be a table: write [train.schedule] on a line of its own, "
                f"then kind = one of {allowed(KINDS)} and its arguments")
    if "kind" not in t:
        ck.fail(SC, None, None, f"missing key 'kind'; allowed: {allowed(KINDS)}")
    kind = ck.name(SC, "kind", t["kind"], KINDS, "schedule kind")
    takes = ARGUMENTS[kind]
    own = _SC_OWN if kind == "plateau" else _SC_OWN[:3]
    for key in t:
        if key not in own and key not in takes:
            choices = own + tuple(takes)
            other = next((k for k, a in ARGUMENTS.items() if key in a), None)
            why = (f"'{key}' is an argument of kind = \"{other}\", not of \"{kind}\"" if other else
                   f"unknown key '{key}'{did_you_mean(key, choices)}")
            ck.fail(SC, None, None, f"{why}; kind = \"{kind}\" takes: {', '.join(choices)}")
    for key, default in takes.items():
        if default is REQUIRED and key not in t:
            ck.fail(SC, None, None, f"kind = \"{kind}\" needs '{key}' (torch's {_TORCH[kind]} argument)")
    args = {key: _argument(ck, kind, key, t[key]) for key in takes if key in t}
    warmup = 0
    start = WARMUP_START
    if "warmup" in t:
        if kind == "plateau":
            ck.fail(SC, "warmup", t["warmup"], "plateau takes no warm-up (torch's SequentialLR cannot "
                    "hold ReduceLROnPlateau); remove warmup")
        warmup = ck.integer(SC, "warmup", t["warmup"], 1)
    if "warmup_start" in t:
        if not warmup:
            ck.fail(SC, "warmup_start", t["warmup_start"], "only with warmup = N (epochs of warm-up)")
        start = ck.number(SC, "warmup_start", t["warmup_start"], lo=0.0, lo_open=True, hi=1.0)
    monitor = None
    if kind == "plateau":
        given = t.get("monitor")
        if given is not None:
            monitor = ck.name(SC, "monitor", given, MONITORS, "monitor")
        else:
            monitor = stopping.monitor if stopping is not None else None
        if "mode" not in args and monitor is not None:
            args["mode"] = mode_of(monitor)
    return ScheduleConfig(kind, args, warmup, start, monitor)


_TORCH = {"step": "StepLR", "multistep": "MultiStepLR", "exponential": "ExponentialLR",
          "cosine": "CosineAnnealingLR", "plateau": "ReduceLROnPlateau"}


def _argument(ck, kind: str, key: str, v: Any) -> Any:
    if key in ("step_size", "T_max"):
        return ck.integer(SC, key, v, 1)
    if key in ("patience", "cooldown"):
        return ck.integer(SC, key, v, 0)
    if key == "milestones":
        if (not isinstance(v, list) or not v or any(isinstance(m, bool) or not isinstance(m, int) or m < 1 for m in v)
                or any(b <= a for a, b in zip(v, v[1:]))):
            ck.fail(SC, key, v, "must be a list of increasing whole epochs >= 1, e.g. [30, 80]")
        return tuple(v)
    if key == "mode":
        return ck.name(SC, key, v, ("min", "max"), "mode")
    if key == "threshold_mode":
        return ck.name(SC, key, v, ("rel", "abs"), "threshold mode")
    if key == "gamma":
        return ck.number(SC, key, v, lo=0.0, lo_open=True)
    if key == "factor":
        return ck.number(SC, key, v, lo=0.0, hi=1.0, hi_open=True)
    return ck.number(SC, key, v, lo=0.0)  # eta_min, threshold, min_lr, eps


def needs_validation(ck, train, has_validation: bool | None) -> Any:
    """A monitor that reads the validation set, without one, is refused; a
    plateau with no monitor given reads val_loss, else train_loss."""
    es, sc = train.early_stopping, train.schedule
    for section, cfg in ((ES, es), (SC, sc)):
        monitor = getattr(cfg, "monitor", None)
        if monitor in NEEDS_VALIDATION and has_validation is False:
            ck.fail(section, "monitor", monitor, "needs a validation set, and this data has none; "
                    "use monitor = \"train_loss\" (or data with [data] validation > 0)")
    if sc is not None and sc.kind == "plateau" and sc.monitor is None:
        from dataclasses import replace

        monitor = "train_loss" if has_validation is False else "val_loss"
        args = dict(sc.args)
        args.setdefault("mode", mode_of(monitor))
        return replace(train, schedule=replace(sc, monitor=monitor, args=args))
    return train
