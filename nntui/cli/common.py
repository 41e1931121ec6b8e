"""What every verb shares: the one-line user error, loading a preset or a run,
the console and its style."""

from __future__ import annotations

import contextlib
import math
import os

import click


EXIT_USAGE = 2


EXIT_DIVERGED = 3


class UserError(click.ClickException):
    """A user's mistake: one line on stderr, `nntui: error: ...`, exit 2."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        from nntui.engine.names import printable

        # The message may quote a file's name or content: never terminal control.
        click.echo(f"nntui: error: {printable(self.format_message())}", err=True)


class DivergedError(UserError):
    exit_code = EXIT_DIVERGED


# --- files a verb writes -----------------------------------------------------------
#
# A verb never replaces a file unasked: an existing file needs that verb's
# --force (engine/files.py holds the rule; here it becomes the CLI's one line).

FORCE_FLAG = "--force"
FORCE_HELP = "Replace the file if it is already there (without it, an existing file is refused)."


def exists_error(path) -> UserError:
    return UserError(f"{os.fspath(path)}: a file is already there; give {FORCE_FLAG} to replace it")


def check_output(path: str, force: bool) -> None:
    """Refuse now, before minutes of work, a path the verb could not write:
    a folder, a device, no such folder, or (without --force) a file already there."""
    from nntui.engine.files import FileExists, FileRefused, write_target

    try:
        write_target(path, force)
    except FileExists:
        raise exists_error(path) from None
    except FileRefused as e:
        raise UserError(str(e)) from None


def write_output(path: str, text: str, force: bool) -> None:
    """`text` written to `path` atomically; a file already there only with --force."""
    from nntui.engine.files import FileExists, FileRefused, write_atomic

    try:
        write_atomic(path, lambda f: f.write(text.encode("utf-8")), replace=force)
    except FileExists:
        raise exists_error(path) from None
    except (FileRefused, OSError) as e:
        raise UserError(str(e)) from None


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (through symlinks, `..` or hard links)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def load(preset: str):
    """The checked Config for a built-in name or a file, or a UserError."""
    from nntui.experiment.config import ConfigError
    from nntui.experiment.presets import load_preset

    try:
        return load_preset(preset)
    except ConfigError as e:
        raise UserError(str(e)) from None


def no_color() -> bool:
    return bool(os.environ.get("NO_COLOR"))  # no-color.org: set and not empty


def is_runfile(name: str) -> bool:
    """A runfile by its name (RUN.npz) or by its first bytes (a zip archive)."""
    if name.endswith(".npz"):
        return True
    try:
        import stat

        if not stat.S_ISREG(os.stat(name).st_mode):
            return False
        with open(name, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except (OSError, ValueError):
        return False


def resume(path: str):
    """The trainer a runfile holds (the app's --load reads it the same way)."""
    from nntui.experiment.runs import RunfileError, load_run

    try:
        return load_run(path)
    except RunfileError as e:
        raise UserError(str(e)) from None


def make_trainer(config):
    from nntui.engine.datasets import DataError
    from nntui.engine.trainer import Trainer

    try:
        return Trainer(config)
    except DataError as e:
        raise UserError(f"{config.source}: {e}") from None


@contextlib.contextmanager
def quiet_numpy():
    import warnings

    import numpy as np

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def make_console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, no_color=no_color() or None)


def chart_style(console, ascii_only: bool) -> str:
    """color on a colour terminal; plain (no escape codes) when piped or under
    NO_COLOR; ascii with --ascii."""
    if ascii_only:
        return "ascii"
    if no_color() or not console.is_terminal or console.color_system is None:
        return "plain"
    return "color"


def chart_size(console) -> tuple[int, int]:
    """(width, loss chart height): the terminal's width; a third of its height, 10 to 20 rows."""
    width = max(30, min(console.width, 160))
    height = max(10, min(20, console.height // 3)) if console.is_terminal else 14
    return width, height


def print_raw(console, text: str) -> None:
    """Text that may hold plotext's own ANSI codes, printed as is."""
    console.file.write(text + "\n")
    console.file.flush()


def fmt(x) -> str:
    return "—" if x is None else f"{x:.6g}"


def pct(x) -> str:
    return "—" if x is None else f"{x:.1%}"


def finite(x):
    """JSON has no NaN or inf: null instead (only after a divergence)."""
    return x if x is None or math.isfinite(x) else None
