"""Variants of one run, raced in lockstep, and how runs are told apart.

    parse_vary("optimizer=sgd,adam") -> ("optimizer", ["sgd", "adam"])
    make_variants(config, key, values) -> [Variant]   # each through config.override
    Race(variants).run(callback)                        # one epoch of each in turn
    differences(a, b) -> ["optimizer", "learning_rate", ...]
    run_label(config, keys) -> "sgd lr 0.1"

A variant is the config `nntui train NAME --KEY value` trains (or `--option
KEY=value` for an optimizer option), built by the same `override`, so its
checks and messages are shared and each variant's run is bit-identical to that
solo run. The race gives variants with the same [data] section one Dataset, so
the data (and, with the same model seed, the initial weights and the batch
order) is the same for each. `seed` sets the data seed too, as `--seed` does.

This sits beside `runs.py`: above the config and the engine, below the CLI
and the app (the loss chart's ghost curves are labelled with `run_label`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from nntui.experiment.config import MAX_VARIANTS, VARY_KEYS, override, override_pairs
from nntui.experiment.presets import TooDeep, toml_value
from nntui.engine.features import label as feature_label
from nntui.engine.optimizers import option_names
from nntui.engine.spec import Config
from nntui.engine.names import did_you_mean

ALIASES = {"lr": "learning_rate"}  # as `nntui train --lr`


class VaryError(ValueError):
    """A --vary that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class Variant:
    vary: dict[str, Any]  # what this variant sets: {"optimizer": "sgd", "momentum": 0.9}
    config: Config
    label: str


def vary_keys() -> tuple[str, ...]:
    return VARY_KEYS + tuple(option_names())


def parse_vary(text: str) -> tuple[str, list[Any]]:
    """`KEY=V1,V2,...` -> (KEY, [values]). A value is read as TOML (numbers,
    true/false, lists such as [0.9,0.99]) or else taken as a name (sgd, relu)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise VaryError(f"--vary {text}: write KEY=V1,V2,..., e.g. --vary optimizer=sgd,adam")
    key = ALIASES.get(key, key)
    keys = vary_keys()
    if key == "epochs":
        raise VaryError(f"--vary {text}: the variants race for the same epochs; give --epochs N instead")
    if key not in keys:
        raise VaryError(f"--vary {text}: cannot vary '{key}'{did_you_mean(key, keys)}; KEY is one of "
                        f"{', '.join(VARY_KEYS)}, or an optimizer option ({', '.join(option_names())})")
    pieces = _split(raw)
    if any(not p.strip() for p in pieces):
        raise VaryError(f"--vary {text}: an empty value; give values separated by commas, e.g. {key}=a,b")
    try:
        values = [_value(p.strip()) for p in pieces]
    except TooDeep as e:
        raise VaryError(f"--vary {key}=...: {e}; give numbers, names or lists such as [0.9,0.99]") from None
    for i, v in enumerate(values):
        if v in values[:i]:
            raise VaryError(f"--vary {text}: {pieces[i].strip()} is given twice")
    if len(values) > MAX_VARIANTS:
        raise VaryError(f"--vary {text}: {len(values)} values; at most {MAX_VARIANTS} race at once")
    return key, values


def _split(raw: str) -> list[str]:
    """Split at the commas outside brackets: betas=[0.9,0.99],[0.8,0.9] is two values."""
    pieces, depth, current = [], 0, ""
    for ch in raw:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            pieces.append(current)
            current = ""
        else:
            current += ch
    pieces.append(current)
    return pieces


def _value(text: str) -> Any:
    try:
        return toml_value(text)
    except TooDeep:
        raise
    except ValueError:
        return text


def make_variants(config: Config, key: str, values: Sequence[Any], epochs: int | None = None) -> list[Variant]:
    """One checked config per value (ConfigError naming `--vary KEY=value`)."""
    base = override(config, epochs=epochs) if epochs is not None else config
    flag = {key: f"--vary {key}={{}}"}
    variants = []
    for value in values:
        cfg = override_pairs(base, [(key, value)], flags=flag)
        variants.append(Variant({key: value}, cfg, run_label(cfg, [key])))
    return variants


def declared_variants(config: Config, epochs: int | None = None) -> list[Variant]:
    """The variants a preset declares in its [compare] section ([] if none)."""
    base = override(config, epochs=epochs) if epochs is not None else config
    out = []
    for i, pairs in enumerate(config.variants, start=1):
        cfg = override_pairs(base, pairs, flags={k: f"[compare] variant {i}: {k} = {{}}" for k, _ in pairs})
        out.append(Variant({k: list(v) if isinstance(v, tuple) else v for k, v in pairs}, cfg,
                           run_label(cfg, [k for k, _ in pairs])))
    return out


# --- telling runs apart ----------------------------------------------------------------------

_SHORT = {"learning_rate": "lr", "batch_size": "batch", "init": "init", "seed": "seed",
          "data": "data", "loss": "loss", "output": "out"}


def _facts(c: Config) -> dict[str, Any]:
    """What makes a run: the keys a change in the app or a --vary can touch."""
    facts = {"optimizer": c.train.optimizer, "learning_rate": c.train.learning_rate,
             "batch_size": c.train.batch_size, "init": c.model.init, "activation": c.model.activation,
             "layers": tuple(c.model.layers), "seed": c.model.seed, "loss": c.train.loss, "output": c.model.output,
             "data": (c.data.dataset, c.data.samples, c.data.noise, c.data.validation, c.data.seed,
                      c.data.classes, c.data.path),
             "features": tuple(c.data.features)}
    for k, v in sorted(c.train.options.items()):
        facts[k] = tuple(v) if isinstance(v, list) else v
    return facts


def differences(a: Config, b: Config) -> list[str]:
    """The keys in which two runs differ (an option set in one only counts)."""
    fa, fb = _facts(a), _facts(b)
    return [k for k in dict.fromkeys([*fa, *fb]) if fa.get(k) != fb.get(k)]


def run_label(config: Config, keys: Sequence[str], *, with_optimizer: bool = False) -> str:
    """A short label of `config` by the keys given: "sgd", "lr 0.1", "relu",
    "2-8-1", "momentum 0.9"; with_optimizer puts the optimizer first ("sgd lr 0.1")."""
    f = _facts(config)
    keys = list(dict.fromkeys((["optimizer"] if with_optimizer else []) + list(keys)))
    parts = []
    for k in keys:
        if k == "optimizer":
            parts.append(f["optimizer"])
        elif k == "activation":
            parts.append(f["activation"])
        elif k == "layers":
            parts.append("-".join(str(s) for s in f["layers"]))
        elif k == "data":
            parts.append(config.data.dataset if config.data.dataset != "csv" else "data")
        elif k == "features":
            parts.append(" ".join(feature_label(n) for n in config.data.features))
        elif k in f:
            parts.append(f"{_SHORT.get(k, k)} {_show(f[k])}")
        else:  # an option the other run had: this one has its default
            parts.append(f"no {k}")
    return " ".join(parts)


def edits_label(edits: Sequence) -> str:
    """Weights set by hand, (name, index, value) each, for a run's label:
    "set W1[0,1]=0.5", the last two and how many more; "" for none."""
    if not edits:
        return ""
    shown = " ".join(f"{n}[{','.join(str(i) for i in index)}]={v:g}" for n, index, v in edits[-2:])
    more = f" (+{len(edits) - 2} more)" if len(edits) > 2 else ""
    return f"set {shown}{more}"


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (tuple, list)):
        return "[" + ",".join(_show(x) for x in v) + "]"
    return str(v)


# --- the race ---------------------------------------------------------------------------------


@dataclass
class Runner:
    """One variant's trainer in the race, and how it ended."""

    variant: Variant
    trainer: Any
    seconds: float = 0.0  # training time alone
    diverged: str | None = None
    done: bool = False

    @property
    def progress(self) -> float:
        """Epochs done, with the epoch in progress as a fraction."""
        t = self.trainer
        return t.epoch + t.batch / t.batches_per_epoch


@dataclass
class Race:
    """The variants' trainers, stepped one epoch each in turn (lockstep).

    Each runs to its config's epochs, or to its target loss, exactly as
    `Trainer.run` would alone; one that diverges stops there (its error
    kept) while the others go on."""

    variants: Sequence[Variant]
    runners: list[Runner] = field(init=False)

    def __post_init__(self):
        from nntui.engine.trainer import Trainer

        datasets: dict[Any, Any] = {}  # one Dataset per [data] section
        self.runners = []
        for v in self.variants:
            trainer = Trainer(v.config, dataset=datasets.get(v.config.data))
            datasets.setdefault(v.config.data, trainer.dataset)
            self.runners.append(Runner(v, trainer))

    @property
    def epochs(self) -> int:
        return max(r.variant.config.train.epochs for r in self.runners)

    def step_epoch(self) -> bool:
        """One more epoch of each variant still running; False when all are done."""
        from nntui.engine.trainer import Diverged

        for r in self.runners:
            if r.done:
                continue
            tr, c = r.trainer, r.variant.config
            start = time.perf_counter()
            try:
                tr.run(until_epochs=tr.epoch + 1)
            except Diverged as e:
                r.diverged = str(e)
                r.done = True
            r.seconds += time.perf_counter() - start
            target = c.train.target_loss
            h = tr.history["train_loss"]
            if tr.epoch >= c.train.epochs or (target is not None and h and h[-1] <= target):
                r.done = True
        return not all(r.done for r in self.runners)

    def step(self) -> bool:
        """One step of the variant furthest behind in epochs (so variants with
        other batch sizes stay level by epoch); False when all are done. For a
        caller that plays the race a few steps at a time (an interactive view)."""
        from nntui.engine.trainer import Diverged

        live = [r for r in self.runners if not r.done]
        if not live:
            return False
        r = min(live, key=lambda x: x.progress)
        tr, c = r.trainer, r.variant.config
        epoch = tr.epoch
        try:
            tr.train_step()
            if tr.epoch != epoch:
                tr.check_parameters()
                tr.check_explosion()  # as `nntui compare` (Trainer.run) would stop it
        except Diverged as e:
            r.diverged, r.done = str(e), True
            return True
        if tr.epoch != epoch:
            target, h = c.train.target_loss, tr.history["train_loss"]
            if tr.epoch >= c.train.epochs or (target is not None and h[-1] <= target):
                r.done = True
        return True

    def step_each(self) -> None:
        """One step of every variant still running."""
        for _ in [r for r in self.runners if not r.done]:
            self.step()

    def run(self, callback: Callable[["Race"], None] | None = None) -> "Race":
        while self.step_epoch():
            if callback is not None:
                callback(self)
        return self

