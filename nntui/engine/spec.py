"""The experiment as the engine takes it: one frozen, typed Config.

The engine owns these types; `nntui.experiment.config` reads a preset file into them
(and checks every key on the way), the CLI and the app change them with
`dataclasses.replace` or `nntui.experiment.edits.edit`. The defaults written here are
the only ones: the preset reader falls back on these fields' defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .datasets import dataset_takes
from .features import PLANE


@dataclass(frozen=True)
class DataConfig:
    dataset: str
    samples: int = 200
    noise: float = 0.0
    validation: float = 0.2
    seed: int = 0
    classes: int | None = None  # blobs only (default 3 there)
    path: str | None = None  # csv only: absolute
    target: str | tuple[str, ...] | None = None  # csv only: a column, or several (regression)
    # What the network sees of a 2-input point (x1, x2): engine/features.py's names, in order.
    features: tuple[str, ...] = PLANE
    image: tuple[int, int] | None = None  # csv only: (rows, columns) of the inputs as an image, row by row


@dataclass(frozen=True)
class ModelConfig:
    layers: tuple[int, ...]
    activation: str = "tanh"
    output: str = "sigmoid"
    init: str = "xavier"
    seed: int = 0
    weights: dict[str, list] | None = None  # init = "explicit" only: W1, b1, ... as nested lists


@dataclass(frozen=True)
class TrainConfig:
    loss: str = "bce"
    optimizer: str = "sgd"
    learning_rate: float = 0.1
    batch_size: int = 16
    epochs: int = 100
    options: dict[str, Any] = field(default_factory=dict)  # only the optimizer options given
    target_loss: float | None = None  # stop once an epoch's train loss is at or below it


@dataclass(frozen=True)
class Config:
    title: str
    description: str
    source: str  # where it came from, as named in messages ("xor.toml", "my/preset.toml")
    data: DataConfig
    model: ModelConfig
    train: TrainConfig
    # The preset's [compare] section: the variants it races (nntui compare, the
    # app's compare view), each as ((key, value), ...) of overrides; the engine ignores it.
    variants: tuple[tuple[tuple[str, Any], ...], ...] = ()
    # The preset's [lesson] (nntui.experiment.lessons.Lesson): asks, claims and
    # challenges judged on the run; the engine ignores it.
    lesson: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The resolved preset as plain JSON-able data (no None values, lists not
        tuples); `config_from_dict(c.to_dict(), c.source)` gives back `c`."""
        d, m, t = self.data, self.model, self.train
        data = {"dataset": d.dataset}
        takes = dataset_takes(d.dataset)
        if "path" in takes:
            data["path"] = d.path
            if d.target is not None:
                data["target"] = d.target if isinstance(d.target, str) else list(d.target)
            if d.image is not None:
                data["image"] = list(d.image)
        for key in ("samples", "noise", "validation"):
            if key in takes:
                data[key] = getattr(d, key)
        data["seed"] = d.seed
        if d.classes is not None:
            data["classes"] = d.classes
        if d.features != PLANE:  # the default stays unwritten: older runfiles and echoes read the same
            data["features"] = list(d.features)
        model = {"layers": list(m.layers), "activation": m.activation, "output": m.output,
                 "init": m.init, "seed": m.seed}
        if m.weights is not None:
            model["weights"] = {k: _plain(v) for k, v in m.weights.items()}
        train = {"loss": t.loss, "optimizer": t.optimizer, "learning_rate": t.learning_rate,
                 "batch_size": t.batch_size, "epochs": t.epochs}
        if t.target_loss is not None:
            train["target_loss"] = t.target_loss
        train.update({k: _plain(v) for k, v in t.options.items()})
        out = {"title": self.title, "description": self.description,
               "data": data, "model": model, "train": train}
        if self.variants:
            out["compare"] = {"variants": [{k: _plain(v) for k, v in pairs} for pairs in self.variants]}
        if self.lesson is not None and self.lesson.to_dict():
            out["lesson"] = self.lesson.to_dict()
        return out

    @property
    def name(self) -> str:
        """A short name: the preset's file name without .toml."""
        return Path(self.source).stem


def _plain(v: Any) -> Any:
    return [_plain(x) for x in v] if isinstance(v, (list, tuple)) else v
