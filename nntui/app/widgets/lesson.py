"""The lesson: the open preset's title, what it teaches, and its questions, on screen.

Each preset's description says what to do, what to watch and why it happens;
this panel shows it under the hint line, with where the preset sits in the
story (`nntui presets`' order) and the keys that go to the previous and next
lesson. Under it, the lesson's open question and its numbered choices (keys 1-9
answer), then at the run's end each answer judged with the numbers that decided
it, and the challenges' progress (app/lesson_quiz.py makes those lines).

Where rows are few the panel is brief: the title and the description's first
sentence, and which key shows the rest. It draws the config and the quiz, not
the engine's snapshot, so it is no View.
"""

from __future__ import annotations

import re

from textual.content import Content
from textual.widget import Widget

STYLES = {"ask": "bold", "choice": "", "hint": "$text-muted", "right": "bold $text-success",
          "wrong": "bold $text-error", "explain": "", "challenge": "$text-warning", "met": "$text-success"}

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`(\"'])")


def first_sentence(text: str) -> str:
    """The description's first sentence, whitespace folded."""
    text = " ".join(text.split())
    parts = _SENTENCE_END.split(text, maxsplit=1)
    return parts[0]


class LessonPanel(Widget):
    """`set_lesson(title, description, place)`; `place` is (n, of) in the story, or None.
    `set_quiz(lines, n_choices)`: the quiz's (text, kind) lines. `brief`: the first sentence only."""

    DEFAULT_CSS = """
    LessonPanel {
        height: auto;
        max-height: 11;
        padding: 0 1;
        background: $surface;
    }
    LessonPanel.-brief {
        max-height: 6;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._content = Content("")
        self.text = ""
        self._lesson: tuple[str, str, tuple[int, int] | None] = ("", "", None)
        self._quiz: list[tuple[str, str]] = []
        self._choices = 0  # of the open ask, 0 if none
        self.brief = False
        self.brief_quiz = True  # brief, yet with the quiz's lines (where rows allow)
        self._drawn: tuple | None = None

    def set_lesson(self, title: str, description: str, place: tuple[int, int] | None) -> None:
        self._lesson = (title, description, place)
        self._redraw()

    def set_quiz(self, lines: list[tuple[str, str]], choices: int = 0) -> None:
        self._quiz = list(lines)
        self._choices = choices
        self._redraw()

    def set_brief(self, brief: bool, with_quiz: bool = True) -> None:
        if (brief, with_quiz) != (self.brief, self.brief_quiz):
            self.brief, self.brief_quiz = brief, with_quiz
            self.set_class(brief, "-brief")
            self._redraw()

    def _redraw(self) -> None:
        title, description, place = self._lesson
        where = f"lesson {place[0]} of {place[1]} · " if place else ""
        if self.brief:
            description = first_sentence(description)
            asked = self._choices and not self.brief_quiz
            keys = "  (L: the whole lesson and its question)" if asked else "  (L: the whole lesson)"
        else:
            description = " ".join(description.split())
            keys = "  (L hides · < > previous / next lesson)" if place else "  (L hides)"
        parts: list = [(where, "$text-muted"), (title, "bold $text-accent"), (": ", "$text-accent"), description,
                       (keys, "$text-muted")]
        text = [f"{where}{title}: {description}{keys}"]
        quiz = self._quiz if not self.brief or self.brief_quiz else []
        if self.brief and any(kind == "explain" for _, kind in quiz):
            # Brief, a verdict's explanation would squeeze the panels under it: L shows it.
            quiz = [(line, kind) for line, kind in quiz if kind != "explain"]
            last = max(i for i, (_, kind) in enumerate(quiz) if kind in ("right", "wrong", "hint"))
            quiz[last] = (quiz[last][0] + "  (L: why)", quiz[last][1])
        for line, kind in self._joined(quiz):
            parts += ["\n", (line, STYLES.get(kind, ""))]
            text.append(line)
        key = (tuple(map(str, parts)), self.has_class("-brief"))
        if key == self._drawn:
            return  # the lesson follows every frame: the same text needs no new layout
        self._drawn = key
        self.text = "\n".join(text)
        self._content = Content.assemble(*parts)
        self.refresh(layout=True)

    def _joined(self, lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The choices on one line when they fit the panel's width, else one a line."""
        choices = [line for line, kind in lines if kind == "choice"]
        one_line = "   ".join(choices)
        width = self.size.width - 2 if self.size.width else 0
        if not choices or (width and len(one_line) > width):
            return lines
        out, placed = [], False
        for line, kind in lines:
            if kind != "choice":
                out.append((line, kind))
            elif not placed:
                out.append((one_line, "choice"))
                placed = True
        return out

    def on_resize(self) -> None:
        self._redraw()

    def render(self) -> Content:
        return self._content
