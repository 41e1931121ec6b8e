"""RaceLandscape: every variant of a race on one loss landscape (the race's z).

The Distill picture ("Why Momentum Really Works"): the ground the optimizers
walk on, and each one's path over it, from the same start, on the same slice.
The slice is a plane through the shared start (engine/landscape.plane_of_paths):
for a net of exactly two parameters the parameters themselves, so the map is
the whole surface and its axes are the weights' own values; otherwise the two
principal directions of all the paths' points together. Each variant's path is
drawn in its curve's colour, `•` at each epoch's end and `·` between, ending
in its number; `S` is the start. In 16 colours every point of variant k is the
digit k, over the loss's shade characters.

Like the single run's landscape (widgets/landscape.py), the slice is measured
a piece at a time, with a rest between two (landscape.SliceTicks); the map
shows the last one finished, with the paths as they are now projected on it,
and a new slice follows once the paths have grown. The race is stepped on
the UI thread, so its trainers are read directly (their timelines give
every epoch's end).

Runs that are not one function of one set of weights from one start (other
layer sizes, activations, data, inits) share no landscape; the view says why.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.markup import escape
from rich.text import Text
from textual.widget import Widget

from nntui.engine import landscape as ls
from nntui.engine.timeline import TIMELINE_BYTES
from nntui.text.landscape import cells, shade_levels

from ._common import few_colours
from .landscape import (
    CHUNK_FLOPS,
    MAX_PATH,
    TICK,
    SliceTicks,
    fit,
    map_text,
    odd,
    weight_ranges,
)

GRID = 25
LOWEST = "◆"  # the lowest loss measured on the map
DOT, BETWEEN, START = "•", "·", "S"


def race_paths(race) -> list[list[dict]]:
    """Each variant's path: its timeline's epoch ends, then its weights now if
    it stopped between two (at most MAX_PATH points each)."""
    paths = []
    for r in race.runners:
        tr = r.trainer
        kept = [p for _, p in tr.timeline.params_path(most=MAX_PATH)] if tr.timeline is not None else []
        if not kept or kept[-1] is not tr.params:  # between two epoch ends, or restored by early stopping
            kept = ls.thin(kept, MAX_PATH - 1) + [tr.params]
        paths.append(kept)
    return paths


def rgb_of(index: int) -> tuple[int, int, int]:
    c = Color.from_ansi(index).get_truecolor()
    return c.red, c.green, c.blue


class RaceLandscape(SliceTicks, Widget):
    """The race's paths on one slice (see the module's docstring)."""

    DEFAULT_CSS = """
    RaceLandscape {
        height: 1fr;
        border: round $foreground 30%;
        border-title-color: $text;
        overflow: hidden hidden;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "loss landscape: every variant from the same start"
        self.race = None
        self.colours: list[int] = []
        self.why_not: str | None = None
        self._flat = ls.Flattened()
        self._extent: tuple | None = None  # (which variants are calm, the map's ranges): grows, never shrinks

    def on_mount(self) -> None:
        self._timer = self.set_interval(TICK, self._tick, pause=True)

    def on_resize(self, _event) -> None:
        if self.race is not None and self.why_not is None:
            self.border_subtitle = self._legend()

    def set_race(self, race, colours: list[int]) -> None:
        """A new race (or the same one restarted): its own slice."""
        self.race, self.colours = race, list(colours)
        for r in race.runners:  # the race's paths share one run's memory budget (thinned evenly beyond it)
            if r.trainer.timeline is None:
                r.trainer.keep_timeline(TIMELINE_BYTES // len(race.runners))
        self.why_not = ls.same_ground([r.trainer for r in race.runners])
        self._job = self._shown = None
        self._rest_until = 0.0  # another run's map: measured at once
        self._extent = None
        self.border_subtitle = self._legend() if self.why_not is None else ""
        self.refresh()

    def show(self) -> None:
        """The race moved on: a new slice once the one being measured is done."""
        if self.why_not is None:
            self.border_subtitle = self._legend()  # a variant may have diverged
        if self.display:
            self._begin_next()
            self.refresh()

    @property
    def measuring(self) -> bool:
        return self._job is not None

    def _steps(self) -> tuple[int, ...]:
        return tuple(r.trainer.step for r in self.race.runners)

    def _begin_next(self) -> None:
        if self.race is None or self.why_not is not None or self._job is not None or not self.is_mounted:
            return
        if (self._shown is not None and self._shown.steps == self._steps()) or self._resting():
            return
        tr = self.race.runners[0].trainer
        if not len(tr.x_train):
            return
        paths = race_paths(self.race)
        plane = ls.plane_of_paths(paths, self._flat)
        # The map covers the runs that did not diverge: one that flew off would shrink the rest to a dot.
        kept = [p for p, r in zip(paths, self.race.runners) if not r.diverged] or paths
        points = np.concatenate([ls.project_on(plane, p, self._flat) for p in kept])
        alpha, beta = ls.extent(points, GRID)
        calm = tuple(not r.diverged for r in self.race.runners)
        if self._extent is not None and self._extent[0] == calm and plane.axes[0] != "PC1":
            a0, a1, b0, b1 = self._extent[1]  # the same axes: the map only grows, so S and the ground stay put
            alpha = np.linspace(min(a0, alpha[0]), max(a1, alpha[-1]), GRID)
            beta = np.linspace(min(b0, beta[0]), max(b1, beta[-1]), GRID)
        self._extent = (calm, (alpha[0], alpha[-1], beta[0], beta[-1]))  # a variant diverging starts it again
        job = ls.SliceJob(tr.net, tr.loss, plane.start, plane.d1, plane.d2, alpha, beta, tr.x_train,
                          tr.dataset.y_train, flops=CHUNK_FLOPS)
        job.plane, job.steps = plane, self._steps()
        self._job = job
        if self._timer is not None:
            self._timer.resume()

    # ------------------------------------------------------------ drawing

    def _legend(self) -> str:
        """The variants in their colours; the words around them only where they fit."""
        if self.race is None:
            return ""
        hexes = [Color.from_ansi(c).get_truecolor().hex for c in self.colours]
        names = [f"{i + 1} {r.variant.label}" + (" (diverged: off the map)" if r.diverged else "")
                 for i, r in enumerate(self.race.runners)]
        marked = "  ".join(f"[{hexes[i % len(hexes)]}]{escape(n)}[/]" for i, n in enumerate(names))
        room = self.size.width - 6 if self.size.width else 200
        plain = len("  ".join(names))
        head, tail = "S the start · ", " · k: variant k's end"
        if plain + len(head) + len(tail) <= room:
            return head + marked + tail
        return head + marked if plain + len(head) <= room else marked

    def render(self) -> Text:
        if self.race is None:
            return Text("")
        if self.why_not is not None:
            return Text(f"These variants share no landscape: {self.why_not}. One map holds runs of one network "
                        "from one start, told apart by how they train (optimizer, rate, batch size).",
                        style="dim")
        if self._job is not None and self._timer is not None:
            self._timer.resume()
        elif self._job is None:
            self._begin_next()
        job = self._shown
        if job is None:
            return Text("Measuring the loss on the plane of the paths…", style="dim")
        width, height = max(10, self.size.width), max(3, self.size.height)
        return self.draw(job, width, height, few_colours(self))

    def draw(self, job: ls.SliceJob, width: int, height: int, few: bool) -> Text:
        rows, cols = odd(max(2, height - 1)), odd(max(4, width))
        empty = ls.Slice(job.plane.axes, job.plane.explained, job.alpha, job.beta, job.loss_grid, np.zeros((0, 2)))
        grid, _, _ = cells(empty, cols, rows)
        marks: dict[tuple[int, int], tuple[str, tuple | None]] = {}
        paths = race_paths(self.race)
        ends = []
        for k, path in enumerate(paths):
            colour = rgb_of(self.colours[k % len(self.colours)]) if self.colours else None
            digit = str(k + 1)[-1]
            pts = ls.project_on(job.plane, path, self._flat)
            cellxy = [self._cell(job, a, b, rows, cols) for a, b in pts]
            if not few:  # the way between two epoch ends
                for (a0, b0), (a1, b1) in zip(pts[:-1], pts[1:]):
                    for t in np.linspace(0, 1, 12)[1:-1]:
                        rc = self._cell(job, a0 + t * (a1 - a0), b0 + t * (b1 - b0), rows, cols)
                        if rc is not None and rc not in marks:
                            marks[rc] = (BETWEEN, colour)
            for rc in cellxy[1:]:
                if rc is not None:
                    marks[rc] = (digit if few else DOT, colour)
            ends.append((cellxy[-1], digit, colour))
        for rc, digit, colour in ends:  # every end on top of the paths
            if rc is not None:
                marks[rc] = (digit, colour)
        start = self._cell(job, 0.0, 0.0, rows, cols)
        if start is not None:
            marks[start] = (START, None)
        finite = np.isfinite(job.loss_grid)
        if finite.any():
            i, j = np.unravel_index(np.where(finite, job.loss_grid, np.inf).argmin(), job.loss_grid.shape)
            low = self._cell(job, job.alpha[i], job.beta[j], rows, cols)
            if low is not None and low not in marks:
                marks[low] = (LOWEST, None)
        return map_text(fit(self._caption(job, cols), cols), grid, marks, rows, cols, few)

    @staticmethod
    def _cell(job, a: float, b: float, rows: int, cols: int) -> tuple[int, int] | None:
        a0, a1, b0, b1 = job.alpha[0], job.alpha[-1], job.beta[0], job.beta[-1]
        if not (a0 <= a <= a1 and b0 <= b <= b1):
            return None
        c = int(round((a - a0) / (a1 - a0) * (cols - 1)))
        r = rows - 1 - int(round((b - b0) / (b1 - b0) * (rows - 1)))
        return r, c

    @staticmethod
    def _caption(job, width: int) -> list[str]:
        """The caption's parts, the ones that matter most first."""
        plane = job.plane
        finite = job.loss_grid[np.isfinite(job.loss_grid)]
        _, log = shade_levels(job.loss_grid)
        loss = (f"train loss {finite.min():.3g}..{finite.max():.3g}" + (" log" if log else "")) if finite.size else ""
        if plane.axes[0] != "PC1":  # the whole surface: the weights' own values
            w = ls.flatten(plane.start, ls.names_of(plane.start))
            return [weight_ranges(plane.axes, w, job.alpha, job.beta, width), f"dark: low, {LOWEST} lowest", loss]
        return [f"→ PC1 {plane.explained[0]:.0%} ↑ PC2 {plane.explained[1]:.0%} of the paths",
                f"dark: low, {LOWEST} lowest", "the paths projected on the plane", loss]
