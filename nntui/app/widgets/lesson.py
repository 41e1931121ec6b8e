"""The lesson: the open preset's title and what it teaches, on screen.

Each preset's description says what to do, what to watch and why it happens;
this panel shows it under the hint line, with where the preset sits in the
story (`nntui presets`' order) and the keys that go to the previous and next
lesson. It draws the config, not the engine's snapshot, so it is no View.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget


class LessonPanel(Widget):
    """`set_lesson(title, description, place)`; `place` is (n, of) in the story, or None."""

    DEFAULT_CSS = """
    LessonPanel {
        height: auto;
        max-height: 5;
        padding: 0 1;
        background: $surface;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._content = Content("")
        self.text = ""

    def set_lesson(self, title: str, description: str, place: tuple[int, int] | None) -> None:
        where = f"lesson {place[0]} of {place[1]} · " if place else ""
        keys = "  (L hides · < > previous / next lesson)" if place else "  (L hides)"
        description = " ".join(description.split())
        self.text = f"{where}{title}: {description}{keys}"
        self._content = Content.assemble(
            (where, "$text-muted"), (title, "bold $text-accent"), (": ", "$text-accent"),
            description, (keys, "$text-muted"),
        )
        self.refresh(layout=True)

    def render(self) -> Content:
        return self._content
