"""Changing one setting of an experiment: `edit(config, key, value) -> Config`.

The app's controls (and anything else that changes a loaded preset) call this
one function. It writes the value into the preset's dict, makes the changes
that must go with it so the switch just works (another data set fits the
input and output layers and, for a new task, the usual output and loss;
another optimizer drops the options it does not take), and checks the result
as a preset file is checked. A bad value raises ConfigError, naming the key.

Keys are dotted paths of the config: ``data.dataset``, ``data.noise``,
``data.features`` (a list, or "x1, x2, x1_x2": the input layer follows),
``model.hidden`` (the hidden sizes, "8, 8" or "none"), ``model.activation``,
``train.learning_rate``, ``train.optimizer``, ``train.options.momentum``...,
``train.early_stopping`` (on/off: Keras's rule with its defaults, on val_loss, or
train_loss without a validation set) and ``train.early_stopping.patience``.
A value may be typed text ("0.3", "on", "0.9, 0.99"): it is read here.
"""

from __future__ import annotations

import copy
from typing import Any

from nntui.experiment.config import DEFAULTS, Config, ConfigError, config_from_dict, optimizer_options
from nntui.engine.datasets import Dataset, dataset_dims, dataset_takes, dataset_task
from nntui.engine.losses import LOSSES, TASK_OUTPUT_LOSS
from nntui.engine.optimizers import BETAS, OPTIMIZERS, option_names
from nntui.engine.spec import SECTIONS, Choice, DataConfig, Int, declared, key_of, setting

# Keys whose value is a name from a registry, never text to parse (as declared in engine/spec.py).
CHOICE_KEYS = frozenset(f"{section}.{f.name}" for section, cls in SECTIONS.items()
                        for f in declared(cls) if isinstance(key_of(f).kind, Choice))


def edit(config: Config, key: str, value: Any, dataset: Dataset | None = None) -> Config:
    """The config with ``key`` set to ``value``, checked. ``dataset``, the data
    the config already made, spares reading a CSV again when the edit leaves
    the [data] section alone (a learning rate, a layer size...)."""
    d = copy.deepcopy(config.to_dict())
    section, _, name = key.partition(".")
    if section not in ("data", "model", "train") or not name:
        raise ConfigError(f"{config.source}: cannot edit '{key}'; keys are data.*, model.* and train.*")
    if key == "model.hidden":
        d["model"]["layers"] = [d["model"]["layers"][0], *_sizes(value), d["model"]["layers"][-1]]
    elif key == "data.dataset":
        _switch_dataset(d, config, str(value))
    elif key == "data.features":
        features = _features(value)
        d["data"]["features"] = features
        if features:  # the input layer follows; an empty list is refused by the check, named
            d["model"]["layers"] = [len(features), *d["model"]["layers"][1:]]
    elif key.startswith("train.early_stopping"):
        _early_stopping(d, config, key, value)
    elif key == "train.optimizer":
        keep = set(optimizer_options(str(value)))
        for opt in option_names():
            if opt not in keep:
                d["train"].pop(opt, None)
        d["train"]["optimizer"] = value
    else:
        parsed = value if key in CHOICE_KEYS else _parse(key, value)
        if name.startswith("options."):
            d["train"][name.split(".", 1)[1]] = parsed
        else:
            d[section][name] = parsed
    # Features are computed from the data's points, not made with them: the same data.
    same_data = _points(d["data"]) == _points(config.to_dict()["data"])
    return config_from_dict(d, config.source, dataset=dataset if same_data else None)


def _early_stopping(d: dict, config: Config, key: str, value: Any) -> None:
    """Early stopping switched on or off, or its patience set (which switches it on)."""
    train = d["train"]
    if key == "train.early_stopping":
        on = _parse(key, value)
        if not isinstance(on, bool):
            raise ConfigError(f"early stopping: {value!r} is neither on nor off")
        if not on:
            train.pop("early_stopping", None)
            return
    elif key != "train.early_stopping.patience":
        raise ConfigError(f"{config.source}: cannot edit '{key}'; early stopping's keys are "
                          "train.early_stopping (on/off) and train.early_stopping.patience")
    if "early_stopping" not in train:
        no_validation = not dataset_takes(config.data.dataset) or config.data.validation == 0
        train["early_stopping"] = {"monitor": "train_loss" if no_validation else "val_loss"}
    if key.endswith(".patience"):
        text = str(value).strip()
        try:
            train["early_stopping"]["patience"] = int(text) if isinstance(value, str) else value
        except ValueError:
            raise ConfigError(f"patience: {value!r} is not a whole number of epochs") from None


def _points(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "features"}


def _features(value: Any) -> list:
    """Feature names from a list, or typed text "x1, x2, x1_x2"."""
    if isinstance(value, str):
        return [p for p in value.replace(" ", ",").split(",") if p]
    return list(value)


def _parse(key: str, value: Any) -> Any:
    """Typed text as the value it stands for, by the kind its key is declared
    with (a whole number, a pair of numbers); anything else as it is."""
    if not isinstance(value, str):
        return value
    name = key.rsplit(".", 1)[-1]
    text = value.strip()
    declaration = setting(key)
    try:
        if declaration is not None and isinstance(declaration[1].kind, Int):
            return int(text)
        if _option_kind(name) == BETAS:
            return [float(p) for p in text.strip("()[] ").split(",") if p.strip()]
        if text.lower() in ("true", "on", "yes"):
            return True
        if text.lower() in ("false", "off", "no"):
            return False
        return float(text)
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not a number") from None


def _option_kind(name: str) -> str | None:
    """An optimizer option's kind (the same in every optimizer that takes it)."""
    return next((cls.options_taken[name].kind for cls in OPTIMIZERS.values() if name in cls.options_taken), None)


def _sizes(value: Any) -> list[int]:
    text = str(value).strip().lower()
    parts = [] if text in ("", "none", "-") else [p for p in text.replace(" ", ",").split(",") if p]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ConfigError(f"hidden layers: {value!r} is not a list of sizes such as '8, 8' (or 'none')") from None


def _task(config: Config) -> str:
    """The task of the config's data, without reading it: a generator's own,
    else what the loss and output were chosen for."""
    if config.data.dataset != "csv":
        return dataset_task(config.data.dataset, config.data.classes or 2)
    for task, (output, loss) in TASK_OUTPUT_LOSS.items():
        if config.model.output == output and config.train.loss == loss:
            return task
    return LOSSES[config.train.loss].tasks[0]


def _switch_dataset(d: dict, config: Config, name: str) -> None:
    """Another generator: the input and output layers fit it, the keys it
    does not take go, and for a new task come the task's usual output and
    loss (and a gradient optimizer, if the rule in use cannot learn it)."""
    data, model, train = d["data"], d["model"], d["train"]
    if name == "csv":
        raise ConfigError("a CSV data set needs a preset file: open one with o")
    takes = dataset_takes(name)
    classes = data.get("classes") or config.data.classes or 3
    task = dataset_task(name, classes)
    n_in, n_out = dataset_dims(name, classes)
    for f in declared(DataConfig):
        if not key_of(f).only:
            continue
        if f.name not in takes:
            data.pop(f.name, None)
        elif getattr(config.data, f.name) is not None:  # kept, where the old data had it
            data.setdefault(f.name, getattr(config.data, f.name))
    data["dataset"] = name
    if n_in != 2:
        data.pop("features", None)  # features are of a 2-D point
    elif "features" in data:
        n_in = len(data["features"])
    model["layers"] = [n_in, *model["layers"][1:-1], n_out]
    rule = OPTIMIZERS[train["optimizer"]]
    if task != _task(config) and (rule.needs_gradient or task not in LOSSES[train["loss"]].tasks):
        model["output"], train["loss"] = TASK_OUTPUT_LOSS[task]
        if not rule.needs_gradient:  # such a rule learns one step layer on binary labels only
            train["optimizer"] = DEFAULTS[("train", "optimizer")]
            for opt in option_names():
                train.pop(opt, None)
