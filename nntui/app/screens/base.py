"""The base of nntui's dialogs: a modal screen that closes exactly once."""

from __future__ import annotations

from typing import Generic, TypeVar

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input

R = TypeVar("R")


class Dialog(ModalScreen[R], Generic[R]):
    """`close(result)` dismisses this dialog once, and only while it is on top.

    `Screen.dismiss` pops whatever screen is on top: a second Enter or escape
    that arrives while the dialog is closing would pop the screen below it
    (or fail on the last one). `close` ignores those.
    """

    # What every dialog shares; each subclass sets its own width and extras.
    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }
    Dialog > #dialog {
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    Dialog #title {
        text-style: bold;
        margin-bottom: 1;
    }
    """

    _dialog_closed = False

    def close(self, result: R | None = None) -> None:
        if self._dialog_closed or not self.is_current:
            return
        self._dialog_closed = True
        self.dismiss(result)


class PathDialog(Dialog[str | None]):
    """A dialog that asks for a file path: Enter in its input closes it with the
    path typed (nothing when empty), escape with None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        if path:
            self.close(path)

    def action_cancel(self) -> None:
        self.close(None)
