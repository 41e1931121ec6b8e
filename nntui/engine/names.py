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
