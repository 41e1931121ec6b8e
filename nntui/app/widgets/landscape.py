"""LandscapeView: the current run's loss landscape, its path growing live.

The training loss on a GRID x GRID slice around the latest weights, along the
two principal directions of the path so far (Li et al. 2018, as `nntui
landscape` draws it, engine/landscape.py), with the path on it: S the first
epoch the view saw, o each epoch's end, E the weights now, at the centre.

A slice costs GRID^2 forward passes of the training set, so it is measured a
piece at a time, within WORK_MS of the UI thread per tick of a timer: the map
shows the last slice finished, and the newest epochs are projected on it
(moving the end off the centre until the next slice is ready). A new slice is
begun only once the last is done and the path has grown. The path keeps at
most MAX_PATH points (every other one is dropped when it fills). In 16 colours
the loss is a shade character, as in the CLI.
"""

from __future__ import annotations

import time

import numpy as np
from rich.style import Style
from rich.text import Text

from nntui.engine import landscape as ls
from nntui.engine.losses import LOSSES
from nntui.engine.snapshot import Snapshot
from nntui.text.landscape import SHADES, cells, ramp, shade_levels

from ._common import few_colours, pack, style_for
from .boundary import network_for
from .unitmaps import plane_inputs
from .view import View

GRID = 21
WORK_MS = 4.0  # of the UI thread a tick, measuring
TICK = 0.1
MAX_PATH = 400
CHUNK_FLOPS = 2_000_000  # multiply-adds a piece of a row: a few ms of the UI thread


class _Job:
    """A slice being measured: its centre, directions and grid, and the rows so far."""

    def __init__(self, net, loss, centre: dict, path: list[dict], X, y):
        self.net, self.loss, self.centre, self.X, self.y = net, loss, centre, X, y
        self.names = ls.names_of(centre)
        theta = ls.flatten(centre, self.names)
        offsets = np.stack([ls.flatten(p, self.names) for p in path]) - theta
        self.d1, self.d2 = ls.pca_directions(offsets)
        self.explained = ls.explained(offsets, self.d1, self.d2)
        proj = np.column_stack([offsets @ self.d1, offsets @ self.d2])
        self.alpha = self.beta = ls.offsets_grid(ls.default_span(proj), GRID)
        self.theta = theta
        self.loss_grid = np.full((GRID, GRID), np.nan)
        self.row = self.col = 0
        # Parameter sets a piece: about CHUNK_FLOPS multiply-adds (a few ms), at least one.
        sizes = net.sizes
        per_set = len(X) * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        self.per = max(1, min(GRID, CHUNK_FLOPS // max(per_set, 1)))

    @property
    def done(self) -> bool:
        return self.row >= GRID

    def work(self, budget_s: float) -> None:
        """Measure pieces of rows until `budget_s` has passed (one piece at least)."""
        end = time.perf_counter() + budget_s
        while not self.done:
            lo, hi = self.col, min(GRID, self.col + self.per)
            base = self.theta + self.alpha[self.row] * self.d1
            thetas = base[None, :] + self.beta[lo:hi, None] * self.d2[None, :]
            with np.errstate(all="ignore"):
                self.loss_grid[self.row, lo:hi] = ls.batch_losses(self.net, self.loss, thetas, self.centre,
                                                                  self.names, self.X, self.y)
            self.row, self.col = (self.row + 1, 0) if hi == GRID else (self.row, hi)
            if time.perf_counter() >= end:
                break

    def project(self, path: list[dict]) -> np.ndarray:
        offsets = np.stack([ls.flatten(p, self.names) for p in path]) - self.theta
        return np.column_stack([offsets @ self.d1, offsets @ self.d2])


class LandscapeView(View):
    """The run's loss landscape and path (see the module's docstring)."""

    DEFAULT_CSS = """
    LandscapeView {
        overflow: hidden hidden;
    }
    """

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.border_title = "loss landscape"
        self.dataset = None
        self.path: list[dict] = []
        self._path_epochs: list[int] = []
        self._run: tuple | None = None
        self._job: _Job | None = None
        self._shown: _Job | None = None
        self._timer = None

    def set_dataset(self, dataset, image=None) -> None:
        self.dataset = dataset
        self._reset()

    def _reset(self) -> None:
        self.path, self._path_epochs, self._job, self._shown = [], [], None, None

    def on_mount(self) -> None:
        self._timer = self.set_interval(TICK, self._tick, pause=True)

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        return old.epoch != new.epoch or old.sizes != new.sizes or old.off != new.off or old.step > new.step

    def show(self, snapshot: Snapshot, context=None) -> None:
        self._record(snapshot)
        super().show(snapshot, context)

    def _record(self, s: Snapshot) -> None:
        """Keep the parameters at each epoch the view sees; a new run (other
        sizes or units off, or fewer steps) starts the path again."""
        run = (s.sizes, s.activation, s.output, s.loss_name, s.off)
        if run != self._run or (self._path_epochs and s.epoch < self._path_epochs[-1]):
            self._run = run
            self._reset()
        if self._path_epochs and self._path_epochs[-1] == s.epoch:
            return
        self.path.append(dict(s.params))
        self._path_epochs.append(s.epoch)
        if len(self.path) > MAX_PATH:  # keep the start and the end, every other one between
            self.path = self.path[:1] + self.path[1:-1][1::2] + self.path[-1:]
            self._path_epochs = self._path_epochs[:1] + self._path_epochs[1:-1][1::2] + self._path_epochs[-1:]
        self._begin(s)

    def _begin(self, s: Snapshot | None) -> None:
        """A new slice around the latest weights, unless one is being measured."""
        d = self.dataset
        if (self._job is not None and not self._job.done) or d is None or not len(self.path) or s is None:
            return
        if not self.display or not self.is_mounted:
            return  # hidden: measured when shown (render begins it)
        if self._shown is not None and self._shown.centre is self.path[-1]:
            return
        if not len(d.x_train):
            return
        X = plane_inputs(d.x_train, s.features) if s.features else np.asarray(d.x_train, dtype=np.float64)
        self._job = _Job(network_for(s), LOSSES[s.loss_name], self.path[-1], self.path, X, d.y_train)
        if self._timer is not None:
            self._timer.resume()

    def _tick(self) -> None:
        job = self._job
        if job is None or not self.display:
            self._timer.pause()  # render resumes it when the view is shown again
            return
        job.work(WORK_MS / 1000)
        if job.done:
            self._shown, self._job = job, None
            self._timer.pause()
            self.refresh()
            self._begin(self.snapshot)

    def render(self) -> Text:
        s = self.snapshot
        if s is None or self.dataset is None:
            return Text("")
        if not len(self.dataset.x_train):
            return Text("The landscape needs training data.", style="dim")
        if self._job is None and (self._shown is None or self._shown.centre is not self.path[-1]):
            self._begin(s)
        elif self._job is not None and self._timer is not None:
            self._timer.resume()
        shown = self._shown
        width, height = max(10, self.size.width), max(3, self.size.height)
        if shown is None:
            return Text("Measuring the loss around the weights now, along the path's principal directions…",
                        style="dim")
        return self._draw(shown, width, height, few_colours(self))

    def _draw(self, job: _Job, width: int, height: int, few: bool) -> Text:
        path = job.project(self.path)
        sl = ls.Slice(("PC1", "PC2"), job.explained, job.alpha, job.beta, job.loss_grid, path)
        _, log = shade_levels(job.loss_grid)
        rows, cols = max(2, height - 1), max(4, width)
        grid, marks, off = cells(sl, cols, rows)
        finite = job.loss_grid[np.isfinite(job.loss_grid)]
        centre = job.loss_grid[GRID // 2, GRID // 2]
        caption = (f"PC1 {job.explained[0]:.0%} × PC2 {job.explained[1]:.0%} of the path · ±{job.alpha[-1]:.3g} · "
                   f"loss {centre:.3g} at E" + (f" · {finite.min():.3g}..{finite.max():.3g}" if finite.size else "")
                   + (" log" if log else "") + f" · S epoch {self._path_epochs[0]}")
        out = Text(no_wrap=True, overflow="crop")
        out.append(caption[:width] + "\n", style="bold")
        for r in range(rows):
            for c in range(cols):
                mark = marks.get((r, c))
                level = float(grid[r, c])
                if few:
                    out.append(mark or SHADES[min(len(SHADES) - 1, int(level * len(SHADES)))],
                               style=Style(bold=True) if mark else None)
                else:
                    bg = ramp(level)
                    fg = (0, 0, 0) if sum(bg) > 380 else (255, 255, 255)
                    out.append(mark or " ", style=style_for(int(pack(np.array(fg))), int(pack(np.array(bg))),
                                                            mark is not None))
            if r < rows - 1:
                out.append("\n")
        return out

