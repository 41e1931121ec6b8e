"""Series: a snapshot's view of a history list, shared rather than copied.

The trainer's history lists only ever grow by `append`: a rewind or a branch
that cuts them puts new, shorter lists in their place (`Trainer._truncate_history`)
and leaves the old ones as they were. So the first `stop` items of a list never
change once written, and a snapshot may hold `(list, start, stop)` instead of
a copy: it costs the same at epoch 30 and at epoch 30,000, and reading it from
the UI thread while the worker appends is safe (a list's append never moves
the items before it, and an index below `stop` is never written again).

`ArrayMirror` keeps a float64 NumPy copy of a growing series, reading only the
items added since its last call: for a reader that wants the whole series as
an array every frame (a lesson's conditions) without converting it all each time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class Series(Sequence):
    """The items base[start:stop] of a list that is only ever appended to, read
    in place. Compares equal to any sequence with the same items (a tuple, a
    list, another Series), so it reads as the tuple it replaces."""

    __slots__ = ("base", "start", "stop")

    def __init__(self, base: Sequence, start: int = 0, stop: int | None = None) -> None:
        n = len(base)
        stop = n if stop is None else min(stop, n)
        self.base, self.start, self.stop = base, max(0, min(start, stop)), stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, i: Any):
        if isinstance(i, slice):
            lo, hi, step = i.indices(len(self))
            if step == 1:
                return tuple(self.base[self.start + lo: self.start + max(lo, hi)])
            return tuple(self.base[self.start + j] for j in range(lo, hi, step))
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("series index out of range")
        return self.base[self.start + i]

    def __iter__(self):
        base = self.base
        for j in range(self.start, self.stop):
            yield base[j]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # compares equal to lists

    def __repr__(self) -> str:
        n = len(self)
        shown = ", ".join(repr(v) for v in self[:3])
        return f"Series([{shown}{', ...' if n > 3 else ''}], len={n})"

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.base[self.start: self.stop], dtype=dtype)

    def tail(self, n: int) -> Series:
        """The last n items, as a view."""
        return Series(self.base, max(self.start, self.stop - n), self.stop)


def source_of(seq: Sequence) -> tuple[Sequence, int]:
    """(the list that holds the items, where they start in it): a Series' base;
    any other sequence is its own."""
    return (seq.base, seq.start) if isinstance(seq, Series) else (seq, 0)


class ArrayMirror:
    """A float64 array equal to a series, kept up to date by reading only what
    was appended since the last `update`. A series on another list (a new run,
    a rewind's shorter list) or one that starts elsewhere is read afresh."""

    def __init__(self) -> None:
        self._base: Sequence | None = None  # held, so its id cannot be reused by another list
        self._start = 0
        self._buf = np.empty(0)
        self._n = 0

    def update(self, seq: Sequence) -> np.ndarray:
        base, start = source_of(seq)
        n = len(seq)
        if base is not self._base or start != self._start or n < self._n:
            # A new buffer: an array handed out before must not change under its reader.
            self._base, self._start, self._n, self._buf = base, start, 0, np.empty(0)
        if n > self._n:
            if n > len(self._buf):
                grown = np.empty(max(n, 2 * len(self._buf), 64))
                grown[: self._n] = self._buf[: self._n]
                self._buf = grown
            self._buf[self._n: n] = np.asarray(base[start + self._n: start + n], dtype=np.float64)
            self._n = n
        view = self._buf[:n]
        view.flags.writeable = False
        return view
