"""The result of a gradient check: each parameter's max relative error."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, Label, Static

from nntui.app.screens.base import Dialog

# Relative errors of central differences in float64: below GOOD the gradient
# is right; above BAD it is wrong (a non-smooth point, such as relu at 0, can
# land in between).
GOOD, BAD = 1e-6, 1e-3


def verdict(err: float) -> tuple[str, str]:
    if not math.isfinite(err) or err > BAD:
        return "wrong", "bold red"
    if err > GOOD:
        return "suspect", "bold yellow"
    return "ok", "bold green"


class GradcheckScreen(Dialog[None]):
    BINDINGS = [Binding("escape,enter,q,g", "close", "Close")]

    DEFAULT_CSS = """
    GradcheckScreen > #dialog {
        width: 60;
    }
    GradcheckScreen #explain {
        color: $text-muted;
        margin-top: 1;
    }
    """

    def __init__(self, errors: dict[str, float], step: int) -> None:
        super().__init__()
        self.errors = errors
        self.step = step

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 2), header_style="bold")
        table.add_column("parameter")
        table.add_column("max relative error", justify="right")
        table.add_column("")
        for name, err in self.errors.items():
            word, style = verdict(err)
            table.add_row(name, f"{err:.3e}", Text(word, style=style))
        worst = max(self.errors.values(), default=0.0)
        word, _ = verdict(worst)
        with Vertical(id="dialog"):
            yield Label(f"Gradient check at step {self.step}: {word}", id="title")
            yield Static(table, id="table")
            yield Static(
                "Backprop's gradients against central finite differences, in float64. "
                f"Below {GOOD:g} is right; above {BAD:g} is wrong.",
                id="explain",
            )
            yield Button("OK", id="ok")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.close(None)

    def action_close(self) -> None:
        self.close(None)
