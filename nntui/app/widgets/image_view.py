"""ImageView: the base of the views that draw image data (sample, units, mistakes).

Each keeps the experiment's data and image shape (set_dataset), draws into a
Cells grid (_images.py) once per change of what it shows, size or ASCII mode,
and serves the grid's lines from it (Line API). A subclass writes `draw`.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip

from nntui.engine.snapshot import Snapshot

from ._common import few_colours
from ._images import Cells
from .boundary import network_for
from .unitmaps import scaled
from .view import View

# The styles a grid's cells take (Cells.style), by index.
TEXT, MUTED, MARK = 0, 1, 2


class ImageView(View):
    """A view of image data; `draw(cells, ascii_mode)` in a subclass."""

    DEFAULT_CSS = """
    ImageView > .imageview--text {
        color: $text;
    }
    ImageView > .imageview--muted {
        color: $text-muted;
    }
    ImageView > .imageview--mark {
        text-style: bold reverse;
    }
    """
    COMPONENT_CLASSES = {"imageview--text", "imageview--muted", "imageview--mark"}

    ascii: reactive[bool] = reactive(False)

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.image: tuple[int, int] | None = None
        self.data: dict | None = None
        self._version = 0
        self._key: tuple | None = None
        self._cells: Cells | None = None

    # ------------------------------------------------------------ contract

    def set_dataset(self, dataset, image: tuple[int, int] | None = None) -> None:
        self.image = tuple(image) if image is not None else None
        x = np.concatenate([dataset.x_train, dataset.x_val]) if len(dataset.x_val) else dataset.x_train
        self.data = dict(
            x_train=dataset.x_train, y_train=dataset.y_train, x_val=dataset.x_val, y_val=dataset.y_val,
            task=dataset.task, classes=tuple(str(c) for c in dataset.classes),
            # The grey scale's white: the data's largest value (16 for the digits).
            ink=float(np.max(x)) if x.size else 1.0, low=float(np.min(x)) if x.size else 0.0,
        )
        self.invalidate()

    @property
    def ready(self) -> bool:
        """An image shape that fits the model's inputs, and a snapshot."""
        s = self.snapshot
        return (self.image is not None and self.data is not None and s is not None
                and self.image[0] * self.image[1] == s.sizes[0])

    def ink(self, x: np.ndarray) -> np.ndarray:
        """Pixel values from 0 (no ink): data that is not 0-based is shifted."""
        return np.asarray(x, dtype=np.float64) - min(self.data["low"], 0.0)

    @property
    def ink_top(self) -> float:
        return self.data["ink"] - min(self.data["low"], 0.0)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The model's output now for rows x (n, d), with the snapshot's parameters."""
        s = self.snapshot
        with np.errstate(all="ignore"):
            return np.asarray(network_for(s).forward(s.params, scaled(np.atleast_2d(x), s.input_scale)),
                              dtype=np.float64)

    @property
    def ascii_effective(self) -> bool:
        return self.ascii or few_colours(self)

    # ------------------------------------------------------------ drawing

    def watch_ascii(self, _old: bool, _new: bool) -> None:
        self.invalidate()

    def on_resize(self, _event) -> None:
        self.invalidate()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._key = None

    def invalidate(self) -> None:
        self._version += 1
        self._key = None
        self.border_title = self.title()
        self.refresh()

    def title(self) -> str:
        """The border's title for what is shown now."""
        return ""

    def styles_list(self) -> list[Style]:
        return [self.get_component_rich_style(f"imageview--{name}") for name in ("text", "muted", "mark")]

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        if width <= 0:
            return Strip.blank(0)
        ascii_mode = self.ascii_effective
        key = (self._version, width, height, ascii_mode)
        if key != self._key:
            cells = Cells(width, height, self.styles_list())
            if self.ready:
                self.draw(cells, ascii_mode)
            else:
                cells.text(0, 0, self.waiting(), MUTED)
            self._cells, self._key = cells, key
        return self._cells.strip(y)

    def waiting(self) -> str:
        if self.image is None:
            return "not image data: w shows the boundary"
        if self.snapshot is not None and self.image[0] * self.image[1] != self.snapshot.sizes[0]:
            return "the model's inputs are not this image"
        return "waiting for data…"

    def draw(self, cells: Cells, ascii_mode: bool) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        return old.sizes != new.sizes or old.params.get("W1") is not new.params.get("W1")
