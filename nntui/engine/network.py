"""The network's structure: layers, their forward pass and their backward pass.

The network holds no parameters. They live in a plain dict {"W1": ..., "b1": ...}
owned by the trainer, so a snapshot, a rewind or the app's boundary grid can use
any set of them. Arrays are never changed in place once returned: every step
makes new ones, which is what lets snapshots and the rewind ring keep references
instead of copies. Only an array made here and not yet handed out (the product
a W, delta W^T) is worked on in place, to spare the copies `+` and `*` would make.
"""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS, OUTPUTS, Activation


class Network:
    def __init__(self, sizes, activation: str = "tanh", output: str = "sigmoid", off=()):
        self.sizes = tuple(int(s) for s in sizes)
        self.L = len(self.sizes) - 1
        self.activation_name = activation
        self.output_name = output
        self.hidden: Activation = ACTIVATIONS[activation]
        self.output: Activation = OUTPUTS[output]
        self.param_names = tuple(f"{p}{l}" for l in range(1, self.L + 1) for p in "Wb")
        # Index l -> name, so the per-step code formats no strings.
        self.W = (None, *(f"W{l}" for l in range(1, self.L + 1)))
        self.b = (None, *(f"b{l}" for l in range(1, self.L + 1)))
        # Hidden units switched off, as (layer, unit): their output a is held at 0,
        # so they pass nothing on and their incoming weights get no gradient.
        self.off = units_off(self.sizes, off)
        keep: list[np.ndarray | None] = [None] * (self.L + 1)
        for l, j in self.off:
            if keep[l] is None:
                keep[l] = np.ones(self.sizes[l])
            keep[l][j] = 0.0
        self.keep = tuple(keep)  # per layer: 1 for a unit on, 0 for one off; None: all on

    def act(self, l: int) -> Activation:
        return self.output if l == self.L else self.hidden

    def gains(self) -> list[float]:
        return [self.act(l).gain for l in range(1, self.L + 1)]

    def forward_layer(self, params, l: int, a_prev):
        """z_l = a_{l-1} W_l + b_l, a_l = f_l(z_l)."""
        z = a_prev @ params[self.W[l]]
        z += params[self.b[l]]  # into the product just made: one array, not two
        keep = self.keep[l]
        if keep is None:
            return z, self.act(l).f(z)
        return z, self.act(l).f(z) * keep

    def forward_output(self, params, X):
        """(z_L, a_L) for a batch X, keeping no trace: what a loss needs."""
        z, a = None, X
        for l in range(1, self.L + 1):
            z, a = self.forward_layer(params, l, a)
        return z, a

    def forward(self, params, X):
        """The output a_L for a batch X (the decision-boundary grid, predictions)."""
        return self.forward_output(params, X)[1]

    def backward_layer(self, params, l: int, delta, a_prev, z_prev=None):
        """dW_l = a_{l-1}^T delta_l, db_l = sum of delta_l over the batch, and
        delta_{l-1} = (delta_l W_l^T) * f'(z_{l-1}) when layer l-1 is hidden."""
        dW = a_prev.T @ delta
        db = np.add.reduce(delta, axis=0)  # delta.sum(axis=0) without its Python wrapper
        if l == 1:
            return dW, db, None
        delta_prev = self.hidden.backprop(delta @ params[self.W[l]].T, z_prev, a_prev)
        keep = self.keep[l - 1]
        if keep is not None:
            delta_prev *= keep  # a unit held at 0 does not depend on its z
        return dW, db, delta_prev


def units_off(sizes, off) -> frozenset[tuple[int, int]]:
    """`off` as a set of (layer, unit) pairs, each a hidden unit of a net of
    these sizes; ValueError naming the first that is not."""
    L = len(sizes) - 1
    out = set()
    for pair in off:
        l, j = (int(v) for v in pair)
        if not 1 <= l < L:
            raise ValueError(f"unit {j} of layer {l}: only hidden units (layers 1 to {L - 1}) can be switched off")
        if not 0 <= j < sizes[l]:
            raise ValueError(f"unit {j} of layer {l}: layer {l} has units 0 to {sizes[l] - 1}")
        out.add((l, j))
    return frozenset(out)
