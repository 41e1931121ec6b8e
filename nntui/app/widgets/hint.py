"""Hint: the one line of what to press next (its text: app/hint.py)."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget


class Hint(Widget):
    """Unlike Static.update, a new text only repaints this line: it never asks
    for a layout of the whole screen."""

    DEFAULT_CSS = """
    Hint {
        height: 1;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.markup = ""
        self._content = Content("")

    def set_markup(self, markup: str) -> None:
        if markup != self.markup:
            self.markup = markup
            self._content = Content.from_markup(markup)
            self.refresh()

    def render(self) -> Content:
        return self._content
