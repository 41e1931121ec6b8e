"""Ask where to save the run, with a sensible default."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from nntui.app.screens.base import Dialog


class SaveDialog(Dialog[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    SaveDialog > #dialog {
        width: 72;
    }
    SaveDialog #hint {
        color: $text-muted;
    }
    """

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Save the run (.npz)", id="title")
            yield Input(self.default, id="path")
            yield Label("Enter saves · escape cancels · reopen with nntui --load FILE", id="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        if path:
            self.close(path)

    def action_cancel(self) -> None:
        self.close(None)
