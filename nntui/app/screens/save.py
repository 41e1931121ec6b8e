"""Ask where to save: the run (.npz), or the experiment as a preset (.toml:
every edit made in the controls, reopened with o or nntui --preset); for
drawn data the preset also writes the points (a CSV beside it). A race's
variant is saved as a preset the same way (SaveVariantDialog).

A preset path that names a file already there is not replaced unasked: the
save asks first (screens/replace.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Select

from nntui.app.screens.base import Dialog, PathDialog


@dataclass(frozen=True)
class SavePreset:
    """The answer when the experiment is to be saved as a preset."""

    path: str
    variant: int | None = None  # a race's variant (its index), or the experiment


class SaveDialog(PathDialog):
    """Enter in the first field saves the run (the answer is its path); Enter
    in the second saves the experiment as a preset (the answer is a
    SavePreset). `drawn`: the preset also writes the drawn points, a CSV."""

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

    def __init__(self, default: str, preset_default: str | None = None, *, drawn: bool = True) -> None:
        super().__init__()
        self.default = default
        self.preset_default = preset_default
        self.drawn = drawn

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Save the run (.npz)", id="title")
            yield Input(self.default, id="path")
            yield Label("Enter saves · escape cancels · reopen with nntui --load FILE", id="hint")
            if self.preset_default is not None:
                what = ("…or save the drawn data as a preset (.toml + .csv)" if self.drawn else
                        "…or save this experiment, with your edits, as a preset (.toml)")
                yield Label(what, id="preset-title")
                yield Input(self.preset_default, id="preset-path")
                yield Label("Enter saves · reopen with o or nntui --preset FILE", id="preset-hint")

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


def slug(text: str) -> str:
    """A file name's piece from a label: 'lr=0.1 · adam' -> 'lr0.1-adam'."""
    s = re.sub(r"[^A-Za-z0-9.]+", "-", text.replace("=", "")).strip("-.")
    return s[:40] or "variant"


class SaveVariantDialog(Dialog[SavePreset | None]):
    """Which variant of the race to save as a preset, and where."""

    DEFAULT_CSS = """
    SaveVariantDialog > #dialog {
        width: 72;
    }
    SaveVariantDialog #hint {
        color: $text-muted;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, labels: list[str], name: str) -> None:
        super().__init__()
        self.labels = labels
        self.base = name or "race"

    def _default(self, i: int) -> str:
        return f"./{self.base}-{slug(self.labels[i])}.toml"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Save a variant as a preset (.toml)", id="title")
            yield Select([(label, i) for i, label in enumerate(self.labels)], value=0, allow_blank=False,
                         id="variant", compact=True)
            yield Input(self._default(0), id="preset-path")
            yield Label("Enter saves · escape cancels · reopen with o or nntui --preset FILE", id="hint")

    def on_mount(self) -> None:
        self.query_one("#preset-path", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        field = self.query_one("#preset-path", Input)
        if isinstance(event.value, int):
            field.value = self._default(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        if path:
            self.close(SavePreset(path, variant=int(self.query_one("#variant", Select).value)))

    def action_cancel(self) -> None:
        self.close(None)
