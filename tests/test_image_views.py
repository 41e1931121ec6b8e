"""Image data (issue 10, section 4): the sample picture with its class
probabilities, the hidden units' weight pictures, the gallery of mistakes,
and how they share the screen with the boundary (`w`)."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.app.app import make_app
from nntui.app.widgets._common import pack
from nntui.app.widgets._images import HALF, Cells, grey_rgb, image_size, signed_chars, signed_rgb
from nntui.app.widgets.sample_image import bar_cells, prob_text
from nntui.app.worker import FinishStep, RunEpoch
from nntui.experiment.presets import load_preset

LARGE, COMPACT = (160, 48), (80, 24)


def decoded(cells: Cells, x: int, y: int, w: int, h: int) -> np.ndarray:
    """The packed colour of each pixel of a half-block image drawn at (x, y),
    w cells wide and h cells high: (2h, w)."""
    out = np.empty((2 * h, w), dtype=np.int64)
    for r in range(h):
        for c in range(w):
            ch, fg, bg = cells.chars[y + r, x + c], cells.fg[y + r, x + c], cells.bg[y + r, x + c]
            assert ch in (HALF, " "), ch
            out[2 * r, c] = fg if ch == HALF else bg
            out[2 * r + 1, c] = bg
    return out


def text_of(view) -> str:
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


def visible(app, name: str) -> bool:
    view = app.main.views[name]
    return view.display and view.region.area > 0


async def settled(app, pilot, *commands) -> None:
    for command in commands:
        app.runner.send(command)
    await app.settle()
    await pilot.pause()


# ---------------------------------------------------------------- pieces


def test_bars_and_probabilities_in_cells():
    assert bar_cells(1.0, 10) == (10, "")
    assert bar_cells(0.0, 10) == (0, "")
    assert bar_cells(0.5, 10) == (5, "")
    assert bar_cells(0.55, 10) == (5, "▖")  # 5.5 cells: half a cell more
    assert bar_cells(0.52, 10) == (5, "")
    assert bar_cells(float("nan"), 10) == (0, "")
    assert [prob_text(p) for p in (0.934, 0.0, 1.0, 0.996, 0.004)] == [".93", ".00", "1.0", "1.0", ".00"]


def test_image_cells_halve_the_rows_and_keep_each_pixel():
    rng = np.random.default_rng(0)
    v = rng.integers(0, 17, size=(8, 8)).astype(float)
    assert image_size((8, 8), 1, False) == (8, 4) and image_size((8, 8), 2, False) == (16, 8)
    assert image_size((8, 8), 1, True) == (16, 8) and image_size((5, 3), 1, False) == (3, 3)
    cells = Cells(20, 10, [None, None, None])
    rgb = grey_rgb(v, 16)
    cells.image(2, 1, rgb, None, 1)
    assert np.array_equal(decoded(cells, 2, 1, 8, 4), pack(rgb))
    # ASCII: two characters a pixel, the ink as a ramp, no colours.
    cells = Cells(20, 10, [None, None, None])
    cells.image(0, 0, None, signed_chars(v - 8, 8), 1)
    assert "".join(cells.chars[0, :16]) == "".join(c * 2 for c in signed_chars(v[0] - 8, 8))
    assert (cells.fg == -1).all() and (cells.bg == -1).all()


def test_grey_is_black_to_white_and_signed_is_centred_on_zero():
    g = grey_rgb(np.array([0.0, 8.0, 16.0]), 16)
    assert g[0].max() < 40 and g[2].min() > 200 and g[0, 0] < g[1, 0] < g[2, 0]
    s = signed_rgb(np.array([-1.0, 0.0, 1.0]), 1.0)
    assert s[0, 0] > s[0, 2] and s[2, 2] > s[2, 0] and len(set(s[1])) == 1  # orange, grey, blue


# ---------------------------------------------------------------- in the app


async def test_digits_shows_the_image_views_in_place_of_the_boundary():
    app = make_app(load_preset("digits"))
    async with app.run_test(size=LARGE) as pilot:
        await settled(app, pilot)
        assert app.main.images
        for name in ("sample", "units", "mistakes", "loss", "inspector"):
            assert visible(app, name), name
        for name in ("boundary", "heatmaps", "network"):
            assert not visible(app, name), name
        await pilot.press("w")
        await pilot.pause()
        assert not app.main.images and visible(app, "boundary") and not visible(app, "sample")
        await pilot.press("w")
        await pilot.pause()
        assert visible(app, "sample")
        # f (the boundary's next pair of pixels) brings the boundary first.
        await pilot.press("f")
        await pilot.pause()
        assert visible(app, "boundary") and not app.main.images


async def test_data_without_an_image_keeps_the_boundary_and_w_says_why():
    app = make_app(load_preset("iris"))
    async with app.run_test(size=LARGE) as pilot:
        await settled(app, pilot)
        await pilot.press("w")
        await pilot.pause()
        assert not app.main.images and visible(app, "boundary") and not visible(app, "units")
        assert any("Not image data" in n.message for n in app._notifications)
        assert not app.main.views["sample"].ready and app.main.views["sample"].waiting().startswith("not image data")


async def test_the_weight_pictures_are_the_columns_of_W1():
    app = make_app(load_preset("digits"))
    async with app.run_test(size=LARGE) as pilot:
        await settled(app, pilot, RunEpoch())
        units = app.main.views["units"]
        W1 = app.main.shown.params["W1"]
        assert W1.shape == (64, 16)
        text = text_of(units)  # draws the grid
        top = np.abs(W1).max()
        assert units.scale() == top
        for j in range(16):
            assert np.array_equal(units.unit_image(j), W1[:, j].reshape(8, 8))
            x, y, w, h = units._tiles[j]
            assert (w, h) == (8, 5)  # 8×8 pixels in 8×4 cells, and the label
            drawn = decoded(units._cells, x, y, 8, 4)
            assert np.array_equal(drawn, pack(signed_rgb(W1[:, j].reshape(8, 8), top))), j
        assert "h1[15]" in text and "h1[0]" in text
        # The selected neuron (j) is marked: its label in the mark style.
        await pilot.press("j")
        await pilot.pause()
        assert app.main.views["network"].selected == (1, 1) and units.selected == 1
        text_of(units)
        x, y, w, h = units._tiles[1]
        assert set(units._cells.style[y + h - 1, x:x + w].tolist()) == {2}
        x, y, w, h = units._tiles[0]
        assert 2 not in units._cells.style[y + h - 1, x:x + w].tolist()
        # A click on a unit's picture selects that neuron everywhere.
        x, y, w, h = units._tiles[5]
        await pilot.click("#units", offset=(x + 1 + 2, y + 1 + 1))  # + the border
        await pilot.pause()
        assert units.selected == 5 and app.main.views["network"].selected == (1, 5)
        assert app.main.views["inspector"].neuron == 5


async def test_the_sample_shows_its_label_and_the_nets_probabilities():
    app = make_app(load_preset("digits"))
    async with app.run_test(size=LARGE) as pilot:
        await settled(app, pilot, RunEpoch(), RunEpoch())
        sample = app.main.views["sample"]
        trainer_x, trainer_y = app.main.dataset.x_val, app.main.dataset.y_val
        x, label, where = sample.current()
        assert np.array_equal(x, trainer_x[0]) and label == trainer_y[0] and "validation sample 1/" in where
        p = sample.probabilities()
        assert p.shape == (10,) and abs(p.sum() - 1) < 1e-9 and (p >= 0).all()
        W1, b1, W2, b2 = (app.main.shown.params[k] for k in ("W1", "b1", "W2", "b2"))
        logits = np.maximum(x @ W1 + b1, 0) @ W2 + b2
        assert np.allclose(p, np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum())
        text = text_of(sample)
        rows = text.splitlines()
        for k in range(10):  # a row per class, its probability at the end
            assert rows[k].rstrip().endswith(prob_text(p[k])), rows[k]
        # The longest bar is the argmax's.
        cells = sample._cells
        lengths = [int((cells.chars[k, 17:] == "▆").sum()) for k in range(10)]  # right of the 16-cell picture
        assert int(np.argmax(lengths)) == int(np.argmax(p)) and max(lengths) >= 20
        guess = str(int(np.argmax(p)))
        assert sample.border_title.startswith(f"sample: {label} → {guess}")
        # The picture is the sample's ink, 8×8 pixels at scale 2 (16×8 cells).
        drawn = decoded(cells, 0, 0, 16, 8)
        assert np.array_equal(drawn[::2, ::2], pack(grey_rgb(x.reshape(8, 8), 16)))
        # No batch: , and . go through the validation images.
        await pilot.press("full_stop")
        await pilot.pause()
        assert np.array_equal(sample.current()[0], trainer_x[1])
        await pilot.press("comma", "comma")
        await pilot.pause()
        assert np.array_equal(sample.current()[0], trainer_x[-1])
        # Stepping: the batch's sample, as the inspector shows it.
        await settled(app, pilot, FinishStep())
        await pilot.press("full_stop")
        await pilot.pause()
        s = app.main.shown
        assert app.main.views["inspector"].sample == 1 and sample.sample == 1
        assert np.array_equal(sample.current()[0], s.batch_x[1]) and "batch sample 2/32" in sample.current()[2]


async def test_the_gallery_lists_exactly_the_misclassified_validation_samples():
    app = make_app(load_preset("digits"))
    async with app.run_test(size=LARGE) as pilot:
        await settled(app, pilot, RunEpoch())
        gallery = app.main.views["mistakes"]
        params = app.main.shown.params
        x, y = app.main.dataset.x_val, app.main.dataset.y_val
        logits = np.maximum(x @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]
        expected = np.flatnonzero(np.argmax(logits, axis=1) != y)
        idx, truth, guess = gallery.mistakes()
        assert 0 < len(idx) < len(x)
        assert np.array_equal(idx, expected) and np.array_equal(truth, y[expected])
        assert np.array_equal(guess, np.argmax(logits, axis=1)[expected])
        assert gallery.border_title == f"validation mistakes after epoch 1: {len(idx)} of {len(x)} wrong"
        text = text_of(gallery)
        assert f"{truth[0]}→{guess[0]}" in text and "more" in text
        first = decoded(gallery._cells, 0, 0, 8, 4)
        assert np.array_equal(first, pack(grey_rgb(x[idx[0]].reshape(8, 8), 16)))
        # A step within the epoch leaves it be; the epoch's end updates it.
        before = gallery._version
        await settled(app, pilot, FinishStep())
        assert gallery._version == before
        await settled(app, pilot, RunEpoch())
        assert gallery._version > before and "after epoch 2" in gallery.border_title


async def test_at_80x24_the_sample_and_its_bars_are_on_screen():
    app = make_app(load_preset("digits"))
    async with app.run_test(size=COMPACT) as pilot:
        await settled(app, pilot, RunEpoch())
        assert visible(app, "sample") and visible(app, "loss")
        assert not visible(app, "units") and not visible(app, "mistakes")
        sample = app.main.views["sample"]
        assert sample.size.height >= 10
        rows = text_of(sample).splitlines()
        p = sample.probabilities()
        assert all(rows[k].rstrip().endswith(prob_text(p[k])) for k in range(10))
        # i: the mistakes and the units' pictures, in the inspector's and the loss chart's places
        await pilot.press("i")
        await pilot.pause()
        assert visible(app, "mistakes") and visible(app, "units") and visible(app, "sample")
        assert not visible(app, "inspector") and not visible(app, "loss") and not visible(app, "network")
        await pilot.press("i")
        await pilot.pause()
        assert visible(app, "inspector") and visible(app, "loss") and not visible(app, "units")


async def test_ascii_images_have_no_colours():
    app = make_app(load_preset("digits"))
    async with app.run_test(size=LARGE) as pilot:
        await settled(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        units = app.main.views["units"]
        assert units.ascii and app.main.views["boundary"].ascii
        text_of(units)
        cells = units._cells
        assert (cells.fg == -1).all() and (cells.bg == -1).all()
        x, y, w, h = units._tiles[0]
        assert (w, h) == (16, 9)
        W1 = app.main.shown.params["W1"]
        row0 = "".join(c * 2 for c in signed_chars(W1[:, 0].reshape(8, 8)[0], np.abs(W1).max()))
        assert "".join(cells.chars[y, x:x + 16]) == row0
        assert "(j/k)" in units.border_subtitle  # the grid pages: not all 16 fit in ASCII


@pytest.mark.parametrize("size", [LARGE, (100, 30)])
async def test_every_unit_fits_at_160x48_and_the_page_follows_the_selection(size):
    app = make_app(load_preset("digits"))
    async with app.run_test(size=size) as pilot:
        await settled(app, pilot)
        units = app.main.views["units"]
        text_of(units)
        if size == LARGE:
            assert sorted(units._tiles) == list(range(16)) and "(j/k)" not in units.border_subtitle
            return
        shown = sorted(units._tiles)
        assert 0 in shown and len(shown) < 16
        units.selected = 15
        await pilot.pause()
        text_of(units)
        assert 15 in units._tiles and 0 not in units._tiles
        assert f"units {min(units._tiles)}–15 of 16" in units.border_subtitle


async def test_without_a_hidden_layer_the_pictures_are_the_output_units():
    """A 64-10 softmax net: W1 feeds the outputs, one picture per class."""
    import dataclasses

    config = load_preset("digits")
    config = dataclasses.replace(config, model=dataclasses.replace(config.model, layers=(64, 10)))
    app = make_app(config)
    async with app.run_test(size=LARGE) as pilot:
        await settled(app, pilot, RunEpoch())
        units = app.main.views["units"]
        text = text_of(units)
        assert sorted(units._tiles) == list(range(10)) and "ŷ[9]" in text
        assert "output unit" in units.border_title
        assert np.array_equal(units.unit_image(3), app.main.shown.params["W1"][:, 3].reshape(8, 8))


async def test_dead_units_are_marked_on_their_pictures_and_counted():
    from nntui.app.app import NNTuiApp
    from nntui.engine.trainer import Trainer

    trainer = Trainer(load_preset("digits"))
    trainer.run(until_epochs=1)
    trainer.params["b1"][3] = -1e6  # z1[3] < 0 for every image: a ReLU that is 0 everywhere
    X = trainer.dataset.x_train
    expected = ~(np.maximum(X @ trainer.params["W1"] + trainer.params["b1"], 0) > 0).any(axis=0)
    assert expected[3]
    app = NNTuiApp(trainer.config, trainer)
    async with app.run_test(size=LARGE) as pilot:
        await app.settle()
        await pilot.pause()
        units = app.main.views["units"]
        assert units.dead().tolist() == expected.tolist()
        text = text_of(units)
        for j in range(16):
            assert (f"✕h1[{j}]" in text) == bool(expected[j]), j
        assert f"{int(expected.sum())} dead ✕" in str(units.border_title)
