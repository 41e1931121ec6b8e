"""MistakesGallery: the validation samples the net gets wrong, as pictures.

Each tile is a sample's image with "true→predicted" under it. The list is the
model's at an epoch's end: recomputed when the epoch changes (or a new run
starts), not on every step, so fast play pays for one forward pass over the
validation set an epoch. With no validation set it shows the training set's.
"""

from __future__ import annotations

import numpy as np

from nntui.engine.snapshot import Snapshot

from ._common import params_equal
from ._images import Cells, grey_chars, grey_rgb, image_size
from .image_view import MUTED, TEXT, ImageView


class MistakesGallery(ImageView):
    """Public API: ``show(snapshot)``, ``set_dataset(dataset, image)``;
    ``mistakes()``: (row indices, true classes, predicted classes) of the
    samples shown, in the set's order."""

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._found: tuple | None = None  # (params it was computed with, result)
        self.border_title = "mistakes"

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        """At an epoch's end, a new model, or a new run at step 0."""
        return (old.epoch != new.epoch or old.sizes != new.sizes
                or (new.step == 0 and not params_equal(old.params, new.params)))

    def invalidate(self) -> None:
        self._found = None
        super().invalidate()

    # ------------------------------------------------------------ what it shows

    def _rows(self) -> tuple[np.ndarray, np.ndarray, str]:
        d = self.data
        if len(d["x_val"]):
            return d["x_val"], d["y_val"], "validation"
        return d["x_train"], d["y_train"], "training"

    def mistakes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indices, true, predicted) of the misclassified rows, with the
        snapshot's parameters."""
        if self._found is not None and self._found[0] is self.snapshot.params:
            return self._found[1]
        x, y, _part = self._rows()
        if self.data["task"] == "regression" or not len(x):
            found = (np.zeros(0, int),) * 3
        else:
            out = self.predict(x)
            guess = (out[:, 0] >= 0.5).astype(int) if out.shape[1] == 1 else np.argmax(out, axis=1)
            truth = np.asarray(y).reshape(len(x), -1)[:, 0].astype(int)
            wrong = np.flatnonzero(guess != truth)
            found = (wrong, truth[wrong], guess[wrong])
        self._found = (self.snapshot.params, found)
        return found

    def title(self) -> str:
        if not self.ready or self.data["task"] == "regression":
            return "mistakes"
        wrong = self.mistakes()[0]
        _x, _y, part = self._rows()
        return (f"{part} mistakes after epoch {self.snapshot.epoch}: "
                f"{len(wrong)} of {len(_x)} wrong")

    # ------------------------------------------------------------ drawing

    def draw(self, cells: Cells, ascii_mode: bool) -> None:
        if self.data["task"] == "regression":
            cells.text(0, 0, "a regression has no classes to get wrong", MUTED)
            return
        idx, truth, guess = self.mistakes()
        if not len(idx):
            cells.text(0, 0, "none: every sample is classified right", TEXT)
            return
        x, _y, _part = self._rows()
        classes = self.data["classes"]
        w, h = image_size(self.image, 1, ascii_mode)
        th = h + 1
        per_row = max(1, (cells.width + 1) // (w + 1))
        tile_rows = max(1, cells.height // th)
        room = per_row * tile_rows
        if len(idx) > room:  # the last tile says how many more
            room -= 1
        for k in range(min(room, len(idx))):
            at_x, at_y = (k % per_row) * (w + 1), (k // per_row) * th
            v = self.ink(x[idx[k]]).reshape(self.image)
            if ascii_mode:
                cells.image(at_x, at_y, None, grey_chars(v, self.ink_top), 1)
            else:
                cells.image(at_x, at_y, grey_rgb(v, self.ink_top), None, 1)
            name = [classes[c] if c < len(classes) else str(c) for c in (truth[k], guess[k])]
            cells.text(at_x, at_y + h, f"{name[0]}→{name[1]}".center(w)[:w], TEXT)
        if len(idx) > room:
            k = room
            at_x, at_y = (k % per_row) * (w + 1), (k // per_row) * th
            cells.text(at_x, at_y + h // 2, f"+{len(idx) - room}"[:w].center(w), MUTED)
            cells.text(at_x, at_y + h // 2 + 1, "more".center(w)[:w], MUTED)
