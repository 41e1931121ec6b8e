"""Finite-difference check of every gradient the backward pass computes."""

from __future__ import annotations

import numpy as np

EPS = 1e-6
# Central differences carry about 1e-10 of round-off, so gradients smaller than
# this are compared absolutely rather than relatively.
SCALE_FLOOR = 1e-3


def _batch_loss(trainer, params, X, y) -> float:
    z, a = trainer.net.forward_output(params, X)
    return trainer.loss.value(z, a, y)


def gradcheck(trainer, X=None, y=None, eps: float = EPS) -> dict[str, float]:
    """Max relative error |analytic - numeric| / max(|analytic| + |numeric|, tiny)
    per parameter (W1, b1, ...), by central differences in float64 on one batch
    (the training set's first batch unless X, y are given). `trainer` may also be
    a Config, checked at its starting parameters."""
    if not hasattr(trainer, "net"):
        from .trainer import Trainer

        trainer = Trainer(trainer)
    if trainer.loss.name == "perceptron" or "step" in (trainer.net.activation_name, trainer.net.output_name):
        raise ValueError("a step activation has no gradient to check (the perceptron rule is not a gradient)")
    if X is None:
        idx = np.arange(min(trainer.batch_size, len(trainer.x_train)))
        X, y = trainer.x_train[idx], trainer.dataset.y_train[idx]  # what the network takes: features, if any
    grads = trainer.gradients(X, y)
    errors = {}
    for name, p in trainer.params.items():
        numeric = np.empty_like(p)
        for i in np.ndindex(p.shape):
            shifted = {}
            for sign in (1, -1):
                q = p.copy()
                q[i] += sign * eps
                shifted[sign] = _batch_loss(trainer, {**trainer.params, name: q}, X, y)
            numeric[i] = (shifted[1] - shifted[-1]) / (2 * eps)
        scale = np.maximum(np.abs(grads[name]) + np.abs(numeric), SCALE_FLOOR)
        errors[name] = float(np.max(np.abs(grads[name] - numeric) / scale))
    return errors
