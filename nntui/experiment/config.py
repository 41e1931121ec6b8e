"""Presets: read a TOML file or a built-in name, check every key, return one frozen Config.

This is the one loader and validator; the CLI, the app and the runfile all go
through it. Names come from the engine's registries (ACTIVATIONS, OUTPUTS,
LOSSES, INITIALIZERS, OPTIMIZERS, DATASETS), never from a list kept here.

Every mistake raises ConfigError with one line that names the file, the key,
the bad value and what is allowed, e.g.

    spiral.toml: [train] learning_rate = -1: must be > 0

Each key's kind, range and default are declared once, in engine/spec.py; this
module checks every key so declared, in the order declared, and by hand the
keys declared without a kind and how the keys fit together. What an omitted
key means (required: data.dataset and model.layers), as declared there:

    [data]   samples 200, noise 0, validation 0.2, seed 0; classes 3 (blobs only);
             path (csv only, relative to the preset file), target: the last column;
             image (csv only): none, else [rows, cols] with rows * cols inputs
    [model]  activation "tanh", init "xavier", seed 0; output from the loss if
             given (bce -> sigmoid, cross_entropy -> softmax, perceptron -> step),
             else from the optimizer (perceptron -> step), else from the data's
             task: binary -> sigmoid, multiclass -> softmax, regression -> linear
    [train]  optimizer "sgd", learning_rate 0.1, batch_size 16, epochs 100;
             loss from the output (sigmoid on binary data -> bce, softmax ->
             cross_entropy, step -> perceptron, otherwise mse); no target_loss;
             optimizer options: the optimizer's own (torch.optim's) defaults

A logic gate (and_gate, ...) is its 4 truth-table rows: samples, noise and
validation are refused there, as path and target are for generated data.
"""

from __future__ import annotations

import math
import os
from dataclasses import Field, replace
from pathlib import Path
from typing import Any, NoReturn

from nntui.engine.activations import ACTIVATIONS, OUTPUTS
from nntui.engine.datasets import Dataset, DataError, dataset_dims, dataset_takes, dataset_task, load_csv
from nntui.engine.datasets import MAX_INPUTS as MAX_CSV_INPUTS
from nntui.engine.features import FEATURE_NAMES, PLANE
from nntui.engine.losses import LOSSES, TASK_OUTPUT_LOSS
from nntui.engine.optimizers import OPTIMIZERS, OptionError, make_optimizer, option_names
from nntui.engine.spec import (MAX_SAMPLES, SECTIONS, Bool, Choice, Config, DataConfig, Int, ModelConfig, Num,
                               TrainConfig, declared, default_of, is_required, key_of, setting)
from nntui.engine.names import allowed, did_you_mean
from nntui.experiment import train_rules

__all__ = ["Config", "ConfigError", "DataConfig", "ModelConfig", "TrainConfig", "config_from_dict", "override"]

class ConfigError(ValueError):
    """A preset that cannot be used; the message is one line for the user."""


# --- the Config -------------------------------------------------------------------


# --- reading a dict -----------------------------------------------------------------

_MISSING = object()
_TOP_KEYS = ("title", "description")
_SECTIONS = ("data", "model", "train")


def section_keys(section: str) -> tuple[str, ...]:
    """A section's keys, in the order declared (engine/spec.py, read when asked);
    [train]'s optimizer options are the optimizer's, not among them."""
    return tuple(f.name for f in declared(SECTIONS[section]) if not key_of(f).spread)


_DATA_KEYS, _MODEL_KEYS, _TRAIN_KEYS = (section_keys(s) for s in _SECTIONS)

MAX_LAYER = 4096
_FEATURE_LIST = ", ".join(FEATURE_NAMES)  # in the table's order (DESIGN), not sorted
MAX_INPUTS = MAX_CSV_INPUTS  # the input layer: a CSV's columns (load_csv refuses a wider file)
MEMORY_LIMIT = 2 * 2**30  # what a network may need while it trains (see memory_needed)

# What an omitted key means: the fields' own defaults in engine/spec.py, but
# for those derived from other keys (the output and the loss, from each other and the data).
DEFAULTS = {
    (section, f.name): f.default
    for section, cls in (("data", DataConfig), ("model", ModelConfig), ("train", TrainConfig))
    for f in declared(cls)
    if default_of(f) is not None and not key_of(f).derived and not key_of(f).spread
}
# Output and loss when omitted: from each other (the loss registry's pairs), else from the task.
_LOSS_OUTPUT = {name: loss.output for name, loss in LOSSES.items() if loss.output}
_OUTPUT_LOSS = {out: name for name, out in _LOSS_OUTPUT.items() if out != "sigmoid"}


def optimizer_options(name: str) -> tuple[str, ...]:
    """The option names the optimizer `name` takes (its torch defaults' keys)."""
    cls = OPTIMIZERS.get(name)
    return tuple(cls.options_taken) if cls is not None else ()


def memory_needed(layers, batch_size: int) -> int:
    """Bytes a network needs while it trains, roughly: its parameters about 8
    times over (now, at the start, the step's new ones, the gradients, up to
    three optimizer buffers, a rewind) and one batch's z, a and delta per layer."""
    params = sum(a * b + b for a, b in zip(layers, layers[1:]))
    return 8 * (8 * params + 3 * min(batch_size, MAX_SAMPLES) * sum(layers))


def config_from_dict(d: dict[str, Any], source: str, base_dir: str | os.PathLike | None = None,
                     *, check_data: bool = True, dataset: Dataset | None = None) -> Config:
    """Check a preset given as a dict (parsed TOML, or `Config.to_dict()` from a
    runfile) and build the Config. `source` names it in messages; a CSV path is
    relative to `base_dir` (default: the current folder). With
    `check_data=False` the CSV is not read (a runfile carries its data), so
    layer sizes are not checked against it. `dataset`, the data this very
    [data] section already gave, is checked against instead of reading the
    CSV again (an edit of the model or training keys)."""
    checker = _Checker(source, base_dir, check_data)
    checker.dataset = dataset
    config = checker.build(d)
    for i, pairs in enumerate(config.variants, start=1):  # each variant checked as its override
        override_pairs(config, pairs, flags={k: f"[compare] variant {i}: {k} = {{}}" for k, _ in pairs})
    return config


# The keys a variant (nntui compare --vary, a preset's [compare]) may set besides the
# optimizer options: override's own arguments.
VARY_KEYS = ("optimizer", "learning_rate", "batch_size", "init", "activation", "seed")
MAX_VARIANTS = 8


def override_pairs(config: Config, pairs, *, epochs: int | None = None, flags: dict[str, str] | None = None) -> Config:
    """`override` from ((key, value), ...): VARY_KEYS as themselves, any other
    key as an optimizer option."""
    kwargs = {k: v for k, v in pairs if k in VARY_KEYS}
    options = {k: list(v) if isinstance(v, tuple) else v for k, v in pairs if k not in VARY_KEYS}
    return override(config, epochs=epochs, options=options, flags=flags, **kwargs)


def override(config: Config, *, epochs: int | None = None, seed: int | None = None,
             learning_rate: float | None = None, optimizer: str | None = None,
             batch_size: int | None = None, options: dict[str, Any] | None = None,
             init: str | None = None, activation: str | None = None,
             flags: dict[str, str] | None = None) -> Config:
    """The config with command-line overrides, checked as the file was; a bad
    value names its flag. `seed` sets both data.seed and model.seed. A new
    optimizer keeps only the options it takes (see `optimizer_options`);
    `options` then sets optimizer options by name. `flags` names an override
    otherwise in errors, by argument or option name, e.g.
    `{"optimizer": "--vary optimizer={}"}`."""
    named = flags or {}
    d = config.to_dict()
    d.pop("compare", None)  # a variant races no variants of its own
    flags: dict[tuple[str, str], str] = {}
    for section, key, value, flag in (
        ("train", "epochs", epochs, "--epochs {}"),
        ("data", "seed", seed, "--seed {}"),
        ("model", "seed", seed, "--seed {}"),
        ("train", "learning_rate", learning_rate, "--learning-rate {}"),
        ("train", "optimizer", optimizer, "--optimizer {}"),
        ("train", "batch_size", batch_size, "--batch-size {}"),
        ("model", "init", init, "--init {}"),
        ("model", "activation", activation, "--activation {}"),
    ):
        if value is not None:
            d[section][key] = value
            flags[(section, key)] = named.get(key, flag)
    new = d["train"]["optimizer"]
    all_options = option_names()
    if optimizer is not None and new in OPTIMIZERS:
        for key in list(d["train"]):
            if key in all_options and key not in optimizer_options(new):
                del d["train"][key]
    for key, value in (options or {}).items():
        if key not in all_options:
            takes = ", ".join(optimizer_options(new)) or "no options"
            raise ConfigError(f"{config.source}: --option {key}: unknown optimizer option"
                              f"{did_you_mean(key, all_options)}; optimizer \"{new}\" takes: {takes}")
        d["train"][key] = value
        flags[("train", key)] = named.get(key, f"--option {key}={{}}")
    return _Checker(config.source, None, True, flags).build(d)


class _Checker:
    """Builds a Config from a dict, raising ConfigError at the first problem."""

    def __init__(self, source: str, base_dir, check_data: bool, flags=None):
        self.source = str(source)
        self.base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        self.check_data = check_data
        self.flags: dict[tuple[str, str], str] = flags or {}
        self.given: dict[tuple[str, str], Any] = {}
        self.dataset: Dataset | None = None  # the data already read, if the caller has it

    # ----- messages

    def where(self, section: str | None, key: str | None, value: Any = _MISSING) -> str:
        """"file: [section] key = value", or "file: --flag value" for an override."""
        flag = self.flags.get((section, key))
        if flag is not None:
            return f"{self.source}: " + flag.format(_show(value) if value is not _MISSING else "").strip()
        out = self.source + ":"
        if section:
            out += f" [{section}]"
        if key:
            out += f" {key}" + (f" = {_show(value)}" if value is not _MISSING else "")
        return out

    def fail(self, section: str | None, key: str | None, value: Any, problem: str) -> NoReturn:
        where = self.where(section, key, value)
        raise ConfigError(f"{where} {problem}" if where.endswith(":") else f"{where}: {problem}")

    # ----- typed getters

    def get(self, table: dict, section: str, key: str, default: Any = _MISSING) -> Any:
        if key in table:
            self.given[(section, key)] = table[key]
            return table[key]
        return DEFAULTS.get((section, key), default)

    def integer(self, section: str, key: str, v: Any, lo: int, hi: int | None = None) -> int:
        wanted = f"must be a whole number{_range_int(lo, hi)}"
        if isinstance(v, bool):
            self.fail(section, key, v, f"{wanted}, not true/false")
        if isinstance(v, float):
            self.fail(section, key, v, f"{wanted}, written without a decimal point")
        if not isinstance(v, int):
            self.fail(section, key, v, wanted)
        if v < lo or (hi is not None and v > hi):
            self.fail(section, key, v, f"must be{_range_int(lo, hi)}")
        return v

    def number(self, section: str, key: str, v: Any, lo: float | None = None, lo_open: bool = False,
               hi: float | None = None, hi_open: bool = False) -> float:
        rng = _range_float(lo, lo_open, hi, hi_open)
        wanted = f"must be a finite number{' ' + rng if rng else ''}"
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail(section, key, v, wanted)
        x = float(v)
        if math.isnan(x):
            self.fail(section, key, v, f"{wanted}, not nan")
        if math.isinf(x):
            self.fail(section, key, v, f"{wanted}, not {_show(x)}")
        if ((lo is not None and (x <= lo if lo_open else x < lo))
                or (hi is not None and (x >= hi if hi_open else x > hi))):
            self.fail(section, key, v, f"must be {rng}")
        return x

    def text(self, section: str | None, key: str, v: Any) -> str:
        if not isinstance(v, str):
            self.fail(section, key, v, "must be a string in quotes")
        return v

    def name(self, section: str, key: str, v: Any, choices, what: str) -> str:
        if not isinstance(v, str):
            self.fail(section, key, v, f"must be the name of {what} in quotes; allowed: {allowed(choices)}")
        if v not in choices:
            self.fail(section, key, v,
                      f"unknown {what}{did_you_mean(v, choices)}; allowed: {allowed(choices)}")
        return v

    # ----- declared keys (engine/spec.py)

    def value(self, section: str, f: Field, t: dict, taken: bool = True) -> Any:
        """A declared key's value from the section's table `t`, checked as its
        kind says. Omitted: its default, or its fill for a data set that takes
        it; None if derived from other keys (or its default is None)."""
        k = key_of(f)
        if f.name in t:
            v = self.get(t, section, f.name)
            if v is None and not is_required(f) and (k.derived or default_of(f) is None) and k.fill is None:
                return None  # given as nothing (a dict's None): as if omitted
        elif is_required(f):
            choices = f"; allowed: {allowed(k.kind.registry)}" if isinstance(k.kind, Choice) else ""
            self.fail(section, None, _MISSING, f"missing key '{f.name}'{choices}")
        elif k.derived:
            return None
        else:
            v = k.fill if k.fill is not None and taken else default_of(f)
            if v is None:
                return None
        return self.check(section, f.name, k.kind, v)

    def check(self, section: str, key: str, kind, v: Any) -> Any:
        if isinstance(kind, Int):
            return self.integer(section, key, v, kind.lo, kind.hi)
        if isinstance(kind, Num):
            return self.number(section, key, v, kind.lo, kind.lo_open, kind.hi, kind.hi_open)
        if isinstance(kind, Choice):
            return self.name(section, key, v, kind.registry, kind.what)
        if isinstance(kind, Bool) and not isinstance(v, bool):
            self.fail(section, key, v, "must be true or false")
        return v

    def declared(self, section: str, t: dict, skip: tuple[str, ...] = (),
                 takes: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Every key of the section with a declared kind, but `skip`, checked in
        the order declared; the keys without one are checked by hand."""
        out = {}
        for f in declared(SECTIONS[section]):
            k = key_of(f)
            if f.name not in skip and k.kind is not None:
                out[f.name] = self.value(section, f, t, taken=not k.only or f.name in takes)
        return out

    def refuse_not_taken(self, t: dict, dataset: str, takes: frozenset[str]) -> None:
        """A key declared `only` for some data sets, given for another."""
        for f in declared(SECTIONS["data"]):
            only = key_of(f).only
            if only and f.name in t and f.name not in takes:
                self.fail("data", f.name, t[f.name], f'does not apply to dataset = "{dataset}": '
                          f"{only.reason(dataset)}")

    def table(self, d: dict, key: str) -> dict:
        v = d.get(key, {})
        if not isinstance(v, dict):
            self.fail(None, key, v, f"must be a table: write [{key}] on a line of its own, then its keys")
        return v

    def no_unknown(self, table: dict, section: str | None, known, hint: str = "") -> None:
        for key in table:
            if key not in known:
                where = f"[{section}] " if section else ""
                self.fail(None, None, _MISSING,
                          f"{where}unknown key '{key}'{did_you_mean(key, known)}; allowed: "
                          f"{', '.join(known)}{hint}")

    # ----- the whole preset

    def build(self, d: dict[str, Any]) -> Config:
        if not isinstance(d, dict):
            raise ConfigError(f"{self.source}: a preset must be a table of keys")
        for key, v in d.items():
            if key in _SECTIONS or key in _TOP_KEYS or key == "compare":
                continue
            if isinstance(v, dict):
                self.fail(None, None, _MISSING, f"unknown section [{key}]"
                          f"{_dym_section(key)}; allowed: [data], [model], [train], [compare]")
            self.fail(None, None, _MISSING, f"unknown key '{key}'{did_you_mean(key, _TOP_KEYS + _SECTIONS)}; "
                      "allowed at the top: title, description, then the sections [data], [model], [train]")
        title = self.text(None, "title", d.get("title", Path(self.source).stem))
        description = self.text(None, "description", d.get("description", ""))
        data_t, model_t, train_t = (self.table(d, s) for s in _SECTIONS)
        self.no_unknown(data_t, "data", section_keys("data"))
        self.no_unknown(model_t, "model", section_keys("model"))
        train = self.train(train_t)
        data, task, n_in, n_out, n_rows = self.data(data_t)
        model = self.model(model_t, train, task)
        if data.image is not None:
            self.image_fits(data, n_in if n_in is not None else model.layers[0], n_in is not None)
        train = self.loss(train, model, task)
        self.combination(data, model, train, task)
        self.features_size(data, model)
        if n_in is not None:
            self.sizes(data, model, train, task, n_in, n_out)
        if n_rows is not None:
            self.split(data, n_rows)
        train = train_rules.needs_validation(self, train, self.has_validation(data, n_rows))
        if model.init == "explicit" or "weights" in model_t:
            model = self.weights(model_t, model)
        variants = self.compare(self.table(d, "compare")) if "compare" in d else ()
        return Config(title, description, self.source, data, model, train, variants)

    def has_validation(self, data: DataConfig, n_rows: int | None) -> bool | None:
        """Whether the data has a validation set (None: not known without reading it)."""
        if not dataset_takes(data.dataset) or data.validation == 0:
            return False
        if self.dataset is not None:
            return len(self.dataset.x_val) > 0
        return None if n_rows is None else round(data.validation * n_rows) > 0

    # ----- [compare]

    def compare(self, t: dict) -> tuple:
        """[compare]: `vary = { KEY = [V1, V2, ...] }` (one key), or `variants =
        [{ KEY = V, ... }, ...]`; the keys: VARY_KEYS and the optimizer options.
        Each variant's values are checked afterwards, as its override."""
        self.no_unknown(t, "compare", ("vary", "variants"))
        keys = VARY_KEYS + tuple(option_names())
        if ("vary" in t) == ("variants" in t):
            self.fail("compare", None, _MISSING, "give either vary = { KEY = [V1, V2, ...] } or "
                      "variants = [{ KEY = V, ... }, ...]")
        if "vary" in t:
            vary = t["vary"]
            if not isinstance(vary, dict) or len(vary) != 1:
                self.fail("compare", "vary", vary, "must be a table of one key and its values, "
                          'e.g. vary = { optimizer = ["sgd", "adam"] }')
            (key, values), = vary.items()
            if not isinstance(values, list):
                self.fail("compare", "vary", vary, f"{key} must be a list of values")
            variants = [{key: v} for v in values]
        else:
            variants = t["variants"]
            if not isinstance(variants, list) or not all(isinstance(v, dict) and v for v in variants):
                self.fail("compare", "variants", variants, 'must be a list of tables, e.g. '
                          '[{ optimizer = "sgd" }, { optimizer = "sgd", momentum = 0.9 }]')
        if not 2 <= len(variants) <= MAX_VARIANTS:
            self.fail("compare", None, _MISSING, f"{len(variants)} variants; give 2 to {MAX_VARIANTS}")
        out = []
        for v in variants:
            for key in v:
                if key not in keys:
                    self.fail("compare", None, _MISSING, f"a variant cannot set '{key}'{did_you_mean(key, keys)}; "
                              f"allowed: {', '.join(VARY_KEYS)} and the optimizer options")
            pairs = tuple((k, tuple(x) if isinstance(x, list) else x) for k, x in v.items())
            if pairs in out:
                self.fail("compare", None, _MISSING, f"the variant {_show(v)} is given twice")
            out.append(pairs)
        return tuple(out)

    # ----- [data]

    def data(self, t: dict):
        """DataConfig, task, (inputs, outputs) and row count where known."""
        dataset = self.value("data", setting("data.dataset")[0], t)
        is_csv = dataset == "csv"
        takes = dataset_takes(dataset)
        is_gate = not takes  # a truth table: nothing to draw, split or count
        self.refuse_not_taken(t, dataset, takes)
        values = self.declared("data", t, skip=("dataset",), takes=takes)
        features = self.features(t)
        n_in = n_out = n_rows = task = None
        if is_csv:
            path, target = self.csv_keys(t)
            image = self.image(t)
            config = SECTIONS["data"](dataset, **values, path=path, target=target, features=features, image=image)
            if self.dataset is not None:
                known = self.dataset
                n_in, n_out, task = known.n_inputs, known.n_outputs, known.task
                self.features_fit(t, config, n_in)
                return config, task, n_in, n_out, len(known.x_train) + len(known.x_val)
            if self.check_data:
                try:
                    x, y, task, names, _ = load_csv(path, target)
                except DataError as e:
                    self.csv_problem(t, path, e)
                n_in, n_rows = x.shape[1], len(x)
                n_out = len(names) if task == "multiclass" else y.shape[1]
                self.features_fit(t, config, n_in)
            else:
                task = "regression" if isinstance(target, tuple) else None
            return config, task, n_in, n_out, n_rows
        config = SECTIONS["data"](dataset, **values, features=features)
        task = dataset_task(dataset, config.classes or 2)
        n_in, n_out = dataset_dims(dataset, config.classes or 2)
        self.features_fit(t, config, n_in)
        return config, task, n_in, n_out, (None if is_gate else config.samples)

    def features(self, t: dict) -> tuple[str, ...]:
        """data.features: Playground's input features, each once, at least one."""
        v = self.get(t, "data", "features")
        wanted = f'must be a list of feature names, e.g. ["x1", "x2", "x1_x2"]; allowed: {_FEATURE_LIST}'
        if not isinstance(v, (list, tuple)) or not v:
            self.fail("data", "features", v, wanted)
        for name in v:
            if not isinstance(name, str):
                self.fail("data", "features", v, wanted)
            if name not in FEATURE_NAMES:
                self.fail("data", "features", v, f'unknown feature "{name}"{did_you_mean(name, FEATURE_NAMES)}; '
                          f"allowed: {_FEATURE_LIST}")
        twice = next((name for i, name in enumerate(v) if name in v[:i]), None)
        if twice is not None:
            self.fail("data", "features", v, f'"{twice}" is given twice; each feature is one input, named once')
        return tuple(v)

    def features_fit(self, t: dict, data: DataConfig, n_in: int) -> None:
        """Features are computed from a point (x1, x2): 2-input data only."""
        if data.features != PLANE and n_in != 2:
            what = data.dataset if data.dataset != "csv" else Path(data.path).name
            self.fail("data", "features", t.get("features", list(data.features)),
                      f"features are computed from 2 inputs (x1, x2); {what} has {n_in}: "
                      "remove data.features")

    def csv_keys(self, t: dict) -> tuple[str, str | tuple[str, ...] | None]:
        if "path" not in t:
            self.fail("data", None, _MISSING,
                      'dataset = "csv" needs path = "file.csv" (relative to the preset file)')
        raw = self.get(t, "data", "path")
        if not isinstance(raw, str) or not raw.strip():
            self.fail("data", "path", raw, "must be the CSV file's path in quotes, relative to the preset file")
        try:
            path = Path(raw).expanduser()
        except RuntimeError:  # ~name of no user
            self.fail("data", "path", raw, "starts with the home folder of a user this machine does not have; "
                                           "give a path relative to the preset file, or an absolute one")
        try:
            path = str((path if path.is_absolute() else self.base_dir / path).resolve())
        except ValueError:
            self.fail("data", "path", raw, "cannot hold a NUL character")
        except (RuntimeError, OSError) as e:  # a symlink loop
            self.fail("data", "path", raw, f"cannot be followed ({getattr(e, 'strerror', None) or 'a symlink loop'})")
        target = self.get(t, "data", "target", None)
        if target is None or isinstance(target, str):
            if target is not None and not target:
                self.fail("data", "target", target, "must name a column of the CSV file")
            return path, target
        if (not isinstance(target, list) or not target
                or not all(isinstance(c, str) and c for c in target)):
            self.fail("data", "target", target,
                      'must be a column name ("species") or a list of them (["o1", "o2"])')
        return path, tuple(target)

    def image(self, t: dict) -> tuple[int, int] | None:
        """[data] image = [rows, columns]: the inputs, row by row, are the pixels
        of one picture (the app then draws samples and weights as images)."""
        image = self.get(t, "data", "image", None)
        if image is None:
            return None
        if (not isinstance(image, list) or len(image) != 2
                or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in image)):
            self.fail("data", "image", image, "must be [rows, columns] of the inputs as an image, "
                      "two whole numbers >= 1, e.g. image = [8, 8]")
        return (image[0], image[1])

    def image_fits(self, data: DataConfig, n_in: int, from_file: bool) -> None:
        rows, cols = data.image
        if rows * cols != n_in:
            has = (f"{Path(data.path).name} has {_count(n_in, 'input column')}" if from_file
                   else f"the input layer has {_count(n_in, 'unit')}")
            self.fail("data", "image", list(data.image),
                      f"{rows}×{cols} is {_count(rows * cols, 'pixel')}, but {has}; "
                      "rows × columns must equal the number of inputs")

    def csv_problem(self, t: dict, path: str, e: DataError) -> NoReturn:
        """The loader's error told as the preset's key ([data] path, or target
        when the target columns are at fault) and "line N: what"."""
        if e.problem is None:  # refused before it was read (a FIFO, a device...): says the path itself
            message = str(e).removeprefix(path).removeprefix(": ")
        else:
            message = f"line {e.line}: {e.problem}" if e.line is not None else e.problem
        if message == "no such file":
            message = f"no such file ({path})"
        if e.key == "target" and "target" in t:
            self.fail("data", "target", t["target"], message)
        self.fail("data", "path", t["path"], message)

    def split(self, data: DataConfig, n_rows: int) -> None:
        if round(data.validation * n_rows) >= n_rows:
            key = "samples" if data.dataset != "csv" else "validation"
            value = data.samples if data.dataset != "csv" else data.validation
            self.fail("data", key, value, f"validation = {data.validation} of {n_rows} rows "
                      "leaves no rows to train on")

    # ----- [model]

    def model(self, t: dict, train: TrainConfig, task: str | None) -> ModelConfig:
        if "layers" not in t:
            self.fail("model", None, _MISSING,
                      "missing key 'layers': the sizes of input, hidden... and output layers, e.g. layers = [2, 4, 1]")
        layers = self.get(t, "model", "layers")
        if not isinstance(layers, list) or len(layers) < 2:
            self.fail("model", "layers", layers,
                      "must be a list of at least 2 sizes: input, hidden..., output, e.g. [2, 4, 1]")
        for i, size in enumerate(layers):
            top = MAX_INPUTS if i == 0 else MAX_LAYER
            if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= top:
                self.fail("model", "layers", layers,
                          (f"the input size must be a whole number from 1 to {top}" if i == 0 else
                           f"every size must be a whole number from 1 to {top}") + f", not {_show(size)}")
        need = memory_needed(layers, train.batch_size)
        if need > MEMORY_LIMIT:
            self.fail("model", "layers", layers,
                      f"this network needs about {need / 2**30:.1f} GB (its parameters, gradients, optimizer "
                      f"state and one batch's trace); nntui trains networks of up to "
                      f"{MEMORY_LIMIT / 2**30:.0f} GB: use fewer or smaller layers")
        values = self.declared("model", t)
        if values["output"] is None:
            values["output"] = self.default_output(train, task)
        return SECTIONS["model"](tuple(layers), **values)

    def default_output(self, train: TrainConfig, task: str | None) -> str:
        if train.loss:
            if train.loss in _LOSS_OUTPUT:
                return _LOSS_OUTPUT[train.loss]
        if not OPTIMIZERS[train.optimizer].needs_gradient:
            return "step"
        if task is None:
            self.fail("model", None, _MISSING, "missing key 'output' (needed when the data is not read)")
        return TASK_OUTPUT_LOSS[task][0]

    def weights(self, t: dict, model: ModelConfig) -> ModelConfig:
        names = [f"{p}{l}" for l in range(1, len(model.layers)) for p in "Wb"]
        sizes = list(model.layers)
        if model.init != "explicit":
            self.fail("model", "weights", _MISSING,
                      f'only with init = "explicit" (init is "{model.init}"); remove [model.weights] or set init = "explicit"')
        weights = t.get("weights")
        if weights is None:
            self.fail("model", "init", "explicit",
                      f"needs a [model.weights] table with {', '.join(names)} (layers = {sizes})")
        if not isinstance(weights, dict):
            self.fail("model", "weights", weights, f"must be a table [model.weights] with {', '.join(names)}")
        for key in weights:
            if key not in names:
                self.fail("model.weights", None, _MISSING,
                          f"unknown key '{key}'{did_you_mean(key, names)}; layers = {sizes} has {', '.join(names)}")
        out: dict[str, list] = {}
        for key in names:
            if key not in weights:
                self.fail("model.weights", None, _MISSING,
                          f"missing {key}; init = \"explicit\" with layers = {sizes} needs {', '.join(names)}")
            l = int(key[1:])
            fan_in, fan_out = sizes[l - 1], sizes[l]
            v = weights[key]
            if key[0] == "W":
                shape = (f"({fan_in}, {fan_out}): {_count(fan_in, 'row')} (one per input) "
                         f"of {_count(fan_out, 'number')} (one per unit)")
                if not isinstance(v, list) or len(v) != fan_in or not all(
                        isinstance(row, list) and len(row) == fan_out for row in v):
                    self.fail("model.weights", key, v, f"must have shape {shape}; got {_shape(v)}")
                out[key] = [[self.weight(key, v, x) for x in row] for row in v]
            else:
                if not isinstance(v, list) or len(v) != fan_out or any(isinstance(x, list) for x in v):
                    self.fail("model.weights", key, v,
                              f"must have shape ({fan_out},): a list of {_count(fan_out, 'number')}; got {_shape(v)}")
                out[key] = [self.weight(key, v, x) for x in v]
        return replace(model, weights=out)

    def weight(self, key: str, whole: Any, x: Any) -> float:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            self.fail("model.weights", key, whole, f"every entry must be a finite number, not {_show(x)}")
        return float(x)

    # ----- [train]

    def train(self, t: dict) -> TrainConfig:
        optimizer = self.value("train", setting("train.optimizer")[0], t)
        takes = OPTIMIZERS[optimizer].defaults()
        takes_text = ", ".join(takes) if takes else "no options"
        all_options = option_names()
        keys = section_keys("train")
        for key in t:
            if key in keys or key in takes:
                continue
            if key in all_options:
                self.fail("train", key, t[key], f"optimizer \"{optimizer}\" does not take this option; "
                          f"it takes: {takes_text}")
            self.fail(None, None, _MISSING,
                      f"[train] unknown key '{key}'{did_you_mean(key, keys + all_options)}; allowed: "
                      f"{', '.join(keys)} and the options of optimizer \"{optimizer}\": {takes_text}")
        values = self.declared("train", t, skip=("optimizer",))
        given = {key: t[key] for key in t if key in takes}
        # The options are the optimizer's: building it checks each (and the pairs
        # that must agree, e.g. nesterov and momentum), and normalises them.
        try:
            built = make_optimizer(optimizer, values["learning_rate"], given)
        except OptionError as e:
            if e.key in t:
                self.fail("train", e.key, t[e.key], e.problem)
            self.fail("train", "optimizer", optimizer, e.problem)
        options = {key: built.options[key] for key in given}
        stopping = train_rules.early_stopping(self, t.get("early_stopping"))
        return SECTIONS["train"](**{**values, "loss": values["loss"] or ""}, optimizer=optimizer, options=options,
                                 early_stopping=stopping, schedule=train_rules.schedule(self, t.get("schedule"), stopping))

    def loss(self, train: TrainConfig, model: ModelConfig, task: str | None) -> TrainConfig:
        """Fill in the loss from the output (and the task) if it was omitted."""
        if train.loss:
            return train
        if model.output in _OUTPUT_LOSS:
            loss = _OUTPUT_LOSS[model.output]
        elif model.output == "sigmoid" and task == "binary":
            loss = "bce"
        else:
            loss = "mse"
        return replace(train, loss=loss)

    # ----- how the parts fit together

    def combination(self, data: DataConfig, model: ModelConfig, train: TrainConfig, task: str | None) -> None:
        """The pieces must fit: the rules are the registries' (an optimizer's
        needs_gradient, a loss's output and tasks, an activation's gradient)."""
        opt, loss, out, hidden = train.optimizer, train.loss, model.output, len(model.layers) > 2
        entry = LOSSES[loss]
        if not OPTIMIZERS[opt].needs_gradient:  # a rule such as Rosenblatt's: one step layer, binary labels
            if OUTPUTS[out].has_gradient:
                self.fail("model", "output", out, f'the {opt} rule needs output = "step" '
                          f'(with loss = "{opt}" and no hidden layers)')
            if not entry.for_rule:
                self.fail("train", "loss", loss, f'optimizer = "{opt}" needs loss = "{opt}"')
            if hidden:
                self.fail("model", "layers", list(model.layers),
                          f"the {opt} rule trains one layer: no hidden layers, e.g. "
                          f"layers = [{model.layers[0]}, {model.layers[-1]}]; use a gradient optimizer "
                          "(sgd, adam, ...) for a multilayer net")
            if task is not None and task not in entry.tasks:
                self.fail("data", "dataset", data.dataset,
                          f"the {opt} rule needs binary data (two classes); this data is {task}")
            return
        no_gradient = (f'step has no useful gradient, so optimizer = "{opt}" cannot train it; '
                       'use optimizer = "perceptron" (one layer, step output) or another activation')
        output_given = ("model", "output") in self.given
        if not OUTPUTS[out].has_gradient and output_given:
            self.fail("model", "output", out, no_gradient)
        if entry.for_rule:
            self.fail("train", "loss", loss, f'the {loss} loss goes with optimizer = "{loss}" '
                      'and output = "step"; with a gradient optimizer use mse, bce or cross_entropy')
        if not OUTPUTS[out].has_gradient:
            self.fail("model", "output", out, no_gradient)
        if hidden and not ACTIVATIONS[model.activation].has_gradient:
            self.fail("model", "activation", model.activation, no_gradient)
        # Blame the key the user wrote: an omitted output was derived from the loss.
        softmax, ce = TASK_OUTPUT_LOSS["multiclass"]
        if task == "multiclass" and out != softmax:
            if output_given:
                self.fail("model", "output", out, f'multiclass data needs output = "{softmax}" with loss = "{ce}"')
            self.fail("train", "loss", loss, f'multiclass data needs loss = "{ce}" with output = "{softmax}"')
        if task in ("binary", "regression") and out == softmax:
            fix = ('one output: use output = "sigmoid" with loss = "bce"' if task == "binary"
                   else 'output = "linear" (or tanh, sigmoid) with loss = "mse"')
            if output_given:
                self.fail("model", "output", out, f"{task} data needs {fix}; softmax is for three or more classes")
            self.fail("train", "loss", loss, f"{task} data needs {fix}; {loss} is for three or more classes")
        if entry.output is not None and out != entry.output:
            self.fail("model", "output", out, f'loss = "{loss}" needs output = "{entry.output}"')
        if out in _OUTPUT_LOSS and loss != _OUTPUT_LOSS[out]:
            self.fail("train", "loss", loss, f'output = "{out}" needs loss = "{_OUTPUT_LOSS[out]}"')
        if task is not None and task not in entry.tasks:
            kinds = " and ".join(n for n, l in LOSSES.items() if task in l.tasks and not l.for_rule)
            self.fail("train", "loss", loss, f'{task} data needs loss = "{kinds}" '
                      '(bce and cross_entropy are for classes)')

    def features_size(self, data: DataConfig, model: ModelConfig) -> None:
        """With features, the input layer has one unit per feature."""
        layers, features = list(model.layers), data.features
        if features != PLANE and layers[0] != len(features):
            rest = ", ".join(str(n) for n in layers[1:])
            self.fail("model", "layers", layers,
                      f"layers[0] is {layers[0]} but [data] features has {len(features)} "
                      f"feature{'s' * (len(features) != 1)} ({', '.join(features)}): "
                      f"set layers = [{len(features)}, {rest}]")

    def sizes(self, data: DataConfig, model: ModelConfig, train: TrainConfig, task: str | None,
              n_in: int, n_out: int) -> None:
        layers = list(model.layers)
        what = data.dataset if data.dataset != "csv" else Path(data.path).name
        if n_in == 2 and data.features != PLANE:
            n_in = len(data.features)  # checked by features_size
        if layers[0] != n_in:
            self.fail("model", "layers", layers,
                      f"the input size {layers[0]} does not fit the data: {what} has {n_in} "
                      f"input feature{'s' * (n_in != 1)}, so layers must start with {n_in}")
        if layers[-1] != n_out:
            kind = {"binary": "binary classes need 1 output",
                    "multiclass": f"{n_out} classes need {n_out} outputs (one per class, softmax)",
                    "regression": f"{n_out} target{'s' * (n_out != 1)} need{'s' * (n_out == 1)} "
                                  f"{n_out} output{'s' * (n_out != 1)}"}[task or "regression"]
            self.fail("model", "layers", layers,
                      f"the output size {layers[-1]} does not fit the data: {what}'s {kind}, "
                      f"so layers must end with {n_out}")


# --- small helpers ------------------------------------------------------------------


def _show(v: Any, limit: int = 60, depth: int = 0) -> str:
    """A value as it would be written in TOML, shortened if long (and if deep)."""
    if depth > 3 and isinstance(v, (list, tuple, dict)):
        s = "[...]" if isinstance(v, (list, tuple)) else "{...}"
    elif isinstance(v, bool):
        s = "true" if v else "false"
    elif isinstance(v, str):
        s = '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    elif isinstance(v, float):
        s = "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    elif isinstance(v, (list, tuple)):
        s = "[" + ", ".join(_show(x, limit, depth + 1) for x in v[:limit]) + "]"
    elif isinstance(v, dict):
        s = "{" + ", ".join(f"{k} = {_show(x, limit, depth + 1)}" for k, x in list(v.items())[:limit]) + "}"
    else:
        s = str(v)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _shape(v: Any) -> str:
    if not isinstance(v, list):
        return _show(v)
    if v and all(isinstance(row, list) for row in v):
        lengths = sorted({len(row) for row in v})
        return f"{_count(len(v), 'row')} of {'/'.join(str(n) for n in lengths)} numbers"
    return f"a list of {_count(len(v), 'number')}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _range_int(lo: int, hi: int | None) -> str:
    return f" >= {lo}" if hi is None else f" from {lo} to {hi}"


def _range_float(lo, lo_open, hi, hi_open) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {_num(lo)}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {_num(hi)}")
    return " and ".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _dym_section(key: str) -> str:
    close = did_you_mean(key, _SECTIONS)
    return close.replace("'", "[", 1).replace("'", "]", 1) if close else ""
