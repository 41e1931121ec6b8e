"""The confusion matrix of a classifier: counts of (true class, predicted class).

Rows are the true class, columns the predicted one, in the data set's class
order. A binary output predicts class 1 at a >= 0.5 (as accuracy counts it),
a softmax output its largest entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def predicted_classes(a: np.ndarray, task: str) -> np.ndarray:
    """The class each output row predicts (int64, shape (n,))."""
    if task == "binary":
        return (np.asarray(a).reshape(len(a), -1)[:, 0] >= 0.5).astype(np.int64)
    return np.asarray(a).argmax(axis=1).astype(np.int64)


def true_classes(y: np.ndarray, task: str) -> np.ndarray:
    """The labels as class indices (int64, shape (n,))."""
    if task == "binary":
        return (np.asarray(y).reshape(len(y), -1)[:, 0] >= 0.5).astype(np.int64)
    return np.asarray(y, dtype=np.int64).reshape(-1)


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """(k, k) int64 counts: entry [i, j] is how many samples of class i were predicted j."""
    true, predicted = np.asarray(true, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    return np.bincount(true * k + predicted, minlength=k * k).reshape(k, k)


@dataclass(frozen=True)
class Confusion:
    """A confusion matrix as measured at an epoch's end."""

    counts: np.ndarray  # (k, k) int64; rows = true class, columns = predicted
    classes: tuple[str, ...]
    subset: str  # "validation", or "train" when the run has no validation set
    epoch: int  # the epochs completed when it was measured

    def row_normalised(self) -> np.ndarray:
        """Each row divided by its count (0 for a class with no samples)."""
        totals = self.counts.sum(axis=1, keepdims=True)
        return np.divide(self.counts, totals, out=np.zeros(self.counts.shape), where=totals > 0)

    def to_dict(self) -> dict:
        """As `nntui train --json` prints it."""
        return {"set": self.subset, "epoch": self.epoch, "classes": list(self.classes),
                "matrix": self.counts.tolist()}


def measure(a: np.ndarray, y: np.ndarray, task: str, classes: tuple[str, ...], subset: str,
            epoch: int) -> Confusion:
    """The Confusion of outputs `a` against labels `y`."""
    k = max(len(classes), 2)
    names = tuple(classes) if len(classes) == k else tuple(str(i) for i in range(k))
    counts = confusion_matrix(true_classes(y, task), predicted_classes(a, task), k)
    return Confusion(counts, names, subset, epoch)


class LazyConfusion:
    """A confusion matrix to measure when first asked for (`value`): the
    network's forward pass over a data set costs as much as a training step on
    it, so an epoch's end does not pay it unless a view, the CLI or a runfile
    needs the matrix. It holds references only (arrays are never changed in
    place), so it can be measured later, from another thread, all the same."""

    __slots__ = ("_args", "_value")

    def __init__(self, net, params: dict, X: np.ndarray, y: np.ndarray, task: str, classes: tuple[str, ...],
                 subset: str, epoch: int):
        self._args = (net, params, X, y, task, classes, subset, epoch)
        self._value: Confusion | None = None

    @property
    def measured(self) -> bool:
        return self._value is not None

    @property
    def value(self) -> Confusion:
        if self._value is None:
            net, params, X, y, task, classes, subset, epoch = self._args
            self._value = measure(net.forward(params, X), y, task, classes, subset, epoch)
        return self._value
