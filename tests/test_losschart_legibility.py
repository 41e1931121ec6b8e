"""What to watch on the loss chart can be seen: the validation curve does not
hide the training curve, and learning after epoch 1 is not squashed flat by
epoch 1's loss (a log scale over a decade, else epoch 1 left off the top,
both said in the title)."""

import nntui  # noqa: F401,I001  first: it pins BLAS to one thread before numpy loads

import numpy as np
from rich.text import Text

from nntui.app.widgets.losschart import C_TRAIN, C_VAL, LossChart, first_epoch_outlier

from test_widgets import One, lines_of, make_snapshot, with_history


def pack_rgb(rgb) -> int:
    return (int(rgb[0]) << 16) | (int(rgb[1]) << 8) | int(rgb[2])


def cell_colours(w) -> list[set]:
    out = []
    for y in range(w.size.height):
        out.append({pack_rgb(seg.style.color.triplet) for seg in w.render_line(y)
                    if seg.style and seg.style.color and seg.style.color.triplet and seg.text.strip()})
    return out


async def test_validation_does_not_hide_training_where_they_meet():
    """xor, spiral, blobs: validation, drawn last, covered the training curve
    where the two ran together. Equal curves now show training (drawn on top),
    and validation still shows between (dotted, under it)."""
    same = list(0.5 + 0.1 * np.cos(np.arange(40) / 6))
    w = LossChart()
    w.auto_log = False
    async with One(w).run_test(size=(60, 12)) as pilot:
        w.show(with_history(make_snapshot(task="regression"), train_loss=same, val_loss=same))
        await pilot.pause()
        seen = set().union(*cell_colours(w))
        assert pack_rgb(C_TRAIN) in seen and pack_rgb(C_VAL) not in seen  # equal: training on top
        w2 = LossChart()
    async with One(w2).run_test(size=(60, 12)) as pilot:
        # Validation alone is dotted: some cells of its path are left empty.
        w2.show(with_history(make_snapshot(task="regression"), train_loss=[1.0] * 40,
                             val_loss=list(np.linspace(0.9, 0.1, 40))))
        await pilot.pause()
        val_cells = sum(pack_rgb(C_VAL) in row for row in cell_colours(w2))
        assert val_cells >= 3
        assert "━ val" in Text.from_markup(str(w2.border_title)).plain


async def test_a_loss_that_falls_more_than_a_decade_is_drawn_log_and_says_so():
    w = LossChart()
    async with One(w).run_test(size=(70, 14)) as pilot:
        w.show(with_history(make_snapshot(task="regression"), train_loss=list(0.7 * np.exp(-np.arange(60) / 15) + 0.02)))
        await pilot.pause()
        assert w.effective_log and "auto log: 1.3 decades" in str(w.border_title)


def test_first_epoch_outlier_is_found_only_when_it_squashes_the_rest():
    def s(values):
        return [("train loss", np.arange(1, len(values) + 1), np.asarray(values, dtype=np.float64), C_TRAIN)]
    assert first_epoch_outlier(s([0.9, 0.30, 0.28, 0.27, 0.26])) == 0.9
    assert first_epoch_outlier(s([0.35, 0.30, 0.28, 0.27, 0.26])) is None  # a fall like the rest's
    assert first_epoch_outlier(s([0.9, 0.3])) is None  # too few epochs to tell
    assert first_epoch_outlier(s([0.9, 0.3, 0.3])) is None  # nothing after it to show


async def test_epoch_1_far_above_the_rest_is_left_off_the_top_and_named():
    """ffn, blobs: epoch 1's loss set the linear range, and the learning after
    it was a flat line at the bottom. Within a decade, epoch 1 is now left off
    the range (drawn on the top edge) and named in the title; the labels span
    the later epochs only. The user's linear scale (l) shows everything."""
    loss = [0.9] + list(0.3 - 0.05 * (1 - np.exp(-np.arange(40) / 8)))
    w = LossChart()
    async with One(w).run_test(size=(70, 14)) as pilot:
        w.show(with_history(make_snapshot(task="regression"), train_loss=loss))
        await pilot.pause()
        assert not w.effective_log
        assert "epoch 1 off the top: 0.9" in str(w.border_title)
        labels = [float(t.replace("−", "-")) for line in lines_of(w) if "┤" in line
                  for t in [line.split("┤")[0].strip()] if t]
        assert max(labels) < 0.5, labels
        w.toggle_log_scale()
        w.toggle_log_scale()  # log, then the user's linear: the whole range
        await pilot.pause(0.5)
        assert "off the top" not in str(w.border_title)
