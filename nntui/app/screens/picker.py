"""The preset picker: the built-in presets, plus a path for your own file."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from nntui.app.screens.base import PathDialog


class PresetPicker(PathDialog):
    """Dismisses with a preset name (from the list) or a path (typed), or None."""

    DEFAULT_CSS = """
    PresetPicker > #dialog {
        width: 90;
    }
    PresetPicker OptionList {
        height: auto;
        max-height: 24;
    }
    PresetPicker #path-label {
        margin-top: 1;
        color: $text-muted;
    }
    """

    def __init__(self, presets: list[tuple[str, str]], current: str | None = None) -> None:
        """presets: (name, title) pairs of the built-ins."""
        super().__init__()
        self.presets = presets
        self.current = current

    def compose(self) -> ComposeResult:
        width = max((len(n) for n, _ in self.presets), default=8)
        options = [
            Option(f"{name.ljust(width)}  {title}", id=name) for name, title in self.presets
        ]
        with Vertical(id="dialog"):
            yield Label("Open a preset", id="title")
            yield OptionList(*options, id="presets")
            yield Label("…or the path of a preset file (.toml), then Enter:", id="path-label")
            yield Input(placeholder="path/to/preset.toml", id="path")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        names = [n for n, _ in self.presets]
        if self.current in names:
            option_list.highlighted = names.index(self.current)
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.close(event.option.id)

