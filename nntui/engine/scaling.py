"""Input scaling ([data] scale): the training set's statistics, applied to
every input the network sees (training, validation, the boundary's grid).

    standard: (x - mean) / std    per input, std with ddof 0 (scikit-learn's StandardScaler)
    minmax:   (x - min) / (max - min), into [0, 1] (MinMaxScaler)

A constant input (std or range 0) is divided by 1, as scikit-learn does. The
data's points themselves stay as they are: views draw them in their own units.
"""

from __future__ import annotations

import numpy as np

SCALES = ("none", "standard", "minmax")


class Scaler:
    """shift and divisor per input, from the training inputs X."""

    def __init__(self, kind: str, X: np.ndarray):
        if kind not in SCALES:
            raise ValueError(f"unknown scale {kind!r}; allowed: {', '.join(SCALES)}")
        self.kind = kind
        n = X.shape[1] if X.ndim == 2 else 0
        if kind == "none" or len(X) == 0:
            self.shift, self.divisor = np.zeros(n), np.ones(n)
        elif kind == "standard":
            self.shift, self.divisor = X.mean(axis=0), X.std(axis=0)
        else:
            self.shift = X.min(axis=0)
            self.divisor = X.max(axis=0) - self.shift
        self.divisor = np.where(self.divisor == 0, 1.0, self.divisor)

    @property
    def active(self) -> bool:
        return self.kind != "none"

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return (X - self.shift) / self.divisor if self.active else X
