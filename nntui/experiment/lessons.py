"""A preset's lesson: the questions asked before its run, the claims its text makes,
and the challenges it sets, each judged on the run by a condition (conditions.py).

    [[lesson.ask]]
    question = "Will the perceptron ever get all four rows right?"
    choices = [{ text = "yes", when = "max(train_accuracy) == 1" },
               { text = "no",  when = "max(train_accuracy) < 1" }]
    explain = "No straight line separates XOR's classes."

    [[lesson.claim]]
    when = "argmin(val_loss) > 10"
    text = "the validation loss turns up"          # optional

    [[lesson.challenge]]
    text = "95% with at most 30 weights"
    goal = "last(val_accuracy) >= 0.95 and weights <= 30"

`read_lesson` checks the [lesson] table when the preset is read (config.py calls it
once) and names the key of any mistake, `lesson.ask[1].choices[2].when`;
`judge` answers every condition from a finished (or running) trainer.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np

from nntui.experiment.conditions import Condition, ConditionError, evaluate, parse

MAX_ASKS = 9
MAX_CHOICES = 9  # keys 1-9 answer
MAX_CLAIMS = 20
MAX_CHALLENGES = 9
MAX_TEXT = 2000
_KINDS = ("ask", "claim", "challenge")


class LessonError(ValueError):
    """A [lesson] mistake: "lesson.ask[1].choices[2].when: ..." (the file is added by the caller)."""


@dataclass(frozen=True)
class Choice:
    text: str
    when: Condition


@dataclass(frozen=True)
class Ask:
    question: str
    choices: tuple[Choice, ...]
    explain: str = ""


@dataclass(frozen=True)
class Claim:
    when: Condition
    text: str = ""


@dataclass(frozen=True)
class Challenge:
    text: str
    goal: Condition


@dataclass(frozen=True)
class Lesson:
    asks: tuple[Ask, ...] = ()
    claims: tuple[Claim, ...] = ()
    challenges: tuple[Challenge, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The [lesson] table as a preset writes it (read back by read_lesson)."""
        out: dict[str, Any] = {}
        if self.asks:
            out["ask"] = [{"question": a.question,
                           "choices": [{"text": c.text, "when": c.when.text} for c in a.choices],
                           **({"explain": a.explain} if a.explain else {})} for a in self.asks]
        if self.claims:
            out["claim"] = [{"when": c.when.text, **({"text": c.text} if c.text else {})} for c in self.claims]
        if self.challenges:
            out["challenge"] = [{"text": c.text, "goal": c.goal.text} for c in self.challenges]
        return out


def clean_text(text: str) -> str:
    """Text from a file shown on a terminal: every control character (ESC included)
    dropped but newline and tab."""
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


# --- reading ------------------------------------------------------------------------


def read_lesson(table: Any, task: str | None = None) -> Lesson:
    """Check a preset's [lesson] table; LessonError names the key at fault. With the
    data's `task`, a regression lesson may not read an accuracy."""
    if not isinstance(table, dict):
        raise LessonError("lesson: must be tables: write [[lesson.ask]], [[lesson.claim]] or "
                          "[[lesson.challenge]] on a line of its own, then its keys")
    for key in table:
        if key not in _KINDS:
            raise LessonError(f"lesson: unknown key '{key}'; allowed: [[lesson.ask]], [[lesson.claim]], "
                              "[[lesson.challenge]]")
    reader = _Reader(task)
    asks = tuple(reader.ask(t, f"lesson.ask[{i}]")
                 for i, t in enumerate(reader.tables(table, "ask", MAX_ASKS), start=1))
    claims = tuple(reader.claim(t, f"lesson.claim[{i}]")
                   for i, t in enumerate(reader.tables(table, "claim", MAX_CLAIMS), start=1))
    challenges = tuple(reader.challenge(t, f"lesson.challenge[{i}]")
                       for i, t in enumerate(reader.tables(table, "challenge", MAX_CHALLENGES), start=1))
    return Lesson(asks, claims, challenges)


class _Reader:
    def __init__(self, task: str | None):
        self.task = task

    def tables(self, table: dict, kind: str, most: int) -> list[dict]:
        v = table.get(kind, [])
        if not isinstance(v, list) or not all(isinstance(t, dict) for t in v):
            raise LessonError(f"lesson.{kind}: must be tables, each under [[lesson.{kind}]]")
        if len(v) > most:
            raise LessonError(f"lesson.{kind}: {len(v)} given; at most {most}")
        return v

    def keys(self, t: dict, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        known = required + optional
        for key in t:
            if key not in known:
                raise LessonError(f"{where}: unknown key '{key}'; allowed: {', '.join(known)}")
        for key in required:
            if key not in t:
                raise LessonError(f"{where}: missing key '{key}'; it needs: {', '.join(required)}")

    def text(self, v: Any, where: str) -> str:
        if not isinstance(v, str):
            raise LessonError(f"{where}: must be text in quotes")
        v = clean_text(v).strip()
        if len(v) > MAX_TEXT:
            raise LessonError(f"{where}: {len(v)} characters; at most {MAX_TEXT}")
        return v

    def condition(self, v: Any, where: str) -> Condition:
        try:
            c = parse(v)
        except ConditionError as e:
            raise LessonError(f"{where} = {_short(v)}: {e}") from None
        if self.task == "regression":
            for name in c.names:
                if name.endswith("accuracy"):
                    raise LessonError(f"{where} = {_short(v)}: {name}: a regression has no accuracy; "
                                      "use train_loss or val_loss")
        return c

    def ask(self, t: dict, where: str) -> Ask:
        self.keys(t, where, ("question", "choices"), ("explain",))
        question = self.text(t["question"], f"{where}.question")
        choices = t["choices"]
        if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
            raise LessonError(f"{where}.choices: must be a list of tables, "
                              'e.g. [{ text = "yes", when = "max(train_accuracy) == 1" }, ...]')
        if not 2 <= len(choices) <= MAX_CHOICES:
            raise LessonError(f"{where}.choices: {len(choices)} given; give 2 to {MAX_CHOICES} (keys 1-9 answer)")
        out = []
        for i, c in enumerate(choices, start=1):
            here = f"{where}.choices[{i}]"
            self.keys(c, here, ("text", "when"))
            out.append(Choice(self.text(c["text"], f"{here}.text"), self.condition(c["when"], f"{here}.when")))
        explain = self.text(t.get("explain", ""), f"{where}.explain")
        return Ask(question, tuple(out), explain)

    def claim(self, t: dict, where: str) -> Claim:
        self.keys(t, where, ("when",), ("text",))
        return Claim(self.condition(t["when"], f"{where}.when"), self.text(t.get("text", ""), f"{where}.text"))

    def challenge(self, t: dict, where: str) -> Challenge:
        self.keys(t, where, ("text", "goal"))
        return Challenge(self.text(t["text"], f"{where}.text"), self.condition(t["goal"], f"{where}.goal"))


def _short(v: Any) -> str:
    s = repr(v) if not isinstance(v, str) else '"' + clean_text(v) + '"'
    return s if len(s) <= 60 else s[:57] + '..."'


# --- judging ------------------------------------------------------------------------


def run_env(history: dict, epochs: int, steps: int, weights: int, best_epoch: int | None = None) -> dict:
    """What a condition may read of a run. `history` is the trainer's (lr and a
    `grad_norm` table of per-layer lists are used when present). best_epoch: the
    early-stopping one if given, else the epoch of the lowest validation loss
    (the training loss without a validation set)."""
    # Each series as a float64 array, converted once here (an array given is taken as it is).
    env: dict[str, Any] = {k: _array(history.get(k, ())) for k in
                           ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr")}
    for key, series in history.items():  # the engine's per-layer lists, "grad_norm_W1", ...
        if key.startswith("grad_norm_"):
            env[key] = _array(series)
    for layer, series in (history.get("grad_norm") or {}).items():  # or one table of them
        env[f"grad_norm_{layer}"] = _array(series)
    if best_epoch is None:
        s = env["val_loss"] if len(env["val_loss"]) else env["train_loss"]
        best_epoch = int(np.nanargmin(s)) + 1 if len(s) and np.isfinite(s).any() else 0
    env.update(epochs=epochs, steps=steps, weights=weights, best_epoch=best_epoch)
    return env


def _array(series) -> np.ndarray:
    return np.asarray(series, dtype=np.float64)


def trainer_env(trainer) -> dict:
    """run_env of a Trainer, as it stands."""
    weights = sum(int(np.size(v)) for v in trainer.params.values())
    stop = getattr(trainer, "stop", None)  # early stopping's state; its best_epoch counts from 0
    best = stop.best_epoch + 1 if stop is not None and trainer.epoch else None
    return run_env(trainer.history, trainer.epoch, trainer.step, weights, best)


def judge_ask(ask: Ask, env: dict) -> tuple[list[int], dict]:
    """The choices of `ask` whose condition holds on a run (numbered from 1),
    and the values their conditions used."""
    right, values = [], {}
    for i, choice in enumerate(ask.choices, start=1):
        holds, used = evaluate(choice.when, env)
        values.update(used)
        if holds:
            right.append(i)
    return right, values


def judge(lesson: Lesson, env: dict) -> dict[str, list]:
    """Every condition of the lesson on a run: the asks (the choices that hold,
    numbered from 1, and the values their conditions used), the claims and the challenges."""
    asks = []
    for ask in lesson.asks:
        right, values = judge_ask(ask, env)
        asks.append({"question": ask.question, "right": right, "values": values,
                     "choices": [c.text for c in ask.choices], "explain": ask.explain})
    claims = []
    for claim in lesson.claims:
        holds, used = evaluate(claim.when, env)
        claims.append({"when": claim.when.text, **({"text": claim.text} if claim.text else {}),
                       "holds": holds, "values": used})
    challenges = []
    for ch in lesson.challenges:
        met, used = evaluate(ch.goal, env)
        challenges.append({"text": ch.text, "goal": ch.goal.text, "met": met, "values": used})
    return {"asks": asks, "claims": claims, "challenges": challenges}
