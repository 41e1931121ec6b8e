"""Optimizers over named parameters, with torch.optim's exact update rules.

One optimizer updates every parameter of the network (``W1, b1, W2, ...``),
as torch.optim does. Each rule is the single-tensor path of torch.optim
(``_single_tensor_sgd``, ``_single_tensor_adam``, ...), written with the same
operations in the same order, and uses torch's own option names and defaults.
The tests check every rule against torch.optim in float64 to 1e-10.

Two choices differ from a bare torch param group, on purpose:

- ``weight_decay`` (L2) and ``l1`` apply to weights only (names starting with
  ``W``), never to biases. ``l1`` adds ``l1 * sign(W)`` to the gradient, before
  ``weight_decay`` adds ``weight_decay * W``; both happen before anything else
  (momentum, moments), as torch does with ``weight_decay``. AdamW's decoupled
  decay shrinks the weights, ``W *= 1 - lr * weight_decay``, before the step.
- The update is split in two: ``compute`` returns the new parameters and the
  new state without touching anything, ``commit`` adopts that state. The
  trainer can therefore show the update about to be applied, and apply exactly
  that. ``step`` does both.

Speed: a step of a small net is dominated by the per-call cost of NumPy, not
by arithmetic, so each rule runs once over one flat vector holding every
parameter (weights first, then biases, so decay is one slice), not once per
parameter. The new parameters come back as a dict of views into one new
vector, which the next step uses as it is; the state is one vector per kind
(``exp_avg``, ...), read per parameter through views made on demand. The
elementwise operations are those of torch's single-tensor path, so the
results are the same, bit for bit, as a loop over parameters would give.

Nothing is ever changed in place: every step makes fresh arrays and a fresh
state mapping. So a reference to ``optimizer.state`` (or ``copy_state()``)
stays valid after later steps, and a rewind is ``restore_state(saved)``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any, ClassVar, NamedTuple

import numpy as np

from nntui.engine.names import allowed, did_you_mean

from .rules import Rule, evaluate

# ----------------------------------------------------------------- options

# Kinds of option: what a value must be, as said to the user.
NONNEG = "a number >= 0"
REAL = "a number"
BOOL = "true or false"
BETAS = "two numbers in [0, 1), e.g. [0.9, 0.999]"


class OptionError(ValueError):
    """An option (or the learning rate, key "learning_rate") that an optimizer
    refuses. ``key`` names it and ``problem`` says what is allowed, so a caller
    can blame its own source (a preset key, a flag) without parsing the text."""

    def __init__(self, optimizer: str, key: str, problem: str, value: Any = None, shown: bool = True,
                 text: str | None = None):
        self.optimizer, self.key, self.problem = optimizer, key, problem
        got = f", got {value!r}" if shown else ""
        what = "learning rate" if key == "learning_rate" else f"option '{key}'"
        super().__init__(f"{optimizer}: {text or f'{what} {problem}{got}'}")


@dataclass(frozen=True)
class Option:
    """One option an optimizer takes: torch's default, its kind, and the
    symbol its rule writes it with (``momentum`` is ``mu``, shown as μ)."""

    default: object
    kind: str
    symbol: str = ""


# Taken by every gradient optimizer; they touch the weights, not the biases.
DECAY = {"weight_decay": Option(0.0, NONNEG, "lam"), "l1": Option(0.0, NONNEG, "l1")}


def _written(v: Any) -> str:
    """A value as a preset writes it: true, nan, [0.9, 0.999]."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(_written(x) for x in v) + "]"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else "inf" if v == math.inf else "-inf" if v == -math.inf else repr(v)
    return str(v)


def _check_value(opt: str, key: str, option: Option, value: Any) -> object:
    """The value normalised (float, bool, tuple), or OptionError saying what the
    option takes: the one check of an option, for a preset as for a live change."""
    kind = option.kind
    if kind == BOOL:
        if not isinstance(value, (bool, np.bool_)):
            raise OptionError(opt, key, f"must be {kind} (default {_written(option.default)})", value)
        return bool(value)
    if kind == BETAS:
        n = len(option.default)
        if (isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__len__") or len(value) != n
                or any(isinstance(b, bool) or not isinstance(b, Real) for b in value)):
            raise OptionError(opt, key, f"must be a list of {n} numbers, e.g. {_written(option.default)}", value)
        for b in value:
            if not math.isfinite(float(b)):
                raise OptionError(opt, key, f"every entry must be a finite number, not {_written(float(b))}",
                                  shown=False)
        for i, b in enumerate(value):
            if not 0.0 <= float(b) < 1.0:
                raise OptionError(opt, key, f"must be {kind}; beta at index {i} is {float(b)!r}", shown=False)
        return tuple(float(b) for b in value)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise OptionError(opt, key, "must be a finite number", value)
    x = float(value)
    if not math.isfinite(x):
        raise OptionError(opt, key, f"must be a finite number, not {_written(x)}", shown=False)
    if kind == NONNEG and not 0.0 <= x:
        raise OptionError(opt, key, f"must be {kind}", value)
    return x


def _check_lr(opt: str, lr: Any) -> float:
    # > 0, not torch's >= 0: a rate of 0 never moves a weight, so a run would
    # stand still and say nothing. The preset's learning_rate is declared the same.
    if isinstance(lr, bool) or not isinstance(lr, Real) or not math.isfinite(float(lr)) or float(lr) <= 0:
        raise OptionError(opt, "learning_rate", "must be a number > 0", lr)
    return float(lr)


# ------------------------------------------------------------------- helpers


def _is_weight(name: str) -> bool:
    return name.startswith("W")


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """torch.lerp's formula: start + w*(end-start) for |w| < 0.5, else end - (end-start)*(1-w)."""
    out = end - start
    if abs(weight) < 0.5:
        out *= weight
        out += start
        return out
    out *= 1.0 - weight
    return np.subtract(end, out, out=out)


def _addcmul(base: np.ndarray, scale: float, t: np.ndarray, value: float) -> np.ndarray:
    """base*scale + value*t*t (torch: base.mul_(scale).addcmul_(t, t, value=value))."""
    tmp = t * value
    tmp *= t
    out = base * scale
    out += tmp
    return out


class _Layout:
    """Where each parameter sits in the flat vectors: weights first, then biases,
    so that decay (weights only) is one slice, ``[:n_weights]``."""

    __slots__ = ("key", "names", "order", "where", "size", "n_weights")

    def __init__(self, params: dict[str, np.ndarray]):
        self.key = tuple((k, np.shape(p)) for k, p in params.items())
        self.names = tuple(params)
        self.order = tuple(k for k in params if _is_weight(k)) + tuple(
            k for k in params if not _is_weight(k)
        )
        self.where: dict[str, tuple[slice, tuple[int, ...]]] = {}
        start = 0
        self.n_weights = 0
        for k in self.order:
            shape = np.shape(params[k])
            stop = start + math.prod(shape)
            self.where[k] = (slice(start, stop), shape)
            if _is_weight(k):
                self.n_weights = stop
            start = stop
        self.size = start

    def concat(self, arrays) -> np.ndarray:
        # np.asarray(x).ravel(), not np.ravel(x): the same array without np.ravel's Python wrapper.
        return np.concatenate([np.asarray(arrays[k]).ravel() for k in self.order]).astype(np.float64, copy=False)

    def views(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        where = self.where
        return {k: flat[where[k][0]].reshape(where[k][1]) for k in self.names}


class _Params(dict):
    """New parameters: a plain dict of views into one flat vector, which the next
    compute() uses directly instead of concatenating the parameters again."""

    __slots__ = ("flat", "layout", "views")


class _State(Mapping):
    """Optimizer state, {param: {"exp_avg": ..., ...}}, kept as one flat vector
    per kind; a parameter's arrays are views made when first asked for."""

    __slots__ = ("flat", "layout", "_cache")

    def __init__(self, flat: dict[str, np.ndarray], layout: _Layout):
        self.flat = flat
        self.layout = layout
        self._cache: dict[str, dict[str, np.ndarray]] = {}

    def __getitem__(self, name: str) -> dict[str, np.ndarray]:
        st = self._cache.get(name)
        if st is None:
            sl, shape = self.layout.where[name]
            st = {key: arr[sl].reshape(shape) for key, arr in self.flat.items()}
            self._cache[name] = st
        return st

    def __iter__(self):
        return iter(self.layout.names)

    def __len__(self) -> int:
        return len(self.layout.names)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


def _flat_state(state, layout: _Layout, name: str) -> dict[str, np.ndarray]:
    """The state as flat vectors in ``layout`` (converting a per-parameter dict,
    as set_state leaves it); never changes ``state``."""
    if isinstance(state, _State) and (state.layout is layout or state.layout.key == layout.key):
        return state.flat
    if not state:
        return {}
    missing = [k for k in layout.order if k not in state]
    if missing:
        raise ValueError(f"{name}: optimizer state has no entry for {', '.join(missing)}")
    keys = {key for k in layout.order for key in state[k]}
    flat = {}
    for key in sorted(keys):
        parts = []
        for k in layout.order:
            arr = state[k].get(key)
            size = layout.where[k][0].stop - layout.where[k][0].start
            if arr is None or np.size(arr) != size:
                got = "nothing" if arr is None else f"shape {np.shape(arr)}"
                raise ValueError(
                    f"{name}: optimizer state '{k}/{key}' has {got}; "
                    f"the parameter has shape {layout.where[k][1]}"
                )
            parts.append(np.ravel(arr))
        flat[key] = np.concatenate(parts).astype(np.float64)
    return flat


class _Pending:
    """What compute() produced: the step's new parameters and new state, and
    what it started from (the rule's explanation needs both)."""

    __slots__ = ("t", "state", "params", "lr", "options", "old_state")

    def __init__(self, t, state, params, lr, options, old_state):
        self.t = t
        self.state = state
        self.params = params
        self.lr = lr
        self.options = options
        self.old_state = old_state


# ----------------------------------------------------------------- the base


class Optimizer:
    """One optimizer over named parameters.

    ``lr`` and ``options`` may be changed live (``opt.lr = x``,
    ``opt.set_option(name, value)``); the next ``compute`` uses them.
    ``state`` maps each parameter name to its arrays, with torch's names
    (``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``,
    ``square_avg``, ``grad_avg``, ``sum``); it is empty before the first step.
    It is a read-only mapping that is replaced, never changed, by each step,
    so holding ``(opt.t, opt.state)`` and assigning them back rewinds.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""  # as a menu shows it
    # The options it takes, with torch's defaults: the one place they are written.
    options_taken: ClassVar[dict[str, Option]] = {}
    state_keys: ClassVar[tuple[str, ...]] = ()
    # What it can train (checked by the config, named in its messages): a rule
    # that needs no gradient (the perceptron's) trains one step layer alone.
    needs_gradient: ClassVar[bool] = True
    # How weight_decay acts: False, it joins the gradient (L2, as torch's Adam,
    # SGD...); True, decoupled, it shrinks W itself before the step (AdamW).
    decoupled: ClassVar[bool] = False

    @classmethod
    def defaults(cls) -> dict[str, object]:
        return {key: o.default for key, o in cls.options_taken.items()}

    @classmethod
    def check_option(cls, key: str, value: object) -> object:
        """One option's value, normalised; OptionError if the kind refuses it."""
        cls._check_known(key)
        return _check_value(cls.name, key, cls.options_taken[key], value)

    def __init__(self, lr: float, **options: object) -> None:
        defaults = self.defaults()
        for key in options:
            self._check_known(key)
        merged = dict(defaults)
        merged.update(options)
        self._lr = _check_lr(self.name, lr)
        self.options: dict[str, object] = self._validate(merged)
        self.t = 0
        self.state: Mapping[str, dict[str, np.ndarray]] = {}
        self._layout: _Layout | None = None

    # --- options

    @classmethod
    def _check_known(cls, key: str) -> None:
        taken = cls.options_taken
        if key not in taken:
            hint = did_you_mean(key, taken)
            allow = allowed(taken) if taken else "none"
            raise OptionError(cls.name, key, f"is not an option of {cls.name}{hint}; allowed: {allow}",
                              text=f"unknown option '{key}'{hint}; allowed: {allow}")

    def _validate(self, options: dict[str, object]) -> dict[str, object]:
        out = {key: self.check_option(key, value) for key, value in options.items()}
        self._check_combination(out)
        return out

    def _check_combination(self, options: dict[str, object]) -> None:
        """Raise OptionError for options that are fine alone but not together."""

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_lr(self.name, value)

    def schedule_lr(self, value: float) -> None:
        """The rate a learning-rate schedule sets for the next epoch: >= 0, as
        torch's schedulers allow (cosine annealing reaches eta_min, 0 by default,
        at T_max), not the > 0 a preset or a live change must give."""
        x = float(value)
        if not (math.isfinite(x) and x >= 0):
            raise OptionError(self.name, "learning_rate", "must be a number >= 0", value)
        self._lr = x

    def set_option(self, name: str, value: object) -> None:
        """Change one option live (validated as in __init__)."""
        self.set_options({name: value})

    def set_options(self, changes: dict[str, object]) -> None:
        """Change several options at once, checked together (e.g. momentum and
        nesterov, which must agree); nothing changes if any is refused."""
        for key in changes:
            self._check_known(key)
        merged = dict(self.options)
        merged.update(changes)
        self.options = self._validate(merged)

    # --- the update

    def _layout_for(self, params) -> _Layout:
        layout = self._layout
        if isinstance(params, _Params) and params.layout is layout:
            return layout
        if layout is None or layout.key != tuple((k, np.shape(p)) for k, p in params.items()):
            layout = self._layout = _Layout(params)
        return layout

    def compute(
        self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], _Pending]:
        """Return (new_params, pending) without changing params or self.state.

        ``pending`` holds the new state; ``commit(pending)`` adopts it.
        """
        layout = self._layout_for(params)
        if (
            isinstance(params, _Params)
            and params.layout is layout
            and len(params) == len(params.views)
            and all(map(operator.is_, params.values(), params.views.values()))
        ):
            P = params.flat  # the vector our last compute() made: no concatenation
        else:
            P = layout.concat(params)
        G = layout.concat(grads)  # a fresh vector: the rules may work in it in place
        t = self.t + 1
        lr = self._lr
        options = dict(self.options)
        S = _flat_state(self.state, layout, self.name)
        new_P, new_S = self._update(P, G, S, layout.n_weights, self._constants(lr, options, t))
        views = layout.views(new_P)
        new_params = _Params(views)
        new_params.flat, new_params.layout, new_params.views = new_P, layout, views
        return new_params, _Pending(t, _State(new_S, layout), new_params, lr, options, self.state)

    def commit(self, pending: _Pending) -> None:
        """Adopt the state computed by compute() (and count the step)."""
        if pending.t != self.t + 1:
            raise ValueError(
                f"{self.name}: stale update (computed for step {pending.t}, "
                f"optimizer is at step {self.t})"
            )
        self.state = pending.state
        self.t = pending.t

    def step(
        self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        """compute + commit; returns the new parameters."""
        new_params, pending = self.compute(params, grads)
        self.commit(pending)
        return new_params

    # Subclasses: the step's scalar constants (a NamedTuple of the rule's own,
    # `Constants`, made once a step), and the rule over flat vectors:
    # P parameters (never to be changed), G the gradient (fresh, may be changed),
    # S the old state (never to be changed), weights in [:nw], biases after.
    def _constants(self, lr: float, options: dict[str, object], t: int) -> NamedTuple:
        raise NotImplementedError

    def _update(
        self, P: np.ndarray, G: np.ndarray, S: dict[str, np.ndarray], nw: int, c: NamedTuple
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        raise NotImplementedError

    # --- the explanation

    # The rule's names for the state it keeps (torch's names -> the formula's).
    state_symbols: ClassVar[dict[str, str]] = {}

    def explain(self, name: str, params: dict[str, np.ndarray], grads: dict[str, np.ndarray],
                pending: _Pending) -> Rule:
        """How the update of parameter ``name`` is computed: the rule's
        formulas, each with its number, ending with ``dW``, the update that
        ``pending`` applies (to rounding). ``params`` and ``grads`` are those
        given to the compute() that made ``pending``."""
        o = pending.options
        p = params[name]
        inputs = {"g": grads[name], "W": p}
        old = pending.old_state.get(name, {}) if pending.old_state else {}
        inputs.update({self.state_symbols[k]: v for k, v in old.items() if k in self.state_symbols})
        scalars: dict[str, float] = {"lr": pending.lr, "t": float(pending.t)}
        for key, opt in self.options_taken.items():
            if opt.kind == BETAS:
                scalars["beta1"], scalars["beta2"] = o[key]
            elif opt.kind != BOOL:
                scalars[opt.symbol or key] = o[key]
        weight = _is_weight(name)
        formulas = self._decay_rows(o) if weight else []
        formulas += self._rule(o, inputs, weight)
        return evaluate(name, inputs, scalars, formulas)

    def _decay_rows(self, o: dict) -> list[tuple]:
        """L1, then L2, added to a weight's gradient before anything else."""
        rows = []
        if o.get("l1"):
            rows.append(("g", "g + l1*sign(W)", "L1: pulls each weight toward 0 by a constant"))
        if o.get("weight_decay") and not self.decoupled:
            rows.append(("g", "g + lam*W", "weight decay (L2) joins the gradient"))
        return rows

    def _rule(self, o: dict, inputs: dict, weight: bool) -> list[tuple]:
        """``(target, formula[, note])`` rows over ``inputs`` (g, W and the
        state before the step, by ``state_symbols``), ending with ``dW``.
        A state the optimizer has not made yet is to be set here as torch
        would start it (zeros, or g itself)."""
        raise NotImplementedError

    # --- saving, restoring

    def get_state(self) -> dict[str, np.ndarray]:
        """Flat copy for a runfile: {"t": array(t), "W1/exp_avg": ..., ...}."""
        flat: dict[str, np.ndarray] = {"t": np.array(self.t, dtype=np.int64)}
        for pname, st in self.state.items():
            for key, arr in st.items():
                flat[f"{pname}/{key}"] = np.array(arr, copy=True)
        return flat

    def set_state(self, flat: dict[str, np.ndarray]) -> None:
        """Restore what get_state returned (arrays are copied; shapes are checked
        against the parameters at the next compute)."""
        if "t" not in flat:
            raise ValueError(f"{self.name}: optimizer state has no step count 't'")
        t = int(np.asarray(flat["t"]))
        if t < 0:
            raise ValueError(f"{self.name}: optimizer step count is negative ({t})")
        state: dict[str, dict[str, np.ndarray]] = {}
        for key, arr in flat.items():
            if key == "t":
                continue
            pname, sep, skey = key.partition("/")
            if not sep or skey not in self.state_keys:
                raise ValueError(
                    f"{self.name}: unexpected optimizer state entry '{key}' "
                    f"(expected 't' or '<param>/<{'|'.join(self.state_keys) or '-'}>')"
                )
            state.setdefault(pname, {})[skey] = np.array(arr, dtype=np.float64, copy=True)
        kinds = {frozenset(st) for st in state.values()}
        if len(kinds) > 1:
            raise ValueError(f"{self.name}: optimizer state entries differ between parameters")
        self.t = t
        self.state = state

    def copy_state(self) -> tuple[int, Mapping[str, dict[str, np.ndarray]]]:
        """A cheap copy for a step-back ring: the state is replaced, never changed."""
        return self.t, self.state

    def restore_state(self, saved: tuple[int, Mapping[str, dict[str, np.ndarray]]]) -> None:
        self.t, self.state = saved

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}(lr={self._lr!r}{', ' if opts else ''}{opts})"


def _decay(P: np.ndarray, G: np.ndarray, nw: int, l1: float, wd: float) -> None:
    """G[:nw] += l1*sign(W), then += wd*W: the weights' L1 and L2 terms, in place."""
    if l1:
        s = np.sign(P[:nw])
        s *= l1
        G[:nw] += s
    if wd:
        G[:nw] += P[:nw] * wd


# ------------------------------------------------------------------ the rules


class SGD(Optimizer):
    """torch.optim.SGD: momentum, dampening, nesterov, weight_decay (+ l1)."""

    name = "sgd"
    title = "SGD"
    options_taken = {
        "momentum": Option(0.0, NONNEG, "mu"),
        "dampening": Option(0.0, REAL, "damp"),
        "nesterov": Option(False, BOOL),
        **DECAY,
    }
    state_keys = ("momentum_buffer",)
    state_symbols = {"momentum_buffer": "buf"}

    def _check_combination(self, o):
        if o["nesterov"] and (o["momentum"] <= 0 or o["dampening"] != 0):
            raise OptionError(self.name, "nesterov", "nesterov momentum requires momentum > 0 and dampening = 0",
                              text="nesterov momentum requires momentum > 0 and dampening = 0")

    class Constants(NamedTuple):
        neg_lr: float
        momentum: float
        one_minus_dampening: float
        nesterov: bool
        weight_decay: float
        l1: float

    def _constants(self, lr, o, t):
        return self.Constants(neg_lr=-lr, momentum=o["momentum"], one_minus_dampening=1.0 - o["dampening"],
                              nesterov=o["nesterov"], weight_decay=o["weight_decay"], l1=o["l1"])

    def _update(self, P, G, S, nw, c):
        _decay(P, G, nw, c.l1, c.weight_decay)
        new_S = S  # with momentum 0 a buffer is kept as it is, as torch keeps it
        d = G
        momentum = c.momentum
        if momentum != 0:
            buf = S.get("momentum_buffer")
            if buf is None:
                buf = G  # torch: the buffer starts as g itself
            else:
                buf = buf * momentum
                buf += G * c.one_minus_dampening
            new_S = {"momentum_buffer": buf}
            if c.nesterov:
                d = buf * momentum
                d += G
            else:
                d = buf
        new_P = d * c.neg_lr
        new_P += P
        return new_P, new_S

    def _rule(self, o, inputs, weight):
        if o["momentum"] == 0:
            return [("dW", "-lr*g")]
        if "buf" not in inputs:
            rows = [("buf", "g", "the first step: the buffer starts as g")]
        elif o["dampening"]:
            rows = [("buf", "mu*buf + (1 - damp)*g", "momentum: a running sum of gradients")]
        else:
            rows = [("buf", "mu*buf + g", "momentum: a running sum of gradients")]
        if o["nesterov"]:
            return rows + [("g", "g + mu*buf", "Nesterov: look ahead along the buffer"), ("dW", "-lr*g")]
        return rows + [("dW", "-lr*buf")]


class Adam(Optimizer):
    """torch.optim.Adam: betas, eps, amsgrad, weight_decay as L2 (+ l1)."""

    name = "adam"
    title = "Adam"
    options_taken = {
        "betas": Option((0.9, 0.999), BETAS),
        "eps": Option(1e-8, NONNEG, "eps"),
        "amsgrad": Option(False, BOOL),
        **DECAY,
    }
    state_keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    state_symbols = {"exp_avg": "m", "exp_avg_sq": "v", "max_exp_avg_sq": "v_max"}

    class Constants(NamedTuple):
        one_minus_beta1: float  # the weight of g in m's lerp
        beta2: float
        one_minus_beta2: float
        bias_correction2_sqrt: float
        neg_step_size: float  # -lr / (1 - beta1**t)
        eps: float
        amsgrad: bool
        weight_decay: float
        l1: float
        shrink: float  # decoupled decay: W *= 1 - lr*weight_decay

    def _constants(self, lr, o, t):
        beta1, beta2 = o["betas"]
        step = float(t)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        return self.Constants(
            one_minus_beta1=1 - beta1,
            beta2=beta2,
            one_minus_beta2=1 - beta2,
            bias_correction2_sqrt=bias_correction2**0.5,
            neg_step_size=-step_size,
            eps=o["eps"],
            amsgrad=o["amsgrad"],
            weight_decay=o["weight_decay"],
            l1=o["l1"],
            shrink=1 - lr * o["weight_decay"],
        )

    def _update(self, P, G, S, nw, c):
        base = P
        if self.decoupled:
            _decay(P, G, nw, c.l1, 0.0)
            if c.weight_decay != 0:  # AdamW: shrink the weights first
                base = P.copy()
                base[:nw] *= c.shrink
        else:
            _decay(P, G, nw, c.l1, c.weight_decay)
        amsgrad = c.amsgrad
        if not S:
            zeros = np.zeros_like(P)
            S = {"exp_avg": zeros, "exp_avg_sq": zeros}
            if amsgrad:
                S["max_exp_avg_sq"] = zeros
        m = _lerp(S["exp_avg"], G, c.one_minus_beta1)
        v = _addcmul(S["exp_avg_sq"], c.beta2, G, c.one_minus_beta2)
        new_S = {"exp_avg": m, "exp_avg_sq": v}
        vmax = S.get("max_exp_avg_sq")
        if amsgrad:
            vmax = v if vmax is None else np.maximum(vmax, v)
            denom = np.sqrt(vmax)
        else:
            denom = np.sqrt(v)
        if vmax is not None:
            new_S["max_exp_avg_sq"] = vmax
        denom /= c.bias_correction2_sqrt
        denom += c.eps
        new_P = np.divide(m, denom, out=denom)
        new_P *= c.neg_step_size
        new_P += base
        return new_P, new_S

    def _rule(self, o, inputs, weight):
        zeros = np.zeros_like(inputs["W"])
        for key in ("m", "v", "v_max"):
            inputs.setdefault(key, zeros)  # torch starts each moment at 0
        rows = [("m", "beta1*m + (1 - beta1)*g", "the mean of the gradients, running"),
                ("v", "beta2*v + (1 - beta2)*g**2", "the mean of their squares, running")]
        if o["amsgrad"]:
            rows += [("v_max", "maximum(v_max, v)", "AMSGrad: the largest v so far"),
                     ("v_hat", "v_max/(1 - beta2**t)")]
        else:
            rows.append(("v_hat", "v/(1 - beta2**t)", "bias correction: early means are too small"))
        rows.append(("m_hat", "m/(1 - beta1**t)"))
        if self.decoupled and weight and o["weight_decay"]:
            return rows + [("dW", "-lr*lam*W - lr*m_hat/(sqrt(v_hat) + eps)",
                            "AdamW: the decay shrinks W directly, not through g")]
        return rows + [("dW", "-lr*m_hat/(sqrt(v_hat) + eps)")]


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay (default 0.01)."""

    name = "adamw"
    title = "AdamW"
    options_taken = {**Adam.options_taken, "weight_decay": Option(0.01, NONNEG, "lam")}
    decoupled = True


class RMSprop(Optimizer):
    """torch.optim.RMSprop: alpha, eps, momentum, centered, weight_decay (+ l1)."""

    name = "rmsprop"
    title = "RMSprop"
    options_taken = {
        "alpha": Option(0.99, NONNEG, "alpha"),
        "eps": Option(1e-8, NONNEG, "eps"),
        "momentum": Option(0.0, NONNEG, "mu"),
        "centered": Option(False, BOOL),
        **DECAY,
    }
    state_keys = ("square_avg", "momentum_buffer", "grad_avg")
    state_symbols = {"square_avg": "v", "momentum_buffer": "buf", "grad_avg": "gbar"}

    class Constants(NamedTuple):
        neg_lr: float
        alpha: float
        one_minus_alpha: float
        eps: float
        momentum: float
        centered: bool
        weight_decay: float
        l1: float

    def _constants(self, lr, o, t):
        alpha = o["alpha"]
        return self.Constants(neg_lr=-lr, alpha=alpha, one_minus_alpha=1 - alpha, eps=o["eps"],
                              momentum=o["momentum"], centered=o["centered"], weight_decay=o["weight_decay"],
                              l1=o["l1"])

    def _update(self, P, G, S, nw, c):
        _decay(P, G, nw, c.l1, c.weight_decay)
        alpha, one_minus_alpha, momentum, neg_lr = c.alpha, c.one_minus_alpha, c.momentum, c.neg_lr
        # torch makes the slots it needs when a parameter is first seen; one that
        # an option switched on later starts the same way, at zero.
        sq0 = S.get("square_avg")
        sq = _addcmul(np.zeros_like(P) if sq0 is None else sq0, alpha, G, one_minus_alpha)
        new_S = dict(S)
        new_S["square_avg"] = sq
        if c.centered:
            ga = S.get("grad_avg")
            ga = _lerp(np.zeros_like(P) if ga is None else ga, G, one_minus_alpha)
            new_S["grad_avg"] = ga
            avg = ga * ga
            np.subtract(sq, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(sq)
        avg += c.eps
        if momentum > 0:
            buf = S.get("momentum_buffer")
            step = np.divide(G, avg, out=avg)
            if buf is None:
                buf = step  # 0 * momentum + g/avg
            else:
                buf = buf * momentum
                buf += step
            new_S["momentum_buffer"] = buf
            new_P = buf * neg_lr
        else:
            new_P = np.divide(G, avg, out=avg)
            new_P *= neg_lr
        new_P += P
        return new_P, new_S

    def _rule(self, o, inputs, weight):
        zeros = np.zeros_like(inputs["W"])
        inputs.setdefault("v", zeros)
        rows = [("v", "alpha*v + (1 - alpha)*g**2", "the mean of the squared gradients, running")]
        if o["centered"]:
            inputs.setdefault("gbar", zeros)
            rows += [("gbar", "alpha*gbar + (1 - alpha)*g", "centered: the mean gradient too"),
                     ("avg", "sqrt(v - gbar**2) + eps")]
        else:
            rows.append(("avg", "sqrt(v) + eps"))
        if o["momentum"] > 0:
            if "buf" in inputs:
                rows.append(("buf", "mu*buf + g/avg"))
            else:
                rows.append(("buf", "g/avg", "the first step: the buffer starts as g/avg"))
            return rows + [("dW", "-lr*buf")]
        return rows + [("dW", "-lr*g/avg", "each weight's step is scaled by its own gradients' size")]


class Adagrad(Optimizer):
    """torch.optim.Adagrad: lr_decay, initial_accumulator_value, eps, weight_decay (+ l1)."""

    name = "adagrad"
    title = "Adagrad"
    options_taken = {
        "lr_decay": Option(0.0, NONNEG, "lr_decay"),
        "initial_accumulator_value": Option(0.0, NONNEG, "acc0"),
        "eps": Option(1e-10, NONNEG, "eps"),
        **DECAY,
    }
    state_keys = ("sum",)
    state_symbols = {"sum": "acc"}

    class Constants(NamedTuple):
        neg_clr: float  # -lr / (1 + (t - 1)*lr_decay)
        eps: float
        initial_accumulator_value: float
        weight_decay: float
        l1: float

    def _constants(self, lr, o, t):
        clr = lr / (1 + (float(t) - 1) * o["lr_decay"])
        return self.Constants(neg_clr=-clr, eps=o["eps"], initial_accumulator_value=o["initial_accumulator_value"],
                              weight_decay=o["weight_decay"], l1=o["l1"])

    def _update(self, P, G, S, nw, c):
        _decay(P, G, nw, c.l1, c.weight_decay)
        total = S.get("sum")
        total = _addcmul(np.full_like(P, c.initial_accumulator_value) if total is None else total, 1.0, G, 1.0)
        std = np.sqrt(total)
        std += c.eps
        new_P = np.divide(G, std, out=std)
        new_P *= c.neg_clr
        new_P += P
        return new_P, {"sum": total}

    def _rule(self, o, inputs, weight):
        inputs.setdefault("acc", np.full_like(inputs["W"], o["initial_accumulator_value"]))
        rows = [("acc", "acc + g**2", "every squared gradient so far, summed")]
        if o["lr_decay"]:
            rows.append(("clr", "lr/(1 + (t - 1)*lr_decay)"))
            return rows + [("dW", "-clr*g/(sqrt(acc) + eps)")]
        return rows + [("dW", "-lr*g/(sqrt(acc) + eps)")]


class Perceptron(Optimizer):
    """Rosenblatt's rule. The engine hands it g = -x^T (y - ŷ) (and -Σ(y - ŷ)
    for the bias), the un-averaged perceptron "gradient", so the rule is
    p ← p - lr·g, i.e. W += lr·x^T (y - ŷ)."""

    name = "perceptron"
    title = "perceptron rule"
    needs_gradient = False

    class Constants(NamedTuple):
        neg_lr: float

    def _constants(self, lr, o, t):
        return self.Constants(neg_lr=-lr)

    def _update(self, P, G, S, nw, c):
        G *= c.neg_lr
        G += P
        return G, S

    def _rule(self, o, inputs, weight):
        return [("dW", "-lr*g", "g = −xᵀ(y − ŷ): a wrong answer moves W toward x (or away)")]


# The registry: a new optimizer is one class and one entry here. Menus,
# validation, the inspector's rule and the runfile all read it.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Perceptron)
}


class _Defaults(Mapping):
    """{optimizer: {option: torch's default}}, read from the classes each time,
    so an optimizer registered later is in it too."""

    def __getitem__(self, name: str) -> dict[str, object]:
        return OPTIMIZERS[name].defaults()

    def __iter__(self):
        return iter(OPTIMIZERS)

    def __len__(self) -> int:
        return len(OPTIMIZERS)


OPTIMIZER_DEFAULTS: Mapping[str, dict[str, object]] = _Defaults()


def option_names() -> tuple[str, ...]:
    """Every option any registered optimizer takes, sorted."""
    return tuple(sorted({k for cls in OPTIMIZERS.values() for k in cls.options_taken}))


def make_optimizer(name: str, lr: float, options: dict | None = None) -> Optimizer:
    """Build the optimizer called ``name`` (a key of OPTIMIZERS)."""
    cls = OPTIMIZERS.get(name)
    if cls is None:
        raise ValueError(
            f"unknown optimizer '{name}'{did_you_mean(name, OPTIMIZERS)}; "
            f"allowed: {allowed(OPTIMIZERS)}"
        )
    return cls(lr, **dict(options or {}))
