"""Drawn data: points added, removed and cleared by hand, as a Dataset named "drawn".

Every edit returns a new Dataset (arrays are never changed in place: the
trainer, snapshots and the boundary may hold the old ones). The first edit
of another data set starts from the points it shows, as ConvNetJS does: you
edit the data you see. Its training and its validation points all become
training points, so drawn data has no validation set (nothing was held out of
what you drew; the validation curve stops where the drawing began).

Only 2-input data can be drawn, with one target for regression (`why_not`).
Labels follow the Dataset convention: binary float64 (n, 1) in {0, 1},
multiclass int64 (n,), regression float64 (n, 1).
"""

from __future__ import annotations

import math

import numpy as np

from .datasets import Dataset

DRAWN = "drawn"  # the name of drawn data, as Dataset.name


def is_drawn(dataset: Dataset) -> bool:
    return dataset.name == DRAWN


def why_not(dataset: Dataset) -> str | None:
    """Why this data cannot be drawn on its (x1, x2) plane, or None if it can."""
    if dataset.n_inputs != 2:
        return (f"only 2-input data can be drawn on the plane; this data has {dataset.n_inputs} "
                f"input{'s' * (dataset.n_inputs != 1)}")
    if dataset.task == "regression" and dataset.n_outputs != 1:
        return f"only a single target can be drawn; this data has {dataset.n_outputs}"
    return None


def start(dataset: Dataset) -> Dataset:
    """The drawn data that begins as `dataset`'s points, training and
    validation alike (already drawn data is returned as it is)."""
    if is_drawn(dataset):
        return dataset
    problem = why_not(dataset)
    if problem:
        raise ValueError(problem)
    x = np.concatenate([dataset.x_train, dataset.x_val])
    y = np.concatenate([dataset.y_train, dataset.y_val])
    return _drawn(dataset, x, y)


def _drawn(like: Dataset, x: np.ndarray, y: np.ndarray) -> Dataset:
    return Dataset(x, y, x[:0], y[:0], like.task, like.classes, like.feature_names, DRAWN)


def _label_row(dataset: Dataset, label: float) -> np.ndarray:
    if dataset.task == "multiclass":
        k = int(label)
        if not 0 <= k < len(dataset.classes):
            raise ValueError(f"class {k} is not one of 0..{len(dataset.classes) - 1}")
        return np.array([k], dtype=np.int64)
    if dataset.task == "binary":
        if label not in (0, 1):
            raise ValueError(f"a binary label is 0 or 1, not {label}")
        return np.array([[float(label)]])
    if not math.isfinite(label):
        raise ValueError(f"a target must be a finite number, not {label}")
    return np.array([[float(label)]])


def add_point(dataset: Dataset, x1: float, x2: float, label: float) -> Dataset:
    """`dataset` (drawn, or started from) with one more training point."""
    d = start(dataset)
    x = np.concatenate([d.x_train, np.array([[float(x1), float(x2)]])])
    y = np.concatenate([d.y_train, _label_row(d, label)])
    return _drawn(d, x, y)


def remove_nearest(dataset: Dataset, x1: float, x2: float) -> tuple[Dataset, int | None]:
    """`dataset` without the training point nearest (x1, x2) (Euclidean, in
    the data's own units), and that point's row; (dataset, None) if it has
    no points."""
    d = start(dataset)
    if not len(d.x_train):
        return d, None
    dist = np.hypot(d.x_train[:, 0] - x1, d.x_train[:, 1] - x2)
    row = int(np.argmin(dist))
    keep = np.arange(len(d.x_train)) != row
    return _drawn(d, d.x_train[keep], d.y_train[keep]), row


def cleared(dataset: Dataset) -> Dataset:
    """Drawn data with no points at all (the classes and names stay)."""
    d = start(dataset)
    return _drawn(d, d.x_train[:0], d.y_train[:0])


def label_name(dataset: Dataset, label: float) -> str:
    """How a label is said: 'class 1', 'class setosa', 'value -0.5'."""
    if dataset.task == "regression":
        return f"value {label:g}"
    k = int(label)
    return f"class {dataset.classes[k] if k < len(dataset.classes) else k}"


def label_count(dataset: Dataset) -> int:
    """How many labels there are to draw: the classes (0 for regression)."""
    return 0 if dataset.task == "regression" else max(2, len(dataset.classes))


def palette(y: np.ndarray) -> tuple[float, ...]:
    """The five targets a regression is drawn with: its centre (0 when the
    targets straddle it) and the centre ± half and all of its spread, the
    spread rounded to two significant digits (plane: ±0.6, ±1.2)."""
    t = np.asarray(y, dtype=np.float64).reshape(-1)
    t = t[np.isfinite(t)]
    if not t.size:
        return (-1.0, -0.5, 0.0, 0.5, 1.0)
    lo, hi = float(t.min()), float(t.max())
    centre = 0.0 if lo < 0 < hi else float(np.round(t.mean(), 2))
    spread = float(np.max(np.abs(t - centre)))
    if spread <= 0:
        spread = 1.0
    spread = float(f"{spread:.2g}")
    return tuple(round(centre + f * spread, 12) + 0.0 for f in (-1.0, -0.5, 0.0, 0.5, 1.0))


def missing_classes(dataset: Dataset) -> list[str]:
    """The classes with no point (a CSV with them missing would read as other data)."""
    if dataset.task == "regression":
        return []
    labels = np.asarray(dataset.y_train).reshape(len(dataset.y_train), -1)[:, 0].astype(int)
    present = set(np.unique(labels).tolist())
    return [name for k, name in enumerate(dataset.classes) if k not in present]
