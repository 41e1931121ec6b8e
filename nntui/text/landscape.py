"""A measured loss slice (engine/landscape.py) as a map in the terminal, with
the run's path on it, for `nntui landscape`.

x is alpha (the first direction, left to right), y is beta (bottom to top).
Each cell shows the loss at the nearest grid point: as a shade character
(`SHADES`, low to high) in plain text, 16 colours and pipes, or as a
background colour (dark to bright) on a colour terminal. The loss is shaded
on a log scale when it spans more than a decade. The path is drawn over it:
`S` the start, `o` each epoch's end, `E` the end, at (0, 0).
"""

from __future__ import annotations

import math

import numpy as np
from rich.style import Style
from rich.text import Text

SHADES = " .:-=+*#%@"
START, STEP, END = "S", "o", "E"
# Dark to bright (viridis's stops): a low loss is a dark valley.
RAMP = ((68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
        (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37))
LABEL = 9  # columns for the beta ticks on the left


def shade_levels(loss: np.ndarray) -> tuple[np.ndarray, bool]:
    """Each value's place from 0 (lowest) to 1 (highest), and whether the scale
    is logarithmic. NaN and inf (an overflow far from the run) count as highest."""
    finite = np.isfinite(loss)
    if not finite.any():
        return np.ones_like(loss), False
    lo, hi = float(loss[finite].min()), float(loss[finite].max())
    log = lo > 0 and hi / lo > 10
    v = np.where(finite, loss, hi)
    if log:
        v, lo, hi = np.log10(v), math.log10(lo), math.log10(hi)
    level = (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)
    return np.where(finite, level, 1.0), log


def cells(sl, cols: int, rows: int) -> tuple[np.ndarray, dict[tuple[int, int], str], int]:
    """(rows x cols levels, {(row, col): path mark}, path points off the map)."""
    levels, _ = shade_levels(sl.loss)
    G_a, G_b = len(sl.alpha), len(sl.beta)
    ci = np.rint(np.arange(cols) / max(cols - 1, 1) * (G_a - 1)).astype(int)
    rj = np.rint((rows - 1 - np.arange(rows)) / max(rows - 1, 1) * (G_b - 1)).astype(int)
    grid = levels[np.ix_(ci, rj)].T  # (rows, cols)
    marks: dict[tuple[int, int], str] = {}
    a0, a1, b0, b1 = sl.alpha[0], sl.alpha[-1], sl.beta[0], sl.beta[-1]
    off = 0
    last = len(sl.path) - 1
    for k, (a, b) in enumerate(sl.path):
        if not (a0 <= a <= a1 and b0 <= b <= b1):
            off += 1
            continue
        c = int(round((a - a0) / (a1 - a0) * (cols - 1)))
        r = rows - 1 - int(round((b - b0) / (b1 - b0) * (rows - 1)))
        mark = START if k == 0 else END if k == last else STEP
        if marks.get((r, c)) in (START, END) and mark == STEP:
            continue  # the start and the end stay visible under the steps around them
        marks[(r, c)] = mark
    return grid, marks, off


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def ramp(level: float) -> tuple[int, int, int]:
    x = min(max(level, 0.0), 1.0) * (len(RAMP) - 1)
    i = min(int(x), len(RAMP) - 2)
    t = x - i
    return tuple(round(p + (q - p) * t) for p, q in zip(RAMP[i], RAMP[i + 1]))


def render(sl, cols: int = 60, rows: int = 24, colour: bool = False, ascii_only: bool = False,
           loss_name: str = "loss") -> Text:
    """The map, its axes and its legend. `colour`: background colours (a
    truecolour or 256-colour terminal); otherwise shade characters, which
    read the same in 16 colours and in a pipe."""
    grid, marks, off = cells(sl, cols, rows)
    text = Text()
    edge = ("+" + "-" * cols + "+") if ascii_only else ("┌" + "─" * cols + "┐")
    bottom = ("+" + "-" * cols + "+") if ascii_only else ("└" + "─" * cols + "┘")
    side = "|" if ascii_only else "│"
    b0, b1 = sl.beta[0], sl.beta[-1]
    ticks = {0: f"{b1:+.3g}", rows // 2: "0" if len(sl.beta) % 2 else f"{(b0 + b1) / 2:+.3g}", rows - 1: f"{b0:+.3g}"}
    text.append(" " * LABEL + edge + "\n")
    for r in range(rows):
        text.append(f"{ticks.get(r, ''):>{LABEL - 1}} {side}")
        for c in range(cols):
            mark = marks.get((r, c))
            level = float(grid[r, c])
            if colour:
                bg = ramp(level)
                fg = (0, 0, 0) if sum(bg) > 380 else (255, 255, 255)
                text.append(mark or " ", Style(color=_hex(fg), bgcolor=_hex(bg), bold=mark is not None))
            elif mark:
                text.append(mark, Style(bold=True))
            else:
                text.append(SHADES[min(len(SHADES) - 1, int(level * len(SHADES)))])
        text.append(side + "\n")
    text.append(" " * LABEL + bottom + "\n")
    a0, a1 = sl.alpha[0], sl.alpha[-1]
    left, right = f"{a0:+.3g}", f"{a1:+.3g}"
    mid = "0" if len(sl.alpha) % 2 else f"{(a0 + a1) / 2:+.3g}"
    axis = list(" " * (cols + 2))
    for pos, label in ((1, left), (1 + (cols - 1) // 2 - len(mid) // 2, mid), (cols + 1 - len(right), right)):
        axis[pos:pos + len(label)] = label
    text.append(" " * LABEL + "".join(axis) + "\n")
    text.append(legend(sl, off, colour, loss_name))
    return text


def direction_text(sl, i: int) -> str:
    name = sl.axes[i]
    share = f"{sl.explained[i]:.1%} of the path's variance"
    return f"{name} ({share})"


def legend(sl, off: int, colour: bool, loss_name: str) -> str:
    finite = sl.loss[np.isfinite(sl.loss)]
    _, log = shade_levels(sl.loss)
    scale = "dark to bright" if colour else f"'{SHADES}'"
    lines = [
        f"x: {direction_text(sl, 0)}, left to right; y: {direction_text(sl, 1)}, bottom to top",
        f"training loss ({loss_name}), low to high: {scale}"
        + (f", {finite.min():.4g} .. {finite.max():.4g}" if finite.size else "")
        + (" (log scale)" if log else ""),
        f"path: {START} start, {STEP} an epoch's end, {END} the end, at (0, 0)"
        + (f"; {off} of its {len(sl.path)} points lie off the map (give a larger --span)" if off else ""),
    ]
    return "\n".join(lines)
