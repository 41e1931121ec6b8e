"""The help screen: every key, what the panels show, and how the mouse works."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from nntui.app.screens.base import Dialog

NOTES = (
    "Controls (left): changes to the data or the architecture build a new "
    "network from step 0, and the run it replaces stays on the loss chart as a "
    "ghost curve named by what differed (the last 5; h hides them, c clears them); "
    "the learning rate and optimizer options apply live. "
    "Type a value and press Enter; an invalid combination is refused with a "
    "message and the current experiment goes on. For 2-input data, the feature "
    "toggles (x1, x2, x1², x2², x1·x2, sin x1, sin x2) choose what the network "
    "takes as inputs; the boundary stays drawn over (x1, x2).\n"
    "Mouse: click any control, pick from the menus, scroll the panels, click the "
    "footer's keys; click a neuron on the diagram to see its weights and its sum.\n"
    "Drawing: the first click on the boundary turns the data into 'drawn' data "
    "(every point you see trains; no validation set); the run goes on with the "
    "same weights from the next step. r keeps the points, another preset replaces them.\n"
    "With image data, click a hidden unit's weight picture to select it.\n"
    "Network: with 2-input data each unit shows what it computes over the "
    "boundary's plane (orange below, blue above its middle), in place of its circle "
    "where they fit, else in a row under the diagram for the selected layer. "
    "✕ marks a dead unit (relu 0, or tanh/sigmoid stuck flat, on every training point)."
)


class HelpScreen(Dialog[None]):
    """rows: (keys, what they do), in the order a new user needs them (app/keys.py's help_rows)."""

    BINDINGS = [Binding("escape,question_mark,q,enter", "close", "Close")]

    DEFAULT_CSS = """
    HelpScreen > #dialog {
        width: 84;
        height: 95%;  /* fixed, so the keys scroll inside it on a small terminal */
    }
    HelpScreen #title {
        text-style: bold;
        width: 100%;
        content-align: center middle;
        margin-bottom: 1;
    }
    HelpScreen VerticalScroll {
        height: 1fr;
    }
    HelpScreen #notes {
        margin-top: 1;
        color: $text-muted;
    }
    """

    def __init__(self, rows: list[tuple[str, str]], notes: str = NOTES) -> None:
        super().__init__()
        self.rows = rows
        self.notes = notes

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for keys, what in self.rows:
            table.add_row(Text(keys, style="bold"), Text(what))  # plain text: "[compare]" is no markup tag
        with Vertical(id="dialog"):
            yield Label("nntui — keys", id="title")
            with VerticalScroll():
                yield Static(table, id="keys")
                yield Static(self.notes, id="notes")
            yield Label("↑ ↓ PgUp PgDn scroll · escape or ? closes", id="close-hint")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # the arrows and page keys scroll the keys

    def action_close(self) -> None:
        self.close(None)
