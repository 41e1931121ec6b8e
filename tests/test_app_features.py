"""Pilot tests of issue 10's feature toggles and confusion matrix view."""

from __future__ import annotations

import numpy as np
from textual.widgets import Button

from nntui.app.worker import RunEpoch
from nntui.engine.features import expand
from tests.test_app import SIZE, app_for, press, screen_text


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_a_feature_toggle_rebuilds_the_network_with_a_notice():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        hidden = app.main.config.model.layers[1:]
        assert app.query_one("#feature-x1", Button).has_class("-on")
        assert not app.query_one("#feature-x1_x2", Button).has_class("-on")
        points = app.main.dataset
        await pilot.click("#feature-x1_x2")
        await app.settle()
        await pilot.pause()
        assert app.main.config.data.features == ("x1", "x2", "x1_x2")
        assert app.main.config.model.layers == (3, *hidden)  # the hidden layers kept
        assert app.main.dataset is points  # the same points: only what the network sees changed
        assert app.query_one("#feature-x1_x2", Button).has_class("-on")
        assert any(m.startswith("x1·x2 on: the network's inputs are x1, x2, x1·x2 (2 → 3 input units")
                   for m in notices(app))
        s = app.main.shown
        assert s.sizes[0] == 3 and s.features == ("x1", "x2", "x1_x2") and s.step == 0
        # The next step trains on the features of the batch's points.
        app.runner.send(RunEpoch())
        frame = await app.settle()
        assert frame.snapshot.epoch == 1
        await pilot.press("n")
        frame = await app.settle()
        snap = frame.snapshot
        assert np.array_equal(snap.batch_x, expand(snap.batch_points, ("x1", "x2", "x1_x2")))
        # The inspector names the features as the input.
        assert "the features x1, x2, x1·x2 of the point (x1, x2)" in " ".join(screen_text(app).split())
        # Off again, then the last one on refuses to go.
        await pilot.click("#feature-x1_x2")
        await pilot.click("#feature-x1")
        await app.settle()
        await pilot.pause()
        assert app.main.config.data.features == ("x2",) and app.main.config.model.layers[0] == 1
        await pilot.click("#feature-x2")
        await pilot.pause()
        assert app.main.config.data.features == ("x2",)
        assert any("at least one feature stays on" in m for m in notices(app))


async def test_the_toggles_hide_for_data_that_is_not_2_d():
    app = app_for("iris")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.query_one("#feature-toggles").display


async def test_x_shows_the_confusion_matrix_in_the_weights_place():
    app = app_for("iris")
    async with app.run_test(size=SIZE) as pilot:
        confusion, heatmaps = app.main.views["confusion"], app.main.views["heatmaps"]
        assert not confusion.display and heatmaps.display
        await press(pilot, "x")
        assert confusion.display and not heatmaps.display
        assert "Measured at each epoch's end" in screen_text(app)
        for _ in range(3):
            app.runner.send(RunEpoch())
        frame = await app.settle()
        await pilot.pause()
        c = frame.snapshot.confusion
        assert c is not None and c.epoch == 3
        words = " ".join(screen_text(app).split())
        right = f"{100 * np.trace(c.counts) / c.counts.sum():.1f}".removesuffix(".0")
        assert f"validation set · 30 samples · {right}% right · after epoch 3" in words
        assert "setosa" in words and "versicolor" in words
        await press(pilot, "x")
        assert not confusion.display and heatmaps.display


async def test_x_at_80x24_takes_the_loss_charts_place():
    app = app_for("iris")
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.send(RunEpoch())
        await app.settle()
        await press(pilot, "x")
        assert app.main.views["confusion"].display and not app.main.views["loss"].display
        words = " ".join(screen_text(app).split())
        assert "validation · " in words and "% right · epoch 1" in words and "setosa" in words


async def test_x_on_regression_says_there_is_none():
    app = app_for("plane")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "x")
        assert not app.main.views["confusion"].display
        assert any("Regression has no classes" in m for m in notices(app))


async def test_the_help_names_x_and_the_footer_still_fits_its_last_keys():
    from nntui.app.keys import KEYS, help_rows

    app = app_for("iris")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "^s" in footer and "? help" in footer and "x conf" not in footer  # x is in the help
    assert any(keys == "x" and "confusion matrix" in what for keys, what in help_rows(KEYS))


async def test_after_a_toggle_space_plays_rather_than_toggling_again():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#feature-sin_x1")
        await app.settle()
        await pilot.pause()
        assert app.main.config.data.features == ("x1", "x2", "sin_x1") and app.focused is None
        await pilot.press("space")
        await pilot.pause(0.3)
        await pilot.press("space")
        frame = await app.settle()
        assert app.main.config.data.features == ("x1", "x2", "sin_x1") and frame.snapshot.step > 0


async def test_the_toggles_work_from_the_keyboard():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#feature-x2_sq", Button).focus()
        await pilot.press("enter")
        await app.settle()
        await pilot.pause()
        assert app.main.config.data.features == ("x1", "x2", "x2_sq") and app.main.config.model.layers[0] == 3
