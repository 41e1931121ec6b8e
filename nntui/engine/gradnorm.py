"""How strongly each weight matrix is pushed: per epoch, the mean over the
epoch's steps of the batch gradient's Frobenius norm, ||dL/dW_l||_F, of the
loss alone (weight decay and L1 are the optimizer's, added after this).

A deep sigmoid net shows why it learns slowly here: its first layers' norms
sit orders of magnitude below its last layer's (the vanishing gradient).

The trainer keeps one series per weight matrix in its history, under
`key(l)` ("grad_norm_W1", ...), so every history list stays a list of floats
(rewinding, saving and resuming treat them as the other per-epoch series).
The epoch so far lives in the trainer's tally as one running sum per matrix:
a tuple, replaced each step, so the rewind ring keeps it by reference.
`as_dict` gives the per-matrix form, {"W1": [...], ...}, as `train --json` prints it.
"""

from __future__ import annotations

import math

import numpy as np

PREFIX = "grad_norm_"


def key(name: str) -> str:
    """The history key of weight matrix `name` ("W1" -> "grad_norm_W1")."""
    return PREFIX + name


def keys(weights) -> tuple[str, ...]:
    """The history keys for weight matrices named `weights` (W1, W2, ...)."""
    return tuple(map(key, weights))


def zero(n: int) -> tuple[float, ...]:
    """The running sums of an epoch with no step yet."""
    return (0.0,) * n


def added(sums: tuple[float, ...], grads: dict, weights) -> tuple[float, ...]:
    """`sums` plus this step's norm of each weight matrix's gradient. One dot
    product per matrix (np.vdot ravels without a copy); nothing else per step."""
    vdot, sqrt = np.vdot, math.sqrt
    out = []
    for s, w in zip(sums, weights):  # a plain loop: a generator's frames cost more than the dots here
        g = grads[w]
        out.append(s + sqrt(vdot(g, g)))
    return tuple(out)


def as_dict(history: dict) -> dict[str, list[float]]:
    """{"W1": [...], ...} from a history holding the per-matrix series."""
    return {k[len(PREFIX):]: v for k, v in history.items() if k.startswith(PREFIX)}
