"""A lesson being taken: the asks answered so far, the verdicts once the run ends,
and what is kept of them. Not UI: the app's lesson panel shows it, `nntui train
--answer` is the same loop headless.

    quiz = Quiz(config)
    quiz.open_ask          # (1, Ask) : the first question not answered yet, or None
    quiz.answer(2)         # choice 2 of the open ask; the next ask opens
    quiz.verdicts(env)     # at the run's end: each answer right or wrong, with its numbers
"""

from __future__ import annotations

from dataclasses import dataclass

from nntui.experiment.conditions import evaluate, format_values
from nntui.experiment.lessons import Ask, Lesson, judge_ask


@dataclass(frozen=True)
class Verdict:
    number: int  # the ask, from 1
    question: str
    answer: int | None  # the choice given, from 1; None if not answered
    right_choices: tuple[int, ...]
    values: str  # "max(train_accuracy) = 0.75"
    explain: str
    choices: tuple[str, ...] = ()

    @property
    def right(self) -> bool:
        return self.answer is not None and self.answer in self.right_choices

    def _choice(self, n: int) -> str:
        return f"{n} ({self.choices[n - 1]})" if 0 < n <= len(self.choices) else str(n)

    def line(self) -> str:
        """One line: "Q1 wrong: you said 1 (yes); the run says 2 (no): max(train_accuracy) = 0.75"."""
        says = " or ".join(self._choice(n) for n in self.right_choices) or "none of them"
        if self.answer is None:
            return f"Q{self.number} not answered; the run says {says}: {self.values}"
        if self.right:
            return f"Q{self.number} right: {self._choice(self.answer)}; the run: {self.values}"
        return f"Q{self.number} wrong: you said {self._choice(self.answer)}; the run says {says}: {self.values}"


class Quiz:
    def __init__(self, lesson: Lesson | None):
        self.lesson = lesson or Lesson()
        self.answers: dict[int, int] = {}  # ask number (from 1) -> choice (from 1)

    @property
    def asks(self) -> tuple[Ask, ...]:
        return self.lesson.asks

    @property
    def open_ask(self) -> tuple[int, Ask] | None:
        for i, ask in enumerate(self.asks, start=1):
            if i not in self.answers:
                return i, ask
        return None

    def answer(self, choice: int) -> str | None:
        """Answer the open ask with `choice` (from 1); a one-line problem, or None."""
        opened = self.open_ask
        if opened is None:
            return "every question is answered"
        i, ask = opened
        if not 1 <= choice <= len(ask.choices):
            return f"question {i} has choices 1 to {len(ask.choices)}"
        self.answers[i] = choice
        return None

    def verdicts(self, env: dict) -> list[Verdict]:
        out = []
        for i, ask in enumerate(self.asks, start=1):
            right, values = judge_ask(ask, env)
            out.append(Verdict(i, ask.question, self.answers.get(i), tuple(right), format_values(values),
                               ask.explain, tuple(c.text for c in ask.choices)))
        return out

    def challenges(self, env: dict) -> list[tuple[str, bool, str]]:
        """(text, met, values) of each challenge, for its live progress."""
        out = []
        for ch in self.lesson.challenges:
            met, used = evaluate(ch.goal, env)
            out.append((ch.text, met, format_values(used)))
        return out

    def keep(self, progress, key: str, env: dict) -> str | None:
        """Record the answers judged and the challenges met; a one-line problem, or None."""
        for v in self.verdicts(env):
            if v.answer is not None:
                progress.answer(key, v.number, v.question, v.answer, v.right)
        for i, (text, met, _) in enumerate(self.challenges(env), start=1):
            if met:
                progress.challenge(key, i, text, True)
        return progress.save()
