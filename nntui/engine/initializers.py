"""Starting weights. Each returns (W, b) with W of shape (fan_in, fan_out).

`gain` is torch.nn.init.calculate_gain of the layer's activation. Draws come
from one generator in layer order W1, b1, W2, b2, ..., so a seed fixes them all.
"""

from __future__ import annotations

import math

import numpy as np

UNIFORM_LIMIT = 0.5  # `uniform`: U(-0.5, 0.5), Playground's habit
NORMAL_STD = 0.5  # `normal`: N(0, 0.5²)


def zeros(fan_in, fan_out, rng, gain):
    return np.zeros((fan_in, fan_out)), np.zeros(fan_out)


def uniform(fan_in, fan_out, rng, gain):
    return rng.uniform(-UNIFORM_LIMIT, UNIFORM_LIMIT, (fan_in, fan_out)), np.zeros(fan_out)


def normal(fan_in, fan_out, rng, gain):
    return rng.normal(0.0, NORMAL_STD, (fan_in, fan_out)), np.zeros(fan_out)


def xavier(fan_in, fan_out, rng, gain):
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)


def xavier_normal(fan_in, fan_out, rng, gain):
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, (fan_in, fan_out)), np.zeros(fan_out)


def he(fan_in, fan_out, rng, gain):
    bound = math.sqrt(6.0 / fan_in)  # kaiming_uniform_ for relu: sqrt(2) * sqrt(3 / fan_in)
    return rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)


def he_normal(fan_in, fan_out, rng, gain):
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)


def torch_default(fan_in, fan_out, rng, gain):
    # nn.Linear.reset_parameters: kaiming_uniform_(a=sqrt(5)) reduces to U(±1/sqrt(fan_in)).
    bound = 1.0 / math.sqrt(fan_in)
    W = rng.uniform(-bound, bound, (fan_in, fan_out))
    return W, rng.uniform(-bound, bound, fan_out)


INITIALIZERS = {
    f.__name__: f
    for f in (zeros, uniform, normal, xavier, xavier_normal, he, he_normal, torch_default)
}
INITIALIZERS["explicit"] = None  # weights come from the preset's [model.weights]


def init_params(sizes, gains, init: str, seed: int, weights=None) -> dict[str, np.ndarray]:
    """W1, b1, ... for a net of the given sizes; `gains[l-1]` is layer l's gain."""
    if init == "explicit":
        return {k: np.array(v, dtype=np.float64) for k, v in weights.items()}
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"], params[f"b{l}"] = INITIALIZERS[init](sizes[l - 1], sizes[l], rng, gains[l - 1])
    return params
