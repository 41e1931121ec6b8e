"""A learner's progress through the lessons: which asks were answered (and right),
which challenges were met. One JSON file, $XDG_STATE_HOME/nntui/progress.json
(default ~/.local/state/nntui/progress.json), written atomically:

    {"version": 1, "lessons": {
        "xor": {"asks": {"1": {"question": "...", "answer": 2, "right": true}},
                "challenges": {"1": {"text": "...", "met": true}}},
        "/home/me/my-lesson.toml": {...}}}

Built-in lessons are kept by name, lessons from files by their absolute path.
An answer counts only while its question reads the same (a lesson edited since
asks again). A file that cannot be read as this is set aside (renamed
progress.json.damaged-N) with a one-line notice, and progress starts afresh.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from nntui.engine.files import FileRefused, os_problem, read_regular, write_atomic

VERSION = 1
LIMIT = 8 * 2**20  # far more than any learner's answers


def progress_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state"  # the spec: relative is ignored
    return root / "nntui" / "progress.json"


def lesson_key(config) -> str:
    """A built-in preset's name, or the absolute path of a preset file."""
    from nntui.experiment.presets import PRESET_DIR

    source = Path(config.source)
    if len(source.parts) == 1 and source.suffix == ".toml" and (PRESET_DIR / source).is_file() \
            and not source.is_file():
        return source.stem
    return str(source.resolve())


class Progress:
    """The progress file in memory; `notice` is the one line to show if the file
    on disk was damaged and set aside (or could not be read)."""

    def __init__(self, path: Path | None = None):
        self.path = path or progress_path()
        self.notice: str | None = None
        self.lessons: dict[str, dict] = {}
        self._read()

    def _read(self) -> None:
        try:
            exists = self.path.exists()
        except OSError:
            exists = False
        if not exists:
            return
        try:
            raw = read_regular(self.path, LIMIT, "progress file")
            data = json.loads(raw.decode("utf-8"))
            self.lessons = _checked(data)
        except (FileRefused, OSError) as e:
            self.notice = f"{self.path}: cannot be read ({e}); progress is not kept this time"
            self.path = None
        except (ValueError, UnicodeDecodeError):
            self.notice = self._set_aside()

    def _set_aside(self) -> str:
        for n in range(1, 1000):
            aside = self.path.with_name(f"{self.path.name}.damaged-{n}")
            if not aside.exists():
                break
        try:
            os.replace(self.path, aside)  # aside is new: nothing is replaced
        except OSError as e:
            where = self.path
            self.path = None
            return f"{where}: damaged, and cannot be set aside ({os_problem(where, e)}); progress is not kept"
        return f"{self.path}: damaged; set aside as {aside.name}, progress starts afresh"

    def entry(self, key: str) -> dict:
        return self.lessons.setdefault(key, {"asks": {}, "challenges": {}})

    def answer(self, key: str, ask_index: int, question: str, choice: int, right: bool) -> None:
        self.entry(key)["asks"][str(ask_index)] = {"question": question, "answer": choice, "right": bool(right)}

    def challenge(self, key: str, index: int, text: str, met: bool) -> None:
        """A challenge met stays met; one not met yet is recorded as tried."""
        challenges = self.entry(key)["challenges"]
        before = challenges.get(str(index), {})
        was_met = bool(before.get("met")) and before.get("text") == text
        challenges[str(index)] = {"text": text, "met": was_met or bool(met)}

    def summary(self, key: str, lesson) -> dict:
        """{"asks": {"answered", "right", "total"}, "challenges": {"met", "total"}} for
        a lesson as it reads now."""
        e = self.lessons.get(key, {"asks": {}, "challenges": {}})
        answered = right = met = 0
        for i, ask in enumerate(lesson.asks if lesson else (), start=1):
            a = e["asks"].get(str(i))
            if a and a.get("question") == ask.question:
                answered += 1
                right += bool(a.get("right"))
        for i, ch in enumerate(lesson.challenges if lesson else (), start=1):
            c = e["challenges"].get(str(i))
            met += bool(c and c.get("text") == ch.text and c.get("met"))
        return {"asks": {"answered": answered, "right": right, "total": len(lesson.asks) if lesson else 0},
                "challenges": {"met": met, "total": len(lesson.challenges) if lesson else 0}}

    def save(self) -> str | None:
        """Write the file (atomically); a one-line problem, or None."""
        if self.path is None:
            return None
        data = json.dumps({"version": VERSION, "lessons": self.lessons}, indent=1, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, lambda f: f.write(data.encode("utf-8")), replace=True)  # its own file, kept up to date
        except FileRefused as e:
            return str(e)
        except OSError as e:
            return f"cannot keep progress: {os_problem(self.path.parent, e)}"
        return None


def _checked(data: Any) -> dict[str, dict]:
    """The lessons table of a progress file, or ValueError if it is not one."""
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("lessons"), dict):
        raise ValueError("not a progress file")
    out = {}
    for key, e in data["lessons"].items():
        if not (isinstance(e, dict) and isinstance(e.get("asks"), dict) and isinstance(e.get("challenges"), dict)):
            raise ValueError(key)
        for a in e["asks"].values():
            if not (isinstance(a, dict) and isinstance(a.get("question"), str) and isinstance(a.get("answer"), int)
                    and isinstance(a.get("right"), bool)):
                raise ValueError(key)
        for c in e["challenges"].values():
            if not (isinstance(c, dict) and isinstance(c.get("text"), str) and isinstance(c.get("met"), bool)):
                raise ValueError(key)
        out[key] = e
    return out
