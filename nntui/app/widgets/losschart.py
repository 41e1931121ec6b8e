"""LossChart: train and validation loss per epoch, and accuracy in a panel below.

Drawn here with braille dots (2×4 a cell) and the Line API, not by plotext: the
axes are computed so that every label sits on the row that holds its value.

- Linear scale: the rows are of equal height u = s/k, where s is a 1-2-5 step
  and a label is written every k rows, so the labels are round numbers, evenly
  spaced, each exactly the value at its row's centre.
- Log scale: labels at decades, or 1-2-5 (or 1..9) within a decade when the loss
  spans less, each on the row whose range holds it. Always at least two.
- Only finite values are plotted (a diverged run ends in inf or NaN). Big and
  small labels use compact e-notation (1.2e28). When the finite losses span
  more than AUTO_LOG_DECADES decades, the chart switches to a log scale by
  itself and says so in its title. On a linear scale (while the automatic
  scale is on), an epoch 1 far above the rest (`first_epoch_outlier`) is left
  out of the y range, drawn at the top edge, and its value named in the title:
  the learning after it fills the chart.
- Validation is drawn dotted and under training, so that neither hides the
  other where they meet.
- The x-axis is the epoch (an integer); before the first epoch ends, the step.
- Accuracy (classification) has its own small panel under the loss, sharing the
  x-axis, so neither curve hides the other.
- Ghosts (`set_ghosts`): the train loss of earlier runs (app/ghosts.py), drawn
  under the live curves in muted colours and named in the bottom border. While
  they show, the x-axis is the epoch even before the live run's first epoch.
- Marks: a dotted vertical line at early stopping's best epoch (green), and at
  the epoch shown from the run's timeline (white), named in the bottom border.
- The learning rate (`show_lr`, the `E` key): a small panel under the loss, the
  rate each epoch was trained with (a schedule's curve).
- A click on the plot posts `LossChart.EpochPicked(epoch)`: the app shows that
  epoch from the run's timeline.

A redraw costs a few ms, but the chart still redraws at most MAX_FPS times a
second (a call to show() in between only schedules one). Its cost does not grow
with the run's length: each series is followed by a `decimate.Extremes`, which
reads only the epochs added since the last redraw and keeps a bounded set of
them (the first, the last, and the lowest and highest of every small bin of
consecutive epochs), at their own epochs and exact values. The axes, the scale
(and the automatic log) and epoch 1's outlier are computed from those, and come
out as from the whole series: its lowest and highest values are among them. A
series of more than POINTS_PER_COLUMN points per column of the plot is then drawn
as, in each dot column, a run of dots from its lowest to its highest point
(`decimate.envelope`), as a line through every epoch draws it, so a spike stays
visible where it happened; only the order of the values within one dot column
is not drawn, and `plotted` counts its dot columns. A shorter one is drawn point
by point.
"""

from __future__ import annotations

import math
import sys
from decimal import Decimal, localcontext
from time import monotonic

import numpy as np
from rich.segment import Segment
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.timer import Timer

from nntui.engine.snapshot import Snapshot
from nntui.text import palette

from ._common import Braille, cells_to_strip, pack, raster_segments
from .decimate import Extremes, envelope
from .view import View

MAX_FPS = 5.0
POINTS_PER_COLUMN = 2
# The chart turns log by itself when the losses span more than a decade: a
# loss that falls from 0.7 to 0.02 is then learning seen at every epoch, not a
# cliff at epoch 1 and a flat line after it.
AUTO_LOG_DECADES = 1.0

# The CLI's pair (text/palette.py): blue is train, orange is validation, in
# the loss and the accuracy panels alike.
C_TRAIN = palette.TRAIN_CURVE
C_VAL = palette.VAL_CURVE
C_BEST = (90, 180, 90)  # early stopping's best epoch
C_SHOWN = (200, 200, 200)  # the epoch shown from the timeline
C_LR = (170, 120, 200)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# ------------------------------------------------------------------ scale


def choose_scale(values, log_scale: bool, auto_log: bool) -> tuple[bool, bool, float]:
    """(log, auto, decades) of a loss chart over these values: log when the
    user asked for it (log_scale) or, with auto_log, when the positive finite
    values span more than AUTO_LOG_DECADES decades (auto); never without a
    positive finite value to plot. decades: log10(max / min) of those values."""
    v = np.asarray(values, dtype=np.float64).ravel()
    positive = v[np.isfinite(v) & (v > 0)]
    # log10 of each, not of the ratio, which overflows (1e300 / 1e-10).
    decades = float(math.log10(positive.max()) - math.log10(positive.min())) if positive.size >= 2 else 0.0
    auto = not log_scale and auto_log and decades > AUTO_LOG_DECADES
    log = (log_scale or auto) and positive.size > 0
    return bool(log), bool(auto and log), decades


def first_epoch_outlier(series) -> float | None:
    """The largest loss at epoch 1 when it lies far above the rest (above
    their top by more than twice their whole span: it would squash them into
    the bottom third of the chart), with at least two later epochs), else None.
    series: [(name, xs, ys, colour)] with xs the epochs."""
    first, rest = [], []
    for _name, xs, ys, _colour in series:
        ok = np.isfinite(ys)
        first.append(ys[ok & (xs == 1)])
        rest.append(ys[ok & (xs >= 2)])
    first_v, rest_v = np.concatenate(first), np.concatenate(rest)
    if not first_v.size or rest_v.size < 2 or len(np.unique(np.concatenate([xs for _, xs, _, _ in series]))) < 3:
        return None
    top, span = float(rest_v.max()), float(rest_v.max() - rest_v.min())
    worst = float(first_v.max())
    return worst if span > 0 and worst - top > 2 * span else None


# ------------------------------------------------------------------ ticks


def _nice_steps(start: float, mantissas=(1, 2, 5)):
    """1, 2, 5 × 10^e (or other mantissas), from the first at or above `start`, upwards."""
    e = math.floor(math.log10(start)) if start > 0 else -300
    while True:
        for c in mantissas:
            s = c * 10.0**e
            if s >= start * (1 - 1e-12):
                yield s
        e += 1


def tick_label(v: float, step: float, scale: float | None = None) -> str:
    """A tick value, as short as its step allows: 0.25, 1200, 1.2e28, 5e-5.
    E-notation when the axis' largest |value| (`scale`, default |v|) is at or
    above 1e5 or below 1e-3, or when a decimal would need more than 5 places."""
    if v == 0 or abs(v) < step * 1e-9:
        return "0"
    a = abs(v)
    sign = "−" if v < 0 else ""
    scale = a if scale is None else abs(scale)
    if scale >= 1e5 or scale < 1e-3 or step < 1e-5:
        exp = math.floor(math.log10(a))
        # As many decimals as the step needs: capped at 3, 100002 and 100004
        # (step 2) were both written 1e5.
        dec = _decimals(_unscaled(step, exp))
        mant = f"{_unscaled(a, exp):.{dec}f}"
        if mant.startswith("10"):  # 9.96 rounded up
            exp += 1
            mant = f"{_unscaled(a, exp):.{dec}f}"
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        return f"{sign}{mant}e{exp}"
    return f"{sign}{a:.{_decimals(step)}f}"


def _unscaled(a: float, exp: int) -> float:
    """a / 10^exp, also below 1e-307, where 10^exp is 0 as a float."""
    if exp < -300:
        return a * 1e300 / 10.0 ** (exp + 300)
    return a / 10.0**exp


def _decimals(step: float) -> int:
    """Decimal places that write a multiple of step exactly: 0.25 -> 2, 5 -> 0."""
    dec = max(0, -math.floor(math.log10(step) + 1e-9))
    while dec < 15 and abs(round(step, dec) - step) > step * 1e-6:
        dec += 1
    return dec


def linear_axis(lo: float, hi: float, rows: int, min_gap: int = 2):
    """(ymin, ymax, [(row, label)]) for `rows` rows of equal height.

    Each row's centre is a multiple of u = s/k (s a 1-2-5 step); every k-th row,
    the one whose centre is a multiple of s, is labelled with that value. Of
    all (s, k) that fit [lo, hi] in the rows, the smallest u wins (the data
    fills the most rows), then the most labels at least min_gap rows apart."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi < lo:
        lo, hi = hi, lo
    if hi - lo <= max(abs(hi) * 1e-12, 1e-290):  # one value: a small range around it
        # (Values within 1e-290 of each other count as one: finer steps would
        # be subnormal floats, too coarse to hold a label on its row.)
        d = abs(hi) * 0.1 if abs(hi) > 1e-280 else 1.0
        lo, hi = max(lo - d, -sys.float_info.max), min(hi + d, sys.float_info.max)
    rows = max(1, rows)
    gap = min(min_gap, max(1, rows - 1))
    best = None
    for k in range(gap, rows + 1):
        start = (hi - lo) * k / rows
        if not math.isfinite(start) or start <= 0:
            break
        for s in _nice_steps(start, (1, 2, 2.5, 5)):
            u = s / k
            if not math.isfinite(s):
                break  # beyond the largest float: no coarser step either
            m = math.floor(lo / u + 0.5)
            if (m + rows - 0.5) * u < hi:
                continue
            if not math.isfinite((m - 0.5) * u + rows * u):
                break  # ymax would overflow
            labelled = [i for i in range(rows) if (m + i) % k == 0]
            if len(labelled) < min(2, rows) and k > gap:
                break  # a coarser label step would label one row only
            # The finest rows win, but three labels are worth rows 1.25× as tall.
            few = len(labelled) < min(3, (rows + 1) // 2)
            key = (u * (1.25 if few else 1.0), -len(labelled))
            if best is None or key < best[0]:
                best = (key, s, k, m)
            break
    if best is None:  # no step fits in floats (a range near ±1e308): a label in each end row
        h = hi / rows - lo / rows  # (hi - lo overflows)
        if rows == 1:
            return lo, hi, [(0, _short_label(lo, hi))]
        # In the outer half of each end row, so that two rows never share a label.
        return lo, hi, [(0, _short_label(hi - h / 2, hi)), (rows - 1, _short_label(lo, lo + h / 2))]
    _, s, k, m = best
    u = s / k
    if len([i for i in range(rows) if (m + i) % k == 0]) < 2 <= rows and gap > 1:
        # One label gives no scale (3 rows, 0.3..0.69: '0.5' alone): labels on
        # neighbouring rows then (0.8, 0.6, 0.4).
        return linear_axis(lo, hi, rows, min_gap=1)
    # (min, max: the data's ends may fall an ulp outside the rows: 0..0.55 on 17 rows)
    ymin = min((m - 0.5) * u, lo)
    ymax = max(ymin + rows * u, hi)
    scale = max(abs(ymin), abs(ymax))
    labels = []
    for i in range(rows):  # i = 0 is the bottom row
        if (m + i) % k == 0:
            labels.append((rows - 1 - i, tick_label((m + i) // k * s, s, scale)))
    return ymin, ymax, labels


def _short_label(a: float, b: float) -> str:
    """The number with the fewest significant digits in [a, b], written as
    tick_label writes it (0.25, 1200, 1.2e28, −3e307)."""
    if a <= 0 <= b:
        return "0"
    da, db = Decimal(a), Decimal(b)
    mid = (da + db) / 2
    for digits in range(1, 18):
        with localcontext() as ctx:
            ctx.prec = digits
            c = +mid  # mid to `digits` significant digits
        if da <= c <= db:
            break
    c = c.normalize()
    sign = "−" if c < 0 else ""
    c = abs(c)
    if Decimal("1e-3") <= c < Decimal("1e5"):
        return sign + format(c, "f")
    digits = "".join(map(str, c.as_tuple().digits))
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mant}e{c.adjusted()}"


def _log_label(c: float, e: int) -> str:
    if -3 <= e <= 4:
        return f"{c * 10.0**e:.{max(0, -e)}f}"
    return f"{c:g}e{e}"


def log_axis(lo: float, hi: float, rows: int, min_gap: int = 2):
    """(ymin, ymax, [(row, label)]) in log10 units for values lo..hi (> 0):
    decades when they fit, else 1-2-5 or 1..9 within decades, else round values
    of a linear step; each label on the row that holds it."""
    llo, lhi = math.log10(lo), math.log10(hi)
    if lhi - llo < 0.05:  # nearly constant: a small range around it
        mid = (llo + lhi) / 2
        llo, lhi = mid - 0.1, mid + 0.1
    rows = max(1, rows)
    u = (lhi - llo) / max(1, rows - 1)  # the extremes at row centres
    ymin, ymax = llo - u / 2, lhi + u / 2
    gap = min(min_gap, max(1, rows - 1))
    max_labels = max(2, (rows + gap - 1) // gap)

    def row_of(ly: float) -> int:
        return min(rows - 1, max(0, math.floor((ymax - ly) / (ymax - ymin) * rows)))

    def keep(ticks) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for ly, label in ticks:
            if not ymin <= ly <= ymax:
                continue
            r = row_of(ly)
            if all(abs(r - r2) >= gap for r2, _ in out):
                out.append((r, label))
        return out

    e_lo, e_hi = math.floor(ymin), math.ceil(ymax)
    # Candidates, in order of preference: every n-th decade (n the 1-2-5 step
    # that keeps them min_gap rows apart), 1-2-5 within decades, 1..9 within
    # decades, round values of a linear step (within a fraction of a decade).
    rows_per_decade = rows / (ymax - ymin)
    n = int(next(_nice_steps(max(1.0, gap / rows_per_decade))))
    decades = range(e_lo, e_hi + 1)
    groups: list[tuple[int, list]] = [(min(3, max_labels), [[(e, _log_label(1, e)) for e in decades if e % n == 0]])]
    if ymax - ymin < 3 * max_labels:
        groups.append((2, [[(e, _log_label(1, e)) for e in decades],
                           [(e + math.log10(c), _log_label(c, e)) for e in decades for c in (1, 2, 5)]]))
        groups.append((2, [[(e + math.log10(c), _log_label(c, e)) for e in decades for c in range(1, 10)]]))
    if ymax - ymin < 2 and -307 < ymin and ymax < 308:  # (10**ymax overflowed near 1e308)
        vlo, vhi = 10**ymin, 10**ymax
        step = next(_nice_steps((vhi - vlo) / (max_labels + 1)))
        groups.append((2, [[(math.log10(j * step), tick_label(j * step, step))
                            for j in range(math.ceil(vlo / step), math.floor(vhi / step) + 1) if j > 0]]))
    # Regular decades when they label enough rows; else decades or 1-2-5,
    # whichever labels more rows; else 1..9 within decades; else round values.
    best: list[tuple[int, str]] = []
    for enough, group in groups:
        for ticks in group:
            kept = keep(ticks)
            if len(kept) > len(best):
                best = kept
        if len(best) >= enough:
            break
    if len(best) < min(2, rows):  # the top and bottom rows, each with a value it holds
        h = (ymax - ymin) / rows
        if rows == 1:
            best = [(0, _log_row_label(ymin, ymax))]
        else:  # in the outer half of each, so that two rows never share a label (1e300, 1e300)
            best = [(0, _log_row_label(ymax - h / 2, ymax)), (rows - 1, _log_row_label(ymin, ymin + h / 2))]
    return ymin, ymax, best


def _log_row_label(lo: float, hi: float) -> str:
    """The shortest label of a value whose log10 is in [lo, hi] (a row's span)."""
    mid = (lo + hi) / 2
    e = round(mid)
    if lo <= e <= hi:  # a row over a decade or more holds a power of ten
        return _log_label(1, e)
    e = math.floor(mid)
    for digits in range(0, 6):
        c = round(10 ** (mid - e), digits)
        ce, cc = (e + 1, c / 10) if c >= 10 else (e, c)
        if lo <= ce + math.log10(cc) <= hi:
            break
    if -3 <= ce <= 4:
        return tick_label(cc * 10.0**ce, 10.0 ** (ce - digits))
    return f"{cc:g}e{ce}"


def x_ticks(xmin: float, xmax: float, columns: int, dots: int) -> list[tuple[int, str]]:
    """Integer ticks as (column, label): the first epoch, then the multiples of
    the finest 1-2-5 step whose labels all fit, two blanks apart. (Dropping
    overlapping labels one by one would leave the rest uneven: 90 95 100 110
    115, or 152 170 190.)"""
    if columns <= 0:
        return []
    width = len(str(int(xmax))) + 2
    room = max(1, columns // width)
    span = max(1.0, xmax - xmin)

    def place(values: list[int]) -> list[tuple[int, int, str]] | None:
        """(left, col, label) of each value; None if two labels come too close."""
        out: list[tuple[int, int, str]] = []
        for v in values:
            col = int(_x_dot(v, xmin, xmax, dots)) // 2
            label = str(v)
            if len(label) > columns:
                continue  # wider than the axis
            left = label_left(col, label, columns)
            if out and left <= out[-1][0] + len(out[-1][2]) + 1:
                return None
            out.append((left, col, label))
        return out

    for s in _nice_steps(max(1.0, span / room)):
        s = max(1, int(round(s)))
        values = list(range(int(math.ceil(xmin / s)) * s, int(xmax) + 1, s))
        if len(values) > room:
            continue
        ticks = place(values)
        if ticks is not None:
            break
    if not values or values[0] > xmin + s / 3:
        first = place([int(xmin)])
        if first:  # the first epoch, and the multiples clear of its label
            end = first[0][0] + len(first[0][2])
            ticks = first + [t for t in ticks if t[0] > end + 1]
    return [(col, label) for _, col, label in ticks]


def label_left(col: int, label: str, columns: int) -> int:
    """The first column of an x label: centred under its tick, kept inside the axis."""
    return min(max(0, col - len(label) // 2), columns - len(label))


def _x_dot(x, xmin: float, xmax: float, dots: int):
    span = (xmax - xmin) or 1.0
    return np.rint((np.asarray(x, dtype=np.float64) - xmin) / span * (dots - 1)).astype(np.int64)


# ------------------------------------------------------------------ widget


class LossChart(View):
    """Per-epoch loss (train, validation), and accuracy for classification.

    Public API: ``show(snapshot)``; reactive ``log_scale`` (bool, the user's
    choice) and ``toggle_log_scale()`` (toggles what is seen); reactive
    ``auto_log`` (bool): while True, a linear chart whose losses span more than
    AUTO_LOG_DECADES decades is drawn on a log scale, and says so. ``plotted``
    maps each series drawn last to its number of points (a long one's: its dot columns); ``redraws`` counts
    the redraws; ``effective_log`` is the scale drawn last, ``shows_log()``
    the scale drawn now or at the redraw already due (what a toggle inverts).
    """

    DEFAULT_CSS = """
    LossChart {
        border-subtitle-color: $text-muted;
    }
    LossChart > .losschart--axis {
        color: $text-muted;
    }
    LossChart > .losschart--label {
        color: $text;
    }
    """
    COMPONENT_CLASSES = {"losschart--axis", "losschart--label"}

    log_scale: reactive[bool] = reactive(False)
    auto_log: reactive[bool] = reactive(True)
    show_lr: reactive[bool] = reactive(False)

    class EpochPicked(Message):
        """A click on the plot: the epoch under it."""

        def __init__(self, epoch: int) -> None:
            super().__init__()
            self.epoch = epoch

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._drawn_key: tuple | None = None
        self._last_draw = -math.inf
        self._timer: Timer | None = None
        self._strips: list[Strip] = []
        self.plotted: dict[str, int] = {}
        self.redraws = 0
        self.effective_log = False
        self.border_title = "loss"
        self.ghosts: tuple = ()  # app/ghosts.Ghost, oldest first
        self.ghosts_visible = True
        self._ghosts_version = 0
        self._xmap: tuple | None = None  # (label width, plot columns, first epoch, last epoch) drawn
        self._extremes: dict[str, Extremes] = {}  # each series followed, by its name

    # ------------------------------------------------------------ contract

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        """Against what was drawn last, not the last snapshot: the throttle
        may have let snapshots by undrawn."""
        return self._key() != self._drawn_key

    def invalidate(self) -> None:
        self._schedule()  # now, or later if the last redraw was just drawn

    def shows_log(self) -> bool:
        """Whether the chart draws its loss on a log scale: on screen now, or at
        the redraw already scheduled (the throttle may hold it a moment)."""
        if self.snapshot is None:
            return False
        loss, _acc, _xlabel = self._series()
        if not loss:
            return False
        return choose_scale(np.concatenate([ys for _, _, ys, _ in loss]), self.log_scale, self.auto_log)[0]

    def toggle_log_scale(self) -> None:
        """The other scale than the one shown: linear if the loss is on a log
        scale (the user's or the automatic one), else log. Two toggles before a
        redraw come back to where they started. With nothing plotted on a log
        scale, it flips the user's choice (log_scale)."""
        if self.shows_log():
            self.auto_log = False  # the user asked for linear: no automatic log
            self.log_scale = False
        else:
            self.log_scale = not self.log_scale

    def set_ghosts(self, ghosts: tuple, visible: bool, version: int) -> None:
        """The earlier runs to draw under this one (see app/ghosts.py)."""
        self.ghosts, self.ghosts_visible, self._ghosts_version = tuple(ghosts), visible, version
        self._schedule()

    # ------------------------------------------------------------ throttle

    def _key(self) -> tuple:
        s = self.snapshot
        if s is None:
            return (None, self.size.width, self.size.height)
        h = s.history
        # Before the first epoch ends the chart shows the batch losses, which
        # change every step; after it, only a new epoch changes the chart.
        batch = (len(h.batch_loss), s.step) if not h.train_loss else None
        if not h.train_loss and not h.batch_loss:
            batch = (0, s.step, 0 < s.done < len(s.phases))  # which hint to show
        return (len(h.train_loss), len(h.val_loss), len(h.train_accuracy), batch,
                h.train_loss[-1:], s.task, s.loss_name, self.log_scale, self.auto_log,
                self.size.width, self.size.height, self._ghosts_version,
                s.best_epoch, s.replay_of, s.epoch if s.replay_of is not None else None, self.show_lr, len(h.lr))

    def _schedule(self) -> None:
        if self.snapshot is None or not self.size.width or not self.size.height:
            return  # nothing to draw yet, or not laid out: show() or on_resize comes
        wait = self._last_draw + 1.0 / MAX_FPS - monotonic()
        if wait <= 0:
            self._redraw()
        elif self._timer is None:
            self._timer = self.set_timer(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._key() != self._drawn_key:
            self._redraw()

    def watch_log_scale(self, old: bool, new: bool) -> None:
        if old and not new:
            self.auto_log = False  # the user asked for linear: no automatic log
        if self.snapshot is not None:
            self._schedule()

    def watch_auto_log(self, _old: bool, _new: bool) -> None:
        if self.snapshot is not None:
            self._schedule()

    def watch_show_lr(self, _old: bool, _new: bool) -> None:
        if self.snapshot is not None:
            self._schedule()

    def epoch_at(self, x: int) -> int | None:
        """The epoch under column x of the widget (None off the plot, or before an epoch has ended)."""
        if self._xmap is None:
            return None
        lw, pw, xmin, xmax = self._xmap
        col = x - (lw + 1)
        if not 0 <= col < pw:
            return None
        if xmax <= xmin:
            return int(xmin)
        return int(round(xmin + col * 2 / max(1, 2 * pw - 1) * (xmax - xmin)))

    def on_click(self, event) -> None:
        epoch = self.epoch_at(event.x)
        if epoch is not None:
            self.post_message(self.EpochPicked(epoch))

    def on_resize(self, _event) -> None:
        self._schedule()

    def notify_style_update(self) -> None:
        """Theme or CSS changed: rebuild with the new text colours (cheap)."""
        super().notify_style_update()
        if self.is_mounted and self._strips:
            self._redraw()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y < len(self._strips):
            strip = self._strips[y]
            if strip.cell_length == width:
                return strip
            return strip.crop(0, width).extend_cell_length(width)
        return Strip.blank(width, self.get_component_rich_style("losschart--axis"))

    # ------------------------------------------------------------ drawing

    def _redraw(self) -> None:
        self._last_draw = monotonic()
        self._drawn_key = self._key()
        self.redraws += 1
        self._strips = self._build(self.size.width, self.size.height)
        self.refresh()

    def _series(self):
        """[(name, xs, ys, colour)] of the loss and of the accuracy, and the x label."""
        s = self.snapshot
        h = s.history
        loss, acc = [], []
        if h.train_loss:
            xlabel = "epoch"
            for name, values, colour in (("train loss", h.train_loss, C_TRAIN), ("val loss", h.val_loss, C_VAL)):
                if values:
                    loss.append((name, *self._points(name, values, 1), colour))
            if s.task in ("binary", "multiclass"):
                for name, values, colour in (("train acc", h.train_accuracy, C_TRAIN), ("val acc", h.val_accuracy, C_VAL)):
                    if values:
                        acc.append((name, *self._points(name, values, 1), colour))
        elif h.batch_loss:
            n = len(h.batch_loss)
            xlabel = "step (epoch 1 in progress)"
            loss.append(("batch loss", *self._points("batch loss", h.batch_loss, s.step - n + 1), C_TRAIN))
        else:
            xlabel = ""
        ghosts = self._ghost_series()
        if ghosts:
            if not h.train_loss:  # the ghosts' axis is the epoch: no batch losses on it
                loss, xlabel = [], "epoch"
            loss = ghosts + loss
        return loss, acc, xlabel

    def _ghost_series(self):
        if not self.ghosts_visible:
            return []
        return [(f"ghost: {g.label}", *self._points(f"ghost {i}", g.train_loss, 1), g.colour)
                for i, g in enumerate(self.ghosts) if g.train_loss]

    def _points(self, key: str, values, x0: int) -> tuple[np.ndarray, np.ndarray]:
        """(xs, ys) of the points kept of a series (decimate.Extremes, followed
        from one call to the next under `key`): every point of a short series."""
        ext = self._extremes.get(key)
        if ext is None:
            ext = self._extremes[key] = Extremes()
        idx, ys = ext.update(values).points()
        return idx + x0, ys

    def _build(self, width: int, height: int) -> list[Strip]:
        axis = self.get_component_rich_style("losschart--axis")
        label_style = self.get_component_rich_style("losschart--label")
        self.plotted = {}
        s = self.snapshot
        if s is None or width <= 0 or height <= 0:
            self.border_title = "loss"
            self.border_subtitle = ""
            return []
        loss, acc, xlabel = self._series()
        loss_name = f"{s.loss_name} loss"
        if not loss:
            self.border_title = loss_name
            self.border_subtitle = self._ghost_legend("", width - 2)
            # Phase by phase, the first step's loss joins the curve when the step ends.
            msg = ("no loss yet: s finishes the step, space plays" if 0 < s.done < len(s.phases)
                   else "no loss yet: step (n, s) or play (space)")
            return [Strip([Segment(msg[:width].ljust(width), axis)], width)] + [
                Strip.blank(width, axis) for _ in range(height - 1)]

        # Only finite values; in log scale only positive ones.
        finite = np.concatenate([ys[np.isfinite(ys)] for _, _, ys, _ in loss])
        positive = finite[finite > 0]
        log, auto, decades = choose_scale(finite, self.log_scale, self.auto_log)
        self.effective_log = log

        # Rows: loss panel, [separator, accuracy panel], x-axis, x labels.
        axis_rows = 2 if height >= 3 else 0
        acc_rows = lr_rows = 0
        h = s.history
        has_acc = any(np.isfinite(ys).any() for _, _, ys, _ in acc)
        # The rate (y) takes the accuracy's panel: the accuracy goes to the title.
        wants_lr = self.show_lr and xlabel == "epoch" and bool(h.lr)
        if (has_acc or wants_lr) and height - axis_rows >= 7:
            rows = max(2, round((height - axis_rows) * 0.3))
            lr_rows, acc_rows = (rows, 0) if wants_lr else (0, rows)
        sep_rows = 1 if acc_rows or lr_rows else 0
        loss_rows = height - axis_rows - acc_rows - lr_rows - sep_rows

        outlier = None
        if not log and self.auto_log and xlabel == "epoch":
            outlier = first_epoch_outlier(loss)
        if log:
            lo, hi = float(positive.min()), float(positive.max())
            ymin, ymax, ylabels = log_axis(lo, hi, loss_rows)
        elif outlier is not None:  # epoch 1 off the top: the range of the rest
            rest = np.concatenate([ys[np.isfinite(ys) & (xs >= 2)] for _, xs, ys, _ in loss])
            ymin, ymax, ylabels = linear_axis(float(rest.min()), float(rest.max()), loss_rows)
        elif finite.size:
            ymin, ymax, ylabels = linear_axis(float(finite.min()), float(finite.max()), loss_rows)
        else:
            ymin, ymax, ylabels = 0.0, 1.0, []
        if acc_rows:
            av = np.concatenate([ys[np.isfinite(ys)] for _, _, ys, _ in acc]) * 100
            amin, amax, alabels = linear_axis(float(av.min()), float(max(av.max(), av.min() + 1)), acc_rows)
            alabels = [(r, f"{t}%") for r, t in alabels]
        else:
            alabels = []
        if lr_rows:
            lr_xs, lr_values = self._points("lr", h.lr, 1)
            lmin, lmax, llabels = linear_axis(float(lr_values.min()), float(lr_values.max()), lr_rows)
        else:
            llabels = []
        lw = max([len(t) for _, t in ylabels + alabels + llabels] + [1])
        pw = max(1, width - lw - 1)  # plot columns
        dots_x = 2 * pw

        xs_all = np.concatenate([xs for _, xs, _, _ in loss + acc])
        xmin, xmax = float(xs_all.min()), float(xs_all.max())
        max_points = max(2, POINTS_PER_COLUMN * pw)

        marks = []
        if xlabel == "epoch" and h.train_loss:
            if s.best_epoch:
                marks.append((s.best_epoch, C_BEST))
            if s.replay_of is not None:
                marks.append((s.epoch, C_SHOWN))
        self._xmap = (lw, pw, xmin, xmax) if xlabel == "epoch" and h.train_loss else None

        def panel(series, rows, lo_v, hi_v, transform):
            canvas = Braille(pw, rows)
            for x, colour in marks:  # under the curves: a dot every other row
                dx = _x_dot(np.array([x]), xmin, xmax, dots_x)
                canvas.dots(np.full(2 * rows, dx[0]), np.arange(0, 4 * rows, 2),
                            int(pack(np.array(colour, dtype=np.uint8))), prio=-1.0)
            for name, xs, ys, colour in series:
                with np.errstate(all="ignore"):
                    yv = transform(ys)
                ok = np.isfinite(yv)
                if not ok.any():
                    continue
                xv, yv = xs[ok], yv[ok]
                self.plotted[name] = len(xv)
                dx = _x_dot(xv, xmin, xmax, dots_x)
                span = (hi_v - lo_v) or 1.0
                dy = np.floor((hi_v - yv) / span * (4 * rows)).astype(np.int64)
                dy = np.clip(dy, 0, 4 * rows - 1)
                c = int(pack(np.array(colour, dtype=np.uint8)))
                # Training on top of validation, which is dotted (where the
                # two meet, both still show); earlier runs' ghosts under both.
                prio = -1.0 if name.startswith("ghost") else 0.0 if name.startswith("val") else 1.0
                if len(xv) > max_points:  # a long run: each dot column from its lowest to its highest
                    x, y = envelope(dx, dy)
                    self.plotted[name] = int(np.unique(dx).size)  # one run of dots a dot column
                    if name.startswith("val"):
                        keep = (x // 2 + y // 4) % 2 == 0
                        x, y = x[keep], y[keep]
                    canvas.dots(x, y, c, prio)
                elif len(dx) == 1:
                    canvas.dots(dx, dy, c, prio)
                elif name.startswith("val"):
                    x, y, _ = raster_segments(dx[:-1], dy[:-1], dx[1:], dy[1:])
                    keep = (x // 2 + y // 4) % 2 == 0  # every other cell's dots
                    canvas.dots(x[keep], y[keep], c, prio)
                else:
                    canvas.segments(dx[:-1], dy[:-1], dx[1:], dy[1:], c, prio)
            return canvas

        def loss_transform(v):
            if log:
                return np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
            return v

        strips: list[Strip] = []

        def plot_rows(canvas: Braille, rows: int, labels):
            at = dict(labels)
            for r in range(rows):
                text = at.get(r)
                head = Segment((text or "").rjust(lw), label_style)
                tick = Segment("┤" if text is not None else "│", axis)
                body = cells_to_strip(canvas.chars(r).tolist(), canvas.colour[r], np.full(pw, -1), axis)
                strips.append(Strip.join([Strip([head, tick], lw + 1), body]))

        canvas = panel(loss, loss_rows, ymin, ymax, loss_transform)
        plot_rows(canvas, loss_rows, ylabels)
        if lr_rows:
            strips.append(Strip([Segment(" " * lw + "├", axis), Segment("╌" * pw, axis)], lw + 1 + pw))
            lr_series = [("lr", lr_xs, lr_values, C_LR)]
            canvas = panel(lr_series, lr_rows, lmin, lmax, lambda v: v)
            plot_rows(canvas, lr_rows, llabels)
        if acc_rows:
            strips.append(Strip([Segment(" " * lw + "├", axis), *(Segment("╌" * 10, axis) for _ in range(pw // 10)),
                                 Segment("╌" * (pw % 10), axis)], lw + 1 + pw))
            canvas = panel(acc, acc_rows, amin, amax, lambda v: v * 100)
            plot_rows(canvas, acc_rows, alabels)
        if axis_rows:
            ticks = x_ticks(xmin, xmax, pw, dots_x)
            labels = [" "] * pw
            for col, text in ticks:
                left = label_left(col, text, pw)
                labels[left: left + len(text)] = list(text)
            # One segment per tick: a font whose '─' is not one cell wide
            # (an SVG screenshot's) then drifts no further than to the next tick.
            segs = [Segment(" " * lw + "└", axis)]
            start = 0
            for col, _ in ticks:
                if col > start:
                    segs.append(Segment("─" * (col - start), axis))
                segs.append(Segment("┬", axis))
                start = col + 1
            if start < pw:
                segs.append(Segment("─" * (pw - start), axis))
            strips.append(Strip(segs, lw + 1 + pw))
            strips.append(Strip([Segment(" " * (lw + 1) + "".join(labels), label_style)], width))

        # Title: the scale and the legend; subtitle: the x-axis.
        if auto:
            scale = f" (auto log: {decades:.1f} decades)" if decades < 2 else f" (auto log: {decades:.0f} decades)"
        elif log:
            scale = " (log)"
        elif outlier is not None:
            scale = f" (epoch 1 off the top: {tick_label(outlier, 10.0 ** (math.floor(math.log10(abs(outlier))) - 2) if outlier else 1.0)})"
        else:
            scale = ""
        legend = [f"[{_hex(C_TRAIN)}]━ train[/]"] if any(n.startswith("train") for n in self.plotted) else []
        if "batch loss" in self.plotted:
            legend = [f"[{_hex(C_TRAIN)}]━ batch[/]"]
        if "val loss" in self.plotted or "val acc" in self.plotted:
            legend.append(f"[{_hex(C_VAL)}]━ val[/]")
        if lr_rows:
            legend.append(f"[{_hex(C_LR)}]━ lr[/]")
        if acc_rows:
            extra = "  · acc below"
        elif has_acc:
            h = s.history
            extra = "  · acc " + " / ".join(f"{100 * a[-1]:.0f}%" for a in (h.train_accuracy, h.val_accuracy) if a)
        else:
            extra = ""
        # The longest title that fits the border: the scale's details go
        # first, then the note on accuracy, then the word 'loss', then the legend.
        legend_text = "  " + " ".join(legend)
        legend_len = 2 + sum(len(n) - len(f"[{_hex(C_TRAIN)}]") - len("[/]") for n in legend) + max(0, len(legend) - 1)
        short = " (log)" if log else (" (epoch 1 off top)" if outlier is not None else "")
        options = [(f"{loss_name}{scale}", legend_text, legend_len, extra),
                   (f"{loss_name}{short}", legend_text, legend_len, extra),
                   (f"{loss_name}{scale}", legend_text, legend_len, ""),
                   (f"{s.loss_name}{scale}", legend_text, legend_len, ""),
                   (f"{s.loss_name}{short}", legend_text, legend_len, ""),
                   (f"{s.loss_name}{short}", "", 0, "")]
        room = width - 2
        head, leg, _, note = next((o for o in options if len(o[0]) + o[2] + len(o[3]) <= room), options[-1])
        self.border_title = head + leg + note
        for x, colour in marks:
            what = f"best {x}" if colour == C_BEST else f"epoch {x} of {s.replay_of}"
            xlabel += f" · ┊ {what}"
        self.border_subtitle = self._ghost_legend(xlabel, width - 2)
        return strips[:height]

    def _ghost_legend(self, xlabel: str, room: int) -> str:
        """The x label, then each ghost drawn, newest first, as many as fit."""
        from textual.markup import escape

        text, used = escape(xlabel), len(xlabel)
        if self.ghosts and not self.ghosts_visible:
            note = f"{len(self.ghosts)} earlier run{'s' if len(self.ghosts) > 1 else ''} hidden (h)"
            note = f" · {note}" if text else note
            return text + note if used + len(note) <= room else text
        for g in reversed(self.ghosts):
            if f"ghost: {g.label}" not in self.plotted:
                continue
            item = f" · ━ {g.label}"
            if used + len(item) > room:
                break
            text += f" · [{_hex(g.colour)}]━ {escape(g.label)}[/]"
            used += len(item)
        return text
