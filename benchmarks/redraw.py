"""Redraw benchmark: what one redraw of the heaviest views costs, against a frame.

    python benchmarks/redraw.py [--rounds 5]

Each redraw is timed with its caches cleared, best of --rounds (the machine is
shared: the best round is the one least disturbed), and printed in ms and as a
ratio to its budget, a share of a 30 fps frame (33 ms); below 1 it fits:

1. the decision boundary's grid: 200x50 cells (200x100 pixels) in one batched
   forward pass, the spiral preset's 2-16-16-1 net (budget 30 ms);
2. the network diagram's lines at 160x48, the same net (budget 30 ms);
3. the network diagram with its unit maps, its panel in the app at 160x48
   (each unit's activation over the plane, the dead units' pass over the
   training set, the lines; budget 30 ms);
4. the weight heatmaps of a 784-128-10 net, downsampled to the screen
   (budget 500 ms: it is drawn when the weights change, not every frame).

The unit tests check what these redraws compute; speed is measured here, not
asserted there. Results go in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import platform
import sys
import tempfile
import time
from pathlib import Path

import nntui  # noqa: F401  (pins BLAS to one thread before numpy loads)
import numpy as np
from textual.app import App

from nntui.app.app import make_app
from nntui.app.widgets.boundary import BoundaryView
from nntui.app.widgets.heatmap import WeightHeatmaps
from nntui.app.widgets.network import NetworkDiagram
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset

SIZE = (160, 48)
FRAME = 0.030


class One(App):
    """One widget alone on a screen."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


def best(rounds: int, redraw) -> float:
    gc.collect()
    took = []
    for _ in range(rounds):
        start = time.perf_counter()
        redraw()
        took.append(time.perf_counter() - start)
    return min(took)


def render(widget) -> None:
    for y in range(widget.size.height):
        widget.render_line(y)


def boundary_grid(trainer: Trainer, rounds: int) -> float:
    d = trainer.dataset
    w = BoundaryView()
    w.set_data(d.x_train, d.y_train, d.x_val, d.y_val, d.task, d.classes, d.feature_names)
    w.snapshot = trainer.snapshot()
    return best(rounds, lambda: w._compute_frame(200, 50, False))


async def diagram_lines(trainer: Trainer, rounds: int) -> float:
    w = NetworkDiagram()
    async with One(w).run_test(size=(SIZE[0] + 2, SIZE[1] + 2)) as pilot:  # SIZE inside the border
        w.show(trainer.snapshot())
        await pilot.pause()

        def redraw():
            w._lines_key = None
            w.invalidate()
            render(w)

        return best(rounds, redraw)


async def diagram_with_maps(rounds: int) -> tuple[float, str]:
    app = make_app(load_preset("spiral"))
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.pause()
        net = app.main.views["network"]

        def redraw():
            net._maps_key = net._dead_key = net._lines_key = None
            net.invalidate()
            render(net)

        took = best(rounds, redraw)
        assert net.maps_shown(), "the unit maps were not on: nothing of theirs was timed"
        return took, f"{net.size.width}x{net.size.height}"


async def big_heatmaps(rounds: int) -> float:
    """A 784-128-10 net on a CSV of 784 random inputs, as a user's file would give it."""
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        rows = "".join(",".join(f"{v:.2f}" for v in rng.random(784)) + f",{r % 10}\n" for r in range(40))
        (root / "wide.csv").write_text(",".join(f"p{i}" for i in range(784)) + ",y\n" + rows)
        (root / "wide.toml").write_text('[data]\ndataset = "csv"\npath = "wide.csv"\n'
                                        '[model]\nlayers = [784, 128, 10]\nactivation = "relu"\n')
        trainer = Trainer(load_preset(str(root / "wide.toml")))
    w = WeightHeatmaps()
    async with One(w).run_test(size=SIZE) as pilot:
        w.show(trainer.snapshot())
        await pilot.pause()

        def redraw():
            w._key = None
            w.invalidate()
            render(w)

        return best(rounds, redraw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    spiral = Trainer(load_preset("spiral"))
    maps, panel = asyncio.run(diagram_with_maps(args.rounds))
    results = [
        ("boundary grid, 200x50 cells, 2-16-16-1", boundary_grid(spiral, args.rounds), FRAME),
        ("network diagram lines, 160x48, 2-16-16-1", asyncio.run(diagram_lines(spiral, args.rounds)), FRAME),
        (f"network diagram with unit maps, {panel} panel", maps, FRAME),
        ("weight heatmaps, 784-128-10", asyncio.run(big_heatmaps(args.rounds)), 0.5),
    ]
    print(f"{platform.platform()}, Python {sys.version.split()[0]}, NumPy {np.__version__}, "
          f"best of {args.rounds}")
    for name, took, budget in results:
        print(f"{name:<44} {took * 1e3:8.2f} ms   / budget {budget * 1e3:.0f} ms = {took / budget:.3f}")


if __name__ == "__main__":
    main()
