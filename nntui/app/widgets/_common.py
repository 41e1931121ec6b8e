"""Shared pieces of the widgets: number formatting, colour maps, strip building.

Colours are numpy arrays of shape (..., 3), uint8. The maps are mid-luminance,
so they read on Textual's dark and light themes alike; text over them is black
or white, chosen by luminance. Strips are built from runs of equal
(char, fg, bg) cells, one Segment a run, with Style objects cached per pair.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from nntui.text import palette

# ---------------------------------------------------------------- numbers


def fmt(x: float, digits: int = 4) -> str:
    """Compact: 4 significant digits, '−' for minus, no '+' padding."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    s = f"{x:.{digits}g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant}e{int(exp)}"
    return s.replace("-", "−")


def fmt_cell(x: float) -> str:
    """A number in a heatmap cell, at most 6 characters: 3 significant digits;
    a tiny one as its order of magnitude (−9e−4), a huge one with 2 digits
    (1.2e4). Written plainly, a bias of −0.000952 takes 9, too wide for its
    row, and every number of the layer would vanish with it; the exact value
    is in the caption."""
    x = float(x)
    if x != 0 and math.isfinite(x) and not 0.01 <= abs(x) < 1000:
        mant, exp = f"{x:.{0 if abs(x) < 1 else 1}e}".split("e")
        return f"{mant}e{int(exp)}".replace("-", "−")
    return fmt(x, 3)


def fmt_vec(v, max_items: int = 8, digits: int = 4) -> str:
    """[a, b, …(+N), z] for a 1-D array, truncated in the middle."""
    v = np.asarray(v).ravel()
    n = v.size
    if n <= max_items:
        return "[" + ", ".join(fmt(x, digits) for x in v) + "]"
    head = max_items - 2
    items = [fmt(x, digits) for x in v[:head]]
    return "[" + ", ".join(items) + f", …(+{n - head - 1}), " + fmt(v[-1], digits) + "]"


def fmt_mat(m, max_rows: int = 4, max_cols: int = 6, digits: int = 4) -> list[str]:
    """A matrix as rows on rows with its columns aligned (right-justified), cut
    to `max_rows` rows and `max_cols` columns; a last line says what is shown."""
    m = np.atleast_2d(np.asarray(m))
    n_rows, n_cols = m.shape
    cols = list(range(n_cols)) if n_cols <= max_cols else [*range(max_cols - 2), n_cols - 1]
    cells = [[fmt(m[r, c], digits) for c in cols] for r in range(min(n_rows, max_rows))]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    rows = []
    for row in cells:
        texts = [t.rjust(w) for t, w in zip(row, widths)]
        if n_cols > max_cols:
            texts.insert(max_cols - 2, "…")
        rows.append("[" + ", ".join(texts) + "]")
    cut = []
    # Numbered from 0, as the units are (h1[0], W1[:,0]).
    if n_rows > max_rows:
        cut.append(f"rows 0–{max_rows - 1} of {n_rows}")
    if n_cols > max_cols:
        cut.append(f"columns 0–{max_cols - 3} and {n_cols - 1} of {n_cols}")
    if cut:
        rows.append("… " + ", ".join(cut) + " shown")
    return rows


def shape_str(a) -> str:
    return "×".join(str(s) for s in np.shape(a))


def params_equal(a: dict | None, b: dict | None) -> bool:
    """Cheap exact test (the same arrays are shared between snapshots)."""
    if a is None or b is None or a.keys() != b.keys():
        return a is b
    for k, v in a.items():
        w = b[k]
        if v is w:
            continue
        if v.shape != w.shape or not np.array_equal(v, w):
            return False
    return True


def same_view(a, b) -> bool:
    """Two snapshots that every widget would draw alike (cheap: shared arrays)."""
    return (
        # The batch counts change without a step when drawn data is edited.
        (a.step, a.done, a.sizes, a.update_applied, a.optimizer_name, a.learning_rate,
         a.batch_in_epoch, a.batches_per_epoch)
        == (b.step, b.done, b.sizes, b.update_applied, b.optimizer_name, b.learning_rate,
            b.batch_in_epoch, b.batches_per_epoch)
        and a.batch_x is b.batch_x
        and a.off == b.off  # a unit switched off changes every forward pass
        and params_equal(a.params, b.params)
        and same_scale(a.input_scale, b.input_scale)  # the same weights on other inputs are another model
    )


def same_scale(a, b) -> bool:
    """Two Snapshot.input_scale alike: both None, or the same shift and divisor."""
    if a is None or b is None:
        return a is b
    return all(x is y or np.array_equal(x, y) for x, y in zip(a, b))


# ---------------------------------------------------------------- colours

# One colour language (nntui/text/palette.py): orange negative and class 0,
# blue positive and class 1, grey zero, in every map of values.
NEUTRAL = np.array(palette.ZERO, dtype=np.float64)
NEG = np.array(palette.NEGATIVE, dtype=np.float64)  # orange: negative / class 0
POS = np.array(palette.POSITIVE, dtype=np.float64)  # blue: positive / class 1
PALETTE = np.array(palette.CLASSES, dtype=np.float64)
CLASS0, CLASS1 = PALETTE[0], PALETTE[1]


def class_colors(k: int) -> np.ndarray:
    reps = -(-k // len(PALETTE))
    return np.tile(PALETTE, (reps, 1))[:k]


def few_colours(widget) -> bool:
    """Whether the widget's terminal cannot show the maps' shades: NO_COLOR
    set, ``app.ansi_color`` True, or a monochrome or 16-colour terminal, where
    the shades all fall on one of its few colours and a map vanishes."""
    try:
        app = widget.app
    except Exception:
        return False
    return (
        bool(getattr(app, "no_color", False))  # NO_COLOR (Textual reads it at start)
        or getattr(app, "ansi_color", None) is True  # the terminal's own 16 colours only
        or app.console.color_system in (None, "standard", "windows")
    )


def darken(rgb: np.ndarray, f: float = 0.55) -> np.ndarray:
    return np.asarray(rgb, dtype=np.float64) * f


def quantize(t: np.ndarray, levels: int) -> np.ndarray:
    """t in [0, 1] to one of `levels` values (so equal cells merge, styles cache)."""
    return np.round(np.clip(t, 0.0, 1.0) * (levels - 1)) / (levels - 1)


def mix(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear blend from a (t=0) to b (t=1); a, b (..., 3) or (3,), t (...)."""
    t = np.asarray(t, dtype=np.float64)[..., None]
    return a + (b - a) * t


def diverging(v: np.ndarray, scale: float, levels: int = 9) -> np.ndarray:
    """Orange (negative) - grey (0) - blue (positive); v/scale clipped to [-1, 1]."""
    scale = float(scale) if scale and np.isfinite(scale) and scale > 0 else 1.0
    with np.errstate(invalid="ignore"):
        t = np.clip(np.nan_to_num(np.asarray(v, dtype=np.float64) / scale), -1.0, 1.0)
    q = quantize(np.abs(t), levels)
    out = np.where((t < 0)[..., None], mix(NEUTRAL, NEG, q), mix(NEUTRAL, POS, q))
    return out.astype(np.uint8)


def luminance(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=np.float64) / 255.0
    return rgb @ np.array([0.299, 0.587, 0.114])


def text_on(rgb: np.ndarray) -> np.ndarray:
    """Black or white text over each colour."""
    lum = luminance(rgb)
    out = np.where((lum > 0.55)[..., None], 0, 255)
    return np.broadcast_to(out, np.shape(rgb)).astype(np.uint8)


def pack(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 -> (...) int64 0xRRGGBB; -1 stands for 'no colour'."""
    rgb = np.asarray(rgb).astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


@lru_cache(maxsize=8192)
def style_for(fg: int, bg: int, bold: bool = False) -> Style:
    return Style(
        color=None if fg < 0 else RichColor.from_rgb(fg >> 16, (fg >> 8) & 255, fg & 255),
        bgcolor=None if bg < 0 else RichColor.from_rgb(bg >> 16, (bg >> 8) & 255, bg & 255),
        bold=bold or None,
    )


def cells_to_strip(chars, fg: np.ndarray, bg: np.ndarray, base: Style | None = None) -> Strip:
    """One strip from per-cell chars (str or sequence of 1-char str) and packed
    colours fg, bg (int arrays, -1 = take from `base`). Runs of equal
    (char, fg, bg) become one Segment."""
    n = len(chars)
    if n == 0:
        return Strip([])
    codes = np.frombuffer("".join(chars).encode("utf-32-le"), dtype=np.uint32)
    fg = np.asarray(fg, dtype=np.int64)
    bg = np.asarray(bg, dtype=np.int64)
    change = np.empty(n, dtype=bool)
    change[0] = True
    change[1:] = (codes[1:] != codes[:-1]) | (fg[1:] != fg[:-1]) | (bg[1:] != bg[:-1])
    starts = np.flatnonzero(change).tolist()
    starts.append(n)
    text = chars if isinstance(chars, str) else "".join(chars)
    fgl = fg.tolist()
    bgl = bg.tolist()
    segments = []
    for s, e in zip(starts[:-1], starts[1:]):
        style = style_for(fgl[s], bgl[s])
        if base is not None:
            style = base + style
        segments.append(Segment(text[s:e], style))
    return Strip(segments, n)


def text_strip(text: str, width: int, style: Style | None = None) -> Strip:
    """A plain line of text, cut or padded to width."""
    text = text[:width]
    return Strip([Segment(text.ljust(width), style)], width)


def join_strips(parts: list[Strip]) -> Strip:
    return Strip.join(parts)


class Canvas:
    """A grid of (char, Style) cells, turned into strips by merging runs of one
    style. Held in numpy arrays (chars, style ids), so whole layers can be laid
    down at once (`layer`) and a line is split into runs without a loop per cell."""

    def __init__(self, width: int, height: int, style: Style) -> None:
        self.width = width
        self.height = height
        self.base = style
        self.chars = np.full((height, width), " ", dtype="<U1")
        self.ids = np.zeros((height, width), dtype=np.int32)
        self.styles: list[Style] = [style]
        self._index: dict[Style, int] = {style: 0}

    def style_id(self, style: Style | None) -> int:
        if style is None:
            return 0
        i = self._index.get(style)
        if i is None:
            i = self._index[style] = len(self.styles)
            self.styles.append(style)
        return i

    def put(self, x: int, y: int, text: str, style: Style | None = None) -> int:
        """Write text at (x, y), clipped; returns the x after it."""
        end = x + len(text)
        if not 0 <= y < self.height or end <= 0 or x >= self.width:
            return end
        lo, hi = max(0, x), min(self.width, end)
        self.chars[y, lo:hi] = list(text[lo - x: hi - x])
        self.ids[y, lo:hi] = self.style_id(style)
        return end

    def layer(self, chars: np.ndarray, ids: np.ndarray, mask: np.ndarray) -> None:
        """Lay down cells where mask is True: chars and style ids (of style_id) arrays."""
        self.chars[mask] = chars[mask]
        self.ids[mask] = ids[mask]

    def strip(self, y: int) -> Strip:
        ids = self.ids[y]
        text = self.chars[y].tobytes().decode("utf-32-le")
        starts = [0, *(np.flatnonzero(ids[1:] != ids[:-1]) + 1).tolist(), self.width]
        styles = self.styles
        id_list = ids.tolist()
        segs = [Segment(text[s:e], styles[id_list[s]]) for s, e in zip(starts[:-1], starts[1:])]
        return Strip(segs, self.width)


# ---------------------------------------------------------------- braille

# Bit of each dot in a braille cell, by [dot row 0..3][dot column 0..1].
BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)
BRAILLE_CHARS = np.array([" "] + [chr(0x2800 + b) for b in range(1, 256)])


def raster_segments(x0, y0, x1, y1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The dots of N straight segments at once: (x, y, index of the segment).
    One dot per step along the longer axis, so a line has no gaps."""
    x0, y0, x1, y1 = (np.asarray(v, dtype=np.float64).ravel() for v in (x0, y0, x1, y1))
    n = (np.maximum(np.abs(x1 - x0), np.abs(y1 - y0)) + 1).astype(np.int64)
    seg = np.repeat(np.arange(len(n)), n)
    start = np.cumsum(n) - n
    k = np.arange(int(n.sum())) - start[seg]
    t = k / np.maximum(n[seg] - 1, 1)
    x = np.rint(x0[seg] + (x1 - x0)[seg] * t).astype(np.int64)
    y = np.rint(y0[seg] + (y1 - y0)[seg] * t).astype(np.int64)
    return x, y, seg


class Braille:
    """A grid of braille cells, 2×4 dots each. A cell shows one colour: that of
    the dot drawn into it with the highest priority (ties: the one drawn last)."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = max(0, width), max(0, height)
        self.bits = np.zeros((self.height, self.width), dtype=np.uint8)
        self.colour = np.full((self.height, self.width), -1, dtype=np.int64)
        self.prio = np.full((self.height, self.width), -np.inf)

    def dots(self, x, y, colour, prio=0.0) -> None:
        """Set dots (x, y in dot units: 0..2w-1, 0..4h-1; outside ones are
        dropped); colour (packed) and prio per dot or one for all."""
        x = np.asarray(x, dtype=np.int64).ravel()
        y = np.asarray(y, dtype=np.int64).ravel()
        colour = np.broadcast_to(np.asarray(colour, dtype=np.int64), x.shape)
        prio = np.broadcast_to(np.asarray(prio, dtype=np.float64), x.shape)
        ok = (x >= 0) & (x < 2 * self.width) & (y >= 0) & (y < 4 * self.height)
        if not ok.all():
            x, y, colour, prio = x[ok], y[ok], colour[ok], prio[ok]
        if x.size == 0:
            return
        cell = (y >> 2) * self.width + (x >> 1)
        np.bitwise_or.at(self.bits.reshape(-1), cell, BRAILLE_BITS[y & 3, x & 1])
        # The winner of each cell: the highest priority; on a tie, a later call
        # wins over an earlier one (within one call, any of the tied dots).
        flat_p = self.prio.reshape(-1)
        best = np.full(flat_p.shape, -np.inf)
        np.maximum.at(best, cell, prio)
        win = prio >= best[cell]
        win &= best[cell] >= flat_p[cell]
        cw = cell[win]
        flat_p[cw] = prio[win]
        self.colour.reshape(-1)[cw] = colour[win]

    def segments(self, x0, y0, x1, y1, colour, prio=0.0) -> None:
        """Draw N segments (dot coordinates); colour and prio per segment or one."""
        x, y, seg = raster_segments(x0, y0, x1, y1)
        n = np.size(np.asarray(x0))
        colour = np.broadcast_to(np.asarray(colour, dtype=np.int64).ravel(), (n,))[seg] if n else colour
        prio = np.broadcast_to(np.asarray(prio, dtype=np.float64).ravel(), (n,))[seg] if n else prio
        self.dots(x, y, colour, prio)

    def chars(self, row: int) -> np.ndarray:
        """The characters of one row (' ' where no dot is set)."""
        return BRAILLE_CHARS[self.bits[row]]
