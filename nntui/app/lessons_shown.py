"""The lesson on the main screen: its text and place in the story, its open
question and verdicts (LessonQuiz, which knows no Textual), and how much of it
shows at each size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nntui.app.lesson_quiz import LessonQuiz
from nntui.app.worker import Frame, Status
from nntui.experiment.config import Config
from nntui.experiment.presets import list_presets

if TYPE_CHECKING:
    from nntui.app.main_screen import MainScreen


class Lessons:
    def __init__(self, screen: MainScreen, config: Config) -> None:
        self.screen = screen
        self.quiz = LessonQuiz(config)

    def replaced(self, config: Config) -> None:
        """A new model: another lesson starts afresh; the same one run again (a
        reset, an edit) is judged afresh and its answers stand."""
        if config.lesson != self.quiz.config.lesson or config.source != self.quiz.config.source:
            self.quiz = LessonQuiz(config)
        else:
            self.quiz.restart()
        self.show()

    def show(self) -> None:
        config = self.screen.config
        names = [name for name, _ in list_presets()]
        builtin = config.source == f"{config.name}.toml" and config.name in names
        place = (names.index(config.name) + 1, len(names)) if builtin else None
        self.screen.lesson.set_lesson(config.title, config.description, place)
        self.show_quiz()

    def show_quiz(self) -> None:
        opened = self.quiz.open_ask
        self.screen.lesson.set_quiz(self.quiz.lines(), len(opened[1].choices) if opened else 0)

    def place(self) -> None:
        """Below 140×40 the lesson is brief until L: its first sentence (and at
        100×30 its open question)."""
        s = self.screen
        if s.views:  # else on_mount places it
            brief = (s.compact or s.layout_size == "medium") and not s.lesson_whole
            s.lesson.set_brief(brief, with_quiz=not s.compact)

    def follow(self, frame: Frame) -> None:
        changed, notice = self.quiz.frame(frame.snapshot, frame.status == Status.DIVERGED,
                                          playing=frame.status == Status.PLAYING)
        if changed:
            self.show_quiz()
        if notice:
            self.screen.notify(notice, timeout=6)

    def answer(self, choice: int) -> None:
        problem = self.quiz.answer(choice)
        if problem:
            self.screen.notify(f"{choice}: {problem}", timeout=3)
        else:
            self.show_quiz()

    def toggle(self) -> None:
        s = self.screen
        if s.lesson_hidden:
            s.lesson_hidden = False
        elif s.layout_size != "large" and not s.lesson_whole:
            s.lesson_whole = True
        else:
            s.lesson_whole, s.lesson_hidden = False, True
        self.place()
