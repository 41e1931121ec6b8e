"""The gradient view, the hidden space and the landscape view as widgets: each
in a bare Textual app at 80x24, in colour and in 16 colours (characters)."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App

from nntui.app.widgets.gradients import GradientView
from nntui.app.widgets.hidden_space import HiddenSpace
from nntui.app.widgets.landscape import GRID, LandscapeView
from nntui.engine.trainer import Trainer
from nntui.experiment.config import config_from_dict
from nntui.experiment.presets import load_preset

SIZE = (80, 24)


class One(App):
    def __init__(self, widget, ansi: bool = False):
        super().__init__(ansi_color=ansi)
        self.widget = widget

    def compose(self):
        yield self.widget


def lines_of(widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


def two_unit_trainer() -> Trainer:
    return Trainer(config_from_dict({
        "data": {"dataset": "circle", "samples": 120, "noise": 0.0, "validation": 0.25, "seed": 1},
        "model": {"layers": [2, 4, 2, 1], "activation": "tanh", "output": "sigmoid", "init": "xavier", "seed": 0},
        "train": {"loss": "bce", "optimizer": "adam", "learning_rate": 0.03, "batch_size": 16, "epochs": 30},
    }, "two.toml"))


async def test_gradient_view_draws_a_curve_a_layer_and_updates_each_epoch():
    tr = Trainer(load_preset("vanishing"))
    w = GradientView()
    async with One(w, ansi=True).run_test(size=SIZE) as pilot:
        w.show(tr.snapshot())
        await pilot.pause()
        assert "train an epoch" in "".join(lines_of(w))
        tr.run(until_epochs=3)
        w.show(tr.snapshot())
        await pilot.pause()
        text = "\n".join(lines_of(w))
        assert "W1/W6 = 1/" in text and "1..6 = W1..W6" in text
        assert all(d in text for d in "123456")  # 16 colours: each layer its own digit
        assert "epoch 1" in text and all(len(line) <= w.size.width for line in lines_of(w))


async def test_hidden_space_cycles_pairs_and_layers():
    tr = two_unit_trainer()
    tr.run()
    w = HiddenSpace()
    async with One(w).run_test(size=SIZE) as pilot:
        w.set_dataset(tr.dataset)
        w.show(tr.snapshot())
        await pilot.pause()
        assert w.choice() == (1, (0, 1))
        assert lines_of(w)[0].strip().startswith("layer 1: unit 0 → x, unit 1 → y (of 4)")
        w.next_pair()
        await pilot.pause()
        assert w.choice() == (1, (0, 2)) and "unit 2 → y" in lines_of(w)[0]
        w.next_pair(-2)
        assert w.choice() == (1, (2, 3))  # wraps round the six pairs
        w.next_layer()
        await pilot.pause()
        assert w.choice() == (2, (0, 1)) and "the output's regions" in lines_of(w)[0]
        body = "".join(lines_of(w)[1:])
        assert "●" in body  # the points, in colour


async def test_hidden_space_in_16_colours_uses_characters():
    tr = two_unit_trainer()
    tr.run()
    w = HiddenSpace()
    async with One(w, ansi=True).run_test(size=SIZE) as pilot:
        w.set_dataset(tr.dataset)
        w.show(tr.snapshot())
        w.next_layer()
        await pilot.pause()
        body = "".join(lines_of(w)[1:])
        assert "o" in body and "x" in body and "·" in body  # classes, and the output's class-1 region


async def test_hidden_space_explains_a_net_without_a_wide_hidden_layer():
    tr = Trainer(load_preset("valley"))
    w = HiddenSpace()
    async with One(w).run_test(size=SIZE) as pilot:
        w.set_dataset(tr.dataset)
        w.show(tr.snapshot())
        await pilot.pause()
        assert "needs a hidden layer of 2 units" in "".join(lines_of(w))


async def test_landscape_view_measures_a_bit_a_tick_and_grows_the_path():
    tr = Trainer(load_preset("xor"))
    tr.keep_timeline()  # as the app's worker does
    w = LandscapeView()
    async with One(w).run_test(size=SIZE) as pilot:
        w.set_dataset(tr.dataset)
        w.show(tr.snapshot())
        for _ in range(4):
            tr.run_epoch()
            w.show(tr.snapshot())
        assert len(w.path) == 5
        for _ in range(100):
            await pilot.pause(0.05)
            if w._shown is not None and w._job is None and w._shown.centre is w.path[-1]:
                break  # the slice around the weights now (after the first one's rest)
        shown = w._shown
        assert shown is not None and shown.done and shown.centre is w.path[-1]
        assert shown.loss_grid[GRID // 2, GRID // 2] == tr.evaluate()["train_loss"]
        text = "\n".join(lines_of(w))
        assert "PC1" in text and "S" in text and "E" in text
        # A new run (fewer steps) starts the path again.
        fresh = Trainer(load_preset("xor"))
        w.show(fresh.snapshot())
        assert len(w.path) == 1


async def test_landscape_view_in_16_colours_is_shade_characters():
    tr = Trainer(load_preset("xor"))
    w = LandscapeView()
    async with One(w, ansi=True).run_test(size=SIZE) as pilot:
        w.set_dataset(tr.dataset)
        w.show(tr.snapshot())
        for _ in range(3):
            tr.run_epoch()
            w.show(tr.snapshot())
        for _ in range(100):
            await pilot.pause(0.05)
            if w._shown is not None and w._job is None:
                break
        body = "".join(lines_of(w)[1:])
        assert set(body) - set(" .:-=+*#%@SoE") == set()
        assert np.isfinite(w._shown.loss_grid).all()


async def test_a_landscape_first_shown_late_draws_the_path_from_the_start():
    """The path is the run's timeline, not what the view happened to see."""
    tr = Trainer(load_preset("xor"))
    tr.keep_timeline()
    tr.run(until_epochs=12)
    tr.run_steps(1)  # between two epoch ends: the weights now end the path
    w = LandscapeView()
    async with One(w).run_test(size=SIZE) as pilot:
        w.set_dataset(tr.dataset)
        w.show(tr.snapshot())
        assert len(w.path) == 14 and w.path[-1]["W1"] is tr.params["W1"]
        assert all(a["W1"] is b.params["W1"] for a, b in zip(w.path, tr.timeline.entries()))
        w.finish()
        await pilot.pause()
        assert "S epoch 0" in "\n".join(lines_of(w))


async def test_the_landscape_measures_the_loss_on_the_inputs_the_network_sees():
    """Under [data] scale the slice's centre is the trainer's own training loss."""
    import dataclasses

    c = load_preset("iris")
    tr = Trainer(dataclasses.replace(c, data=dataclasses.replace(c.data, scale="standard")))
    tr.keep_timeline()
    tr.run(until_epochs=5)
    w = LandscapeView()
    async with One(w).run_test(size=SIZE) as pilot:
        w.set_dataset(tr.dataset)
        w.show(tr.snapshot())
        w.finish()
        await pilot.pause()
        assert w._shown.loss_grid[GRID // 2, GRID // 2] == pytest.approx(tr.evaluate()["train_loss"], rel=1e-12)
