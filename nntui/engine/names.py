"""Small helpers shared by the config, the CLI and the app."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return " (did you mean 'x'?)" for the closest choice, or "" if none is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def allowed(choices: Iterable[str]) -> str:
    """A readable list of allowed names for error messages."""
    return ", ".join(sorted(choices))


# Every control character (Unicode category Cc: C0, DEL and C1, ESC among them)
# but newline and tab. Text from a file passes through `printable` where it
# enters, so an OSC title, a clear-screen or a cursor move in a CSV label or a
# runfile's class names reaches the terminal as nothing at all. (Rich's own
# strip_control_codes keeps ESC, so an escape sequence would still get through.)
_CONTROL = {c: None for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in "\n\t"}


def printable(text: str) -> str:
    """`text` without control characters (newline and tab kept)."""
    return text.translate(_CONTROL)


def printable_tree(value):
    """A parsed file (dicts, lists, strings, numbers) with every string, keys
    included, made `printable`. Its nesting must already be bounded."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(k) if isinstance(k, str) else k: printable_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable_tree(v) for v in value]
    return value


def nesting(value) -> int:
    """How deep dicts and lists nest in a parsed file (iteratively, so any depth is measured)."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        v, d = todo.pop()
        deepest = max(deepest, d)
        if isinstance(v, dict):
            todo.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            todo.extend((x, d + 1) for x in v)
    return deepest
