"""BoundaryView: the model's output over the plane of the data (Line API).

Each cell is two pixels stacked: '▀' with the upper pixel as foreground and the
lower as background, so the map has twice the vertical resolution. The grid is
one batched forward pass (Network.forward) per change of parameters, size or
features; strips are built lazily per line from runs of equal cells and kept in
an LRU cache until the next change.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from nntui.engine.features import expand
from nntui.engine.network import Network
from nntui.engine.snapshot import Snapshot
from nntui.text import palette

from ._common import (
    CLASS0,
    CLASS1,
    NEUTRAL,
    cells_to_strip,
    class_colors,
    darken,
    diverging,
    few_colours,
    fmt,
    mix,
    pack,
    params_equal,
    same_scale,
    quantize,
    style_for,
)
from .unitmaps import plane_limits, scaled
from .view import View

HALF = "▀"
CURSOR = int(pack(np.array([255, 255, 255], dtype=np.uint8)))  # the sample's ring: white on any map
LEVELS = 8  # shades of confidence
GRID_CHUNK_BYTES = 16 * 2**20  # the grid's activations, per chunk of points


def ring(packed: int) -> int:
    """The ring around a point over a map pixel of this colour: the pixel's
    own colour, darkened (palette.RING), so the map keeps its hue under the
    point and the point, in full colour, shows on any shade."""
    rgb = np.array([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255], dtype=np.float64)
    return int(pack(darken(rgb, palette.RING).astype(np.uint8)))


def most_informative_pair(x: np.ndarray, y: np.ndarray, task: str) -> tuple[int, int]:
    """The two inputs that tell the targets apart best, in their own order:
    by Fisher's ratio (the spread of the class means over the spread within
    the classes) for classes, by |correlation| with the target for regression.
    iris then opens on the petals, where the species separate, not on the
    sepals, where two of them overlap."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[1] <= 2 or len(x) < 2:
        return (0, 1)
    with np.errstate(all="ignore"):
        if task == "regression":
            t = np.asarray(y, dtype=np.float64).reshape(len(x), -1)[:, 0]
            xc, tc = x - x.mean(axis=0), t - t.mean()
            score = np.abs(xc.T @ tc) / (np.sqrt((xc * xc).sum(axis=0) * (tc @ tc)) + 1e-300)
        else:
            labels = np.asarray(y).reshape(len(x), -1)[:, 0].astype(int)
            groups = [x[labels == c] for c in np.unique(labels)]
            means = np.array([g.mean(axis=0) for g in groups])
            within = np.mean([g.var(axis=0) for g in groups], axis=0)
            score = means.var(axis=0) / (within + 1e-12)
    order = np.argsort(-np.nan_to_num(score, nan=-1.0), kind="stable")
    i, j = sorted(int(k) for k in order[:2])
    return (i, j)


def _cut(name: str, n: int) -> str:
    """A name in at most n characters: 'sepal_length' -> 'sepal…'."""
    return name if len(name) <= n else name[: max(1, n - 1)] + "…"


def _pairs(d: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(d) for j in range(i + 1, d)]


_NETS: dict[tuple, Network] = {}


def network_for(snapshot: Snapshot) -> Network:
    key = (tuple(snapshot.sizes), snapshot.activation, snapshot.output, snapshot.off)
    net = _NETS.get(key)
    if net is None:
        if len(_NETS) > 16:
            _NETS.clear()
        # Units switched off stay at 0 here too, as in training.
        net = _NETS[key] = Network(snapshot.sizes, snapshot.activation, snapshot.output, snapshot.off)
    return net


class BoundaryView(View):
    """The decision boundary (classification) or value map (regression).

    Public API: ``set_data(...)`` once per experiment, ``show(snapshot)`` on
    every snapshot, ``cycle_features()``; reactives ``ascii`` (bool) and
    ``features`` ((i, j), the input features on the x and y axes). ASCII mode
    is also used when colour is unavailable: NO_COLOR set, ``app.ansi_color``
    True, or a terminal with no colour system.
    """

    DEFAULT_CSS = """
    BoundaryView > .boundaryview--axis {
        color: $text-muted;
    }
    BoundaryView > .boundaryview--plain {
        color: $text;
    }
    """
    COMPONENT_CLASSES = {"boundaryview--axis", "boundaryview--plain"}

    class Clicked(Message):
        """A click on the map: `at` is its (x1, x2) in the data's units (None
        where the map is not the (x1, x2) plane: not 2-input data, or the
        legend row), `other` a right-click or shift-click (drawing's "the
        other class")."""

        def __init__(self, at: tuple[float, float] | None, other: bool) -> None:
            self.at = at
            self.other = other
            super().__init__()

    ascii: reactive[bool] = reactive(False)
    features: reactive[tuple[int, int]] = reactive((0, 1))
    sample: reactive[int] = reactive(0)  # the batch's sample the inspector shows: ringed on the map

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._version = 0
        self._frame_key: tuple | None = None
        self._frame: dict | None = None
        self._strips: LRUCache[tuple, Strip] = LRUCache(512)
        self.data: dict | None = None
        self._params32: tuple | None = None
        self.border_title = "boundary"
        # The data coordinates under the mouse when it last moved over the map
        # (u removes the drawn point nearest them), and the drawing hint the
        # app gives: shown in the bottom border while the mouse is over the
        # map, or always once the data is drawn.
        self.pointer: tuple[float, float] | None = None
        self._hover = False
        self._draw_hint: tuple[tuple[str, ...], bool] = ((), False)

    # ------------------------------------------------------------ contract

    def set_data(self, x_train, y_train, x_val, y_val, task, classes=(), feature_names=(), *,
                 keep_axes: bool = False):
        """The experiment's points (once per experiment, and at each edit of
        drawn data). `keep_axes` keeps the plane's ranges (and a regression's
        colour scale) of the data shown before, if it had as many inputs:
        drawing a point never moves the others on screen."""
        x_train = np.asarray(x_train, dtype=np.float64)
        x_val = np.asarray(x_val, dtype=np.float64).reshape(-1, x_train.shape[1])
        d = x_train.shape[1]
        before = self.data if keep_axes and self.data is not None and self.data["d"] == d else None
        if before is not None:
            lo, hi = before["lo"], before["hi"]
        else:
            lo, hi = plane_limits(x_train, x_val)  # the network's unit maps share these axes
        names = tuple(feature_names) or tuple(f"x{i + 1}" for i in range(d))
        y_train = np.asarray(y_train)
        self.data = dict(
            x_train=x_train,
            y_train=y_train,
            x_val=x_val,
            y_val=np.asarray(y_val),
            task=task,
            classes=tuple(str(c) for c in classes),
            names=names,
            d=d,
            lo=lo,
            hi=hi,
            mean=x_train.mean(axis=0) if len(x_train) else (lo + hi) / 2,
        )
        if before is not None and task == "regression" and before["task"] == "regression":
            self.data.update({k: before[k] for k in ("y_centre", "y_scale", "y_lo", "y_hi")})
        elif task == "regression":
            yt = y_train.reshape(len(y_train), -1)[:, 0].astype(np.float64)
            ymin, ymax = (float(yt.min()), float(yt.max())) if yt.size else (0.0, 1.0)
            centre = 0.0 if ymin < 0 < ymax else float(yt.mean()) if yt.size else 0.0
            scale = float(np.max(np.abs(yt - centre))) if yt.size else 1.0
            self.data.update(y_centre=centre, y_scale=scale or 1.0, y_lo=ymin, y_hi=ymax)
        if before is not None:
            pass  # the same plane: the features on the axes stay
        elif d > 2:
            self.features = most_informative_pair(x_train, y_train, task)
        elif d == 2:
            self.features = (0, 1)
        self.invalidate()

    # ------------------------------------------------------------ the mouse

    def data_at(self, col: int, row: int) -> tuple[float, float] | None:
        """The (x1, x2) at the centre of the content cell (col, row), by the
        map's own axes; None off the map (the legend row) or where the map is
        not the (x1, x2) plane of 2-input data."""
        d = self.data
        width, height = self.size.width, self.size.height
        if d is None or d["d"] != 2 or width <= 0:
            return None
        Hp = height - (1 if height >= 4 else 0)
        if not (0 <= col < width and 0 <= row < Hp):
            return None
        xi, yi, xlo, xhi, ylo, yhi = self._axes()
        x = xlo + (col + 0.5) / width * (xhi - xlo)
        y = yhi - (row + 0.5) / Hp * (yhi - ylo)
        at = [0.0, 0.0]
        at[xi], at[yi] = float(x), float(y)
        return at[0], at[1]

    def on_mouse_move(self, event: events.MouseMove) -> None:
        offset = event.get_content_offset(self)
        if offset is not None:
            at = self.data_at(offset.x, offset.y)
            if at is not None:
                self.pointer = at
        if not self._hover:
            self._hover = True
            self._show_draw_hint()

    def on_leave(self, _event: events.Leave) -> None:
        self._hover = False
        self._show_draw_hint()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        at = self.data_at(offset.x, offset.y)
        if at is not None:
            self.pointer = at
        elif self.data is not None and self.data["d"] == 2:
            return  # the legend row of 2-input data: nothing to draw there
        self.post_message(self.Clicked(at, other=event.button == 3 or event.shift))

    def set_draw_hint(self, texts: tuple[str, ...], always: bool) -> None:
        """What a click draws (the app's words, longest first: the longest
        that fits is shown), in the bottom border while the mouse is over the
        map, or `always`."""
        self._draw_hint = (tuple(texts), always)
        self._show_draw_hint()

    def _show_draw_hint(self) -> None:
        texts, always = self._draw_hint
        room = self.size.width - 4
        fits = next((t for t in texts if len(t) <= room), texts[-1] if texts else "")
        self.border_subtitle = fits if (always or self._hover) else ""

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        """The parameters change the picture (it is recomputed lazily); a new
        batch or phase moves only the ring around the sample."""
        if self._cursor_input(old) is not self._cursor_input(new):
            self._strips.clear()
            self.refresh()
        return (old.off != new.off or not params_equal(old.params, new.params)
                or not same_scale(old.input_scale, new.input_scale))

    def _cursor_input(self, snapshot: Snapshot | None):
        """The input of the sample the inspector shows, while a step is traced
        (phase by phase, or slow play); None in fast play, which keeps no batch."""
        if snapshot is None or snapshot.batch_x is None or not len(snapshot.batch_x):
            return None
        # With features the network's input is not the point: ring the point itself.
        points = snapshot.batch_points if snapshot.batch_points is not None else snapshot.batch_x
        return points[min(self.sample, len(points) - 1)]

    def watch_sample(self, _old: int, _new: int) -> None:
        self._strips.clear()
        self.refresh()

    def _cursor_cell(self, W: int, Hp: int) -> tuple[int, int, int] | None:
        """(row, col, pixel half) of the ringed sample, or None."""
        x = self._cursor_input(self.snapshot)
        if x is None or self.data is None or self.data["d"] == 1:
            return None
        xi, yi, xlo, xhi, ylo, yhi = self._axes()
        col = int(np.floor((x[xi] - xlo) / (xhi - xlo) * W))
        prow = int(np.floor((yhi - x[yi]) / (yhi - ylo) * (2 * Hp)))
        if not (0 <= col < W and 0 <= prow < 2 * Hp):
            return None
        return prow // 2, col, prow % 2

    def cycle_features(self) -> None:
        """Next pair of input features on the axes (data with > 2 inputs)."""
        if self.data is None or self.data["d"] <= 2:
            return
        pairs = _pairs(self.data["d"])
        i = pairs.index(self.features) if self.features in pairs else -1
        self.features = pairs[(i + 1) % len(pairs)]

    @property
    def ascii_effective(self) -> bool:
        """ASCII when asked, or when the terminal cannot show the map's shades."""
        return self.ascii or few_colours(self)

    # ------------------------------------------------------------ reactivity

    def validate_features(self, value: tuple[int, int]) -> tuple[int, int]:
        i, j = (int(v) for v in value)
        if self.data is not None:
            d = self.data["d"]
            if d >= 2 and (not (0 <= i < d and 0 <= j < d) or i == j):
                return (0, 1)
        return (i, j)

    def watch_ascii(self, _old: bool, _new: bool) -> None:
        self.invalidate()

    def watch_features(self, _old, _new) -> None:
        self.invalidate()

    def on_resize(self, _event) -> None:
        self.invalidate()
        self._show_draw_hint()

    def notify_style_update(self) -> None:
        """Theme or CSS changed: rebuild the strips (the grid stays valid)."""
        super().notify_style_update()
        self._strips.clear()

    def invalidate(self) -> None:
        self._version += 1
        self._frame_key = None
        self._frame = None
        self._strips.clear()
        self._update_title()
        self.refresh()

    def _update_title(self) -> None:
        """The axes' features, shortened until the title fits the border."""
        d = self.data
        if d is None:
            self.border_title = "boundary"
            return
        kind = "output" if d["task"] == "regression" else "boundary"
        room = max(8, self.size.width - 2) if self.size.width else 10**6
        if d["d"] == 1:
            candidates = [f"{kind}: {d['names'][0]} →", f"{d['names'][0]} →"]
        else:
            i, j = self.features
            x, y = d["names"][i], d["names"][j]
            if d["d"] > 2:
                candidates = [
                    f"{kind}: {x} → × {y} ↑ (others at mean, f: next pair)",
                    f"{kind}: {x} → × {y} ↑ (others at mean)",
                    f"{x} → × {y} ↑ (others at mean)",
                    f"{x} → × {y} ↑ (f: next)",
                ]
            else:
                candidates = [f"{kind}: {x} → × {y} ↑"]
            candidates.append(f"{x}→ × {y}↑")
            for n in range(max(len(x), len(y)) - 1, 2, -1):
                candidates.append(f"{_cut(x, n)}→ × {_cut(y, n)}↑")
        self.border_title = next((c for c in candidates if len(c) <= room), candidates[-1])

    # ------------------------------------------------------------ the grid

    def _predict(self, X: np.ndarray) -> np.ndarray:
        """The model's output for a batch: one Network.forward, in float32
        (a picture needs no more, and tanh/exp run about 4× faster)."""
        s = self.snapshot
        with np.errstate(all="ignore"):  # a diverging run may hold huge values
            if self._params32 is None or self._params32[0] is not s.params:
                self._params32 = (s.params, {k: np.asarray(v, dtype=np.float32) for k, v in s.params.items()})
            params, net = self._params32[1], network_for(s)
            # The grid is over (x1, x2); the network sees its features, if any.
            X32 = expand(X.astype(np.float32), s.features) if s.features else X.astype(np.float32)
            X32 = scaled(X32, s.input_scale)  # and scaled as the trainer scales its inputs
            # In chunks: a wide layer's z and a over the whole grid (24,000
            # points × 4096 units) would take 0.8 GB; a chunk takes ~16 MB.
            rows = max(1, GRID_CHUNK_BYTES // (8 * max(p.shape[-1] for p in params.values())))
            out = np.concatenate([net.forward(params, X32[i:i + rows]) for i in range(0, len(X32), rows)]
                                 or [net.forward(params, X32)])
        return np.asarray(out, dtype=np.float64).reshape(len(X), -1)

    def _axes(self):
        """(xi, yi, xlo, xhi, ylo, yhi) of the plot; yi None for 1-D data."""
        d = self.data
        if d["d"] == 1:
            if d["task"] == "regression":
                lo, hi = d["y_lo"], d["y_hi"]
                pad = 0.1 * (hi - lo if hi > lo else 1.0)
                return 0, None, d["lo"][0], d["hi"][0], lo - pad, hi + pad
            if d["task"] == "multiclass":
                k = max(len(d["classes"]), 2)
                return 0, None, d["lo"][0], d["hi"][0], -0.5, k - 0.5
            return 0, None, d["lo"][0], d["hi"][0], -0.15, 1.15
        i, j = self.features
        return i, j, d["lo"][i], d["hi"][i], d["lo"][j], d["hi"][j]

    def _inputs(self, xs: np.ndarray, ys: np.ndarray | None) -> np.ndarray:
        """Model inputs for grid coordinates (xs, ys) of the same shape."""
        d = self.data
        xi, yi = self._axes()[:2]
        X = np.broadcast_to(d["mean"], (xs.size, d["d"])).copy()
        X[:, xi] = xs.ravel()
        if yi is not None:
            X[:, yi] = ys.ravel()
        return X

    def _shade(self, out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Model outputs (n, k) -> (rgb (n,3) uint8, ascii chars (n,), class/level)."""
        d = self.data
        task = d["task"]
        if task == "regression":
            v = out[:, 0]
            t = (v - d["y_centre"]) / d["y_scale"]
            rgb = diverging(t, 1.0, LEVELS)
            ramp = np.array(list(" .:-=+*#%@"))
            u = np.clip((np.nan_to_num(t) + 1) / 2, 0, 1)
            chars = ramp[np.minimum((u * len(ramp)).astype(int), len(ramp) - 1)]
            return rgb, chars, np.zeros(len(v), int)
        if task == "binary" and out.shape[1] == 1:
            p = np.clip(np.nan_to_num(out[:, 0], nan=0.5), 0.0, 1.0)
            one = p >= 0.5
            conf = quantize(np.abs(p - 0.5) * 2.0, LEVELS)
            rgb = np.where(one[:, None], mix(NEUTRAL, CLASS1, conf), mix(NEUTRAL, CLASS0, conf))
            strong = np.abs(p - 0.5) >= 0.3
            chars = np.where(one, np.where(strong, "#", "+"), np.where(strong, " ", "."))
            return rgb.astype(np.uint8), chars, one.astype(int)
        out = np.nan_to_num(out, nan=0.0)
        k = out.shape[1]
        cls = out.argmax(axis=1)
        pmax = out.max(axis=1)
        # (One output column here means a model still being swapped for the
        # data's: no division by zero for it.)
        conf = quantize(np.clip((pmax - 1.0 / k) / ((1.0 - 1.0 / k) if k > 1 else 1.0), 0, 1), LEVELS)
        rgb = mix(NEUTRAL, class_colors(k)[cls], 0.15 + 0.85 * conf)
        digits = np.array(list("0123456789abcdefghijklmnopqrstuvwxyz"))
        chars = np.where(conf >= 0.4, digits[cls % len(digits)], ".")
        return rgb.astype(np.uint8), chars, cls

    def _point_marks(self, W: int, Hp: int, ascii_mode: bool):
        """{row: {col: (char, fg packed, pixel half 0/1, bg packed or -1)}} for
        the data points (validation drawn after training, so it wins a shared
        cell). Each point is in full colour (its class's, or its target's in
        the value map), ringed by the map's own colour darkened (`ring`, drawn
        in _build_strip), so that it shows on any shade: its own class's
        region, and a value the model fits well. Classes: '●' train '○'
        validation; regression: '●' train '◆' validation."""
        d = self.data
        xi, yi, xlo, xhi, ylo, yhi = self._axes()
        task = d["task"]
        k = max(len(d["classes"]), 2)
        colours = class_colors(k)
        marks: dict[int, dict[int, tuple[str, int, int]]] = {}
        for which, X, Y in (("train", d["x_train"], d["y_train"]), ("val", d["x_val"], d["y_val"])):
            if len(X) == 0:
                continue
            xs = X[:, xi]
            if yi is None:
                Yf = np.asarray(Y, dtype=np.float64).reshape(len(X), -1)[:, 0]
                ys = Yf
            else:
                ys = X[:, yi]
            col = np.floor((xs - xlo) / (xhi - xlo) * W).astype(int)
            prow = np.floor((yhi - ys) / (yhi - ylo) * (2 * Hp)).astype(int)
            ok = (col >= 0) & (col < W) & (prow >= 0) & (prow < 2 * Hp)
            if task == "regression":
                yv = np.asarray(Y, dtype=np.float64).reshape(len(X), -1)[:, 0]
                rgb = diverging((yv - d["y_centre"]) / d["y_scale"], 1.0, LEVELS)
                lab = np.zeros(len(X), int)
            else:
                lab = np.asarray(Y).reshape(len(X), -1)[:, 0].astype(int)
                lab = np.clip(lab, 0, k - 1)
                rgb = colours[lab].astype(np.uint8)
            fg = pack(rgb)
            for n in np.flatnonzero(ok).tolist():
                if ascii_mode:
                    if task == "binary":
                        ch = "ox"[lab[n]]
                    elif task == "multiclass":
                        ch = chr(ord("a") + lab[n] % 26)
                    else:
                        ch = "o"
                    if which == "val":
                        ch = ch.upper() if task != "regression" else "x"
                elif task == "regression":
                    ch = "●" if which == "train" else "◆"
                else:
                    ch = "●" if which == "train" else "○"
                marks.setdefault(prow[n] // 2, {})[col[n]] = (ch, int(fg[n]), prow[n] % 2, -1)
        return marks

    def _compute_frame(self, W: int, Hp: int, ascii_mode: bool) -> dict:
        d = self.data
        xi, yi, xlo, xhi, ylo, yhi = self._axes()
        rows = Hp if ascii_mode else 2 * Hp
        xs = xlo + (np.arange(W) + 0.5) / W * (xhi - xlo)
        ys = yhi - (np.arange(rows) + 0.5) / rows * (yhi - ylo)
        frame: dict = {"ascii": ascii_mode}
        if yi is None:
            # 1-D input: x across; the vertical axis is the output's value.
            out = self._predict(self._inputs(xs, None))
            rgb, chars, _ = self._shade(out)
            col_rgb = mix(NEUTRAL, rgb.astype(np.float64), 0.45).astype(np.uint8)
            pix = np.broadcast_to(col_rgb[None, :, :], (rows, W, 3)).copy()
            ch = np.full((rows, W), " ")
            if d["task"] != "multiclass":
                v = out[:, 0]
                r = np.floor((yhi - v) / (yhi - ylo) * rows).astype(int)
                ok = (r >= 0) & (r < rows)
                cols = np.arange(W)[ok]
                pix[r[ok], cols] = darken(rgb[ok].astype(np.float64), 0.6).astype(np.uint8)
                ch[r[ok], cols] = "*"
            else:
                ch[:] = np.broadcast_to(chars[None, :], (rows, W))
        else:
            gx, gy = np.meshgrid(xs, ys)
            out = self._predict(self._inputs(gx, gy))
            rgb, chars, _ = self._shade(out)
            pix = rgb.reshape(rows, W, 3)
            ch = chars.reshape(rows, W)
        if ascii_mode:
            frame["chars"] = ch
        else:
            packed = pack(pix)
            frame["top"] = packed[0::2]
            frame["bot"] = packed[1::2]
        frame["marks"] = self._point_marks(W, Hp, ascii_mode)
        return frame

    # ------------------------------------------------------------ drawing

    def _axis_line(self, width: int) -> Strip:
        """The legend under the map: the axes' ranges, the colours (or, in
        ASCII, the characters) and the points' marks, the longest version
        that fits; class names are shortened last."""
        d = self.data
        axis = self.get_component_rich_style("boundaryview--axis")
        xi, yi, xlo, xhi, ylo, yhi = self._axes()
        names = d["names"]
        yname = names[yi] if yi is not None else "output"
        ranges = f"{fmt(xlo, 3)}…{fmt(xhi, 3)}→  {fmt(ylo, 3)}…{fmt(yhi, 3)}↑"
        named = f"{names[xi]} {fmt(xlo, 3)}…{fmt(xhi, 3)}→  {yname} {fmt(ylo, 3)}…{fmt(yhi, 3)}↑"
        Part = list[tuple[str, Style]]

        def text(t: str) -> Part:
            return [(t, axis)]

        keys: list[Part] = []  # the colour or character legends, longest first
        if self.ascii_effective:
            if d["task"] == "binary":
                zero, one = d["classes"][:2] if len(d["classes"]) >= 2 else ("0", "1")
                keys = [text(f"# sure {one}  + {one}  . {zero}  ␣ sure {zero}   o/x train  O/X val"),
                        text(f"# sure {one}  + {one}  . {zero}  ␣ sure {zero}   o/x points"),
                        text(f"#sure {one} +{one} .{zero} ␣sure {zero} o/x points"),
                        text(f"#sure {one} +{one} .{zero} ␣sure {zero}")]
            elif d["task"] == "multiclass":
                k = max(len(d["classes"]), 2)
                labels = "  ".join(f"{'0123456789abcdefghijklmnopqrstuvwxyz'[c % 36]} {d['classes'][c] if c < len(d['classes']) else c}"
                                   for c in range(k))
                keys = [text(f"{labels}  . unsure   a,b… train  A,B… val"),
                        text("0,1,… the class  . unsure   a,b… train  A,B… val"),
                        text("0,1,… class  a,b… points")]
            else:
                keys = [text("low ' .:-=+*#%@' high   o train  x val"), text("' .:-=+*#%@' o/x")]
        else:
            if d["task"] == "regression":
                c, sc = d["y_centre"], d["y_scale"]
                swatches: Part = []
                for label, val in ((fmt(c - sc, 3), -1.0), (fmt(c, 3), 0.0), (fmt(c + sc, 3), 1.0)):
                    rgb = diverging(np.array([val]), 1.0, LEVELS)[0]
                    swatches += [("■", axis + style_for(int(pack(rgb)), -1)), (label + " ", axis)]
                keys = [swatches + text(" ● train ◆ val"), swatches]
            else:
                k = max(len(d["classes"]), 2)
                cols = class_colors(k)
                full = [d["classes"][c] if c < len(d["classes"]) else str(c) for c in range(k)]
                longest = max(len(n) for n in full)
                for n in [longest, *range(min(longest - 1, 5), 0, -1)]:
                    swatches = []
                    for c in range(k):
                        swatches += [("■", axis + style_for(int(pack(cols[c].astype(np.uint8))), -1)),
                                     (_cut(full[c], n) + " ", axis)]
                    keys.append(swatches + text(" ● train ○ val"))
                    keys.append(swatches)
        candidates: list[Part] = [text(named + "  ") + key for key in keys[:1]]
        candidates += [text(ranges + "  ") + key for key in keys[:1]]
        candidates += keys
        candidates.append(text(ranges))
        parts = next((c for c in candidates if sum(len(t) for t, _ in c) <= width), candidates[-1])
        segs = []
        used = 0
        for t, style in parts:
            if used >= width:
                break
            t = t[: width - used]
            segs.append(Segment(t, style))
            used += len(t)
        if used < width:
            segs.append(Segment(" " * (width - used), axis))
        return Strip(segs, width)

    def _message(self, y: int, width: int, text: str) -> Strip:
        style = self.get_component_rich_style("boundaryview--axis")
        line = text if y == 0 else ""
        return Strip([Segment(line[:width].ljust(width), style)], width)

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        if width <= 0:
            return Strip.blank(0)
        if self.data is None or self.snapshot is None:
            return self._message(y, width, "waiting for data…")
        # With features the network takes one input per feature of the 2-D point.
        if (len(self.snapshot.features) or self.snapshot.sizes[0]) != self.data["d"] and not (
                self.snapshot.features and self.data["d"] == 2):
            return self._message(y, width, "data and model do not match")
        axis_rows = 1 if height >= 4 else 0
        Hp = height - axis_rows
        if y >= Hp:
            return self._axis_line(width)
        ascii_mode = self.ascii_effective
        key = (self._version, width, Hp, ascii_mode)
        if key != self._frame_key:
            self._frame = self._compute_frame(width, Hp, ascii_mode)
            self._frame_key = key
            self._strips.clear()
        strip = self._strips.get(y)
        if strip is None:
            strip = self._build_strip(y, width)
            self._strips[y] = strip
        return strip

    def _build_strip(self, y: int, width: int) -> Strip:
        f = self._frame
        marks = f["marks"]
        cursor = self._cursor_cell(width, len(f["chars"]) if f["ascii"] else len(f["top"]))
        if cursor is not None and cursor[0] == y:
            # The inspector's sample, ringed over its point (on top of the marks).
            mark = ("@" if f["ascii"] else "◎", CURSOR, cursor[2], -1)
            marks = {**marks, y: {**marks.get(y, {}), cursor[1]: mark}}
        if f["ascii"]:
            # Points in reverse video (an attribute, not a colour) stand out of
            # the '#' fields even on a monochrome terminal.
            chars = f["chars"][y].tolist()
            row_marks = marks.get(y, {})
            for c, (ch, _fg, _h, _bg) in row_marks.items():
                chars[c] = ch
            plain = self.get_component_rich_style("boundaryview--plain")
            point = plain + Style(reverse=True, bold=True)
            kind = np.zeros(width, dtype=np.int64)
            kind[list(row_marks)] = 1
            segs = []
            start = 0
            for x in range(1, width + 1):
                if x == width or kind[x] != kind[start]:
                    segs.append(Segment("".join(chars[start:x]), point if kind[start] else plain))
                    start = x
            return Strip(segs, width)
        chars = [HALF] * width
        fg = f["top"][y].copy()
        bg = f["bot"][y].copy()
        for c, (ch, pfg, half, pbg) in marks.get(y, {}).items():
            chars[c] = ch
            if pbg >= 0:
                bg[c] = pbg
            else:  # ringed by the map's own colour where the point sits
                bg[c] = ring(int(fg[c] if half == 0 else bg[c]))
            fg[c] = pfg
        return cells_to_strip(chars, fg, bg)
