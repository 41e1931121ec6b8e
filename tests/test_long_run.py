"""A run left playing for minutes: what a frame reads stays bounded, and what it shows stays exact.

A snapshot shares the history's lists (engine/series.py) instead of copying
them, and stays as it was when the trainer rewinds; the loss chart and the
gradient view follow each series, reading only the epochs added since their
last redraw, and draw a bounded number of points (app/widgets/decimate.py)
with the same axes, scale and numbers as from the whole series; a lesson's
conditions read the series as arrays kept up to date. Checked by identity,
lengths and counts of the items read, never by time.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import nntui  # noqa: F401,I001  first: it pins BLAS to one thread before numpy loads
from nntui.app import lesson_quiz
from nntui.app.widgets import gradients, losschart
from nntui.app.widgets.decimate import Extremes
from nntui.app.widgets.losschart import LossChart
from nntui.engine.series import ArrayMirror, Series
from nntui.engine.snapshot import History
from nntui.engine.trainer import Trainer
from nntui.experiment.lessons import run_env
from nntui.experiment.presets import load_preset
from tests.test_widgets import One

LONG = 50_000


class Counting(list):
    """A history list that counts the items read through slices (how Series,
    ArrayMirror and Extremes read a run's new epochs)."""

    read = 0

    def __getitem__(self, i):
        out = super().__getitem__(i)
        if isinstance(i, slice):
            Counting.read += len(out)
        return out


def long_curve(n: int = LONG, spike: int | None = None) -> list[float]:
    t = np.arange(1, n + 1)
    v = 0.05 + 0.7 / np.sqrt(t) + 0.01 * np.sin(t / 50.0)
    if spike is not None:
        v[spike - 1] = 2.0  # one epoch far above the rest
    return [float(x) for x in v]


def short_trainer(epochs: int = 3) -> Trainer:
    tr = Trainer(load_preset("xor"))
    tr.keep_timeline()
    tr.run(until_epochs=epochs)
    return tr


# ------------------------------------------------------------------ snapshots


def test_a_snapshot_of_a_long_history_shares_it_instead_of_copying_it():
    tr = short_trainer()
    for k, v in tr.history.items():  # a long run's history (the trainer only appends to these lists)
        if k != "batch_loss":
            v.extend(long_curve(LONG - len(v)))
    snap = tr.snapshot()
    h = snap.history
    shared = {"train_loss": h.train_loss, "val_loss": h.val_loss, "train_accuracy": h.train_accuracy,
              "val_accuracy": h.val_accuracy, "lr": h.lr,
              **{f"grad_norm_{w}": s for w, s in h.grad_norm.items()}}
    assert len(shared) == len(tr.history) - 1
    for k, s in shared.items():
        if not tr.history[k]:
            continue
        assert isinstance(s, Series) and s.base is tr.history[k] and len(s) == LONG, k
        assert s == tuple(tr.history[k]) and s[-1] == tr.history[k][-1] and list(s[:2]) == tr.history[k][:2]
    assert len(h.batch_loss) <= 2000  # the batch losses: a bounded tail, copied
    # The worker appends: the snapshot taken before still shows its epochs, no more.
    tr.run(until_epochs=tr.epoch + 2)
    assert len(h.train_loss) == LONG and len(tr.snapshot().history.train_loss) == LONG + 2
    assert tr.snapshot().history.train_loss.base is h.train_loss.base


def test_a_rewind_leaves_the_snapshots_taken_before_it_as_they_were():
    tr = short_trainer(8)
    snap = tr.snapshot()
    before = list(tr.history["train_loss"])
    assert tr.branch_from(4)
    assert tr.history["train_loss"] is not snap.history.train_loss.base  # a shorter list in its place
    assert len(tr.history["train_loss"]) == 4 and tr.history["train_loss"] == before[:4]
    tr.set_weight("W1", (0, 0), 3.0)  # the run goes on differently from epoch 4
    tr.run(until_epochs=8)
    assert tr.history["train_loss"][4:] != before[4:]
    assert snap.history.train_loss == tuple(before) and len(snap.history.train_loss) == 8
    # A step back over an epoch's end cuts the per-epoch series the same way.
    snap = tr.snapshot()
    while tr.epoch == 8:
        assert tr.step_back()
    assert len(tr.history["train_loss"]) == 7 and len(snap.history.train_loss) == 8


def test_series_reads_as_the_tuple_it_replaces():
    base = [0.5, 0.25, math.nan, 0.125]
    s = Series(base, 1, 4)
    assert len(s) == 3 and s[0] == 0.25 and s[-1] == 0.125 and s[:1] == (0.25,) and s[::2] == (0.25, 0.125)
    assert s[-1:] == (0.125,) and s[5:] == () and list(s) == base[1:] and s != (0.25, 2.0, 0.125)
    assert Series(base, 0, 2) == (0.5, 0.25) == Series(base, 0, 2) and Series(base, 0, 2) == [0.5, 0.25]
    with pytest.raises(IndexError):
        s[3]
    base.append(9.0)  # appended after: not in the view
    assert len(s) == 3 and np.asarray(s).tolist()[0] == 0.25 and np.asarray(s).shape == (3,)
    assert s.tail(1) == (0.125,) and len(s.tail(2)) == 2 and len(Series(base)) == 5


def test_an_array_mirror_reads_only_what_was_appended():
    base = Counting(long_curve(1000))
    mirror = ArrayMirror()
    Counting.read = 0
    a = mirror.update(Series(base))
    assert Counting.read == 1000 and a.tolist() == list(base)
    base.extend([1.0, 2.0])
    Counting.read = 0
    b = mirror.update(Series(base))
    assert Counting.read == 2 and b.tolist() == list(base) and len(a) == 1000  # the old array as it was
    new = Counting(base[:10])  # a rewound run: another list, read afresh
    Counting.read = 0
    c = mirror.update(Series(new))
    assert Counting.read == 10 and c.tolist() == list(base[:10]) and b.tolist()[:10] == c.tolist()
    assert b[-1] == 2.0  # an array handed out is never written again


# ------------------------------------------------------------------ the loss chart


def long_snapshot(train, val):
    snap = short_trainer(2).snapshot()
    return dataclasses.replace(snap, history=History(train_loss=train, val_loss=val), epoch=len(train),
                               task="regression")


def plot_extents(w: LossChart) -> dict[int, tuple[int, int]]:
    """{column: (top row, bottom row)} of the drawn dots, per plot column."""
    lines = [w.render_line(y).text for y in range(w.size.height)]
    rows = [line.split("┤" if "┤" in line else "│", 1)[1] for line in lines if "┤" in line or "│" in line]
    out: dict[int, tuple[int, int]] = {}
    for r, body in enumerate(rows):
        for c, ch in enumerate(body):
            if "⠁" <= ch <= "⣿":
                top, _ = out.get(c, (r, r))
                out[c] = (min(top, r), r)
    return out


async def draw(snap, size=(70, 18)):
    """(lines, title, subtitle, plotted, column extents) of a linear loss chart of `snap`."""
    w = LossChart()
    async with One(w).run_test(size=size) as pilot:
        w.auto_log = False  # linear: a spike sets the top of the axis
        w.show(snap)
        await pilot.pause()
        return ([w.render_line(y).text for y in range(w.size.height)], w.border_title, w.border_subtitle,
                dict(w.plotted), plot_extents(w), w.size.width)


async def test_the_loss_chart_of_a_long_run_plots_few_points_with_the_same_axes_and_spikes(monkeypatch):
    spike = 31_337
    train, val = long_curve(spike=spike), long_curve()
    snap = long_snapshot(Series(train), Series([v * 1.1 for v in val]))
    drawn, title, subtitle, plotted, extents, width = await draw(snap)
    assert set(plotted) == {"train loss", "val loss"}
    assert all(0 < n <= 2 * width for n in plotted.values())
    # The same chart from every point (no decimation): the same labels, title and axis.
    monkeypatch.setattr(losschart, "Extremes", lambda: Extremes(max_bins=10**9))
    monkeypatch.setattr(losschart, "POINTS_PER_COLUMN", 10**9)
    every, title2, subtitle2, plotted2, full, _ = await draw(snap)
    assert plotted2["train loss"] == LONG
    assert [line.split("┤")[0] for line in drawn if "┤" in line] == \
        [line.split("┤")[0] for line in every if "┤" in line]
    assert drawn[-2:] == every[-2:] and (title, subtitle) == (title2, subtitle2)
    # The spike: on the top row, in its column, in both; and here every cell is the same.
    highest = min(t for t, _ in full.values())
    top = [c for c, (t, _) in full.items() if t == highest]
    assert len(top) == 1 and extents[top[0]][0] == highest and highest <= 1
    assert drawn == every


async def test_a_noisy_long_run_is_drawn_as_every_epoch_draws_it(monkeypatch):
    """Noise on a falling loss, on the automatic log scale: each plot column's
    dots reach as high and as low as when every epoch is drawn."""
    rng = np.random.default_rng(7)
    train = [v * float(np.exp(rng.normal(0, 0.3))) for v in long_curve()]
    snap = long_snapshot(Series(train), ())
    w = LossChart()
    async with One(w).run_test(size=(90, 20)) as pilot:
        w.show(snap)
        await pilot.pause()
        drawn, extents, log = [w.render_line(y).text for y in range(w.size.height)], plot_extents(w), w.effective_log
    monkeypatch.setattr(losschart, "Extremes", lambda: Extremes(max_bins=10**9))
    monkeypatch.setattr(losschart, "POINTS_PER_COLUMN", 10**9)
    w = LossChart()
    async with One(w).run_test(size=(90, 20)) as pilot:
        w.show(snap)
        await pilot.pause()
        every, full = [w.render_line(y).text for y in range(w.size.height)], plot_extents(w)
    assert log and w.effective_log and "auto log" in str(w.border_title)
    assert [line.split("┤")[0] for line in drawn if "┤" in line] == [line.split("┤")[0] for line in every if "┤" in line]
    assert extents.keys() == full.keys()
    assert all(abs(extents[c][0] - full[c][0]) <= 1 and abs(extents[c][1] - full[c][1]) <= 1 for c in full)
    assert sum(extents[c] != full[c] for c in full) <= len(full) // 10


async def test_the_loss_chart_reads_only_the_epochs_added_since_its_last_redraw():
    train = Counting(long_curve())
    w = LossChart()
    async with One(w).run_test(size=(70, 18)) as pilot:
        w.show(long_snapshot(Series(train), ()))
        await pilot.pause()
        assert w.plotted["train loss"] <= 2 * w.size.width
        follow = w._extremes["train loss"]
        train.extend(long_curve(30)[10:])  # 20 more epochs, as the worker appends them
        Counting.read = 0
        w.show(long_snapshot(Series(train), ()))
        for _ in range(100):  # the throttle draws it on its timer
            await pilot.pause(0.05)
            if w._drawn_key == w._key():
                break
        assert w._drawn_key == w._key() and w._extremes["train loss"] is follow and follow.n == LONG + 20
        assert 20 <= Counting.read <= 40
        assert len(follow.points()[0]) <= 3 * follow.max_bins + follow.width + 2


# ------------------------------------------------------------------ the gradient view and lessons


def test_the_gradient_chart_of_a_long_run_reads_the_new_epochs_only_and_keeps_its_labels():
    norms = {"W1": Counting(long_curve()), "W2": Counting([v * 100 for v in long_curve()])}
    follow: dict[str, Extremes] = {}
    Counting.read = 0
    text = gradients.chart_lines({k: Series(v) for k, v in norms.items()}, 60, 12, False, follow).plain
    assert Counting.read == 2 * LONG
    every = gradients.chart_lines({k: np.asarray(v) for k, v in norms.items()}, 60, 12, False,
                                  {k: Extremes(max_bins=10**9) for k in norms}).plain
    labels = [line[:gradients.AXIS] for line in text.splitlines()]
    assert labels == [line[:gradients.AXIS] for line in every.splitlines()]
    assert text.splitlines()[0] == every.splitlines()[0] and text.splitlines()[-1] == every.splitlines()[-1]
    for v in norms.values():
        v.append(0.5)
    Counting.read = 0
    gradients.chart_lines({k: Series(v) for k, v in norms.items()}, 60, 12, False, follow)
    assert Counting.read == 2 and all(e.n == LONG + 1 for e in follow.values())


def test_a_lessons_conditions_read_the_same_numbers_from_arrays_kept_up_to_date():
    tr = short_trainer(6)
    tr.history["train_loss"] = Counting(tr.history["train_loss"])  # counts what the conditions read
    snap = tr.snapshot()
    mirrors: dict = {}
    Counting.read = 0
    env = lesson_quiz.snapshot_env(snap, mirrors)
    assert Counting.read == 6
    plain = run_env({k: list(v) for k, v in tr.history.items()}, tr.epoch, tr.step,
                    sum(int(np.size(v)) for v in tr.params.values()))
    assert env.keys() == plain.keys()
    for k, v in plain.items():
        assert np.array_equal(env[k], v, equal_nan=True) if isinstance(v, np.ndarray) else env[k] == v, k
    tr.run(until_epochs=9)
    Counting.read = 0
    env = lesson_quiz.snapshot_env(tr.snapshot(), mirrors)
    assert Counting.read == 3 and env["train_loss"].tolist() == tr.history["train_loss"] and env["epochs"] == 9
