"""Playground's input features: what the network sees of a point (x1, x2) of the plane.

With `data.features` the data set keeps its 2-D points (the boundary is drawn
over them, the points are drawn where they are) and the network takes, for
each point, the features named, in that order:

    x1, x2, x1_sq (x1²), x2_sq (x2²), x1_x2 (x1·x2), sin_x1, sin_x2

`expand(plane, names)` is the one place they are computed: the trainer's
inputs, the boundary's grid, the network diagram's input maps and the
exported PyTorch script's data all go through it.
"""

from __future__ import annotations

import numpy as np

# name -> (function of the two columns, how it is written for people)
FEATURES: dict[str, tuple] = {
    "x1": (lambda x1, x2: x1, "x1"),
    "x2": (lambda x1, x2: x2, "x2"),
    "x1_sq": (lambda x1, x2: x1 * x1, "x1²"),
    "x2_sq": (lambda x1, x2: x2 * x2, "x2²"),
    "x1_x2": (lambda x1, x2: x1 * x2, "x1·x2"),
    "sin_x1": (lambda x1, x2: np.sin(x1), "sin x1"),
    "sin_x2": (lambda x1, x2: np.sin(x2), "sin x2"),
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)
PLANE: tuple[str, ...] = ("x1", "x2")  # the default: the point itself


def expand(plane: np.ndarray, names) -> np.ndarray:
    """The features `names` of each point of `plane` (n, 2), as an (n, len(names))
    array of plane's float type. A name not in FEATURES raises KeyError."""
    plane = np.asarray(plane)
    if plane.ndim != 2 or plane.shape[1] != 2:
        raise ValueError(f"features are computed from 2-D points (n, 2), not an array of shape {plane.shape}")
    x1, x2 = plane[:, 0], plane[:, 1]
    out = np.empty((len(plane), len(names)), dtype=plane.dtype if plane.dtype.kind == "f" else np.float64)
    for i, name in enumerate(names):
        out[:, i] = FEATURES[name][0](x1, x2)
    return out


def label(name: str) -> str:
    """How a feature is written for people: "x1·x2", "sin x1"."""
    return FEATURES[name][1] if name in FEATURES else name


def is_plane(names) -> bool:
    """Whether the features are the point itself (nothing to compute)."""
    return tuple(names) == PLANE
