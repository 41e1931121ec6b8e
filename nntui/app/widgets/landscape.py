"""LandscapeView: the current run's loss landscape, its path growing live.

The training loss on a GRID x GRID slice around the latest weights, along the
two principal directions of the path so far (Li et al. 2018, as `nntui
landscape` draws it, engine/landscape.py), with the path on it: S the start
(epoch 0, from the run's timeline, whenever the view is first shown), o each
epoch's end, E the weights now, at the centre.

A slice costs GRID^2 forward passes of the training set, so it is measured a
piece at a time (landscape.SliceJob), within WORK_MS of the UI thread per tick
of a timer: the map shows the last slice finished, and the newest epochs are
projected on it (moving the end off the centre until the next slice is ready).
A new slice is begun only once the last is done and the path has grown. The
path drawn is at most MAX_PATH of the timeline's epochs, evenly spread. In 16
colours the loss is a shade character, as in the CLI.
"""

from __future__ import annotations

import time

import numpy as np
from rich.style import Style
from rich.text import Span, Text

from nntui.engine import landscape as ls
from nntui.engine.losses import LOSSES
from nntui.engine.snapshot import Snapshot
from nntui.text.landscape import SHADES, cells, shade_levels

from ._common import few_colours, style_for
from .boundary import network_for
from .unitmaps import plane_inputs
from .view import View

GRID = 21
WORK_MS = 2.5  # of the UI thread a tick, measuring (a slice of spiral: about 2 s)
TICK = 0.1
MAX_PATH = 400
DARK, LIGHT = 28, 170  # the ground's greys, low loss to high
CHUNK_FLOPS = 2_000_000  # multiply-adds a piece of a row: a few ms of the UI thread
REST, MIN_REST = 4.0, 1.0  # a rest between two slices (SliceTicks)


MAX_PCA = 100  # the path's points the directions are fitted to (evenly spread): an SVD a slice


def live_job(net, loss, path: list[dict], X, y, flat: ls.Flattened | None = None) -> ls.SliceJob:
    """The slice around the path's last point, to be measured a piece at a time:
    along the path's principal directions, or for a net of exactly two
    parameters along those two (the slice is then the whole surface)."""
    centre = path[-1]
    names = ls.names_of(centre)
    flat = flat or ls.Flattened()
    fitted = ls.thin(path, MAX_PCA)
    offsets = np.stack([flat(p, names) for p in fitted]) - flat(centre, names)
    if offsets.shape[1] == 2:
        d1, d2 = np.eye(2)
        axes = ls.weight_axes(centre)
    else:
        d1, d2 = ls.pca_directions(offsets)
        axes = ("PC1", "PC2")
    proj = np.column_stack([offsets @ d1, offsets @ d2])
    grid = ls.offsets_grid(ls.default_span(proj), GRID)
    job = ls.SliceJob(net, loss, centre, d1, d2, grid, grid, X, y, flops=CHUNK_FLOPS)
    job.explained = ls.explained(offsets, d1, d2)
    job.axes = axes
    return job


def fit(parts: list[str], width: int) -> str:
    """The parts joined by ' · ', as many as fit in `width`, in order (the
    first are the ones that matter most); a number is never cut in two."""
    out = ""
    for part in parts:
        joined = f"{out} · {part}" if out else part
        if len(joined) > width:
            return out or (part[: max(0, width - 1)] + "…")
        out = joined
    return out


def weight_ranges(axes, w, alpha, beta, width: int) -> str:
    """'→ W1[0,0] -2.13..1.41 ↑ b1[0] -2.21..4.1': the map's two weights and the
    values it spans, in fewer digits where the full text does not fit."""
    for digits, gap in ((3, " "), (2, " "), (2, "")):
        text = (f"→{gap}{axes[0]} {w[0] + alpha[0]:.{digits}g}..{w[0] + alpha[-1]:.{digits}g} "
                f"↑{gap}{axes[1]} {w[1] + beta[0]:.{digits}g}..{w[1] + beta[-1]:.{digits}g}")
        if len(text) <= width:
            break
    return text


def odd(n: int) -> int:
    """The largest odd count up to n (at least 1): a map of an odd number of
    rows and columns has a middle cell, where (0, 0) falls exactly."""
    return max(1, n if n % 2 else n - 1)


def grey(level: float) -> tuple[int, int, int]:
    """The maps' ground: dark for a low loss (a valley), light for a high one.
    Grey, so that a path's colour reads on it whatever its colour."""
    v = round(DARK + (LIGHT - DARK) * min(max(level, 0.0), 1.0))
    return v, v, v


def path_of(s: Snapshot) -> tuple[list[int], list[dict]]:
    """The run's path up to the snapshot's epoch: the timeline's epoch ends (at
    most MAX_PATH, evenly spread), then the weights now unless they are the
    last of them."""
    kept = s.timeline.params_path(until=s.epoch, most=MAX_PATH) if s.timeline is not None else []
    if not kept or kept[-1][0] != s.epoch or (s.batch_in_epoch and s.replay_of is None):
        kept = ls.thin(kept, MAX_PATH - 1) + [(s.epoch, s.params)]
    return [e for e, _ in kept], [p for _, p in kept]


def map_text(caption: str, grid: np.ndarray, marks: dict, rows: int, cols: int, few: bool, shade=None) -> Text:
    """A caption line, then the map: each cell's loss level as a shade
    character (few colours) or a background colour, a path mark over it.
    `marks[(row, col)]` is (character, its colour as RGB, or None for black
    or white, whichever reads on the cell), drawn bold. `shade(level)` is a
    cell's background (grey by default). Cells of one style in a row are one span: a map is
    thousands of cells, drawn a few times a second."""
    shade = shade or grey
    caption = caption[:cols]
    chars: list[str] = [caption]
    spans: list[Span] = [Span(0, len(caption), "bold")]
    pos = len(caption)
    bold = Style(bold=True)
    in_row: dict[int, list[int]] = {}
    for r, c in marks:
        in_row.setdefault(r, []).append(c)
    for r in range(rows):
        chars.append("\n")
        pos += 1
        levels = grid[r, :cols]
        cuts = set((np.flatnonzero(np.diff(levels) != 0) + 1).tolist()) | {0, cols}
        for c in in_row.get(r, ()):
            cuts.update((c, c + 1))
        cuts = sorted(x for x in cuts if 0 <= x <= cols)
        for a, b in zip(cuts[:-1], cuts[1:]):
            mark = marks.get((r, a))
            level = float(levels[a])
            if few:
                char = mark[0] if mark else SHADES[min(len(SHADES) - 1, int(level * len(SHADES)))]
                style = bold if mark else None
            else:
                bg = shade(level)
                fg = mark[1] if mark and mark[1] is not None else (0, 0, 0) if sum(bg) > 380 else (255, 255, 255)
                char = mark[0] if mark else " "
                style = style_for((fg[0] << 16) | (fg[1] << 8) | fg[2], (bg[0] << 16) | (bg[1] << 8) | bg[2],
                                  mark is not None)
            chars.append(char * (b - a))  # a mark's run is one cell
            if style is not None:
                spans.append(Span(pos, pos + b - a, style))
            pos += b - a
    return Text("".join(chars), spans=spans, no_wrap=True, overflow="crop")


class SliceTicks:
    """How both landscapes (this view and the race's) measure: a slice a few
    milliseconds a timer tick (WORK_MS), then a rest REST times as long as it
    took (at least MIN_REST s) before the next, which `_begin_next` begins if
    the map is out of date. In fast play the engine shares the GIL with the UI,
    and a map remeasured without a pause would cost it a fifth of the UI's time."""

    _job: ls.SliceJob | None = None
    _shown: ls.SliceJob | None = None
    _timer = None
    _rest_until = 0.0

    def _begin_next(self) -> None:
        raise NotImplementedError

    def _resting(self) -> bool:
        """Whether the last slice's rest is on (the timer then begins the next when it is over)."""
        if time.monotonic() >= self._rest_until:
            return False
        if self._timer is not None:
            self._timer.resume()
        return True

    def _tick(self) -> None:
        job = self._job
        if not self.display:
            self._timer.pause()  # shown again, the view resumes it
            return
        if job is None:
            self._timer.pause()
            self._begin_next()  # after a rest: resumes the timer if it begins a slice
            return
        job.work(WORK_MS / 1000)
        if job.done:
            self._shown, self._job = job, None
            self._rest_until = time.monotonic() + max(MIN_REST, REST * job.seconds)
            self.refresh()
            self._begin_next()

    def finish(self) -> None:
        """Measure the map to its end at once (a picture, a test)."""
        self._rest_until = 0.0
        self._begin_next()
        while self._job is not None:
            self._job.work(1.0)
            if self._job.done:
                self._shown, self._job = self._job, None
                self._begin_next()
        self.refresh()


class LandscapeView(SliceTicks, View):
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
        self._path_key: tuple | None = None
        self._path: tuple[list[int], list[dict]] = ([], [])
        self._run: tuple | None = None
        self._flat = ls.Flattened()

    @property
    def path(self) -> list[dict]:
        return self._path_now()[1]

    def set_dataset(self, dataset, image=None) -> None:
        self.dataset = dataset
        self._reset()

    def _reset(self) -> None:
        self._job = self._shown = None
        self._rest_until = 0.0  # another run's map: measured at once
        self._path_key, self._path = None, ([], [])

    def on_mount(self) -> None:
        self._timer = self.set_interval(TICK, self._tick, pause=True)

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        return (old.epoch != new.epoch or old.sizes != new.sizes or old.off != new.off or old.step > new.step
                or old.timeline is not new.timeline)

    def show(self, snapshot: Snapshot, context=None) -> None:
        run = (snapshot.sizes, snapshot.activation, snapshot.output, snapshot.loss_name, snapshot.off,
               id(snapshot.timeline))
        if run != self._run:  # another run: its own path and slice
            self._run = run
            self._reset()
        super().show(snapshot, context)
        if self.display:
            self._begin(snapshot)

    def _path_now(self) -> tuple[list[int], list[dict]]:
        """The path to the snapshot's epoch, read again only when that changes."""
        s = self.snapshot
        if s is None:
            return [], []
        key = (s.step, s.epoch, s.replay_of, len(s.timeline) if s.timeline is not None else 0)
        if key != self._path_key:
            self._path_key, self._path = key, path_of(s)
        return self._path

    def _begin_next(self) -> None:
        self._begin(self.snapshot)

    def _begin(self, s: Snapshot | None) -> None:
        """A new slice around the latest weights, unless one is being measured."""
        d = self.dataset
        if (self._job is not None and not self._job.done) or d is None or s is None or not len(d.x_train):
            return
        if not self.display or not self.is_mounted:
            return  # hidden: measured when shown (render begins it)
        epochs, path = self._path_now()
        if self._shown is not None and self._shown.centre is path[-1]:
            return
        if self._resting():
            return
        # The network's own inputs: the features of the points, scaled as the trainer scales them.
        X = plane_inputs(np.asarray(d.x_train, dtype=np.float64), s.features, s.input_scale)
        self._job = live_job(network_for(s), LOSSES[s.loss_name], path, X, d.y_train, self._flat)
        self._job.epochs = epochs
        if self._timer is not None:
            self._timer.resume()

    def render(self) -> Text:
        s = self.snapshot
        if s is None or self.dataset is None:
            return Text("")
        if not len(self.dataset.x_train):
            return Text("The landscape needs training data.", style="dim")
        if self._job is None:
            self._begin(s)
        elif self._timer is not None:
            self._timer.resume()
        shown = self._shown
        width, height = max(10, self.size.width), max(3, self.size.height)
        if shown is None:
            return Text("Measuring the loss around the weights now, along the path's principal directions…",
                        style="dim")
        return self._draw(shown, width, height, few_colours(self))

    def _draw(self, job: ls.SliceJob, width: int, height: int, few: bool) -> Text:
        epochs, path = self._path_now()
        sl = ls.Slice(job.axes, job.explained, job.alpha, job.beta, job.loss_grid, job.project(path, self._flat))
        _, log = shade_levels(job.loss_grid)
        rows, cols = odd(max(2, height - 1)), odd(max(4, width))
        grid, marks, _ = cells(sl, cols, rows)
        finite = job.loss_grid[np.isfinite(job.loss_grid)]
        centre = job.loss_grid[GRID // 2, GRID // 2]
        if job.axes[0] == "PC1":
            axes = f"→ PC1 {job.explained[0]:.0%} ↑ PC2 {job.explained[1]:.0%} of the path ±{job.alpha[-1]:.3g}"
        else:  # the whole surface: the weights' own values
            axes = weight_ranges(job.axes, ls.flatten(job.centre, ls.names_of(job.centre)), job.alpha, job.beta,
                                 width)
        parts = [axes, f"E loss {centre:.3g}", f"S epoch {epochs[0]}",
                 (f"train loss {finite.min():.3g}..{finite.max():.3g}" + (" log" if log else "")) if finite.size else "",
                 "dark: low"]
        return map_text(fit([p for p in parts if p], width), grid, {rc: (m, None) for rc, m in marks.items()},
                        rows, cols, few)
