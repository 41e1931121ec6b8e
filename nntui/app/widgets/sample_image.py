"""SampleImage: the current sample as a picture, its label, and the net's
probabilities for each class as bars.

The current sample is the one the inspector shows (`,` `.`) while a step is
traced; in fast play and before the first step there is no batch, and it is
a validation sample instead (`,` `.` pick another). The probabilities are the
model's output for it now, with the snapshot's parameters.
"""

from __future__ import annotations

import numpy as np
from textual.reactive import reactive

from nntui.engine.snapshot import Snapshot

from ._common import PALETTE, fmt, pack, params_equal
from ._images import Cells, grey_chars, grey_rgb, image_size
from .image_view import MARK, MUTED, TEXT, ImageView

# A bar: lower three-quarter blocks, so the bars of neighbouring rows stay
# apart, and a lower-left quadrant for a last half cell.
BAR, TIP = "▆", "▖"
RIGHT, WRONG, OTHER = (int(pack(PALETTE[i].astype(np.uint8))) for i in (2, 3, 7))  # green, red, grey
BAR_MIN, BAR_MAX = 4, 30  # a bar's width in cells
MAX_SCALE = 4


def prob_text(p: float) -> str:
    """A probability in 3 characters: '.93', '1.0', '.00'."""
    return "1.0" if p >= 0.995 else f"{max(p, 0.0):.2f}"[1:]


def bar_cells(p: float, width: int) -> tuple[int, str]:
    """p in [0, 1] as a bar of at most `width` cells, in half cells: (whole
    cells, '▖' for a last half cell or '')."""
    halves = int(round(np.clip(np.nan_to_num(p), 0.0, 1.0) * width * 2))
    full, part = divmod(halves, 2)
    return full, TIP if part else ""


class SampleImage(ImageView):
    """Public API: ``show(snapshot)``, ``set_dataset(dataset, image)``;
    reactive ``sample`` (index in the batch, as the inspector's) and
    ``step_sample(delta)`` for the validation sample shown when no batch is;
    ``current()`` and ``probabilities()`` are what it draws."""

    sample: reactive[int] = reactive(0)

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.val_index = 0
        self.border_title = "sample"

    def watch_sample(self, _old: int, _new: int) -> None:
        self.invalidate()

    def step_sample(self, delta: int) -> None:
        """Another sample of the set shown when there is no batch."""
        n = len(self._rows()[0]) if self.data is not None else 0
        if n:
            self.val_index = (self.val_index + delta) % n
            self.invalidate()

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        return old.batch_x is not new.batch_x or not params_equal(old.params, new.params)

    # ------------------------------------------------------------ what it shows

    def _rows(self) -> tuple[np.ndarray, np.ndarray, str]:
        d = self.data
        if len(d["x_val"]):
            return d["x_val"], d["y_val"], "validation"
        return d["x_train"], d["y_train"], "training"

    def current(self) -> tuple[np.ndarray, int | None, str]:
        """(input row, its class or None for a regression, where it comes from)."""
        s = self.snapshot
        if s.batch_x is not None and len(s.batch_x):
            i = min(self.sample, len(s.batch_x) - 1)
            x, y, where = s.batch_x[i], s.batch_y[i], f"batch sample {i + 1}/{len(s.batch_x)}"
        else:
            xs, ys, part = self._rows()
            i = self.val_index % len(xs)
            x, y, where = xs[i], ys[i], f"{part} sample {i + 1}/{len(xs)} (, .)"
        label = None if self.data["task"] == "regression" else int(np.asarray(y).ravel()[0])
        return x, label, where

    def probabilities(self) -> np.ndarray:
        """The model's probability of each class for the current sample."""
        out = self.predict(self.current()[0])[0]
        if self.data["task"] == "binary" and out.size == 1:
            return np.array([1.0 - out[0], out[0]])
        return out

    # ------------------------------------------------------------ drawing

    def draw(self, cells: Cells, ascii_mode: bool) -> None:
        x, label, _where = self.current()
        classes = self.data["classes"]
        rows, cols = self.image
        W, H = cells.width, cells.height
        name_w = max((len(c) for c in classes), default=1)
        bars_w = name_w + 1 + BAR_MIN + 5 if label is not None else 0
        scale = 1
        for s in range(MAX_SCALE, 0, -1):
            w, h = image_size(self.image, s, ascii_mode)
            if w + 1 + bars_w <= W and h + 1 <= H:
                scale = s
                break
        w, h = image_size(self.image, scale, ascii_mode)
        v = self.ink(x).reshape(rows, cols)
        if ascii_mode:
            cells.image(0, 0, None, grey_chars(v, self.ink_top), scale)
        else:
            cells.image(0, 0, grey_rgb(v, self.ink_top), None, scale)
        if label is None:  # a regression on images: the outputs as numbers
            out = self.predict(x)[0]
            cells.text(0, min(h, H - 1), "ŷ " + ", ".join(fmt(o, 3) for o in out[:4]), TEXT)
            return
        p = self.probabilities()
        guess = int(np.argmax(p))
        truth = classes[label] if label < len(classes) else str(label)
        cells.text(0, min(h, H - 1), f"label {truth}"[:w + 1], TEXT)
        # The bars: every class if the rows allow, else the likeliest first.
        order = list(range(len(p))) if len(p) <= H else list(np.argsort(-p, kind="stable")[:H])
        x0 = w + 2 if w + 2 + bars_w <= W else w + 1
        bar_w = max(BAR_MIN, min(BAR_MAX, W - x0 - name_w - 6))
        for row, k in enumerate(order):
            name = (classes[k] if k < len(classes) else str(k)).rjust(name_w)
            colour = RIGHT if k == label else WRONG if k == guess else OTHER
            at = cells.text(x0, row, name, MARK if k == label else TEXT)
            full, tip = bar_cells(float(p[k]), bar_w)
            cells.text(at + 1, row, BAR * full + tip, TEXT, fg=colour)
            cells.text(at + 2 + bar_w, row, prob_text(float(p[k])), MUTED)

    def title(self) -> str:
        if not self.ready:
            return "sample"
        _x, label, where = self.current()
        if label is None:
            return f"sample · {where}"
        classes = self.data["classes"]
        guess = int(np.argmax(self.probabilities()))
        truth, said = (classes[k] if k < len(classes) else str(k) for k in (label, guess))
        return f"sample: {truth} → {said} ({'right' if guess == label else 'wrong'}) · {where}"
