"""Ask where to save the run, with a sensible default; for drawn data, also
offer to save the points as a preset (a CSV and a TOML that reads it)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label

from nntui.app.screens.base import PathDialog


@dataclass(frozen=True)
class SavePreset:
    """The dialog's answer when the drawn data is to be saved as a preset."""

    path: str


class SaveDialog(PathDialog):
    """Enter in the first field saves the run (the answer is its path); with
    `preset_default` (drawn data), Enter in the second field saves the drawn
    points as a preset (the answer is a SavePreset)."""

    DEFAULT_CSS = """
    SaveDialog > #dialog {
        width: 72;
    }
    SaveDialog #hint, SaveDialog #preset-hint {
        color: $text-muted;
    }
    SaveDialog #preset-title {
        margin-top: 1;
        text-style: bold;
    }
    """

    def __init__(self, default: str, preset_default: str | None = None) -> None:
        super().__init__()
        self.default = default
        self.preset_default = preset_default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Save the run (.npz)", id="title")
            yield Input(self.default, id="path")
            yield Label("Enter saves · escape cancels · reopen with nntui --load FILE", id="hint")
            if self.preset_default is not None:
                yield Label("…or save the drawn data as a preset (.toml + .csv)", id="preset-title")
                yield Input(self.preset_default, id="preset-path")
                yield Label("Enter saves both files · reopen with o or nntui --preset FILE", id="preset-hint")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "preset-path":
            super().on_input_submitted(event)
            return
        event.stop()
        path = event.value.strip()
        if path:
            self.close(SavePreset(path))
