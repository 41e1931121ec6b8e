"""Presets on disk: where the built-in ones live, listing them in the story's
order, and reading a preset (a built-in name or a TOML file) into a checked
Config. The CLI, the app's picker and the tests all come here; nothing else
opens a preset file.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from nntui.experiment.config import Config, ConfigError, config_from_dict
from nntui.engine.files import FileRefused, os_problem, read_regular
from nntui.engine.names import did_you_mean, nesting, printable, printable_tree

PRESET_LIMIT = 2**20  # a preset is a page of TOML: 1 MB is far more than any needs
MAX_NESTING = 20  # tables and arrays inside each other; a preset needs 4

DEFAULT_PRESET = "xor"


def _preset_dir() -> Path:
    """The wheel ships presets/ as nntui/presets; an editable install has them
    at the top of the repo, next to the package."""
    try:
        shipped = importlib.resources.files("nntui") / "presets"
        if shipped.is_dir():
            return Path(str(shipped))
    except (ModuleNotFoundError, TypeError, OSError):  # pragma: no cover
        pass
    return Path(__file__).resolve().parents[2] / "presets"


PRESET_DIR = _preset_dir()


# The order of the story nntui tells (README): a perceptron's limit, a hidden
# layer, backprop by hand, then harder data, how training goes wrong, and images.
# Presets not named here follow, by name.
STORY_ORDER = (
    "perceptron-and", "perceptron-xor", "perceptron-features", "xor", "bent-plane", "mazur", "ffn", "circle", "gaussian", "moons",
    "spiral", "blobs", "iris", "plane", "multigauss", "valley", "optimizers", "zero-init", "vanishing",
    "lr-too-high", "overfit", "digits",
)


def list_presets() -> list[tuple[str, Path]]:
    """The built-in presets as (name, path), in the story's order."""
    rank = {name: i for i, name in enumerate(STORY_ORDER)}
    found = [(p.stem, p) for p in PRESET_DIR.glob("*.toml")]
    return sorted(found, key=lambda item: (rank.get(item[0], len(rank)), item[0]))


def load_preset(name_or_path: str | os.PathLike) -> Config:
    """A built-in preset by name ("xor") or a TOML file by path, checked."""
    path, label = _resolve(name_or_path)
    return config_from_dict(read_toml(path, label), label, path.parent)


def _resolve(name_or_path: str | os.PathLike) -> tuple[Path, str]:
    text = os.fspath(name_or_path)
    if not text:
        raise ConfigError("an empty preset name; give a built-in name (see `nntui presets`) or a .toml file")
    looks_like_path = (not isinstance(name_or_path, str) or text.endswith(".toml")
                       or "/" in text or os.sep in text)
    if not looks_like_path:
        builtin = PRESET_DIR / f"{text}.toml"
        if _is_file(builtin):
            return builtin, builtin.name
        if not _is_file(Path(text)):
            names = [name for name, _ in list_presets()]
            raise ConfigError(
                f"unknown preset '{text}'{did_you_mean(text, names)}; "
                f"built-in presets: {', '.join(names)} (or give the path of a .toml file)"
            )
    path = Path(text)
    try:
        os.stat(text)
    except FileNotFoundError:
        dangling = os.path.islink(text)
        raise ConfigError(f"{text}: {'a symbolic link to a file that does not exist' if dangling else 'no such preset file'}") from None
    except OSError as e:  # a symlink loop, a name too long, a folder that cannot be searched, ...
        raise ConfigError(f"{os_problem(text, e)}; a preset must be a readable .toml file") from None
    except ValueError:
        raise ConfigError(f"{text!r}: a path cannot hold a NUL character") from None
    if path.is_dir():
        raise ConfigError(f"{text}: is a folder, not a preset file")
    return path, printable(text)  # the label names it on screens: a file's name is data too


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long: not a file, and the message says why later
        return False


def read_toml(path: Path, label: str) -> dict[str, Any]:
    """Parse a preset file; syntax errors, duplicate keys and non-UTF-8 bytes
    become one-line ConfigErrors with the line (and column). Only a regular
    file of at most PRESET_LIMIT bytes is read (a FIFO or device would block
    or never end); nesting beyond MAX_NESTING is refused."""
    try:
        raw = read_regular(path, PRESET_LIMIT, "preset")
    except FileRefused as e:
        message = str(e)
        raise ConfigError(message if label in message else f"{label}: {message}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ConfigError(
            f"{label}: line {line}: not UTF-8 text (byte 0x{raw[e.start]:02x}); "
            "a preset must be a TOML file saved as UTF-8"
        ) from None
    too_deep = ConfigError(f"{label}: tables and arrays nested too deeply (a preset needs a few levels; "
                           f"at most {MAX_NESTING} are read)")
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{label}: {_toml_problem(str(e))}") from None
    except RecursionError:  # the parser recurses once per level
        raise too_deep from None
    if nesting(parsed) > MAX_NESTING:
        raise too_deep
    return printable_tree(parsed)  # its text is data: no terminal control reaches a screen


class TooDeep(ValueError):
    """A value whose lists nest deeper than MAX_NESTING."""


def toml_value(text: str) -> Any:
    """One value typed on a command line or in a dialog (0.9, true, [0.9, 0.99]),
    read as TOML. ValueError (one line, saying what is allowed) if it is not
    one, or nests deeper than MAX_NESTING."""
    too_deep = TooDeep(f"lists nested too deeply (at most {MAX_NESTING} levels are read)")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        raise ValueError("not a TOML value") from None
    except (RecursionError, MemoryError):  # the parser recurses once per level
        raise too_deep from None
    if nesting(value) > MAX_NESTING:
        raise too_deep
    return printable_tree(value)


def _toml_problem(message: str) -> str:
    """'Cannot overwrite a value (at line 2, column 4)' -> 'line 2, column 4: ...'."""
    m = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", message, flags=re.S)
    if m:
        what, where = m.group(1), f"line {m.group(2)}, column {m.group(3)}"
    else:
        m = re.fullmatch(r"(.*) \(at end of document\)", message, flags=re.S)
        what, where = (m.group(1), "at the end of the file") if m else (message, "")
    if what.startswith("Cannot overwrite a value") or re.match(r"Cannot declare .* twice", what):
        what += " (a key or table is given twice)"
    return f"{where}: invalid TOML: {what}" if where else f"invalid TOML: {what}"


def preset_titles() -> list[tuple[str, str]]:
    """(name, title) of each built-in preset, for a picker; a file that cannot
    be read is listed with a note instead of a title, never skipped."""
    out = []
    for name, path in list_presets():
        try:
            title = str(read_toml(path, path.name).get("title", ""))
        except ConfigError:
            title = "(cannot be read)"
        out.append((name, title))
    return out
