"""The experiment as the engine takes it: one frozen, typed Config, and its schema.

The engine owns these types; `nntui.experiment.config` reads a preset file into them
(and checks every key on the way), the CLI and the app change them with
`dataclasses.replace` or `nntui.experiment.edits.edit`.

Each preset key is declared here once, as a dataclass field: its default, and in
its metadata (`K(...)`) its kind (`Int`, `Num`, `Bool`, `Choice`, or `None` for a key
checked by hand), the data sets it applies to (`only`), and its label in the
app's controls. The preset reader, the app's edits and controls, and
`Config.to_dict` all read these declarations; none keeps a list of keys. A new
setting is one field, e.g. in TrainConfig:

    patience: int | None = field(default=None, metadata=K(Int(1)))

A key without a default is required; a default of None means the key may be
omitted (and is then left out of `to_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any

from .activations import ACTIVATIONS, OUTPUTS
from .datasets import DATASET_NAMES, DEFAULT_CLASSES, dataset_takes
from .features import PLANE
from .initializers import INITIALIZERS
from .losses import LOSSES
from .optimizers import OPTIMIZERS
from .scaling import SCALES

MAX_SAMPLES = 1_000_000
MAX_EPOCHS = 10_000_000


# ------------------------------------------------------------------ the kinds of key


@dataclass(frozen=True)
class Int:
    """A whole number from `lo` to `hi` (no upper bound if None)."""

    lo: int
    hi: int | None = None


@dataclass(frozen=True)
class Num:
    """A finite number within the bounds given (open: the bound itself refused)."""

    lo: float | None = None
    lo_open: bool = False
    hi: float | None = None
    hi_open: bool = False


@dataclass(frozen=True)
class Bool:
    """true or false."""


@dataclass(frozen=True)
class Choice:
    """A name from a registry of the engine (read when asked: a later entry counts).
    `what` names the kind of thing in messages ("unknown {what}")."""

    registry: Mapping[str, Any] | tuple[str, ...]
    what: str

    def names(self) -> tuple[str, ...]:
        return tuple(self.registry)

    def menu(self) -> tuple[str, ...]:
        """The names, each implementation once (an alias such as linear = identity
        appears under its first name)."""
        if not isinstance(self.registry, Mapping):
            return tuple(self.registry)
        seen: set[int] = set()
        out = []
        for name, impl in self.registry.items():
            if id(impl) not in seen:
                seen.add(id(impl))
                out.append(name)
        return tuple(out)

    def canonical(self, name: str) -> str:
        """The name the menu shows for `name` (itself, unless an alias)."""
        if isinstance(self.registry, Mapping) and name in self.registry:
            impl = self.registry[name]
            return next(n for n, i in self.registry.items() if i is impl)
        return name


@dataclass(frozen=True)
class Only:
    """The key applies only to data sets that take it (`datasets.dataset_takes`);
    given for another, it is refused with `why` ({dataset} is the data set's
    name), or `csv_why` for a CSV file."""

    why: str
    csv_why: str | None = None

    def reason(self, dataset: str) -> str:
        text = self.csv_why if dataset == "csv" and self.csv_why else self.why
        return text.format(dataset=dataset)


@dataclass(frozen=True)
class Key:
    """What a field's metadata says of its preset key (see `K`)."""

    kind: Int | Num | Bool | Choice | None  # None: checked by hand (nntui.experiment.config)
    only: Only | None = None
    derived: bool = False  # omitted, it is derived from other keys (output, loss)
    fill: Any = None  # the value when omitted for a data set that takes it, if not the default
    control: str | None = None  # the label of its row in the app's controls; None: no row
    hidden_default: bool = False  # to_dict leaves the default unwritten
    spread: bool = False  # a table whose keys sit in the section itself (the optimizer's options)


def K(kind: Int | Num | Bool | Choice | None, **how: Any) -> dict[str, Key]:
    """A field's metadata: `field(default=..., metadata=K(Int(1), control="label"))`."""
    return {"key": Key(kind, **how)}


def key_of(f: Field) -> Key:
    return f.metadata["key"]


def declared(cls: type) -> tuple[Field, ...]:
    """A section's preset keys (its fields), in the order written."""
    return tuple(f for f in fields(cls) if "key" in f.metadata)


def default_of(f: Field) -> Any:
    """The value an omitted key takes (None: none, or the key is required)."""
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None if f.default is MISSING else f.default


def is_required(f: Field) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


# The data sets a key is refused for, and why: a gate is its 4 truth-table rows.
_GATE_ROWS = "{dataset} is its 4 truth-table rows"


@dataclass(frozen=True)
class DataConfig:
    dataset: str = field(metadata=K(Choice(DATASET_NAMES, "dataset"), control="dataset"))
    samples: int = field(default=200, metadata=K(
        Int(1, MAX_SAMPLES), only=Only(_GATE_ROWS, "the file's rows are the samples"), control="samples"))
    noise: float = field(default=0.0, metadata=K(
        Num(lo=0.0), only=Only(_GATE_ROWS, "noise is for generated data"), control="noise"))
    validation: float = field(default=0.2, metadata=K(
        Num(lo=0.0, hi=1.0, hi_open=True), only=Only(_GATE_ROWS + ", all used for training"), control="validation"))
    seed: int = field(default=0, metadata=K(Int(0)))
    classes: int | None = field(default=None, metadata=K(  # blobs only (default 3 there)
        Int(2, 100), only=Only("only a generator with a class count (blobs) takes it"), fill=DEFAULT_CLASSES))
    path: str | None = field(default=None, metadata=K(  # csv only: absolute
        None, only=Only('only dataset = "csv" reads a file')))
    # csv only: a column, or several (regression)
    target: str | tuple[str, ...] | None = field(default=None, metadata=K(
        None, only=Only('only dataset = "csv" has target columns')))
    # What the network sees of a 2-input point (x1, x2): engine/features.py's names, in order.
    # The default stays unwritten by to_dict: older runfiles and echoes read the same.
    features: tuple[str, ...] = field(default=PLANE, metadata=K(None, hidden_default=True))
    # csv only: (rows, columns) of the inputs as an image, row by row
    image: tuple[int, int] | None = field(default=None, metadata=K(
        None, only=Only("only a CSV's inputs can be the pixels of an image")))
    # The network's inputs scaled with the training set's statistics (engine/scaling.py).
    scale: str = field(default="none", metadata=K(Choice(SCALES, "scale"), hidden_default=True, control="scale"))


@dataclass(frozen=True)
class ModelConfig:
    layers: tuple[int, ...] = field(metadata=K(None))
    activation: str = field(default="tanh", metadata=K(Choice(ACTIVATIONS, "activation"), control="activation"))
    # Omitted, the output follows the loss, the optimizer or the data's task.
    output: str = field(default="sigmoid", metadata=K(
        Choice(OUTPUTS, "output activation"), derived=True, control="output"))
    init: str = field(default="xavier", metadata=K(Choice(INITIALIZERS, "initializer"), control="init"))
    seed: int = field(default=0, metadata=K(Int(0)))
    # init = "explicit" only: W1, b1, ... as nested lists
    weights: dict[str, list] | None = field(default=None, metadata=K(None))


@dataclass(frozen=True)
class EarlyStoppingConfig:
    """[train.early_stopping], Keras's rule (engine/stopping.py); checked in
    nntui/experiment/train_rules.py."""

    monitor: str = "val_loss"
    patience: int = 20
    min_delta: float = 0.0
    restore_best: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"monitor": self.monitor, "patience": self.patience, "min_delta": self.min_delta,
                "restore_best": self.restore_best}


@dataclass(frozen=True)
class ScheduleConfig:
    """[train.schedule]: torch.optim.lr_scheduler's `kind` with its own
    argument names (engine/schedules.py), after `warmup` epochs of LinearLR;
    checked in nntui/experiment/train_rules.py."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)  # only the arguments given (plateau: its mode too)
    warmup: int = 0
    warmup_start: float = 1.0 / 3
    monitor: str | None = None  # plateau only: what it reads

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, **_plain(self.args)}
        if self.warmup:
            out.update(warmup=self.warmup, warmup_start=self.warmup_start)
        if self.monitor is not None:
            out["monitor"] = self.monitor
        return out


@dataclass(frozen=True)
class TrainConfig:
    # Omitted, the loss follows the output (and the data's task).
    loss: str = field(default="bce", metadata=K(Choice(LOSSES, "loss"), derived=True, control="loss"))
    optimizer: str = field(default="sgd", metadata=K(Choice(OPTIMIZERS, "optimizer"), control="optimizer"))
    # > 0: torch accepts 0, but a rate of 0 never changes a weight, so a run would
    # stand still saying nothing; the optimizers refuse it as well.
    learning_rate: float = field(default=0.1, metadata=K(Num(lo=0.0, lo_open=True), control="learn. rate"))
    batch_size: int = field(default=16, metadata=K(Int(1), control="batch size"))
    epochs: int = field(default=100, metadata=K(Int(1, MAX_EPOCHS)))
    # Only the optimizer options given, written in [train] itself; the optimizer
    # declares and checks them (engine/optimizers.py, Option).
    options: dict[str, Any] = field(default_factory=dict, metadata=K(None, spread=True))
    # Stop once an epoch's train loss is at or below it.
    target_loss: float | None = field(default=None, metadata=K(Num(lo=0.0)))
    # Tables of their own, [train.early_stopping] and [train.schedule].
    early_stopping: EarlyStoppingConfig | None = field(default=None, metadata=K(None))
    schedule: ScheduleConfig | None = field(default=None, metadata=K(None))


# The preset's sections and the class each is read into.
SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}


def setting(key: str) -> tuple[Field, Key] | None:
    """The declaration of a dotted key ("train.learning_rate"), or None."""
    section, _, name = key.partition(".")
    cls = SECTIONS.get(section)
    for f in declared(cls) if cls is not None else ():
        if f.name == name:
            return f, key_of(f)
    return None


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
        tuples); `config_from_dict(c.to_dict(), c.source)` gives back `c`.
        Each section writes its declared keys, but those that do not apply to
        the data set, are None, or are a default declared unwritten."""
        takes = dataset_takes(self.data.dataset)
        out: dict[str, Any] = {"title": self.title, "description": self.description}
        for section, part in (("data", self.data), ("model", self.model), ("train", self.train)):
            table: dict[str, Any] = {}
            spread: dict[str, Any] = {}
            for f in declared(type(part)):
                k, v = key_of(f), getattr(part, f.name)
                if k.spread:
                    spread.update(v)
                elif not (v is None or (k.only and f.name not in takes) or (k.hidden_default and v == f.default)):
                    table[f.name] = _plain(v)
            table.update(_plain(spread))
            out[section] = table
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
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return [_plain(x) for x in v] if isinstance(v, (list, tuple)) else v
