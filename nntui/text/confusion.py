"""The confusion matrix as text (train's report): counts, rows the true class,
columns the predicted one, the diagonal (right answers) in bold on a colour
terminal, plain text otherwise."""

from __future__ import annotations

from rich.text import Text

from nntui.engine.metrics import Confusion

MAX_NAME = 14  # a class name longer than this is cut (with …) so the columns stay narrow


def _cut(name: str) -> str:
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def confusion_text(confusion: Confusion, plain: bool = True) -> Text:
    """The matrix under a title saying which set and how it reads."""
    counts = confusion.counts
    names = [_cut(c) for c in confusion.classes]
    n = int(counts.sum())
    right = int(counts.trace())
    head = (f"confusion matrix: {confusion.subset} set, {n} samples, {right} right (epoch {confusion.epoch})\n"
            "rows: the true class; columns: the class predicted\n")
    width = max([len(name) for name in names] + [len(str(int(counts.max(initial=0))))])
    first = max(len(name) for name in names) + 2
    out = Text(head)
    out.append(" " * (first + 1) + "  ".join(name.rjust(width) for name in names) + "\n",
               style="" if plain else "bold")
    for i, name in enumerate(names):
        out.append(f"  {name.ljust(first - 2)} ")
        for j in range(len(names)):
            cell = str(int(counts[i, j])).rjust(width)
            style = "bold" if (i == j and not plain) else ("dim" if (not plain and counts[i, j] == 0) else "")
            out.append(cell, style=style)
            if j < len(names) - 1:
                out.append("  ")
        out.append("\n")
    return out
