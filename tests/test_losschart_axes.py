"""Property tests (hypothesis) of the loss chart's axis and tick maths.

The pure functions of nntui/app/widgets/losschart.py: choose_scale (linear,
log or automatic log), linear_axis and log_axis (the y range, its ticks and the
rows they land on), tick_label, x_ticks and label_left (the epoch axis),
and the decimation of a long curve (widgets/decimate.py). Row 0 is the top row; row r holds the values from
ymax - (r + 1)·h to ymax - r·h, h = (ymax - ymin) / rows (log10 units on a log
scale). A label is read back as the number it writes, exactly (Decimal), so
"on its row" means the value written, not the one meant.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from types import SimpleNamespace

import numpy as np
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from nntui.app.widgets.losschart import (
    AUTO_LOG_DECADES,
    LossChart,
    choose_scale,
    label_left,
    linear_axis,
    log_axis,
    tick_label,
    x_ticks,
)
from nntui.app.widgets.decimate import Extremes, column_extremes, envelope
from nntui.engine.snapshot import History

settings.register_profile("nntui", max_examples=300, deadline=None)
settings.load_profile("nntui")

finite = st.floats(allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=5e-324, max_value=1.7976931348623157e308, allow_nan=False, allow_infinity=False)
rows_st = st.integers(min_value=1, max_value=60)
gap_st = st.integers(min_value=1, max_value=4)


def value(label: str) -> Decimal:
    """The number a label writes: '−0.25', '1.2e28', '5e-5', '25%'."""
    return Decimal(label.replace("−", "-").rstrip("%"))


def log10(d: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        return d.log10()


def row_span(ymin: float, ymax: float, rows: int, r: int) -> tuple[Decimal, Decimal]:
    """[bottom, top] of row r, exactly as the plot computes it (in Decimal)."""
    lo, hi = Decimal(ymin), Decimal(ymax)
    h = (hi - lo) / rows
    return hi - (r + 1) * h, hi - r * h


def check_rows(ymin, ymax, rows, labels, min_gap, read):
    """The invariants every y axis keeps; `read` turns a label into the
    coordinate of its value (the value, or its log10)."""
    assert math.isfinite(ymin) and math.isfinite(ymax) and ymin < ymax
    assert labels, "an axis with no label at all"
    rs = [r for r, _ in labels]
    assert all(0 <= r < rows for r in rs), labels
    assert len(set(rs)) == len(rs), f"two labels on one row: {labels}"
    texts = [t for _, t in labels]
    assert len(set(texts)) == len(texts), f"a label written twice: {labels}"
    by_row = sorted(labels)
    coords = [read(t) for _, t in by_row]
    assert all(a > b for a, b in zip(coords, coords[1:])), f"not falling downwards: {by_row}"
    gap = min(min_gap, max(1, rows - 1))
    if rows >= 2 * gap + 1:  # room for two labels gap rows apart, and a row to spare
        assert all(b - a >= gap for a, b in zip(sorted(rs), sorted(rs)[1:])), (labels, gap)
    h = (Decimal(ymax) - Decimal(ymin)) / rows
    for r, t in labels:
        bottom, top = row_span(ymin, ymax, rows, r)
        c = read(t)
        slack = h * Decimal("1e-9")  # float rounding of ymin, ymax
        assert bottom - slack <= c <= top + slack, f"{t!r} is not on row {r} [{bottom:.6g}, {top:.6g}]"


# ------------------------------------------------------------------ linear


@given(finite, finite, rows_st, gap_st)
@example(100000.0, 100003.0, 10, 2)  # labels were '1e5' four times
@example(5e-324, 1e-323, 6, 2)  # ZeroDivisionError
@example(-1e308, 1e308, 10, 2)  # the range overflows: labels were '0' and '0'
@example(0.0, 1.7e308, 10, 2)
@example(1.0, 1.0, 1, 2)
@example(0.06, 0.74, 6, 2)
@example(0.0, 0.55, 17, 1)  # ymax fell an ulp below 0.55
def test_linear_axis_ticks_lie_on_their_rows_in_order(a, b, rows, min_gap):
    lo, hi = min(a, b), max(a, b)
    ymin, ymax, labels = linear_axis(lo, hi, rows, min_gap)
    assert ymin <= lo and hi <= ymax, (ymin, ymax)
    check_rows(ymin, ymax, rows, labels, min_gap, value)
    if rows >= 2:
        assert len(labels) >= 2, labels


@given(st.floats(min_value=-1e300, max_value=1e300), st.floats(min_value=-1e300, max_value=1e300), rows_st)
def test_linear_axis_labels_are_row_centres_on_a_round_step(a, b, rows):
    """Within ordinary ranges: each label is exactly the value at its row's
    centre, the rows are of equal height, and the labels are multiples of one
    1-2-2.5-5 step, evenly spaced."""
    lo, hi = min(a, b), max(a, b)
    assume(hi - lo > 1e-9 * max(abs(lo), abs(hi), 1e-300) or lo == hi)
    ymin, ymax, labels = linear_axis(lo, hi, rows)
    h = (Decimal(ymax) - Decimal(ymin)) / rows
    for r, t in labels:
        centre = Decimal(ymax) - (r + Decimal("0.5")) * h
        assert abs(value(t) - centre) <= h * Decimal("1e-6"), (t, r, centre)
    if len(labels) >= 2:
        by_row = sorted(labels)
        steps = {value(t1) - value(t2) for (_, t1), (_, t2) in zip(by_row, by_row[1:])}
        assert len(steps) == 1, by_row
        step = steps.pop()
        mantissa = step.scaleb(-step.adjusted()).normalize()
        assert mantissa in (1, 2, Decimal("2.5"), 5), (step, by_row)
        assert all((value(t) / step) == (value(t) / step).to_integral_value() for _, t in labels), by_row


@given(st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100), st.integers(2, 30))
def test_accuracy_axis_in_percent(a, b, rows):
    """The accuracy panel: percentages, the same invariants."""
    lo, hi = min(a, b), max(a, b)
    ymin, ymax, labels = linear_axis(lo, max(hi, lo + 1), rows)
    check_rows(ymin, ymax, rows, [(r, f"{t}%") for r, t in labels], 2, value)


# ------------------------------------------------------------------ log


@given(positive, positive, rows_st, gap_st)
@example(1.7e308, 1.7e308, 5, 2)  # OverflowError: 10 ** ymax
@example(1e307, 1e308, 8, 2)
@example(5e-324, 5e-324, 4, 2)
@example(0.06, 0.74, 1, 2)
@example(0.06, 0.74, 3, 2)
@example(9.999999999998038e299, 9.999999999999346e299, 2, 1)  # '1e300' on both rows
def test_log_axis_ticks_lie_on_their_rows_in_order(a, b, rows, min_gap):
    lo, hi = min(a, b), max(a, b)
    ymin, ymax, labels = log_axis(lo, hi, rows, min_gap)
    assert ymin <= math.log10(lo) and math.log10(hi) <= ymax
    check_rows(ymin, ymax, rows, labels, min_gap, lambda t: log10(value(t)))
    if rows >= 2:
        assert len(labels) >= 2, labels


def is_digit_times_power_of_ten(d: Decimal) -> bool:
    m = d.scaleb(-d.adjusted()).normalize()
    return m == m.to_integral_value() and 1 <= m <= 9


@given(positive, positive, st.integers(2, 60))
def test_log_axis_labels_decades_when_the_loss_spans_them(a, b, rows):
    """Over many decades every label is a power of ten; over two or more, a
    digit times a power of ten (1-2-5 or 1..9 within decades); within less,
    they may be multiples of a round linear step, but are never longer than
    the values they stand for need."""
    lo, hi = min(a, b), max(a, b)
    ymin, ymax, labels = log_axis(lo, hi, rows)
    span = ymax - ymin
    values = [value(t) for _, t in labels]
    gap = min(2, rows - 1)
    max_labels = max(2, (rows + gap - 1) // gap)
    if span >= 3 * max_labels:
        assert all(v.scaleb(-v.adjusted()).normalize() == 1 for v in values), labels
    elif span >= 2:
        assert all(is_digit_times_power_of_ten(v) for v in values), labels
    assert all(len(v.normalize().as_tuple().digits) <= 6 for v in values), labels


@given(positive, st.integers(2, 40))
def test_log_axis_on_a_constant_loss(v, rows):
    ymin, ymax, labels = log_axis(v, v, rows)
    assert ymin < math.log10(v) < ymax
    assert len(labels) >= 2


# ------------------------------------------------------------------ tick_label


@given(st.integers(-40, 40), st.sampled_from(["1", "2", "2.5", "5"]), st.integers(-2000, 2000),
       st.integers(0, 3))
def test_tick_label_writes_a_multiple_of_its_step_exactly(e, c, j, wider):
    """linear_axis writes j·s (s = c·10^e) with the axis' largest |value| as
    scale: the label reads back as j·s, and two steps never share a label."""
    step = float(Decimal(c).scaleb(e))
    v = j * step
    scale = max(abs(v), abs(v + step), abs(v - step)) * 10**wider
    assume(math.isfinite(scale) and scale > 0)
    text = tick_label(v, step, scale)
    assert abs(value(text) - Decimal(v)) <= Decimal(step) * Decimal("1e-6"), (v, step, text)
    assert tick_label(v + step, step, scale) != text


# ------------------------------------------------------------------ x axis


@given(st.integers(0, 10**7), st.integers(0, 10**5), st.integers(1, 300))
@example(1, 2422, 50)
@example(100000, 5, 3)  # a label wider than the axis
@example(1, 0, 1)
@example(107, 6, 5)
def test_x_ticks_are_whole_epochs_in_order_and_do_not_overlap(xmin, n, columns):
    xmax = xmin + n
    dots = 2 * columns
    ticks = x_ticks(xmin, xmax, columns, dots)
    values = [int(t) for _, t in ticks]
    cols = [int(c) for c, _ in ticks]
    assert all(str(v) == t for v, (_, t) in zip(values, ticks))
    assert all(xmin <= v <= xmax for v in values), ticks
    assert all(a < b for a, b in zip(values, values[1:])), ticks
    assert all(a < b for a, b in zip(cols, cols[1:])), ticks
    span = max(xmax - xmin, 1)
    for v, c in zip(values, cols):
        assert 0 <= c < columns
        # The tick is on the cell where the curve's point at epoch v is drawn.
        assert abs(2 * c + 0.5 - (v - xmin) / span * (dots - 1)) <= 1.0, (v, c)
    ends = []
    for c, t in ticks:
        left = label_left(c, t, columns)
        assert 0 <= left <= c < left + len(t) <= columns, (c, t, left)  # under its tick, inside the axis
        ends.append((left, left + len(t)))
    assert all(e1 < s2 for (_, e1), (s2, _) in zip(ends, ends[1:])), ticks  # a space between labels
    if len(str(xmax)) <= columns:
        assert values, "no epoch labelled where one fits"
    if len(values) >= 3:  # after the first, multiples of one 1-2-5 step
        step = values[2] - values[1]
        assert all(b - a == step for a, b in zip(values[1:], values[2:])), values
        assert all(v % step == 0 for v in values[1:])
        assert int(str(step)[0]) in (1, 2, 5) and set(str(step)[1:]) <= {"0"}, step


# ------------------------------------------------------------------ scale


losses = st.lists(st.one_of(st.floats(), st.floats(min_value=1e-300, max_value=1e300)), min_size=0, max_size=40)


@given(losses, st.booleans(), st.booleans())
def test_choose_scale(values, log_scale, auto_log):
    log, auto, decades = choose_scale(values, log_scale, auto_log)
    v = np.asarray(values, dtype=np.float64)
    pos = v[np.isfinite(v) & (v > 0)]
    assert math.isfinite(decades) and decades >= 0
    if pos.size >= 2:
        assert math.isclose(decades, math.log10(pos.max()) - math.log10(pos.min()), abs_tol=1e-9)
    assert log == bool(pos.size and (log_scale or (auto_log and decades > AUTO_LOG_DECADES)))
    assert auto == (log and not log_scale)
    # Neither the order of the values nor non-finite ones change the choice.
    shuffled = list(np.random.default_rng(0).permutation(v)) + [math.inf, math.nan, -math.inf]
    assert choose_scale(shuffled, log_scale, auto_log)[:2] == (log, auto)


def chart_over(train_loss) -> LossChart:
    w = LossChart()  # not mounted: show() would only store the snapshot
    w.snapshot = SimpleNamespace(history=History(train_loss=tuple(train_loss)), task="regression", step=len(train_loss))
    return w


@given(st.lists(st.one_of(st.floats(), st.floats(min_value=1e-30, max_value=1e30)), min_size=1, max_size=30),
       st.booleans(), st.booleans())
def test_toggle_log_scale_always_gives_the_other_scale(values, log_scale, auto_log):
    """Whatever the chart shows, by the user's choice or automatically, a
    toggle shows the other scale, and a second one the first again; where no
    value can go on a log scale, the toggle flips the user's choice."""
    w = chart_over(values)
    w.auto_log = auto_log
    w.log_scale = log_scale
    w.auto_log = auto_log  # setting log_scale False turns auto_log off
    before = w.shows_log()
    choice = w.log_scale
    w.toggle_log_scale()
    can_log = any(math.isfinite(v) and v > 0 for v in values)
    if can_log:
        assert w.shows_log() != before
        w.toggle_log_scale()
        assert w.shows_log() == before
    else:
        assert not w.shows_log() and w.log_scale != choice


# ------------------------------------------------------------------ decimation


@given(st.lists(st.one_of(st.floats(), st.floats(-1e3, 1e3)), min_size=1, max_size=400), st.integers(2, 40),
       st.lists(st.integers(1, 60), max_size=8))
def test_extremes_keep_the_ends_and_every_extreme(values, max_bins, chunks):
    """Fed in pieces as a run appends, the points kept are real items at their
    indices, in order, with the first and the last, and they hold the series'
    lowest and highest finite values and its lowest positive one."""
    ext, n, grown = Extremes(max_bins), 0, []
    for c in chunks:
        n = min(len(values), n + c)
        ext.update(_appended(grown, values[:n]))  # one list, appended to, as the trainer's
    idx, ys = ext.update(_appended(grown, values)).points()
    assert ext.n == len(values)
    assert list(idx) == sorted(set(idx)) and idx[0] == 0 and idx[-1] == len(values) - 1
    assert all(ys[k] == values[i] or (math.isnan(ys[k]) and math.isnan(values[i])) for k, i in enumerate(idx))
    v = np.asarray(values)
    finite, positive = v[np.isfinite(v)], v[np.isfinite(v) & (v > 0)]
    kept = ys[np.isfinite(ys)]
    if finite.size:
        assert kept.min() == finite.min() and kept.max() == finite.max()
    if positive.size:
        assert kept[kept > 0].min() == positive.min()
    assert len(idx) <= 3 * max_bins + ext.width + 2


def _appended(grown: list, values: list) -> list:
    grown[len(grown):] = values[len(grown):]
    return grown


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=300), st.integers(1, 80))
def test_column_extremes_keep_each_columns_low_and_high(ys, columns):
    ys = np.asarray(ys)
    dots = np.floor(np.arange(len(ys)) / max(1, len(ys)) * 2 * columns).astype(np.int64)
    keep = column_extremes(dots, ys)
    assert list(keep) == sorted(set(keep)) and keep[0] == 0 and keep[-1] == len(ys) - 1
    assert len(keep) <= 2 * columns + 2
    for c in np.unique(dots // 2):
        inside = dots // 2 == c
        shown = ys[keep][dots[keep] // 2 == c]
        assert shown.min() == ys[inside].min() and shown.max() == ys[inside].max()


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 31)), min_size=1, max_size=300))
def test_envelope_covers_each_dot_columns_range_and_leaves_no_gap(points):
    """Each dot column is drawn from its highest to its lowest point, and the
    curve is connected: every dot column between the first and the last has a
    dot, and neighbouring runs touch (their rows overlap or are next to each other)."""
    points = sorted(points)
    x = np.array([p[0] for p in points], dtype=np.int64)
    y = np.array([p[1] for p in points], dtype=np.int64)
    dx, dy = envelope(x, y)
    for c in np.unique(x):
        rows = set(dy[dx == c].tolist())
        assert set(range(int(y[x == c].min()), int(y[x == c].max()) + 1)) <= rows
    assert set(dx.tolist()) == set(range(int(x.min()), int(x.max()) + 1))
    for c in range(int(x.min()), int(x.max())):
        a, b = dy[dx == c], dy[dx == c + 1]
        assert a.min() <= b.max() + 1 and b.min() <= a.max() + 1
