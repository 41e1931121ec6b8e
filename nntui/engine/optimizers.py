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
from collections.abc import Mapping
from numbers import Real
from typing import Any

import numpy as np

from nntui.util import allowed, did_you_mean

# torch.optim's own defaults for each option, plus weight_decay and l1.
OPTIMIZER_DEFAULTS: dict[str, dict[str, object]] = {
    "sgd": {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0, "l1": 0.0},
    "adam": {"betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False, "weight_decay": 0.0, "l1": 0.0},
    "adamw": {"betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False, "weight_decay": 0.01, "l1": 0.0},
    "rmsprop": {
        "alpha": 0.99,
        "eps": 1e-8,
        "momentum": 0.0,
        "centered": False,
        "weight_decay": 0.0,
        "l1": 0.0,
    },
    "adagrad": {
        "lr_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
        "weight_decay": 0.0,
        "l1": 0.0,
    },
    "perceptron": {},
}

# torch's default learning rate per optimizer (SGD has none in old torch; 1e-3 now).
DEFAULT_LR: dict[str, float] = {
    "sgd": 1e-3,
    "adam": 1e-3,
    "adamw": 1e-3,
    "rmsprop": 1e-2,
    "adagrad": 1e-2,
    "perceptron": 1.0,
}


# ----------------------------------------------------------------- validation

# Kinds of option: how a value is checked and normalised.
_NONNEG = "a number >= 0"
_REAL = "a number"
_BOOL = "true or false"
_BETAS = "two numbers in [0, 1), e.g. [0.9, 0.999]"

_KINDS: dict[str, str] = {
    "momentum": _NONNEG,
    "dampening": _REAL,
    "nesterov": _BOOL,
    "weight_decay": _NONNEG,
    "l1": _NONNEG,
    "betas": _BETAS,
    "eps": _NONNEG,
    "amsgrad": _BOOL,
    "alpha": _NONNEG,
    "centered": _BOOL,
    "lr_decay": _NONNEG,
    "initial_accumulator_value": _NONNEG,
}


def _number(opt: str, key: str, value: Any, kind: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{opt}: option '{key}' must be {kind}, got {value!r}")
    x = float(value)
    if not math.isfinite(x) or (kind == _NONNEG and not 0.0 <= x):
        raise ValueError(f"{opt}: option '{key}' must be {kind}, got {value!r}")
    return x


def _check_option(opt: str, key: str, value: Any) -> object:
    kind = _KINDS[key]
    if kind == _BOOL:
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{opt}: option '{key}' must be {kind}, got {value!r}")
        return bool(value)
    if kind == _BETAS:
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
            raise ValueError(f"{opt}: option 'betas' must be {kind}, got {value!r}")
        betas = []
        for i, b in enumerate(value):
            if isinstance(b, bool) or not isinstance(b, Real) or not 0.0 <= float(b) < 1.0:
                raise ValueError(
                    f"{opt}: option 'betas' must be {kind}; beta at index {i} is {b!r}"
                )
            betas.append(float(b))
        return tuple(betas)
    return _number(opt, key, value, kind)


def _check_lr(opt: str, lr: Any) -> float:
    if isinstance(lr, bool) or not isinstance(lr, Real) or not math.isfinite(float(lr)):
        raise ValueError(f"{opt}: learning rate must be a number >= 0, got {lr!r}")
    if not 0.0 <= float(lr):
        raise ValueError(f"{opt}: learning rate must be a number >= 0, got {lr!r}")
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
        return np.concatenate([np.ravel(arrays[k]) for k in self.order]).astype(np.float64, copy=False)

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
    """What compute() produced: the step's new parameters and new state."""

    __slots__ = ("t", "state", "params", "lr", "options")

    def __init__(self, t, state, params, lr, options):
        self.t = t
        self.state = state
        self.params = params
        self.lr = lr
        self.options = options


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

    name: str = ""
    state_keys: tuple[str, ...] = ()

    def __init__(self, lr: float, **options: object) -> None:
        defaults = OPTIMIZER_DEFAULTS[self.name]
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

    def _check_known(self, key: str) -> None:
        defaults = OPTIMIZER_DEFAULTS[self.name]
        if key not in defaults:
            hint = did_you_mean(key, defaults)
            allow = allowed(defaults) if defaults else "none"
            raise ValueError(f"{self.name}: unknown option '{key}'{hint}; allowed: {allow}")

    def _validate(self, options: dict[str, object]) -> dict[str, object]:
        out = {key: _check_option(self.name, key, value) for key, value in options.items()}
        self._check_combination(out)
        return out

    def _check_combination(self, options: dict[str, object]) -> None:
        pass

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_lr(self.name, value)

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
            and all(params[k] is v for k, v in params.views.items())
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
        return new_params, _Pending(t, _State(new_S, layout), new_params, lr, options)

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

    # Subclasses: the step's scalar constants, and the rule over flat vectors:
    # P parameters (never to be changed), G the gradient (fresh, may be changed),
    # S the old state (never to be changed), weights in [:nw], biases after.
    def _constants(self, lr: float, options: dict[str, object], t: int) -> tuple:
        raise NotImplementedError

    def _update(
        self, P: np.ndarray, G: np.ndarray, S: dict[str, np.ndarray], nw: int, c: tuple
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        raise NotImplementedError

    # --- the inspector

    def explain(
        self,
        name: str,
        params: dict[str, np.ndarray],
        grads: dict[str, np.ndarray],
        pending: _Pending,
    ) -> list[tuple[str, np.ndarray | float]]:
        """The rule's named intermediate values for one parameter.

        ``params`` and ``grads`` are those given to the compute() that made
        ``pending`` (the parameters *before* the update). The first entry is
        ``("g", gradient)``, the last always ``("Δ<name>", new - old)``,
        bit-identical to the trainer's ΔW; scalars come as floats.
        """
        p = params[name]
        g = grads[name]
        rows: list[tuple[str, np.ndarray | float]] = [("g", g)]
        rows += self._explain(name, p, g, pending.state.get(name, {}), pending)
        rows.append((f"Δ{name}", pending.params[name] - p))
        return rows

    def _explain(self, name, p, g, st, pending) -> list[tuple[str, np.ndarray | float]]:
        return []

    def _explain_decay(self, name, p, g, options, coupled_wd=True):
        """The effective gradient row, if decay applies; returns (rows, g_eff)."""
        if not _is_weight(name):
            return [], g
        l1 = options.get("l1", 0.0)
        wd = options.get("weight_decay", 0.0) if coupled_wd else 0.0
        if not l1 and not wd:
            return [], g
        label = ["g"]
        g_eff = g
        if l1:
            g_eff = g_eff + l1 * np.sign(p)
            label.append("l1·sign(W)")
        if wd:
            g_eff = g_eff + wd * p
            label.append("λW")
        return [("+".join(label), g_eff)], g_eff

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
    state_keys = ("momentum_buffer",)

    def _check_combination(self, o):
        if o["nesterov"] and (o["momentum"] <= 0 or o["dampening"] != 0):
            raise ValueError("sgd: nesterov momentum requires momentum > 0 and dampening = 0")

    def _constants(self, lr, o, t):
        return (-lr, o["momentum"], 1.0 - o["dampening"], o["nesterov"], o["weight_decay"], o["l1"])

    def _update(self, P, G, S, nw, c):
        neg_lr, momentum, one_minus_damp, nesterov, wd, l1 = c
        _decay(P, G, nw, l1, wd)
        new_S = S  # with momentum 0 a buffer is kept as it is, as torch keeps it
        d = G
        if momentum != 0:
            buf = S.get("momentum_buffer")
            if buf is None:
                buf = G  # torch: the buffer starts as g itself
            else:
                buf = buf * momentum
                buf += G * one_minus_damp
            new_S = {"momentum_buffer": buf}
            if nesterov:
                d = buf * momentum
                d += G
            else:
                d = buf
        new_P = d * neg_lr
        new_P += P
        return new_P, new_S

    def _explain(self, name, p, g, st, pending):
        o = pending.options
        rows, g_eff = self._explain_decay(name, p, g, o)
        lr, momentum = pending.lr, o["momentum"]
        if momentum != 0 and "momentum_buffer" in st:
            buf = st["momentum_buffer"]
            rows.append(("buf", buf))
            if o["nesterov"]:
                d = g_eff + buf * momentum
                rows += [("g+μ·buf", d), ("lr·(g+μ·buf)", d * lr)]
            else:
                rows.append(("lr·buf", buf * lr))
        else:
            rows.append(("lr·g", g_eff * lr))
        return rows


class Adam(Optimizer):
    """torch.optim.Adam: betas, eps, amsgrad, weight_decay as L2 (+ l1)."""

    name = "adam"
    state_keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    decoupled = False

    def _constants(self, lr, o, t):
        beta1, beta2 = o["betas"]
        step = float(t)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        return (
            1 - beta1,
            beta2,
            1 - beta2,
            bias_correction2**0.5,
            -step_size,
            o["eps"],
            o["amsgrad"],
            o["weight_decay"],
            o["l1"],
            1 - lr * o["weight_decay"],
        )

    def _update(self, P, G, S, nw, c):
        w1, beta2, one_minus_beta2, bc2_sqrt, neg_step, eps, amsgrad, wd, l1, shrink = c
        base = P
        if self.decoupled:
            _decay(P, G, nw, l1, 0.0)
            if wd != 0:  # AdamW: shrink the weights first
                base = P.copy()
                base[:nw] *= shrink
        else:
            _decay(P, G, nw, l1, wd)
        if not S:
            zeros = np.zeros_like(P)
            S = {"exp_avg": zeros, "exp_avg_sq": zeros}
            if amsgrad:
                S["max_exp_avg_sq"] = zeros
        m = _lerp(S["exp_avg"], G, w1)
        v = _addcmul(S["exp_avg_sq"], beta2, G, one_minus_beta2)
        new_S = {"exp_avg": m, "exp_avg_sq": v}
        vmax = S.get("max_exp_avg_sq")
        if amsgrad:
            vmax = v if vmax is None else np.maximum(vmax, v)
            denom = np.sqrt(vmax)
        else:
            denom = np.sqrt(v)
        if vmax is not None:
            new_S["max_exp_avg_sq"] = vmax
        denom /= bc2_sqrt
        denom += eps
        new_P = np.divide(m, denom, out=denom)
        new_P *= neg_step
        new_P += base
        return new_P, new_S

    def _explain(self, name, p, g, st, pending):
        o = pending.options
        rows, _ = self._explain_decay(name, p, g, o, coupled_wd=not self.decoupled)
        wd = o["weight_decay"]
        if self.decoupled and wd != 0 and _is_weight(name):
            rows.append(("(1-lr·λ)·W", p * (1 - pending.lr * wd)))
        beta1, beta2 = o["betas"]
        bc1 = 1 - beta1 ** float(pending.t)
        bc2 = 1 - beta2 ** float(pending.t)
        m, v = st["exp_avg"], st["exp_avg_sq"]
        rows += [("m", m), ("v", v)]
        if o["amsgrad"]:
            v = st["max_exp_avg_sq"]
            rows.append(("v_max", v))
        rows += [("m̂", m / bc1), ("v̂", v / bc2)]
        return rows


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay (default 0.01)."""

    name = "adamw"
    decoupled = True


class RMSprop(Optimizer):
    """torch.optim.RMSprop: alpha, eps, momentum, centered, weight_decay (+ l1)."""

    name = "rmsprop"
    state_keys = ("square_avg", "momentum_buffer", "grad_avg")

    def _constants(self, lr, o, t):
        alpha = o["alpha"]
        return (-lr, alpha, 1 - alpha, o["eps"], o["momentum"], o["centered"], o["weight_decay"], o["l1"])

    def _update(self, P, G, S, nw, c):
        neg_lr, alpha, one_minus_alpha, eps, momentum, centered, wd, l1 = c
        _decay(P, G, nw, l1, wd)
        # torch makes the slots it needs when a parameter is first seen; one that
        # an option switched on later starts the same way, at zero.
        sq0 = S.get("square_avg")
        sq = _addcmul(np.zeros_like(P) if sq0 is None else sq0, alpha, G, one_minus_alpha)
        new_S = dict(S)
        new_S["square_avg"] = sq
        if centered:
            ga = S.get("grad_avg")
            ga = _lerp(np.zeros_like(P) if ga is None else ga, G, one_minus_alpha)
            new_S["grad_avg"] = ga
            avg = ga * ga
            np.subtract(sq, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(sq)
        avg += eps
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

    def _explain(self, name, p, g, st, pending):
        o = pending.options
        rows, g_eff = self._explain_decay(name, p, g, o)
        sq = st["square_avg"]
        rows.append(("v", sq))
        if o["centered"]:
            ga = st["grad_avg"]
            rows.append(("ḡ", ga))
            avg = np.sqrt(sq - ga * ga) + o["eps"]
            rows.append(("√(v−ḡ²)+ε", avg))
        else:
            avg = np.sqrt(sq) + o["eps"]
            rows.append(("√v+ε", avg))
        if o["momentum"] > 0:
            rows.append(("buf", st["momentum_buffer"]))
        else:
            rows.append(("g/(√…+ε)", g_eff / avg))
        return rows


class Adagrad(Optimizer):
    """torch.optim.Adagrad: lr_decay, initial_accumulator_value, eps, weight_decay (+ l1)."""

    name = "adagrad"
    state_keys = ("sum",)

    def _constants(self, lr, o, t):
        clr = lr / (1 + (float(t) - 1) * o["lr_decay"])
        return (-clr, o["eps"], o["initial_accumulator_value"], o["weight_decay"], o["l1"])

    def _update(self, P, G, S, nw, c):
        neg_clr, eps, init, wd, l1 = c
        _decay(P, G, nw, l1, wd)
        total = S.get("sum")
        total = _addcmul(np.full_like(P, init) if total is None else total, 1.0, G, 1.0)
        std = np.sqrt(total)
        std += eps
        new_P = np.divide(G, std, out=std)
        new_P *= neg_clr
        new_P += P
        return new_P, {"sum": total}

    def _explain(self, name, p, g, st, pending):
        o = pending.options
        rows, _ = self._explain_decay(name, p, g, o)
        clr = pending.lr / (1 + (float(pending.t) - 1) * o["lr_decay"])
        total = st["sum"]
        rows += [("sum", total), ("clr", clr), ("√sum+ε", np.sqrt(total) + o["eps"])]
        return rows


class Perceptron(Optimizer):
    """Rosenblatt's rule. The engine hands it g = -x^T (y - ŷ) (and -Σ(y - ŷ)
    for the bias), the un-averaged perceptron "gradient", so the rule is
    p ← p - lr·g, i.e. W += lr·x^T (y - ŷ)."""

    name = "perceptron"

    def _constants(self, lr, o, t):
        return (-lr,)

    def _update(self, P, G, S, nw, c):
        G *= c[0]
        G += P
        return G, S

    def _explain(self, name, p, g, st, pending):
        return [("lr·g", g * pending.lr)]


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Perceptron)
}


def make_optimizer(name: str, lr: float, options: dict | None = None) -> Optimizer:
    """Build the optimizer called ``name`` (a key of OPTIMIZERS)."""
    cls = OPTIMIZERS.get(name)
    if cls is None:
        raise ValueError(
            f"unknown optimizer '{name}'{did_you_mean(name, OPTIMIZERS)}; "
            f"allowed: {allowed(OPTIMIZERS)}"
        )
    return cls(lr, **dict(options or {}))
