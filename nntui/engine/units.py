"""What each unit computes: every layer's activations from one forward pass,
and which hidden units are dead.

A dead unit gives the same output, on a flat part of its activation, for
every training point: it passes nothing on, and the gradient through it is
(nearly) zero, so it does not learn its way back. Per hidden activation:

- relu: a = 0 for every point (z <= 0 everywhere; f'(z) = 0);
- tanh: a > 0.99 for every point, or a < -0.99 for every point
  (f'(z) = 1 - a^2 < 0.02);
- sigmoid: a > 0.99 for every point, or a < 0.01 for every point
  (f'(z) = a(1 - a) < 0.01).

Saturation counts only on one side: a tanh unit that is -1 on some points
and +1 on others is a sharp step, which still tells the points apart. Other
activations (leaky_relu, elu, gelu, softplus, identity) keep a gradient and
are never dead; step units learn by the perceptron rule, not by a gradient,
and are not judged. Output units are not judged either: a saturated output
is the prediction itself.
"""

from __future__ import annotations

import numpy as np

from .network import Network

SATURATED = 0.99  # |a| of tanh, or the distance of sigmoid's a from 0 or 1, read as flat


def layer_activations(net: Network, params, X) -> list[np.ndarray]:
    """[a_0, a_1, ..., a_L] of the batch X, all from one forward pass."""
    a = [np.asarray(X)]
    for l in range(1, net.L + 1):
        a.append(net.forward_layer(params, l, a[-1])[1])
    return a


def dead_mask(activation: str, a: np.ndarray) -> np.ndarray:
    """Which columns (units) of a layer's activations a (n, units) are dead
    under the rule of the module's docstring."""
    a = np.asarray(a)
    if a.ndim != 2 or len(a) == 0:
        return np.zeros(a.shape[-1] if a.ndim else 0, dtype=bool)
    with np.errstate(invalid="ignore"):
        if activation == "relu":
            return np.all(a == 0.0, axis=0)
        if activation == "tanh":
            return np.all(a > SATURATED, axis=0) | np.all(a < -SATURATED, axis=0)
        if activation == "sigmoid":
            return np.all(a > SATURATED, axis=0) | np.all(a < 1.0 - SATURATED, axis=0)
    return np.zeros(a.shape[1], dtype=bool)


def dead_units(net: Network, params, X) -> dict[int, np.ndarray]:
    """{l: bool mask of layer l's units} for the hidden layers 1..L-1, judged
    on the batch X (the training set)."""
    a = layer_activations(net, params, X)
    return {l: dead_mask(net.activation_name, a[l]) for l in range(1, net.L)}
