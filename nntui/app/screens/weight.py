"""Set one weight by hand (TensorFlow Playground's click-to-edit): the dialog
asks for the selected weight's new value and closes with it as a float. Text
that is not a finite number is answered in the dialog, which stays open."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from nntui.app.screens.base import Dialog

MAX_WEIGHT = 1e6  # far past any weight that trains; a typo's 1e300 would only overflow


def parse_weight(text: str) -> float:
    """The value typed, or ValueError saying what is allowed."""
    t = text.strip().replace("−", "-")  # the app prints minus signs; a copy of one must read back
    try:
        v = float(t)
    except ValueError:
        raise ValueError(f"'{text.strip()[:20]}' is not a number; type one such as 0.5, -1.2 or 3e-2") from None
    if not math.isfinite(v) or abs(v) > MAX_WEIGHT:
        raise ValueError(f"a weight must be a finite number between -{MAX_WEIGHT:g} and {MAX_WEIGHT:g}")
    return v


class WeightDialog(Dialog[float | None]):
    DEFAULT_CSS = """
    WeightDialog > #dialog {
        width: 60;
    }
    WeightDialog #hint {
        color: $text-muted;
    }
    WeightDialog #error {
        color: $error;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, name: str, value: float) -> None:
        super().__init__()
        self.weight_name = name
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Set {self.weight_name} by hand", id="title")
            yield Input(f"{self.value:.6g}", id="value")
            yield Label("", id="error")
            yield Label("Enter sets it, and training goes on · escape cancels", id="hint")

    def on_mount(self) -> None:
        self.query_one("#value", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            value = parse_weight(event.value)
        except ValueError as e:
            self.query_one("#error", Label).update(str(e))
            return
        self.close(value)

    def action_cancel(self) -> None:
        self.close(None)
