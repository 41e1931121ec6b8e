"""Images in cells: what the image views (sample, units, mistakes) share.

An image is an (rows, cols) array of values. In colour each pixel is half a
cell ('▀': the upper pixel the foreground, the lower the background), so a
pixel is about square; at scale s it is s×s pixels. In ASCII (asked for with
`a`, or a 16-colour / NO_COLOR terminal, as for the boundary) a pixel is two
characters wide and one line high at scale 1, its value a character of a ramp.

Two colour scales: `grey` for the data (ink 0 .. the data's maximum; white
ink on black, as the digits were scanned in negative), `signed` for weights
(the heatmaps' diverging map, orange − grey 0 − blue +, one scale for a whole
layer so the units compare).

`Cells` is a small grid of (char, fg, bg, style) that the views draw into and
turn into strips, one Segment per run of equal cells.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ._common import diverging, pack, quantize, style_for

HALF = "▀"
GREY_LEVELS = 9  # shades of ink: equal cells merge into one segment
SIGNED_LEVELS = 9
GREY_RAMP = np.array(list(" .:-=+*#%@"))
# ASCII weights: strongly negative, negative, about 0, positive, strongly positive.
SIGNED_RAMP = np.array(list("=- +#"))


# ---------------------------------------------------------------- pixels


def grey_rgb(v: np.ndarray, top: float) -> np.ndarray:
    """Ink values 0..top -> (..., 3) uint8 greys, black (no ink) to white."""
    top = float(top) if np.isfinite(top) and top > 0 else 1.0
    t = quantize(np.nan_to_num(np.asarray(v, dtype=np.float64) / top), GREY_LEVELS)
    g = 16 + t * (240 - 16)
    return np.repeat(g[..., None], 3, axis=-1).astype(np.uint8)


def grey_chars(v: np.ndarray, top: float) -> np.ndarray:
    top = float(top) if np.isfinite(top) and top > 0 else 1.0
    t = np.clip(np.nan_to_num(np.asarray(v, dtype=np.float64) / top), 0.0, 1.0)
    return GREY_RAMP[np.minimum((t * len(GREY_RAMP)).astype(int), len(GREY_RAMP) - 1)]


def signed_rgb(v: np.ndarray, scale: float) -> np.ndarray:
    return diverging(v, scale, SIGNED_LEVELS)


def signed_chars(v: np.ndarray, scale: float) -> np.ndarray:
    scale = float(scale) if np.isfinite(scale) and scale > 0 else 1.0
    t = np.clip(np.nan_to_num(np.asarray(v, dtype=np.float64) / scale), -1.0, 1.0)
    return SIGNED_RAMP[np.digitize(t, [-0.5, -0.15, 0.15, 0.5])]


def image_size(shape: tuple[int, int], scale: int, ascii_mode: bool) -> tuple[int, int]:
    """(width, height) in cells of an image of `shape` (rows, cols) at `scale`."""
    rows, cols = shape
    if ascii_mode:
        return 2 * cols * scale, rows * scale
    return cols * scale, -(-rows * scale // 2)


# ---------------------------------------------------------------- the grid


class Cells:
    """A width × height grid of cells: a character, packed colours (-1: none,
    the style's own) and a style index into `styles` (the widget's text
    styles: plain, muted, highlighted...)."""

    def __init__(self, width: int, height: int, styles: list[Style]) -> None:
        self.width, self.height = max(0, width), max(0, height)
        self.chars = np.full((self.height, self.width), " ", dtype="<U1")
        self.fg = np.full((self.height, self.width), -1, dtype=np.int64)
        self.bg = np.full((self.height, self.width), -1, dtype=np.int64)
        self.style = np.zeros((self.height, self.width), dtype=np.int64)
        self.styles = styles

    def text(self, x: int, y: int, text: str, style: int = 0, fg: int = -1, bg: int = -1) -> int:
        """Write text at (x, y), clipped to the grid; returns the x after it."""
        end = x + len(text)
        if 0 <= y < self.height and end > 0 and x < self.width:
            lo, hi = max(0, x), min(self.width, end)
            self.chars[y, lo:hi] = list(text[lo - x:hi - x])
            self.fg[y, lo:hi] = fg
            self.bg[y, lo:hi] = bg
            self.style[y, lo:hi] = style
        return end

    def image(self, x: int, y: int, rgb: np.ndarray | None, chars: np.ndarray | None, scale: int) -> None:
        """An image at (x, y): `rgb` (rows, cols, 3) in half blocks, or, in
        ASCII, `chars` (rows, cols) two characters a pixel; clipped to the grid."""
        if rgb is not None:
            px = pack(np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1))
            if len(px) % 2:
                px = np.concatenate([px, np.full((1, px.shape[1]), -1, dtype=np.int64)])
            top, bot = px[0::2], px[1::2]
            # A cell of one colour is a coloured space: the same to a
            # terminal, and exact in any font (an SVG screenshot's too).
            same = top == bot
            block = np.where(same, " ", HALF)
            top = np.where(same, -1, top)
        else:
            block = np.repeat(np.repeat(chars, scale, axis=0), 2 * scale, axis=1)
            top = bot = np.full(block.shape, -1, dtype=np.int64)
        h, w = block.shape
        y0, x0 = max(0, y), max(0, x)
        y1, x1 = min(self.height, y + h), min(self.width, x + w)
        if y1 <= y0 or x1 <= x0:
            return
        cut = (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
        self.chars[y0:y1, x0:x1] = block[cut]
        self.fg[y0:y1, x0:x1] = top[cut]
        self.bg[y0:y1, x0:x1] = bot[cut]
        self.style[y0:y1, x0:x1] = 0

    def strip(self, y: int) -> Strip:
        if not 0 <= y < self.height or self.width == 0:
            return Strip.blank(self.width)
        chars, fg, bg, st = self.chars[y], self.fg[y], self.bg[y], self.style[y]
        change = np.ones(self.width, dtype=bool)
        change[1:] = (fg[1:] != fg[:-1]) | (bg[1:] != bg[:-1]) | (st[1:] != st[:-1])
        starts = [*np.flatnonzero(change).tolist(), self.width]
        text = "".join(chars.tolist())
        fgl, bgl, stl = fg.tolist(), bg.tolist(), st.tolist()
        segments = []
        for s, e in zip(starts[:-1], starts[1:]):
            style = self.styles[stl[s]]
            if fgl[s] >= 0 or bgl[s] >= 0:
                style = style + style_for(fgl[s], bgl[s])
            segments.append(Segment(text[s:e], style))
        return Strip(segments, self.width)
