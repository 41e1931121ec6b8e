"""The open lesson's questions in the app: answered with keys 1-9 before the run,
judged from the run's own numbers at its end (its epochs, its target loss, or a
divergence), and kept in the progress file. Challenges show their live progress.

No Textual here: the lesson panel draws `lines()`, the screen feeds `frame()`.
"""

from __future__ import annotations

import time

import numpy as np

from nntui.engine.series import ArrayMirror
from nntui.experiment.lessons import run_env
from nntui.experiment.progress import Progress, lesson_key
from nntui.experiment.quiz import Quiz, Verdict


CHALLENGE_EVERY = 0.25  # seconds between two measures of the challenges while the run plays


def snapshot_env(snapshot, mirrors: dict[str, ArrayMirror] | None = None) -> dict:
    """What a condition may read of the run a snapshot shows. mirrors: an
    ArrayMirror per series kept from the last call, so that each series is read
    as an array without converting the epochs it had then again."""
    h = snapshot.history
    mirrors = {} if mirrors is None else mirrors

    def array(key: str, series) -> np.ndarray:
        return mirrors.setdefault(key, ArrayMirror()).update(series)

    history = {k: array(k, getattr(h, k, ())) for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy",
                                                         "lr")}
    grad = getattr(h, "grad_norm", None)
    if grad:
        history["grad_norm"] = {layer: array(f"grad_norm_{layer}", v) for layer, v in grad.items()}
    weights = sum(a * b + b for a, b in zip(snapshot.sizes, snapshot.sizes[1:]))
    return run_env(history, snapshot.epoch, snapshot.step, weights, snapshot.best_epoch)


def run_ended(snapshot, config, diverged: bool) -> bool:
    """The run is over: diverged, its epochs done, or its target loss reached."""
    if diverged:
        return True
    if snapshot.epoch >= config.train.epochs:
        return True
    target = config.train.target_loss
    losses = snapshot.history.train_loss
    return target is not None and bool(losses) and losses[-1] <= target


class LessonQuiz:
    def __init__(self, config, progress_factory=Progress):
        self.config = config
        self.quiz = Quiz(config.lesson)
        self.key = lesson_key(config)
        self.verdicts: list[Verdict] | None = None
        self.challenges: list[tuple[str, bool, str]] = [(c.text, False, "") for c in self.quiz.lesson.challenges]
        self._progress_factory = progress_factory
        self._epoch_seen = -1
        self._measured = float("-inf")
        self._mirrors: dict[str, ArrayMirror] = {}  # the run's series as arrays, kept up to date

    @property
    def has_lesson(self) -> bool:
        return bool(self.quiz.asks or self.quiz.lesson.challenges)

    @property
    def open_ask(self):
        return self.quiz.open_ask if self.verdicts is None else None

    def answer(self, choice: int) -> str | None:
        """Answer the open ask; a one-line problem to show, or None."""
        if not self.quiz.asks:
            return "this lesson asks no question"
        if self.verdicts is not None:
            return "the run is over and judged: press r to reset and run it again"
        return self.quiz.answer(choice)

    def restart(self) -> None:
        """A reset run is judged afresh; the answers given stand."""
        self.verdicts = None
        self._epoch_seen = -1

    def frame(self, snapshot, diverged: bool = False, playing: bool = False) -> tuple[bool, str | None]:
        """Follow the run: (whether the lines changed, a notice to show). At the
        run's end the answers are judged once and kept. While it plays, the
        challenges are measured at most every CHALLENGE_EVERY seconds: fast
        play ends hundreds of epochs a second, and a condition (min, mean,
        argmin) reads the whole series (as arrays kept up to date, not
        converted again); a paused run's frame is always measured."""
        if snapshot.epoch == self._epoch_seen and not (diverged and self.verdicts is None):
            return False, None
        to_judge = self.verdicts is None and bool(self.quiz.asks) and run_ended(snapshot, self.config, diverged)
        now = time.monotonic()
        if playing and not to_judge and now - self._measured < CHALLENGE_EVERY:
            return False, None
        self._measured = now
        self._epoch_seen = snapshot.epoch
        env = snapshot_env(snapshot, self._mirrors)
        self.challenges = self.quiz.challenges(env)
        notice = None
        if to_judge:
            self.verdicts = self.quiz.verdicts(env)
            progress = self._progress_factory()
            notice = progress.notice
            problem = self.quiz.keep(progress, self.key, env)
            notice = problem or notice
        return True, notice

    def lines(self) -> list[tuple[str, str]]:
        """(text, kind) lines for the panel; kind: "ask", "choice", "hint", "right",
        "wrong", "explain", "challenge", "met"."""
        out: list[tuple[str, str]] = []
        asks = self.quiz.asks
        if self.verdicts is not None:
            for v in self.verdicts:
                out.append((v.line(), "right" if v.right else ("wrong" if v.answer is not None else "hint")))
                if v.explain:
                    out.append((f"   {v.explain}", "explain"))
        elif self.open_ask is not None:
            i, ask = self.open_ask
            out.append((f"Q{i}/{len(asks)} · {ask.question}  (1-{len(ask.choices)} answers, before you run it)",
                        "ask"))
            out += [(f"{n} {c.text}", "choice") for n, c in enumerate(ask.choices, start=1)]
        elif asks:
            given = " · ".join(f"Q{i} → {n}" for i, n in sorted(self.quiz.answers.items()))
            out.append((f"Answered ({given}); judged when the run ends", "hint"))
        for text, met, values in self.challenges:
            progress = f"not yet ({values})" if self._epoch_seen > 0 else "change the controls, then run it"
            out.append((f"Challenge: {text} · " + ("met ✓" if met else progress), "met" if met else "challenge"))
        return out
