"""The help screen: every key, what the panels show, and how the mouse works."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from nntui.app.screens.base import Dialog

# (keys, what they do) in the order a new user needs them.
KEYS: tuple[tuple[str, str], ...] = (
    ("space", "play / pause training"),
    ("n", "next phase: forward 1..L, loss, backward L..1, update"),
    ("s", "finish the step in progress (a whole step at a boundary)"),
    ("e", "train to the end of the epoch"),
    ("b", "back: one phase mid-step (the mirror of n), else the last whole step"),
    ("r", "reset: same seed, back to step 0 with the same start"),
    ("R", "reset with a new random seed (another start)"),
    ("+  -", "raise / lower the learning rate (applies live)"),
    ("[  ]", "slower / faster play: 1 phase/s, then 5, 20, 100, 500 steps/s, max"),
    ("t", "cycle the weight heatmap mode"),
    ("x", "confusion matrix, true × predicted class, in the weights' place (the loss's at 80×24)"),
    ("a", "ASCII decision boundary, unit maps and images (no colours needed)"),
    ("l", "log scale on the loss chart"),
    ("h", "hide / show the earlier runs (ghost curves) on the loss chart"),
    ("c", "clear the earlier runs from the loss chart"),
    ("f", "cycle the two features the boundary shows (>2-D data)"),
    ("w", "image data (digits): the images (sample, unit weights, mistakes) or the boundary"),
    ("o", "open a preset: built-ins, or the path of your own file"),
    ("v", "race variants of this experiment (optimizers, rates, ...): curves and boundaries side by side"),
    ("m", "the controls: hide / show (a drawer below 140×40)"),
    ("L  1-9", "the lesson and its question (brief below 140×40: L shows it all); 1-9 answer before the run"),
    ("<  >", "previous / next lesson, in the story's order (nntui presets)"),
    ("i", "80×24: the step inspector or the network (image data: the mistakes and the units' pictures)"),
    ("ctrl+s", "save the run (.npz), or drawn data as a preset (.toml + .csv)"),
    ("click", "on the boundary (2-input data): add a point of the current class"),
    ("right-click", "or shift-click: add a point of the next class (binary: the other)"),
    ("p", "drawing: the next class (regression: value) a click adds"),
    ("u", "drawing: remove the point nearest the mouse on the boundary"),
    ("X", "drawing: clear every point, pressed twice (training waits for new ones)"),
    ("g", "gradient check: finite differences against backprop"),
    (",  .", "previous / next sample of the batch (network, inspector; ringed on the boundary; "
             "with image data and no batch, the next validation image)"),
    ("j  k", "next / previous neuron on the diagram (its map, its sums, its weights)"),
    ("d", "4 or 10 significant digits"),
    ("ctrl+p", "command palette (themes, keys, quit)"),
    ("escape", "leave a field or close a dialog"),
    ("?", "this help"),
    ("q", "quit"),
)

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
    "boundary's plane (blue below, red above its middle), in place of its circle "
    "where they fit, else in a row under the diagram for the selected layer. "
    "✕ marks a dead unit (relu 0, or tanh/sigmoid stuck flat, on every training point)."
)


class HelpScreen(Dialog[None]):
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

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for keys, what in KEYS:
            table.add_row(Text(keys, style="bold"), Text(what))  # plain text: "[compare]" is no markup tag
        with Vertical(id="dialog"):
            yield Label("nntui — keys", id="title")
            with VerticalScroll():
                yield Static(table, id="keys")
                yield Static(NOTES, id="notes")
            yield Label("↑ ↓ PgUp PgDn scroll · escape or ? closes", id="close-hint")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # the arrows and page keys scroll the keys

    def action_close(self) -> None:
        self.close(None)
