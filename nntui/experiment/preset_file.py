"""The experiment as a preset file: a TOML that reopens the same run.

`save_preset(config, "my.toml")` writes the current experiment, every edit
made in the controls included (the data, its seed, the model and its seed,
the training and its live learning rate), as a preset that `o` or
`nntui --preset my.toml` reopens: the same configuration gives the same
numbers, bit for bit (tests/test_preset_file.py trains both). A race's
variant is saved the same way, from its own config.

The TOML is written here (tomllib only reads): every value as a TOML literal
(a string as a basic string with every control character escaped, so a title
read from a file never writes raw terminal control nor breaks the syntax; a
float as its repr, which reads back to the same float), through a temporary
file and a rename (engine/files.py). An existing file is never replaced
unless asked (`replace=True`).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from nntui.engine.files import FileExists, expand_user, write_atomic, write_target
from nntui.experiment.config import Config


class PresetExists(FileExists):
    """The path names a file already there, and replacing it was not asked."""

    def __init__(self, path) -> None:
        super().__init__(path, f"{path}: a file is already there; give another name (it is not replaced)")


def preset_path(path: str | os.PathLike) -> Path:
    """The path typed, with '.toml' added if missing."""
    p = expand_user(path)
    return p if p.suffix == ".toml" else p.with_name(p.name + ".toml")


def preset_dict(config: Config, folder: Path) -> dict[str, Any]:
    """The preset of `config`, to be saved in `folder`: a CSV's path written
    relative to it when the CSV lies under it (the two travel together),
    else absolute."""
    d = config.to_dict()
    path = d.get("data", {}).get("path")
    if path:
        rel = os.path.relpath(path, folder.resolve())
        d["data"]["path"] = path if rel.startswith("..") else rel
    return d


def save_preset(config: Config, path: str | os.PathLike, *, replace: bool = False) -> Path:
    """Write `config` as a preset at `path` ('.toml' added); returns the path
    written. PresetExists if the file is there and `replace` is False;
    FileRefused if the path cannot be written."""
    target = preset_path(path)
    try:
        write_target(target, replace)  # a folder, a device, no such folder, a file there: refused before anything
        text = toml_text(preset_dict(config, target.parent))
        write_atomic(target, lambda f: f.write(text.encode()), replace=replace)
    except FileExists:
        raise PresetExists(target) from None
    return target


# --- TOML literals ----------------------------------------------------------------


def toml_string(s: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character
    (C0, DEL, C1) escaped, so the text is data and never terminal control."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or 0x7F <= o < 0xA0:
            out.append(f"\\u{o:04X}")
        elif 0xD800 <= o < 0xE000:  # a lone surrogate (undecodable bytes) has no TOML form
            out.append("\uFFFD")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)  # shortest text that reads back to this float
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def toml_key(k: str) -> str:
    bare = bool(k) and k.isascii() and k.replace("_", "").replace("-", "").isalnum()
    return k if bare else toml_string(k)


def toml_text(d: dict[str, Any]) -> str:
    """A preset dict as TOML: top-level values, then one [table] per section
    (a table inside a section, such as [model.weights], after it; deeper
    ones inline)."""
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in d.items() if not isinstance(v, dict)]
    for section, table in d.items():
        if not isinstance(table, dict):
            continue
        lines += ["", f"[{toml_key(section)}]"]
        lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items() if not isinstance(v, dict)]
        for sub, inner in table.items():
            if isinstance(inner, dict):
                lines += ["", f"[{toml_key(section)}.{toml_key(sub)}]"]
                lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in inner.items()]
    return "\n".join(lines) + "\n"
