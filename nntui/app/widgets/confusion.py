"""ConfusionView: the classifier's confusion matrix, as the engine measured it at
the last epoch's end (Snapshot.confusion).

Rows are the true class, columns the predicted one. Each cell shows its count
on a shade of its share of the row (row-normalised): a good classifier is a
bright diagonal on a dark field, and a bright cell off the diagonal names the
classes it mixes up. Reached with `x`, in place of the weight heatmaps.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from nntui.engine.metrics import Confusion
from nntui.engine.snapshot import Snapshot

from ._common import mix, pack, quantize, style_for, text_on
from .view import View

DARK = np.array([40, 44, 52], dtype=np.float64)  # a cell no sample falls in
RIGHT = np.array([76, 170, 90], dtype=np.float64)  # the diagonal: green
WRONG = np.array([222, 96, 72], dtype=np.float64)  # off the diagonal: red-orange
LEVELS = 9


def _cut(name: str, width: int) -> str:
    return name if len(name) <= width else name[: max(1, width - 1)] + "…"


def shades(confusion: Confusion) -> np.ndarray:
    """(k, k, 3) uint8: each cell's colour, from its share of its row."""
    share = quantize(confusion.row_normalised(), LEVELS)
    k = len(share)
    diagonal = np.eye(k, dtype=bool)[..., None]
    return np.where(diagonal, mix(DARK, RIGHT, share), mix(DARK, WRONG, share)).astype(np.uint8)


def confusion_lines(confusion: Confusion, width: int, height: int = 100) -> Text:
    """The matrix in at most `width` columns: a caption (one line if `height`
    is short), the predicted classes across, one row per true class."""
    counts = confusion.counts
    k = len(counts)
    n, right = int(counts.sum()), int(np.trace(counts))
    label_w = min(max(len(c) for c in confusion.classes), max(4, width // 4))
    cell = max(len(str(int(counts.max(initial=0)))), 3) + 2
    room = (width - label_w - 1) // k if k else cell
    names = max(len(c) for c in confusion.classes) + 2
    cell = max(min(max(cell, names), room), cell)  # as wide as the names, where there is room
    colours = shades(confusion)
    out = Text()
    pct = f"{100 * right / n:.1f}".removesuffix(".0") + "% right" if n else "no samples"
    if height >= k + 4 and width >= 56:
        out.append(f"{confusion.subset} set · {n} samples · {pct} · after epoch {confusion.epoch}\n", style="bold")
        out.append("rows: true · columns: predicted · shade: row share\n", style="dim")
    else:  # a short panel (80×24): the matrix first
        out.append(_cut(f"{confusion.subset} · {pct} · epoch {confusion.epoch} · rows true, columns predicted",
                        width) + "\n", style="bold")
    out.append(" " * (label_w + 1))
    for name in confusion.classes:
        out.append(_cut(name, cell - 1).center(cell), style="bold")
    out.append("\n")
    for i, name in enumerate(confusion.classes):
        out.append(_cut(name, label_w).rjust(label_w) + " ", style="bold")
        for j in range(k):
            bg = colours[i, j]
            style = style_for(int(pack(text_on(bg))), int(pack(bg)), i == j)
            out.append(str(int(counts[i, j])).center(cell), style=style)
        out.append("\n")
    return out


class ConfusionView(View):
    """The confusion matrix of the last epoch's end (see the module's docstring)."""

    DEFAULT_CSS = """
    ConfusionView {
        padding: 0 1;
        overflow: hidden hidden;
    }
    """

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.border_title = "confusion matrix"
        self._key: tuple | None = None
        self._text = Text()

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        return old.lazy_confusion is not new.lazy_confusion or old.task != new.task

    def render(self) -> Text:
        s = self.snapshot
        width, height = max(10, self.size.width - 2), self.size.height
        if s is None:
            return Text("")
        if s.task == "regression":
            return Text("Regression has no classes, so no confusion matrix: it counts, for each true "
                        "class, the classes predicted.", style="dim")
        if s.confusion is None:
            return Text("Measured at each epoch's end, on the validation set (the training set when "
                        "there is none): train an epoch (e) or play (space).", style="dim")
        if self._key is None or self._key[0] is not s.confusion or self._key[1:] != (width, height):
            self._key, self._text = (s.confusion, width, height), confusion_lines(s.confusion, width, height)
        return self._text
