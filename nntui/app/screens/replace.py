"""Ask before a save replaces a file that is already there."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from nntui.app.screens.base import Dialog


class ReplaceDialog(Dialog[bool]):
    """Names the files a save would replace; dismisses with True only when
    the user chooses Replace (r or its button). Anything else keeps them."""

    BINDINGS = [
        Binding("r", "replace", "Replace"),
        Binding("escape,n,q", "keep", "Keep the files"),
    ]

    DEFAULT_CSS = """
    ReplaceDialog > #dialog {
        width: 72;
        border: thick $warning;
    }
    ReplaceDialog #buttons {
        height: auto;
        margin-top: 1;
    }
    ReplaceDialog Button {
        margin-right: 2;
    }
    """

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Replace the files?", id="title")
            yield Static(self.message, id="message", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Keep them (escape)", variant="primary", id="keep")
                yield Button("Replace (r)", variant="warning", id="replace")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.close(event.button.id == "replace")

    def action_replace(self) -> None:
        self.close(True)

    def action_keep(self) -> None:
        self.close(False)
