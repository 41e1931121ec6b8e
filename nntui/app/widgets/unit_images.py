"""UnitImages: each first-layer hidden unit's incoming weights as an image.

Unit j of layer 1 computes z1[j] = x · W1[:, j] + b1[j]: column j of W1 has a
weight per pixel, so drawn as the input image it shows what the unit looks
for (red: ink there excites it; blue: inhibits it). The classic picture of
what a network learns, live. One diverging scale for the whole layer, centred
on 0 (as the heatmaps), so the units compare. The selected neuron (j/k, a
click here or on the diagram) is marked; when the grid does not fit, it shows
the page that holds the selected unit.
"""

from __future__ import annotations

import numpy as np
from textual import events
from textual.message import Message
from textual.reactive import reactive, var

from nntui.engine.units import dead_units

from ._common import fmt
from ._images import Cells, image_size, signed_chars, signed_rgb
from .boundary import network_for
from .unitmaps import scaled
from .image_view import MARK, MUTED, ImageView

MAX_SCALE = 3
LEGEND = 0  # rows under the grid (the colour scale is in the bottom border)
DEAD_SAMPLE = 4096  # training points the dead-unit rule is judged on, at most (as the diagram's)


class UnitImages(ImageView, can_focus=False):
    """Public API: ``show(snapshot)``, ``set_dataset(dataset, image)``;
    reactive ``selected`` (the unit of layer 1 marked, or None);
    ``unit_image(j)``; message ``UnitImages.UnitSelected(j)`` on a click."""

    class UnitSelected(Message):
        """A unit's picture was clicked: unit `index` of hidden layer 1."""

        def __init__(self, index: int) -> None:
            self.index = index
            super().__init__()

    selected: reactive[int | None] = reactive(0)
    unit: var[tuple[int, int]] = var((1, 0))  # the screen's selected (layer, unit): marked if in layer 1

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._tiles: dict[int, tuple[int, int, int, int]] = {}  # unit -> (x, y, w, h), for clicks
        self._dead: tuple[tuple, np.ndarray] | None = None  # (params key, h1's dead mask)
        self.border_title = "hidden units"

    def watch_unit(self, unit: tuple[int, int]) -> None:
        self.selected = unit[1] if unit[0] == 1 else None

    def watch_selected(self, _old, _new) -> None:
        self.invalidate()

    # ------------------------------------------------------------ what it shows

    def unit_image(self, j: int) -> np.ndarray:
        """W1[:, j] as the input image: unit j's weight on each pixel."""
        return self.snapshot.params["W1"][:, j].reshape(self.image)

    def dead(self) -> np.ndarray:
        """Which units of h1 are dead on the training data (engine/units.py's
        rule: a ReLU 0 for every digit, a tanh or sigmoid stuck on one side);
        none without a hidden layer. Once per change of the parameters."""
        s = self.snapshot
        key = (tuple(id(v) for v in s.params.values()), s.activation, id(self.data["x_train"]), id(s.input_scale))
        if self._dead is None or self._dead[0] != key:
            x = self.data["x_train"]
            step = max(1, -(-len(x) // DEAD_SAMPLE))
            with np.errstate(all="ignore"):
                mask = dead_units(network_for(s), s.params, scaled(x[::step], s.input_scale)).get(1) if s.L > 1 and len(x) else None
            self._dead = (key, mask if mask is not None else np.zeros(s.sizes[1], dtype=bool))
        return self._dead[1]

    def scale(self) -> float:
        """The colour scale's end: the layer's largest |weight|."""
        W1 = self.snapshot.params["W1"]
        with np.errstate(invalid="ignore"):
            top = float(np.nanmax(np.abs(W1))) if W1.size else 1.0
        return top if np.isfinite(top) and top > 0 else 1.0

    def layout(self, width: int, height: int, ascii_mode: bool) -> tuple[int, int, int, int, int]:
        """(scale, tiles a row, rows of tiles, tile width, tile height with its label)."""
        n = self.snapshot.sizes[1]
        rows_free = max(1, height - LEGEND)
        best = None
        for s in range(MAX_SCALE, 0, -1):
            w, h = image_size(self.image, s, ascii_mode)
            th = h + 1  # the picture and its label
            per_row = max(1, (width + 1) // (w + 1))
            tile_rows = max(1, rows_free // th)  # a tile's label line parts it from the next row
            if per_row * tile_rows >= n or s == 1:
                best = (s, per_row, tile_rows, w, th)
                if per_row * tile_rows >= n:
                    break
        return best

    def title(self) -> str:
        if not self.ready:
            return "hidden units"
        # With no hidden layer, W1 feeds the outputs: a picture per class.
        what = "hidden unit of h1" if self.snapshot.L > 1 else "output unit"
        dead = int(self.dead().sum())
        return (f"W1 columns: what each {what} looks for · ±{fmt(self.scale(), 2)}"
                + (f" · {dead} dead ✕" if dead else ""))

    # ------------------------------------------------------------ drawing

    def page(self, width: int, height: int, ascii_mode: bool) -> tuple[int, int]:
        """(first unit shown, one past the last): all that fit, or the page of
        the selected unit."""
        n = self.snapshot.sizes[1]
        _s, per_row, tile_rows, _w, _th = self.layout(width, height, ascii_mode)
        room = per_row * tile_rows
        sel = self.selected if self.selected is not None and 0 <= self.selected < n else None
        first = 0 if n <= room or sel is None else (sel // room) * room
        return first, min(n, first + room)

    def draw(self, cells: Cells, ascii_mode: bool) -> None:
        n = self.snapshot.sizes[1]
        scale_px, per_row, _rows, w, th = self.layout(cells.width, cells.height, ascii_mode)
        first, end = self.page(cells.width, cells.height, ascii_mode)
        sel = self.selected if self.selected is not None and 0 <= self.selected < n else None
        top = self.scale()
        dead = self.dead()
        self._tiles = {}
        for k, j in enumerate(range(first, end)):
            x, y = (k % per_row) * (w + 1), (k // per_row) * th
            v = self.unit_image(j)
            if ascii_mode:
                cells.image(x, y, None, signed_chars(v, top), scale_px)
            else:
                cells.image(x, y, signed_rgb(v, top), None, scale_px)
            name = f"h1[{j}]" if self.snapshot.L > 1 else f"ŷ[{j}]"
            label = name if len(name) <= w else str(j)
            if dead[j]:  # 0 for every training image: its gradient is 0, so it does not learn
                label = f"✕{label}" if len(label) < w else f"✕{j}"
            cells.text(x, y + th - 1, label.center(w)[:w], MARK if j == sel else MUTED)
            self._tiles[j] = (x, y, w, th)

    def invalidate(self) -> None:
        super().invalidate()
        self.border_subtitle = self.legend()

    def legend(self) -> str:
        """The colour scale (markup, for the bottom border), and which units show."""
        if not self.ready:
            return ""
        top = self.scale()
        parts = []
        for label, v in ((f"−{fmt(top, 2)}", -top), ("0", 0.0), (f"+{fmt(top, 2)}", top)):
            if self.ascii_effective:
                parts.append(f"'{signed_chars(np.array([v]), top)[0]}' {label}")
            else:
                r, g, b = (int(c) for c in signed_rgb(np.array([v]), top)[0])
                parts.append(f"[#{r:02x}{g:02x}{b:02x}]■[/] {label}")
        n = self.snapshot.sizes[1]
        first, end = self.page(self.size.width, self.size.height, self.ascii_effective)
        shown = f"units {first}–{end - 1} of {n} (j/k) · " if end - first < n else ""
        return shown + "  ".join(parts) + " per pixel"

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for j, (x, y, w, h) in self._tiles.items():
            if x <= offset.x < x + w and y <= offset.y < y + h:
                self.selected = j
                self.post_message(self.UnitSelected(j))
                return
