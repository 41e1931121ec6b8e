"""The network diagram's unit maps: what each unit computes over the input plane.

For 2-input data every unit's activation is drawn over the plane of the
data, with the decision boundary's axes (`plane_limits`). One grid of points
goes through the network once (`unit_maps`), and every layer's activations
come from that one pass, the inputs' own maps included. `plane_inputs` is
the one place grid points become the network's input.
"""

from __future__ import annotations

import numpy as np

from nntui.engine.features import expand
from nntui.engine.network import Network
from nntui.engine.units import layer_activations

from ._common import NEUTRAL, diverging, mix, pack

MAP_LEVELS = 9  # shades each side of the centre: few enough to read in 256 colours
RAMP = np.array(list(" .:-=+*#%@"))  # ASCII and 16 colours: low to high
# (centre, half range) of the bounded activations; the others are scaled to
# each unit's own largest |a| over the plane, so every map shows its shape.
BOUNDED = {"tanh": (0.0, 1.0), "sigmoid": (0.5, 0.5), "softmax": (0.5, 0.5), "step": (0.5, 0.5)}
DEAD_GREY = 0.75  # how far a dead unit's map fades to grey


def plane_limits(x_train: np.ndarray, x_val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of each input axis: the data's range padded by 8% each side
    (the decision boundary's axes)."""
    x_train = np.asarray(x_train, dtype=np.float64)
    x_val = np.asarray(x_val, dtype=np.float64).reshape(-1, x_train.shape[1])
    allx = np.concatenate([x_train, x_val]) if len(x_val) else x_train
    if not len(allx):  # drawn data with every point removed
        return np.full(x_train.shape[1], -1.0), np.full(x_train.shape[1], 1.0)
    lo, hi = allx.min(axis=0), allx.max(axis=0)
    span = np.where(hi - lo > 1e-12, hi - lo, 1.0)
    return lo - 0.08 * span, hi + 0.08 * span


def plane_grid(lo, hi, cols: int, rows: int) -> np.ndarray:
    """(rows * cols, 2) points (x1, x2) at the centres of a cols × rows grid of
    pixels over the plane, row by row from the top (x2 high) down, as the
    boundary lays out its pixels."""
    xs = lo[0] + (np.arange(cols) + 0.5) / cols * (hi[0] - lo[0])
    ys = hi[1] - (np.arange(rows) + 0.5) / rows * (hi[1] - lo[1])
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def plane_inputs(plane: np.ndarray, names: tuple[str, ...] = (), scale=None) -> np.ndarray:
    """Points of the input plane (n, 2) -> the network's input (n, d): the
    points, or with feature inputs (names: Snapshot.features) their features,
    so that the input units' maps are each feature's own (x1·x2, sin x1, ...);
    then scaled as the trainer scales them (scale: Snapshot.input_scale)."""
    plane = np.asarray(plane, dtype=np.float64)
    return scaled(expand(plane, names) if names else plane, scale)


def scaled(X: np.ndarray, scale) -> np.ndarray:
    """X as the network sees it under [data] scale: (X − shift) / divisor, in X's dtype."""
    if scale is None:
        return X
    shift, divisor = scale
    return (X - shift.astype(X.dtype)) / divisor.astype(X.dtype)


def unit_maps(net: Network, params, plane: np.ndarray, names: tuple[str, ...] = (), scale=None) -> list[np.ndarray]:
    """[a_0, ..., a_L] over the plane's points, (n, units) each: one forward pass."""
    with np.errstate(all="ignore"):  # a diverging run may hold huge values
        return layer_activations(net, params, plane_inputs(plane, names, scale))


def map_scale(kind: str, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(centre, half range) per unit of a layer's maps a (n, units): a bounded
    activation's own range, else each unit's largest |a|."""
    units = a.shape[1]
    if kind in BOUNDED:
        c, h = BOUNDED[kind]
        return np.full(units, c), np.full(units, h)
    with np.errstate(invalid="ignore"):
        h = np.nan_to_num(np.max(np.abs(a), axis=0) if len(a) else np.ones(units), nan=1.0, posinf=1.0)
    return np.zeros(units), np.where(h > 0, h, 1.0)


def map_colours(values: np.ndarray, centre: float, half: float, dead: bool) -> np.ndarray:
    """Packed colours (0xRRGGBB) of one map's pixels: orange below the centre,
    grey at it, blue above (the heatmaps' diverging scale); faded to grey when
    the unit is dead."""
    rgb = diverging(np.asarray(values, dtype=np.float64) - centre, half, MAP_LEVELS)
    if dead:
        rgb = np.rint(mix(rgb.astype(np.float64), NEUTRAL * 0.6, DEAD_GREY)).astype(np.uint8)
    return pack(rgb)


def map_chars(values: np.ndarray, centre: float, half: float) -> np.ndarray:
    """One ramp character per pixel, low ' ' to high '@'."""
    with np.errstate(invalid="ignore"):
        t = np.clip(np.nan_to_num((np.asarray(values, dtype=np.float64) - centre) / half), -1.0, 1.0)
    return RAMP[np.minimum(((t + 1) / 2 * len(RAMP)).astype(int), len(RAMP) - 1)]
