"""Ask where to save the run, with a sensible default."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label

from nntui.app.screens.base import PathDialog


class SaveDialog(PathDialog):
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

