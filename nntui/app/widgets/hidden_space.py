"""HiddenSpace: the data as a hidden layer sees it.

Two units of one hidden layer are the axes: every training and validation
point is drawn at those two units' activations, in its class colour, and the
input plane's grid lines are mapped through the net to the same layer, so the
bending the layer does to the plane shows (ConvNetJS's 2-D demo). When the
layer is the last hidden layer and has exactly 2 units, the output layer is a
linear function of this very plane: its decision regions are drawn under the
points, and the line between them is the output's decision line. A tangled
plane that becomes separable is a hidden layer solving XOR.

Keys (the app's): cycle the pair of units and the layer. Hidden units switched
off stay at 0, as everywhere. In 16 colours the classes are characters (o, x,
...), the regions faint characters, the grid lines braille dots.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text

from nntui.engine.snapshot import Snapshot
from nntui.engine.units import layer_activations

from ._common import PALETTE, Braille, darken, few_colours, pack, style_for
from .boundary import network_for
from .unitmaps import plane_inputs, plane_limits
from .view import View

GRID_LINES = 9  # a side: lines of constant x1 and of constant x2
LINE_POINTS = 48  # samples along each line
LINE_COLOUR = int(pack(np.array([120, 120, 120])))
POINT_CHARS = "ox+*#@%&"
REGION_CHARS = " ·:;=~-_"
REGION_DARKEN = 0.28


def hidden_layers(sizes) -> list[int]:
    """The hidden layers a plane can be drawn for: 2 units or more."""
    return [l for l in range(1, len(sizes) - 1) if sizes[l] >= 2]


def unit_pairs(n: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


def grid_lines(lo, hi) -> np.ndarray:
    """(2 * GRID_LINES, LINE_POINTS, 2): lines of constant x1, then of constant x2."""
    t = np.linspace(0.0, 1.0, LINE_POINTS)
    out = []
    for k in np.linspace(0.0, 1.0, GRID_LINES):
        x1 = lo[0] + k * (hi[0] - lo[0])
        out.append(np.column_stack([np.full(LINE_POINTS, x1), lo[1] + t * (hi[1] - lo[1])]))
    for k in np.linspace(0.0, 1.0, GRID_LINES):
        x2 = lo[1] + k * (hi[1] - lo[1])
        out.append(np.column_stack([lo[0] + t * (hi[0] - lo[0]), np.full(LINE_POINTS, x2)]))
    return np.stack(out)


def hidden_plane(net, params, features, points: np.ndarray, lo, hi, layer: int, pair, scale=None):
    """(points' coordinates (n, 2), the grid lines' (lines, LINE_POINTS, 2)) in
    the plane of units `pair` of `layer`: one forward pass for both."""
    lines = grid_lines(lo, hi)
    flat = lines.reshape(-1, 2)
    X = plane_inputs(np.concatenate([points, flat]), features, scale)
    with np.errstate(all="ignore"):
        a = layer_activations(net, params, X)[layer][:, list(pair)]
    return a[:len(points)], a[len(points):].reshape(lines.shape)


def decision_classes(net, params, u: np.ndarray, v: np.ndarray, task: str) -> np.ndarray | None:
    """The output's class at each (u, v) of the last hidden layer's 2-unit
    plane; None for regression."""
    if task == "regression":
        return None
    L = net.L
    z = np.column_stack([u, v]) @ params[f"W{L}"] + params[f"b{L}"]
    if task == "binary":
        return (z[:, 0] >= 0).astype(int)  # sigmoid(z) >= 0.5
    return z.argmax(axis=1)


def draw(s: Snapshot, dataset, layer: int, pair, width: int, height: int, few: bool) -> Text:
    out = Text(no_wrap=True, overflow="crop")
    net = network_for(s)
    points = np.concatenate([dataset.x_train, dataset.x_val]) if len(dataset.x_val) else dataset.x_train
    labels = np.concatenate([dataset.y_train, dataset.y_val]) if len(dataset.x_val) else dataset.y_train
    lo, hi = plane_limits(dataset.x_train, dataset.x_val)
    pts, lines = hidden_plane(net, s.params, s.features, points, lo, hi, layer, pair, s.input_scale)
    i, j = pair
    last = layer == net.L - 1 and s.sizes[layer] == 2
    off = [u for u in pair if (layer, u) in s.off]
    what = "the output's regions" if last and s.task != "regression" else "the input grid, bent"
    offs = "".join(f" · unit {u} off" for u in off)
    caption = f"layer {layer}: unit {i} → x, unit {j} → y (of {s.sizes[layer]}){offs} · {what}"
    if len(caption) > width:  # a narrow panel (80×24): the units and what is off first
        caption = f"layer {layer}: units {i} → x, {j} → y{offs}"
    out.append(caption[:width] + "\n", style="bold")
    rows, cols = max(2, height - 1), max(4, width)
    both = np.concatenate([pts, lines.reshape(-1, 2)])
    both = both[np.isfinite(both).all(axis=1)]
    if not len(both):
        out.append("no finite activations", style="dim")
        return out
    u0, v0 = both.min(axis=0)
    u1, v1 = both.max(axis=0)
    pad_u, pad_v = max((u1 - u0) * 0.05, 1e-6), max((v1 - v0) * 0.05, 1e-6)
    u0, u1, v0, v1 = u0 - pad_u, u1 + pad_u, v0 - pad_v, v1 + pad_v
    dot_w, dot_h = 2 * cols, 4 * rows

    def to_dots(uv):
        x = np.rint((uv[..., 0] - u0) / (u1 - u0) * (dot_w - 1))
        y = np.rint((v1 - uv[..., 1]) / (v1 - v0) * (dot_h - 1))
        return x, y

    canvas = Braille(cols, rows)
    lx, ly = to_dots(lines)
    ok = np.isfinite(lx) & np.isfinite(ly)
    seg = ok[:, :-1] & ok[:, 1:]
    canvas.segments(lx[:, :-1][seg], ly[:, :-1][seg], lx[:, 1:][seg], ly[:, 1:][seg], LINE_COLOUR, prio=0)
    classes = None
    if s.task != "regression":
        classes = labels.reshape(len(labels), -1)[:, 0].astype(int) if s.task == "binary" else labels.astype(int)
    px, py = to_dots(pts)
    finite = np.isfinite(px) & np.isfinite(py)
    # Points as characters, one a cell (the last drawn wins), over the lines.
    marks: dict[tuple[int, int], int] = {}
    for x, y, k in zip(px[finite].astype(int), py[finite].astype(int),
                       (classes[finite] if classes is not None else np.zeros(finite.sum(), int)).tolist()):
        marks[(y // 4, x // 2)] = k
    regions = None
    if last:
        cu = u0 + (np.arange(cols) + 0.5) / cols * (u1 - u0)
        cv = v1 - (np.arange(rows) + 0.5) / rows * (v1 - v0)
        gu, gv = np.meshgrid(cu, cv)
        got = decision_classes(net, s.params, gu.ravel(), gv.ravel(), s.task)
        regions = got.reshape(rows, cols) if got is not None else None
    colours = PALETTE
    region_bg = [int(pack(darken(c, REGION_DARKEN))) for c in colours]
    point_fg = [int(pack(c)) for c in colours]
    bold, dim = Style(bold=True), Style(dim=True)
    for r in range(rows):
        chars = canvas.chars(r).tolist()
        fgs = canvas.colour[r].tolist()
        cells: list[tuple[str, Style | None]] = []
        for c in range(cols):
            k = marks.get((r, c))
            region = None if regions is None else int(regions[r, c])
            if few:
                if k is not None:
                    cells.append((POINT_CHARS[k % len(POINT_CHARS)], bold))
                elif chars[c] != " ":
                    cells.append((chars[c], None))
                elif region is not None:
                    cells.append((REGION_CHARS[region % len(REGION_CHARS)], dim))
                else:
                    cells.append((" ", None))
                continue
            bg = -1 if region is None else region_bg[region % len(colours)]
            if k is not None:
                cells.append(("●", style_for(point_fg[k % len(colours)], bg, True)))
            else:
                cells.append((chars[c], style_for(fgs[c], bg)))
        _append_runs(out, cells)
        if r < rows - 1:
            out.append("\n")
    return out


def _append_runs(out: Text, cells: list[tuple[str, Style | None]]) -> None:
    """Append cells to `out`, one span per run of the same style (styles are cached objects)."""
    start = 0
    for c in range(1, len(cells) + 1):
        if c == len(cells) or cells[c][1] is not cells[start][1]:
            out.append("".join(ch for ch, _ in cells[start:c]), style=cells[start][1])
            start = c


class HiddenSpace(View):
    """The data in the plane of two hidden units (see the module's docstring)."""

    DEFAULT_CSS = """
    HiddenSpace {
        overflow: hidden hidden;
    }
    """

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.border_title = "hidden space"
        self.dataset = None
        self.layer_index = 0  # into hidden_layers(sizes)
        self.pair_index = 0  # into unit_pairs(the layer's size)
        self._key: tuple | None = None
        self._text = Text()

    def set_dataset(self, dataset, image=None) -> None:
        self.dataset = dataset
        self.invalidate()

    def invalidate(self) -> None:
        self._key = None
        super().invalidate()

    def choice(self) -> tuple[int, tuple[int, int]] | None:
        """(layer, (unit, unit)) now, or None when no hidden layer has 2 units."""
        s = self.snapshot
        if s is None:
            return None
        layers = hidden_layers(s.sizes)
        if not layers:
            return None
        layer = layers[self.layer_index % len(layers)]
        pairs = unit_pairs(s.sizes[layer])
        return layer, pairs[self.pair_index % len(pairs)]

    def next_pair(self, step: int = 1) -> None:
        """The next (or previous) pair of units of the layer."""
        self.pair_index += step
        self.invalidate()

    def next_layer(self, step: int = 1) -> None:
        self.layer_index += step
        self.pair_index = 0
        self.invalidate()

    def render(self) -> Text:
        s, d = self.snapshot, self.dataset
        if s is None or d is None:
            return Text("")
        chosen = self.choice()
        if chosen is None:
            return Text("The hidden space needs a hidden layer of 2 units or more: this network has "
                        f"layers {list(s.sizes)}.", style="dim")
        if d.n_inputs != 2 or not len(d.x_train):
            return Text("The hidden space maps the input plane: it needs 2-D data with points.", style="dim")
        width, height = max(10, self.size.width), max(3, self.size.height)
        few = few_colours(self)
        key = (id(s.params), tuple(id(v) for v in s.params.values()), s.off, chosen, width, height, few, id(d))
        if key != self._key:
            self._key = key
            self._text = draw(s, d, chosen[0], chosen[1], width, height, few)
        return self._text
