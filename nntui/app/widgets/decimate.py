"""A long curve drawn from few points, its extremes kept: the charts' decimation.

A chart has a few hundred dot columns; a run left playing for minutes has tens
of thousands of epochs. Two steps keep a redraw's cost bounded whatever the
run's length, and keep what the curve means:

1. `Extremes` follows a growing series (an engine Series, or a tuple) and keeps
   it as at most MAX_BINS contiguous bins of consecutive items; each bin keeps
   its lowest and highest finite item and its lowest positive one (what a log
   scale draws), each with its index. When the bins fill up, neighbours merge
   in pairs (a bin's extremes are the extremes of its two halves), so a bin
   spans at most about 2 n / MAX_BINS items. Only the items appended since the
   last update are read. `points()` gives the items kept: the first, every
   bin's extremes, the items after the last full bin, and the last, at their
   own indices and exact values. So the lowest and highest values (finite, and
   positive), the first and the last are among them: a chart's axes and scale
   come out as from the whole series.
2. `envelope` draws a curve of more points than the plot has dot columns as
   each dot column's run of dots from its lowest to its highest point, each run
   stretched halfway to its neighbour's when the two do not meet: what a line
   through every epoch draws, where consecutive epochs share a dot column and
   the line goes up and down within it. A spike stays a spike, in its column.
   (`column_extremes` keeps each column's lowest and highest of a set of
   points: the gradient view draws those in 16 colours, a digit a point.)

What is lost is only what a dot column cannot show apart: the order of the
values within it. A bin that straddles two dot columns puts its extremes in the
column where they lie, so a column's extreme that is not its bin's may be
drawn in the neighbouring column (a bin is a few epochs wide against a dot
column's many).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nntui.engine.series import source_of

from ._common import raster_segments

MAX_BINS = 2048


class Extremes:
    """The extremes of a growing series, bin by bin (see the module docstring)."""

    def __init__(self, max_bins: int = MAX_BINS) -> None:
        self.max_bins = max(2, max_bins)
        self._source: Sequence | None = None  # held, so its id cannot be reused
        self._start = 0
        self._reset()

    def _reset(self) -> None:
        self.n = 0  # items read
        self.width = 1  # items a new bin takes
        self._first: float | None = None
        self._last: float | None = None
        # Per bin: indices (-1: none) and values of its lowest finite, highest finite and lowest positive item.
        self._idx = np.empty((0, 3), dtype=np.int64)
        self._val = np.empty((0, 3))
        self._tail = np.empty(0)  # the items after the last bin, fewer than `width`
        self._tail_at = 1  # the index of the tail's first item

    def update(self, seq: Sequence) -> Extremes:
        """Follow `seq`: the items appended since the last call, or the whole of
        it if it is another series (a new run, a rewound one)."""
        base, start = source_of(seq)
        n = len(seq)
        if base is not self._source or start != self._start or n < self.n:
            self._source, self._start = base, start
            self._reset()
        if n == self.n:
            return self
        new = np.asarray(base[start + self.n: start + n], dtype=np.float64)
        self._last = float(new[-1])
        if self.n == 0:
            self._first = float(new[0])
            new = new[1:]  # the first item is kept apart: it is always a point
        self.n = n
        items = np.concatenate([self._tail, new])
        full = len(items) // self.width * self.width
        if full:
            self._add_bins(items[:full], self._tail_at)
        self._tail_at += full
        self._tail = items[full:]
        return self

    def _add_bins(self, items: np.ndarray, at: int) -> None:
        w = self.width
        rows = items.reshape(-1, w)
        finite = np.isfinite(rows)
        lo = np.where(finite, rows, np.inf)
        hi = np.where(finite, rows, -np.inf)
        pos = np.where(finite & (rows > 0), rows, np.inf)
        offsets = at + w * np.arange(len(rows))
        idx, val = [], []
        for m, arg in ((lo, np.argmin), (hi, np.argmax), (pos, np.argmin)):
            j = arg(m, axis=1)
            v = m[np.arange(len(rows)), j]
            idx.append(np.where(np.isfinite(v), offsets + j, -1))
            val.append(v)
        self._idx = np.concatenate([self._idx, np.stack(idx, axis=1)])
        self._val = np.concatenate([self._val, np.stack(val, axis=1)])
        while len(self._idx) > self.max_bins:
            self._merge()

    def _merge(self) -> None:
        """Neighbouring bins in pairs (an odd last one stays as it is); new bins twice as wide."""
        k = len(self._idx) // 2 * 2
        a_i, b_i = self._idx[0:k:2], self._idx[1:k:2]
        a_v, b_v = self._val[0:k:2], self._val[1:k:2]
        # Ties go to the earlier item, as argmin and argmax pick it within a bin.
        take_b = np.stack([b_v[:, 0] < a_v[:, 0], b_v[:, 1] > a_v[:, 1], b_v[:, 2] < a_v[:, 2]], axis=1)
        idx = np.where(take_b, b_i, a_i)
        val = np.where(take_b, b_v, a_v)
        self._idx = np.concatenate([idx, self._idx[k:]])
        self._val = np.concatenate([val, self._val[k:]])
        self.width *= 2

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(indices, values) of the items kept, in order of index, each once."""
        if self.n == 0:
            return np.empty(0, dtype=np.int64), np.empty(0)
        kept = self._idx.ravel() >= 0
        idx = np.concatenate([[0], self._idx.ravel()[kept], self._tail_at + np.arange(len(self._tail)), [self.n - 1]])
        val = np.concatenate([[self._first], self._val.ravel()[kept], self._tail, [self._last]])
        idx, first = np.unique(idx, return_index=True)
        return idx, val[first]


def column_extremes(dots: np.ndarray, ys: np.ndarray, per_column: int = 2) -> np.ndarray:
    """Indices (in order) of the points to draw of a curve whose points lie in
    dot columns `dots` (non-decreasing): in each column of `per_column` dot
    columns (a character cell: 2), its lowest and highest finite y, and the
    first and the last finite point. ys: the values as drawn (a log scale's
    log10, NaN for what it cannot draw)."""
    ok = np.flatnonzero(np.isfinite(ys))
    if ok.size <= 2:
        return ok
    col = dots[ok] // per_column
    y = ys[ok]
    starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
    counts = np.diff(np.r_[starts, col.size])
    lows = np.minimum.reduceat(y, starts)
    highs = np.maximum.reduceat(y, starts)
    seg = np.repeat(np.arange(starts.size), counts)
    # The first point of each column at its low and at its high.
    at_low = np.flatnonzero(y == lows[seg])
    at_high = np.flatnonzero(y == highs[seg])
    first_low = at_low[np.unique(seg[at_low], return_index=True)[1]]
    first_high = at_high[np.unique(seg[at_high], return_index=True)[1]]
    keep = np.unique(np.concatenate([first_low, first_high, [0, ok.size - 1]]))
    return ok[keep]


def envelope(dots_x: np.ndarray, dots_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dots (x, y) of a curve through points in dot columns `dots_x`
    (non-decreasing) at dot rows `dots_y` (0 at the top): in each dot column a
    run from its highest to its lowest point, stretched halfway to the next
    column's run when the two do not meet (the line between them, as a line
    through every point draws it where each column holds many); columns that
    are not neighbours are joined by a straight line."""
    if dots_x.size == 0:
        return dots_x, dots_y
    starts = np.flatnonzero(np.r_[True, dots_x[1:] != dots_x[:-1]])
    cols = dots_x[starts]
    top = np.minimum.reduceat(dots_y, starts)
    bot = np.maximum.reduceat(dots_y, starts)
    lo_top, lo_bot = top.copy(), bot.copy()
    near = cols[1:] == cols[:-1] + 1
    # The left column above the right one: it reaches down to the middle, the right one up to just below it.
    down = near & (bot[:-1] < top[1:])
    mid = (bot[:-1] + top[1:]) // 2
    lo_bot[:-1] = np.where(down, np.maximum(bot[:-1], mid), lo_bot[:-1])
    lo_top[1:] = np.where(down, np.minimum(top[1:], mid + 1), lo_top[1:])
    up = near & (top[:-1] > bot[1:])
    mid = (top[:-1] + bot[1:] + 1) // 2
    lo_top[:-1] = np.where(up, np.minimum(lo_top[:-1], mid), lo_top[:-1])
    lo_bot[1:] = np.where(up, np.maximum(lo_bot[1:], mid - 1), lo_bot[1:])
    counts = lo_bot - lo_top + 1
    xs = np.repeat(cols, counts)
    ys = np.repeat(lo_top, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    far = np.flatnonzero(~near)
    if far.size:  # a gap between two columns (points left out): a line across it
        y0 = np.clip((top[far + 1] + bot[far + 1]) // 2, top[far], bot[far])
        y1 = np.clip((top[far] + bot[far]) // 2, top[far + 1], bot[far + 1])
        gx, gy, _ = raster_segments(cols[far], y0, cols[far + 1], y1)
        xs, ys = np.concatenate([xs, gx]), np.concatenate([ys, gy])
    return xs, ys
