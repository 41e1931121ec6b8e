"""Losses with PyTorch's default reductions, and the output layer's delta.

Each loss returns delta_L = dL/dz_L straight from the fused, stable form
(sigmoid + BCE gives p - y, softmax + CE gives p - onehot), never through a
chained Jacobian.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .activations import Activation


# Means are written as sum / size: np.mean's Python wrapper costs more than
# the arithmetic on these small batches, and the result is the same. The sums
# call np.add.reduce, which is what ndarray.sum runs after its own wrapper.
_sum = np.add.reduce


def _mse_value(z, a, y):
    d = a - y
    return float((d * d).sum()) / d.size


def _mse_delta(z, a, y, out: Activation):
    g = a - y
    g *= 2.0 / a.size
    return out.backprop(g, z, a)  # (2/n)(a - y) f'(z); with a linear output, no multiply by ones


def _bce_value(z, a, y):
    # log(1 + e^z) - z y: BCE of sigmoid(z), stable for any z. np.logaddexp(0, z)
    # is max(z, 0) + log1p(e^-|z|) in one call; written out it is five, a third of a tiny step.
    return float(_sum(np.logaddexp(0.0, z) - z * y, None)) / z.size


def _bce_delta(z, a, y, out: Activation):
    return (a - y) * (1.0 / a.size)


_ROWS: dict[int, np.ndarray] = {}


def _rows(n: int) -> np.ndarray:
    """0..n-1, kept: every batch of a run has the same size but the last."""
    r = _ROWS.get(n)
    if r is None:
        r = _ROWS[n] = np.arange(n)
    return r


# Below this probability -log(softmax) loses digits (and log(0) is inf), so the
# loss falls back to logsumexp(z) - z_y, the form that never does.
_TINY = 1e-200


def _ce_value(z, a, y):
    # The softmax output a is already there; -log a_y equals logsumexp(z) - z_y
    # to rounding, and costs a third of recomputing it.
    p = a[_rows(len(y)), y]
    if p.min() > _TINY:
        return float(-_sum(np.log(p), None)) / len(y)
    m = z.max(axis=1, keepdims=True)
    logsumexp = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return float((logsumexp - z[_rows(len(y)), y]).sum()) / len(y)


def _ce_delta(z, a, y, out: Activation):
    # softmax - onehot, without building the onehot matrix.
    delta = a.copy()
    delta[_rows(len(y)), y] -= 1.0
    delta *= 1.0 / len(y)
    return delta


def _perceptron_value(z, a, y):
    return float(np.abs(y - a).sum()) / a.size  # the fraction misclassified


def _perceptron_delta(z, a, y, out: Activation):
    # Rosenblatt: W += lr x^T (y - y_hat), so the "gradient" is x^T (y_hat - y), summed.
    return a - y


# The loss above which a run has diverged, whatever its lowest so far: far
# above where any sane start is. An untrained network's BCE and cross-entropy
# are about log(classes) (chance), its MSE at most about the targets' mean
# square (predicting 0); a loss 100 (or 10^6) times that is on its way to inf.
def _mse_too_high(y: np.ndarray, outputs: int) -> float:
    return 1e6 * max(float((y * y).mean()) if y.size else 0.0, 1.0)


def _bce_too_high(y: np.ndarray, outputs: int) -> float:
    return 100 * float(np.log(2))


def _ce_too_high(y: np.ndarray, outputs: int) -> float:
    return 100 * float(np.log(max(outputs, 2)))


def _never_too_high(y: np.ndarray, outputs: int) -> float:
    return float("inf")  # the fraction misclassified is at most 1


@dataclass(frozen=True)
class Loss:
    name: str
    value: Callable[[np.ndarray, np.ndarray, np.ndarray], float]
    delta: Callable[[np.ndarray, np.ndarray, np.ndarray, Activation], np.ndarray]
    formula: str
    # What it fits with (the config checks these): the output it needs (None:
    # any that is not tied to another loss), the tasks whose labels it reads,
    # and whether only a gradient-free rule (the perceptron's) can use it.
    output: str | None = None
    tasks: tuple[str, ...] = ("binary", "regression")
    for_rule: bool = False
    # δ_L = ∂L/∂z_L for one row of the batch, as a rules.py formula over a (ŷ),
    # y (onehot for classes), n (the batch's rows), N (its elements, n·k) and
    # df (the output's f′(z)): what the inspector works out with the numbers.
    delta_formula: str = "2*(a - y)/N*df"
    # too_high(y_train, outputs): an epoch's loss above it is divergence, from the first epoch on.
    too_high: Callable[[np.ndarray, int], float] = _mse_too_high
    too_high_text: str = "10^6 × the targets' mean square, at least 10^6"


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", _mse_value, _mse_delta, "L = mean((ŷ − y)²)"),
    "bce": Loss("bce", _bce_value, _bce_delta, "L = −mean(y log ŷ + (1−y) log(1−ŷ))", "sigmoid", ("binary",),
                delta_formula="(a - y)/n", too_high=_bce_too_high, too_high_text="100 × log 2"),
    "cross_entropy": Loss("cross_entropy", _ce_value, _ce_delta, "L = −mean(log softmax(z)[y])", "softmax",
                          ("multiclass",), delta_formula="(a - onehot)/n", too_high=_ce_too_high,
                          too_high_text="100 × log(classes)"),
    "perceptron": Loss("perceptron", _perceptron_value, _perceptron_delta, "L = mean(|y − ŷ|)", "step",
                       ("binary",), for_rule=True, delta_formula="a - y", too_high=_never_too_high,
                       too_high_text="never: it is at most 1"),
}

# The usual output and loss for each task: what a preset gets when it names
# neither, and what the app switches to when the data's task changes.
TASK_OUTPUT_LOSS: dict[str, tuple[str, str]] = {
    "binary": ("sigmoid", "bce"),
    "multiclass": ("softmax", "cross_entropy"),
    "regression": ("linear", "mse"),
}
