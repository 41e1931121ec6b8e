"""Activations, each with its derivative beside it, matching torch.nn's defaults.

`f(z)` gives a = f(z); `df(z, a)` gives da/dz element-wise, reusing the cached
a where that is how torch computes it (tanh, sigmoid), so no value is
recomputed in the backward pass. `backprop(g, z, a)` is the backward pass's
use of it, g * f'(z), written into g: for relu, identity, tanh and sigmoid
without the extra arrays `g * df(z, a)` would allocate (on a 300x100 layer an
array costs as much as the arithmetic), and bit for bit the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

_erf = np.frompyfunc(math.erf, 1, 1)  # numpy has no erf; math.erf is exact to 1 ulp
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
LEAKY_SLOPE = 0.01  # torch.nn.LeakyReLU's default
ELU_ALPHA = 1.0  # torch.nn.ELU's default
SOFTPLUS_THRESHOLD = 20.0  # torch.nn.Softplus reverts to identity above this


def _sigmoid(z):
    # The floor keeps exp(-z) from overflowing; below -700 the value is 0 anyway.
    return 1.0 / (1.0 + np.exp(-np.maximum(z, -700.0)))


def _gelu(z):
    return 0.5 * z * (1.0 + _erf(z / _SQRT2).astype(np.float64))


def _gelu_df(z, a):
    cdf = 0.5 * (1.0 + _erf(z / _SQRT2).astype(np.float64))
    return cdf + z * np.exp(-0.5 * z * z) * _INV_SQRT_2PI


def _softplus(z):
    return np.where(z > SOFTPLUS_THRESHOLD, z, np.log1p(np.exp(np.minimum(z, SOFTPLUS_THRESHOLD))))


def _softplus_df(z, a):
    e = np.exp(np.minimum(z, SOFTPLUS_THRESHOLD))
    return np.where(z > SOFTPLUS_THRESHOLD, 1.0, e / (e + 1.0))


def softmax(z):
    # ufunc reductions called directly: z.max and e.sum add a Python wrapper each.
    e = z - np.maximum.reduce(z, axis=1, keepdims=True)
    np.exp(e, out=e)
    e /= np.add.reduce(e, axis=1, keepdims=True)
    return e


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray, np.ndarray], np.ndarray]
    gain: float  # torch.nn.init.calculate_gain, for xavier initialisation
    formula: str  # shown by the app's step inspector
    has_gradient: bool = True  # False for step: only the perceptron rule trains it
    # g * f'(z) computed into g, where that saves arrays; None: g *= df(z, a).
    df_into: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None = None

    @property
    def df_formula(self) -> str:
        """f′ as the step inspector writes it beside its numbers."""
        return DERIVATIVES.get(self.name, f"{self.name}′(z)")

    def backprop(self, g, z, a):
        """g * f'(z), written into g and returned. g must be a fresh array the
        caller owns (delta_l W_l^T, just made): nothing else may hold it."""
        if self.df_into is not None:
            return self.df_into(g, z, a)
        g *= self.df(z, a)
        return g


def _identity_df(z, a):
    return np.ones_like(z)


def _identity_df_into(g, z, a):
    return g  # g * 1.0 is g, bit for bit


def _relu_df_into(g, z, a):
    # The mask as bools: multiplying by (z > 0) gives what multiplying by its
    # float64 copy gave, without making that copy.
    return np.multiply(g, z > 0, out=g)


def _tanh_df_into(g, z, a):
    d = a * a
    np.subtract(1.0, d, out=d)  # 1 - a^2, as df computes it
    g *= d
    return g


def _sigmoid_df_into(g, z, a):
    d = 1.0 - a
    d *= a  # a (1 - a): the same product as df's, multiplication commutes exactly
    g *= d
    return g


IDENTITY = Activation("identity", lambda z: z, _identity_df, 1.0, "a = z", df_into=_identity_df_into)
STEP = Activation(
    "step", lambda z: (z >= 0).astype(np.float64), lambda z, a: np.zeros_like(z), 1.0,
    "a = 1 if z ≥ 0 else 0", has_gradient=False,
)
SIGMOID = Activation("sigmoid", _sigmoid, lambda z, a: a * (1.0 - a), 1.0, "a = 1/(1+e^-z)",
                     df_into=_sigmoid_df_into)
TANH = Activation("tanh", np.tanh, lambda z, a: 1.0 - a * a, 5.0 / 3.0, "a = tanh z", df_into=_tanh_df_into)
RELU = Activation(
    "relu", lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(np.float64),
    math.sqrt(2.0), "a = max(0, z)", df_into=_relu_df_into,
)
LEAKY_RELU = Activation(
    "leaky_relu",
    lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
    lambda z, a: np.where(z > 0, 1.0, LEAKY_SLOPE),
    math.sqrt(2.0 / (1.0 + LEAKY_SLOPE**2)),
    "a = z if z > 0 else 0.01 z",
)
ELU = Activation(
    "elu",
    lambda z: np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0.0))),
    lambda z, a: np.where(z > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(z, 0.0))),
    1.0,
    "a = z if z > 0 else e^z − 1",
)
GELU = Activation("gelu", _gelu, _gelu_df, 1.0, "a = z·Φ(z)")
SOFTPLUS = Activation("softplus", _softplus, _softplus_df, 1.0, "a = log(1 + e^z)")
# f′, written as a learner checks it: from a (= f(z)) where that is how the
# code computes it (tanh: 1 − a²), else from z.
DERIVATIVES = {
    "identity": "1", "step": "0", "sigmoid": "a(1 − a)", "tanh": "1 − a²",
    "relu": "1 if z > 0 else 0", "leaky_relu": "1 if z > 0 else 0.01", "elu": "1 if z > 0 else e^z",
    "gelu": "Φ(z) + z·φ(z)", "softplus": "1/(1 + e^−z)", "softmax": "fused into the loss",
}
# Softmax is only ever an output, and its derivative is fused into cross-entropy.
SOFTMAX = Activation("softmax", softmax, lambda z, a: np.ones_like(z), 1.0, "a = e^z / Σ e^z")

ACTIVATIONS: dict[str, Activation] = {
    a.name: a for a in (IDENTITY, STEP, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, GELU, SOFTPLUS)
}
ACTIVATIONS["linear"] = IDENTITY  # the name DESIGN's output table uses

OUTPUTS: dict[str, Activation] = {
    "sigmoid": SIGMOID, "softmax": SOFTMAX, "linear": IDENTITY, "tanh": TANH, "step": STEP,
}
