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
    def __init__(self, sizes, activation: str = "tanh", output: str = "sigmoid"):
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

    def act(self, l: int) -> Activation:
        return self.output if l == self.L else self.hidden

    def gains(self) -> list[float]:
        return [self.act(l).gain for l in range(1, self.L + 1)]

    def forward_layer(self, params, l: int, a_prev):
        """z_l = a_{l-1} W_l + b_l, a_l = f_l(z_l)."""
        z = a_prev @ params[self.W[l]]
        z += params[self.b[l]]  # into the product just made: one array, not two
        return z, self.act(l).f(z)

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
        return dW, db, self.hidden.backprop(delta @ params[self.W[l]].T, z_prev, a_prev)
