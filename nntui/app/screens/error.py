"""A modal that shows an error, with optional details, until dismissed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from nntui.app.screens.base import Dialog


class ErrorDialog(Dialog[None]):
    """Title, one-line message, and (scrollable) details such as a traceback."""

    BINDINGS = [
        Binding("escape,enter,q", "close", "Close", show=True),
    ]

    DEFAULT_CSS = """
    ErrorDialog {
        align: center middle;
    }
    ErrorDialog > #dialog {
        width: 80%;
        max-width: 100;
        height: auto;
        max-height: 80%;
        border: thick $error;
        background: $surface;
        padding: 1 2;
    }
    ErrorDialog #title {
        text-style: bold;
        color: $text-error;
        margin-bottom: 1;
    }
    ErrorDialog #details {
        height: auto;
        max-height: 16;
        margin-top: 1;
        color: $text-muted;
    }
    ErrorDialog Button {
        margin-top: 1;
    }
    """

    def __init__(self, title: str, message: str, details: str | None = None) -> None:
        super().__init__()
        self.error_title = title
        self.message = message
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.error_title, id="title", markup=False)
            yield Static(self.message, id="message", markup=False)
            if self.details:
                with VerticalScroll(id="details"):
                    yield Static(self.details, markup=False)
            yield Button("OK", variant="error", id="ok")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.close(None)

    def action_close(self) -> None:
        self.close(None)
