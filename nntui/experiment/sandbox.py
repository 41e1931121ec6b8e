"""Classroom mode's rules for the app a served tab runs.

`nntui serve` on a classroom address hands each browser tab an app that may
open only the built-in lessons and the presets of one folder the teacher gave
(`--presets DIR`), and that saves only into a folder of its own, under names
nntui chooses, never over a file. The server says so to the app through its
environment (ENV_SAVES, ENV_PRESETS); an app started without them is not
sandboxed.

A refusal names the problem and what is allowed. It never depends on whether a
path outside the allowed folders exists, and never shows a file's content.
"""

from __future__ import annotations

import functools
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from nntui.engine.files import expand_user
from nntui.experiment.config import Config, ConfigError
from nntui.experiment.presets import list_presets, load_preset, preset_titles, read_toml

ENV_SAVES = "NNTUI_CLASSROOM_SAVES"  # this tab's folder: every save goes there
ENV_PRESETS = "NNTUI_CLASSROOM_PRESETS"  # the teacher's folder of presets, or empty

MAX_SAVES = 200  # files in one tab's folder: a tab cannot fill the teacher's disk by saving in a loop
MAX_STEM = 60  # characters of a saved file's name, before its suffix
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class SandboxRefused(ConfigError):
    """What a classroom tab may not do; the message is one line for the user."""


@dataclass(frozen=True)
class Sandbox:
    """What a classroom tab may open and where it saves."""

    saves: Path  # this tab's folder (made by the server)
    presets: Path | None = None  # the teacher's folder of presets

    def __post_init__(self) -> None:
        # Compared as real paths: a symlink or `..` cannot lead out of them.
        object.__setattr__(self, "saves", Path(os.path.realpath(self.saves)))
        if self.presets is not None:
            object.__setattr__(self, "presets", Path(os.path.realpath(self.presets)))

    # --- the environment -------------------------------------------------------------

    def environ(self) -> dict[str, str]:
        return {ENV_SAVES: str(self.saves), ENV_PRESETS: str(self.presets or "")}

    @classmethod
    def from_environ(cls, env: dict[str, str] | os._Environ | None = None) -> Sandbox | None:
        """The sandbox the server gave this app, or None (not served in classroom mode)."""
        env = os.environ if env is None else env
        saves = env.get(ENV_SAVES)
        if not saves:
            return None
        return cls(Path(saves), Path(env[ENV_PRESETS]) if env.get(ENV_PRESETS) else None)

    # --- opening ---------------------------------------------------------------------

    def folder_presets(self) -> list[Path]:
        """The teacher's presets: the .toml files directly in the folder, by name."""
        if self.presets is None:
            return []
        try:
            entries = sorted(self.presets.glob("*.toml"))
        except OSError:
            return []
        return [p for p in entries if self._inside(p, self.presets) and p.is_file()]

    def preset_titles(self) -> list[tuple[str, str]]:
        """(name, title) for the picker: the teacher's folder first, by file
        name ("week3.toml", which `resolve` takes), then the built-ins by name."""
        out = []
        for path in self.folder_presets():
            try:
                title = str(read_toml(path, path.name).get("title", ""))
            except ConfigError:
                title = "(cannot be read)"
            out.append((path.name, title))
        return out + list(preset_titles())

    def allowed_names(self) -> list[str]:
        return [name for name, _ in list_presets()] + [p.name for p in self.folder_presets()]

    def resolve(self, text: str) -> str:
        """What load_preset should open for what the user chose or typed: a
        built-in's name, or the real path of a preset in the teacher's folder.
        SandboxRefused for anything else, with the same words whether or not
        such a file exists."""
        text = text.strip()
        builtins = {name for name, _ in list_presets()}
        if text in builtins:
            return text
        refused = SandboxRefused(
            f"{text}: this classroom opens only its lessons, by name: {', '.join(self.allowed_names())}")
        if self.presets is None or "\x00" in text or not text:
            raise refused
        name = text if text.endswith(".toml") else f"{text}.toml"
        candidate = Path(name) if "/" in name or os.sep in name else self.presets / name
        try:
            real = Path(os.path.realpath(candidate))
        except (OSError, ValueError):
            raise refused from None
        if real.parent != self.presets:
            raise refused
        if not real.is_file():
            raise SandboxRefused(f"{real.name}: no such preset in this classroom; "
                                 f"its lessons: {', '.join(self.allowed_names())}")
        return str(real)

    # --- saving ----------------------------------------------------------------------

    def save_paths(self, typed: str, suffixes: tuple[str, ...]) -> tuple[Path, ...]:
        """New files in this tab's folder, one per suffix, sharing a name made
        from what the user typed (its last part, letters, digits, `_.-` only),
        numbered when taken. Each is created empty here, exclusively, so no
        save replaces another file; `release` removes them if the save fails."""
        stem = _stem(typed, suffixes)
        try:
            held = sum(1 for _ in os.scandir(self.saves))
        except OSError as e:
            raise SandboxRefused(f"this tab's folder cannot be read ({e.strerror})") from None
        if held + len(suffixes) > MAX_SAVES:
            raise SandboxRefused(f"this tab has saved {held} files, the most a tab may keep ({MAX_SAVES})")
        for n in range(1, MAX_SAVES + 2):
            name = stem if n == 1 else f"{stem}-{n}"
            made: list[Path] = []
            for suffix in suffixes:
                path = self.saves / f"{name}{suffix}"
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
                except FileExistsError:
                    break
                except OSError as e:
                    self.release(*made)
                    raise SandboxRefused(f"cannot save in this tab's folder ({e.strerror})") from None
                os.close(fd)
                made.append(path)
            else:
                return tuple(made)
            self.release(*made)
        raise SandboxRefused(f"'{stem}': every numbered name is taken in this tab's folder")

    def release(self, *paths: Path) -> None:
        """Remove files `save_paths` made that a failed save left empty."""
        for path in paths:
            try:
                if path.parent == self.saves and path.stat().st_size == 0:
                    path.unlink()
            except OSError:
                pass

    @staticmethod
    def _inside(path: Path, folder: Path) -> bool:
        try:
            return Path(os.path.realpath(path)).parent == folder
        except (OSError, ValueError):
            return False


# --- what the app calls: the same with or without a sandbox -------------------------------


@functools.cache
def current() -> Sandbox | None:
    """This process's sandbox (read once from its environment), or None."""
    return Sandbox.from_environ()


def open_preset(name_or_path: str) -> Config:
    """load_preset, within this process's sandbox if it has one."""
    sandbox = current()
    return load_preset(sandbox.resolve(name_or_path) if sandbox else name_or_path)


def picker_titles() -> list[tuple[str, str]]:
    """(name, title) of the presets the picker lists."""
    sandbox = current()
    return sandbox.preset_titles() if sandbox else preset_titles()


@contextmanager
def save_target(typed: str, suffixes: tuple[str, ...]) -> Iterator[Path]:
    """Where a save the user typed as `typed` goes: that path; sandboxed, a
    new file in the tab's folder (`save_paths`; the first suffix's), given
    back if the save fails."""
    sandbox = current()
    if sandbox is None:
        yield expand_user(typed)
        return
    paths = sandbox.save_paths(typed, suffixes)
    try:
        yield paths[0]
    except BaseException:
        sandbox.release(*paths)
        raise


def _stem(typed: str, suffixes: tuple[str, ...]) -> str:
    name = typed.replace("\\", "/").rsplit("/", 1)[-1].strip()
    for suffix in suffixes:
        if suffix and name.endswith(suffix):
            name = name[: -len(suffix)]
    name = _UNSAFE.sub("-", name).strip(".-")[:MAX_STEM].rstrip(".-")
    return name or "run"
