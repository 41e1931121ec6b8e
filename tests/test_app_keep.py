"""In the app: ctrl+s keeps the experiment as a preset; x does not carry over
to regression; PgUp/PgDn scroll the step inspector without Tab."""

from __future__ import annotations

import nntui  # noqa: F401,I001  first: it pins BLAS to one thread before numpy loads

import asyncio

import numpy as np

from nntui.app.app import make_app
from nntui.app.screens.save import SaveDialog
from nntui.app.widgets.confusion import ConfusionView
from nntui.app.widgets.heatmap import WeightHeatmaps
from nntui.app.widgets.inspector import StepInspector
from nntui.app.worker import FinishStep, NextPhase
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset


async def _until(pilot, condition, timeout: float = 30.0) -> None:
    """Poll (the deadline only stops a hung test)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "timed out"
        await pilot.pause(0.05)


async def test_x_on_xor_does_not_carry_over_to_regression():
    """x on xor, then ffn: 'Regression has no classes' stood where the weights
    should be. Regression data puts the weights back."""
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        await pilot.press("x")
        await pilot.pause()
        assert app.query_one(ConfusionView).region.width > 0
        app.main.opener.open("ffn")
        await app.opened()
        assert app.main.opener.failure is None
        await app.settle()
        await pilot.pause()
        assert app.query_one(ConfusionView).region.width == 0
        assert app.query_one(WeightHeatmaps).region.width > 0


async def test_page_keys_scroll_the_inspector_without_tab():
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settle()
        inspector = app.query_one(StepInspector)
        app.runner.send(FinishStep())
        for _ in range(4):  # to backward 2: longer than the panel
            app.runner.send(NextPhase())
        await app.settle()
        await pilot.pause(0.2)
        assert inspector.max_scroll_y > 0 and not inspector.has_focus
        await pilot.press("pageup", "pageup", "pageup")
        await pilot.pause(0.2)
        assert inspector.scroll_offset.y == 0
        await pilot.press("pagedown")
        await pilot.pause(0.2)
        assert inspector.scroll_offset.y > 0
        assert not inspector.has_focus


async def test_ctrl_s_saves_the_edited_experiment_as_a_preset_that_reopens_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        app.main.apply_control("model.hidden", "6, 3")  # as the controls do
        app.main.apply_control("train.learning_rate", "0.07")
        await app.settle()
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SaveDialog)
        field = dialog.query_one("#preset-path")
        field.value = str(tmp_path / "mine.toml")
        field.focus()
        await pilot.press("enter")
        await _until(pilot, lambda: (tmp_path / "mine.toml").exists())
        config = app.main.config
    back = load_preset(tmp_path / "mine.toml")
    assert back.model.layers == (2, 6, 3, 1) and back.train.learning_rate == 0.07
    a, b = Trainer(config), Trainer(back)
    for _ in range(25):
        a.train_step()
        b.train_step()
    for k, v in a.snapshot().params.items():
        assert np.array_equal(v, b.snapshot().params[k])
