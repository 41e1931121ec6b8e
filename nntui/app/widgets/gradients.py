"""GradientView: how strongly each layer learns, epoch by epoch.

One curve per weight matrix: its mean gradient norm ||dL/dW_l|| over each
epoch's steps (the engine's history grad_norm, of the loss alone), on a log
scale, since the norms of a deep sigmoid net's layers lie decades apart (the
vanishing gradient). The caption names the ratio of the first layer's norm to
the last's at the last epoch: 1/500 means the first layer learns 500 times
more slowly.

In colour the curves are braille lines, one colour a layer; in 16 colours (or
NO_COLOR) each layer is drawn with its own number, 1 for W1, so the curves are
told apart by their characters. The view changes once an epoch.

A long run is drawn from its extremes (widgets/decimate.py): the view follows
each layer's series with an Extremes, reading only the epochs added since its
last redraw, and draws each dot column from the lowest to the highest norm of
the epochs it spans (decimate.envelope; in 16 colours, each column's lowest and
highest digit), so a redraw costs the same at epoch 50 and at epoch 50,000; the
decade labels and the caption's ratio are those of the whole series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.style import Style
from rich.text import Text

from nntui.engine.snapshot import Snapshot

from ._common import Braille, few_colours, pack, style_for
from .decimate import Extremes, column_extremes, envelope
from .view import View

# One colour a layer: first layers cool, last layers warm.
LAYER_COLOURS = np.array([(66, 133, 214), (44, 160, 160), (90, 170, 70), (200, 180, 60), (230, 140, 50),
                          (222, 96, 72), (190, 90, 170), (150, 150, 150)])
AXIS = 7  # columns of the decade labels


def series(snapshot: Snapshot) -> dict[str, Sequence[float]]:
    """Each weight matrix's norms per epoch, as the snapshot holds them (not copied)."""
    return dict(snapshot.history.grad_norm)


def decade(x: float) -> str:
    return f"1e{int(x)}" if x == int(x) else ""


def ratio_text(norms: dict[str, Sequence[float]]) -> str:
    """The first layer's norm against the last's, at the last epoch."""
    names = list(norms)
    if len(names) < 2 or not len(norms[names[0]]):
        return ""
    first, last = norms[names[0]][-1], norms[names[-1]][-1]
    if not (first > 0 and last > 0):
        return ""
    r = first / last
    at = f" at epoch {len(norms[names[0]])}"  # the last epoch's: the ratio changes as the run goes
    return (f"{names[0]}/{names[-1]} = 1/{1 / r:.3g}" if r < 1 else f"{names[0]}/{names[-1]} = {r:.3g}") + at


def chart_lines(norms: dict[str, Sequence[float]], width: int, height: int, few: bool,
                follow: dict[str, Extremes] | None = None) -> Text:
    """The chart in width x height cells: a caption, the plot with decade
    labels on the left, the epochs under it. follow: an Extremes per layer kept
    from the last call (the view's), so that only the new epochs are read."""
    out = Text(no_wrap=True, overflow="crop")
    names = list(norms)
    n = max((len(v) for v in norms.values()), default=0)
    if not names or n == 0:
        out.append("The gradient's size per layer, ‖dL/dW‖ averaged over each epoch (log scale). "
                   "It is measured at each epoch's end: train an epoch (e) or play (space).", style="dim")
        return out
    title = f"‖dL/dW‖ (log) · {ratio_text(norms)}  "
    legend = Text()
    if few:  # each layer drawn with its number
        legend.append(f"1..{len(names)} = {names[0]}..{names[-1]}" if len(names) > 2 else
                      " ".join(f"{i + 1}={name}" for i, name in enumerate(names)), style=Style(bold=True))
    else:  # every layer in its colour; where the names do not all fit, the numbers after the first
        short = len(title) + sum(len(name) + 2 for name in names) > width
        for i, name in enumerate(names):
            colour = LAYER_COLOURS[i % len(LAYER_COLOURS)]
            shown = name[1:] if short and i else name
            legend.append(f"━{shown} ", style=style_for(int(pack(colour)), -1))
    caption = Text(title)
    caption.append_text(legend)
    caption.truncate(width)
    out.append_text(caption)
    out.append("\n")
    rows = max(2, height - 2)
    cols = max(4, width - AXIS)
    follow = {} if follow is None else follow
    kept = {k: follow.setdefault(k, Extremes()).update(v).points() for k, v in norms.items()}
    with np.errstate(all="ignore"):
        logs = {k: (idx, np.log10(np.where(v > 0, v, np.nan))) for k, (idx, v) in kept.items()}
    finite = np.concatenate([v[np.isfinite(v)] for _, v in logs.values()]) if logs else np.array([])
    if not finite.size:
        out.append("every gradient is 0", style="dim")
        return out
    lo, hi = math.floor(finite.min()), math.ceil(finite.max())
    if hi == lo:
        hi = lo + 1
    dot_w, dot_h = 2 * cols, 4 * rows
    x_of = (lambda e: np.rint(e / max(n - 1, 1) * (dot_w - 1))) if not few else \
        (lambda e: np.rint(e / max(n - 1, 1) * (cols - 1)))

    def drawn(name: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, log norm) of the finite points: in 16 colours and a long run, each column's lowest and highest."""
        idx, v = logs[name]
        ok = np.isfinite(v)
        x, v = x_of(idx[ok]), v[ok]
        if few and len(x) > 2 * cols:
            keep = column_extremes(x.astype(np.int64), v, per_column=1)
            x, v = x[keep], v[keep]
        return x, v

    grid = None
    if few:
        grid = np.full((rows, cols), " ", dtype="<U1")
        for i, name in enumerate(names):
            x, v = drawn(name)
            x = x.astype(int)
            y = np.rint((hi - v) / (hi - lo) * (rows - 1)).astype(int)
            grid[y, x] = str(i + 1)[-1]
    else:
        canvas = Braille(cols, rows)
        for i, name in enumerate(names):
            x, v = drawn(name)
            y = np.rint((hi - v) / (hi - lo) * (dot_h - 1))
            colour = int(pack(LAYER_COLOURS[i % len(LAYER_COLOURS)]))
            if len(x) > 2 * cols:  # a long run: each dot column from its lowest to its highest
                canvas.dots(*envelope(x.astype(np.int64), y.astype(np.int64)), colour, prio=i)
            elif len(x) == 1:
                canvas.dots(x, y, colour, prio=i)
            else:
                canvas.segments(x[:-1], y[:-1], x[1:], y[1:], colour, prio=i)
    # A label on each row that holds a decade.
    labels = {}
    for d in range(lo, hi + 1):
        r = int(round((hi - d) / (hi - lo) * (rows - 1)))
        labels.setdefault(r, f"1e{d}")
    for r in range(rows):
        out.append(f"{labels.get(r, ''):>{AXIS - 1}}│", style="dim")
        if few:
            out.append("".join(grid[r]))
        else:
            chars = canvas.chars(r)
            colours = canvas.colour[r]
            start = 0
            for c in range(1, cols + 1):
                if c == cols or colours[c] != colours[start]:
                    seg = "".join(chars[start:c])
                    fg = int(colours[start])
                    out.append(seg, style=style_for(fg, -1) if fg >= 0 else None)
                    start = c
        out.append("\n")
    axis = f"epoch 1{'':{max(1, cols - 8 - len(str(n)))}}{n}"
    out.append(" " * AXIS + axis[:cols], style="dim")
    return out


class GradientView(View):
    """Each layer's gradient norm per epoch (see the module's docstring)."""

    DEFAULT_CSS = """
    GradientView {
        padding: 0 0;
        overflow: hidden hidden;
    }
    """

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.border_title = "gradients"
        self._key: tuple | None = None
        self._text = Text()
        self._follow: dict[str, Extremes] = {}  # each layer's series, followed from one redraw to the next

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        return old.epoch != new.epoch or old.sizes != new.sizes or old.history.grad_norm.keys() != \
            new.history.grad_norm.keys()

    def render(self) -> Text:
        s = self.snapshot
        if s is None:
            return Text("")
        width, height = max(10, self.size.width), max(3, self.size.height)
        few = few_colours(self)
        lengths = tuple(len(v) for v in s.history.grad_norm.values())
        key = (id(s.history), lengths, width, height, few)
        if key != self._key:
            self._key, self._text = key, chart_lines(series(s), width, height, few, self._follow)
        return self._text
