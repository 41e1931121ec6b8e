"""The decision boundary of a trained net as text, for `nntui train`.

Two renderings of the same grid of predictions over 2-D data:

- `render_ascii`: plain characters for pipes, `--ascii` and NO_COLOR. Binary
  regions are `.` (class 0) and `#` (class 1), points `o` (class 0) and `x`
  (class 1); more classes take more symbols. Regression shades the predicted
  value from ` ` (lowest) to `@` (highest).
- `render_color`: half blocks (`▀`, foreground = upper pixel, background =
  lower pixel), so each character cell holds two pixels: pale regions, points
  in full colour.

The app has its own live widget; this module only serves the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.style import Style
from rich.text import Text

from .palette import CLASSES

REGION_CHARS = ".#+:=~%&"
POINT_CHARS = "ox*@vs^d"
SHADES = " .:-=+*#%@"
# The app's colours (text/palette.py): orange class 0 and negative, blue class 1 and positive.
PALETTE = CLASSES[:8]
BACKGROUND = (24, 24, 24)
BASIC_REGIONS = ("yellow", "blue", "green", "red", "magenta", "cyan", "white", "black")
REGION_STRENGTH = 0.35  # how much of the class colour a region shows over the background
MARGIN = 0.08  # of each axis's range, around the data


@dataclass(frozen=True)
class Grid:
    """Predictions at the centres of a cols x rows grid (row 0 at the top)."""

    labels: np.ndarray | None  # (rows, cols) int class, classification only
    values: np.ndarray | None  # (rows, cols) float in [0, 1], regression only
    points: list[tuple[int, int, int]]  # (row, col, class) of each data point
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    task: str
    classes: tuple[str, ...]


def has_boundary(trainer) -> bool:
    """2-D inputs and either classes or a single regression target."""
    d = trainer.dataset
    return d.n_inputs == 2 and (d.task != "regression" or d.n_outputs == 1)


def predict_grid(trainer, cols: int, rows: int) -> Grid:
    d = trainer.dataset
    xs = np.concatenate([d.x_train, d.x_val])
    lo, hi = xs.min(axis=0), xs.max(axis=0)
    pad = np.maximum((hi - lo) * MARGIN, 1e-3)
    lo, hi = lo - pad, hi + pad
    cx = lo[0] + (np.arange(cols) + 0.5) / cols * (hi[0] - lo[0])
    cy = hi[1] - (np.arange(rows) + 0.5) / rows * (hi[1] - lo[1])  # top row = largest x2
    gx, gy = np.meshgrid(cx, cy)
    out = trainer.predict(np.column_stack([gx.ravel(), gy.ravel()]))
    labels = values = None
    if d.task == "multiclass":
        labels = out.argmax(axis=1).reshape(rows, cols)
    elif d.task == "binary":
        labels = (out[:, 0] >= 0.5).astype(int).reshape(rows, cols)
    else:
        ys = np.concatenate([d.y_train, d.y_val])[:, 0]
        v_lo, v_hi = float(ys.min()), float(ys.max())
        values = np.clip((out[:, 0] - v_lo) / max(v_hi - v_lo, 1e-12), 0.0, 1.0).reshape(rows, cols)
    points = []
    if d.task != "regression":
        ys = np.concatenate([d.y_train, d.y_val]).reshape(len(xs), -1)[:, 0].astype(int)
        col = np.clip(((xs[:, 0] - lo[0]) / (hi[0] - lo[0]) * cols).astype(int), 0, cols - 1)
        row = np.clip(((hi[1] - xs[:, 1]) / (hi[1] - lo[1]) * rows).astype(int), 0, rows - 1)
        points = list(zip(row.tolist(), col.tolist(), ys.tolist()))
    return Grid(labels, values, points, (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])),
                d.task, tuple(d.classes))


def render_ascii(trainer, cols: int = 60, rows: int = 24) -> str:
    g = predict_grid(trainer, cols, rows)
    if g.labels is not None:
        cells = [[REGION_CHARS[k % len(REGION_CHARS)] for k in line] for line in g.labels.tolist()]
        for r, c, k in g.points:
            cells[r][c] = POINT_CHARS[k % len(POINT_CHARS)]
    else:
        top = len(SHADES) - 1
        cells = [[SHADES[round(v * top)] for v in line] for line in g.values.tolist()]
    border = "+" + "-" * cols + "+"
    body = ["|" + "".join(line) + "|" for line in cells]
    return "\n".join([border, *body, border, _legend(g, ascii_=True)])


def render_color(trainer, cols: int = 60, rows: int = 24, basic: bool = False) -> Text:
    """cols x rows cells, each two pixels high (so 2 * rows pixel rows).

    `basic` is for 16-colour terminals, where pale blends would all round to
    grey: regions take the normal colours and points the bright ones.
    """
    g = predict_grid(trainer, cols, 2 * rows)
    if g.labels is not None:
        if basic:
            regions, marks = BASIC_REGIONS, tuple(f"bright_{c}" for c in BASIC_REGIONS)
        else:
            regions = tuple(_hex(_mix(c, REGION_STRENGTH)) for c in PALETTE)
            marks = tuple(_hex(c) for c in PALETTE)
        pixels = [[regions[k % len(regions)] for k in line] for line in g.labels.tolist()]
        for r, c, k in g.points:
            pixels[r][c] = marks[k % len(marks)]
    else:
        pixels = [[_diverging(v, basic) for v in line] for line in g.values.tolist()]
    text = Text()
    for r in range(rows):
        upper, lower = pixels[2 * r], pixels[2 * r + 1]
        for c in range(cols):
            text.append("▀", Style(color=upper[c], bgcolor=lower[c]))
        text.append("\n")
    text.append(_legend(g, ascii_=False, basic=basic))
    return text


def _legend(g: Grid, ascii_: bool, basic: bool = False) -> str:
    axes = f"x1 {g.x_range[0]:.3g} .. {g.x_range[1]:.3g} (left to right), x2 {g.y_range[0]:.3g} .. {g.y_range[1]:.3g} (bottom to top)"
    if g.labels is None:
        scale = f"'{SHADES}'" if ascii_ else ("yellow .. blue" if basic else "orange .. blue")
        return f"predicted value, low to high: {scale}; {axes}"
    names = g.classes or tuple(str(k) for k in range(int(g.labels.max()) + 1))
    if ascii_:
        parts = [f"{names[k]}: region {REGION_CHARS[k % len(REGION_CHARS)]} point {POINT_CHARS[k % len(POINT_CHARS)]}"
                 for k in range(len(names))]
    else:
        colour_names = BASIC_REGIONS if basic else ("orange", "blue", "green", "red", "purple", "brown", "pink", "grey")
        parts = [f"{names[k]}: {colour_names[k % len(colour_names)]}" for k in range(len(names))]
    return "class " + ", ".join(parts) + f"; {axes}"


def _mix(rgb: tuple[int, int, int], strength: float) -> tuple[int, int, int]:
    return tuple(round(b + (c - b) * strength) for c, b in zip(rgb, BACKGROUND))


def _diverging(v: float, basic: bool = False) -> str:
    """0 -> orange, 0.5 -> background, 1 -> blue (Playground's regression colours)."""
    if basic:
        return ("bright_yellow", "yellow", "black", "blue", "bright_blue")[min(4, int(v * 5))]
    end = PALETTE[1] if v >= 0.5 else PALETTE[0]
    return _hex(_mix(end, abs(v - 0.5) * 2))


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)
