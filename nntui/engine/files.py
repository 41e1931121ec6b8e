"""Reading and writing the user's files without hanging, exhausting memory or
destroying anything.

Every file nntui reads (a preset, a CSV, a runfile) is opened here: only a
regular file, opened without blocking (a FIFO with no writer would block an
ordinary open forever), and never more than a stated size. Every file it
writes (a runfile) goes to a temporary file in the target's folder, then is
renamed over the target: only a regular file or a new path is replaced (a
symlink is followed, and its target replaced), never a device, FIFO or folder.

A file already there is replaced only when the caller says so
(`replace=True`): every writer states it. Without it the save is refused
with `FileExists` before anything is written, and the new file is put in
place by a hard link, which fails rather than replace a file that appeared
meanwhile. The CLI turns it into its --force advice, the app into a question.

Problems are `FileRefused` (a ValueError): one line naming the path and what
is allowed; callers turn it into their own error type.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

MB = 2**20
# The names of a save's temporary files: a fixed short prefix (a target's own
# name may already be as long as the file system allows) and the saving
# process's id, so a later save can tell an abandoned one from a live one.
_TMP_PREFIX = ".nntui-save-"
_TMP_SUFFIX = ".tmp"
_TMP_STALE_SECONDS = 24 * 3600  # whatever its pid says, a temp file this old is abandoned


class FileRefused(ValueError):
    """A path that cannot be read or written as asked; the message names it."""


class FileExists(FileRefused):
    """A save to a path where a file is already there, without `replace=True`."""

    def __init__(self, path, message: str | None = None) -> None:
        self.path = os.fspath(path)
        super().__init__(message or f"{self.path}: a file is already there; it is not replaced")


def size_text(n: float) -> str:
    for unit, size in (("GB", 2**30), ("MB", MB), ("KB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def os_problem(path, e: OSError) -> str:
    """One line for an OSError on path: 'PATH: file name too long'."""
    reason = e.strerror or str(e)
    if e.errno == errno.ENAMETOOLONG:
        reason = "the file name is too long for the file system"
    return f"{os.fspath(path)}: {reason[:1].lower()}{reason[1:]}"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def expand_user(path) -> Path:
    """`~/x` and `~name/x` as the home folder's path; FileRefused for a
    `~name` of no user on this machine (Path.expanduser raises RuntimeError)."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        raise FileRefused(f"{os.fspath(path)}: starts with the home folder of a user this machine "
                          "does not have") from None


def _check_path(path) -> str:
    text = os.fspath(path)
    if not text:
        raise FileRefused("an empty path names no file")
    if "\x00" in text:
        raise FileRefused(f"{text!r}: a path cannot hold a NUL character")
    return text


@contextmanager
def open_regular(path, limit: int, what: str) -> Iterator[BinaryIO]:
    """A regular file of at most `limit` bytes, opened for reading (binary).
    A FIFO, device, socket or folder is refused at once, without blocking."""
    text = _check_path(path)
    try:
        fd = os.open(text, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileRefused(f"{text}: no such file") from None
    except OSError as e:
        raise FileRefused(f"cannot read the {what}: {os_problem(text, e)}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"{text}: is {_kind(st.st_mode)}; a {what} must be a regular file")
        if st.st_size > limit:
            raise FileRefused(f"{text}: {size_text(st.st_size)} is too large for a {what} "
                              f"(at most {size_text(limit)})")
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        yield f


def read_regular(path, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (see open_regular)."""
    with open_regular(path, limit, what) as f:
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise FileRefused(f"cannot read the {what}: {os_problem(path, e)}") from None
    if len(data) > limit:  # it grew since it was opened
        raise FileRefused(f"{os.fspath(path)}: too large for a {what} (at most {size_text(limit)})")
    return data


def write_target(path, replace: bool = True) -> Path:
    """The file a save to `path` replaces: `path` itself, or the file its
    symlinks lead to. FileRefused unless that is a regular file or a new name
    in an existing, writable folder; FileExists if anything is at `path`
    (a symlink too) and `replace` is False. Call it before long work, to fail early."""
    text = _check_path(path)
    try:
        target = Path(os.path.realpath(text))
        st = os.stat(target) if os.path.lexists(target) else None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"{text}: is {_kind(st.st_mode)}; a run is saved to a regular file or a new path")
        if not replace and os.path.lexists(text):
            raise FileExists(text)
        parent = target.parent
        if not parent.exists():
            raise FileRefused(f"{text}: the folder {parent} does not exist")
        if not parent.is_dir():
            raise FileRefused(f"{text}: {parent} is a file, not a folder")
        if not os.access(parent, os.W_OK):
            raise FileRefused(f"{text}: the folder {parent} is not writable")
        if len(target.name.encode()) > 255:
            raise FileRefused(f"{text}: the file name is too long for the file system")
    except OSError as e:
        raise FileRefused(os_problem(text, e)) from None
    return target


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def clean_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files of saves that never finished (killed
    mid-save) from `folder`: those whose process is gone, or a day old."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        name = entry.name
        if not (name.startswith(_TMP_PREFIX) and name.endswith(_TMP_SUFFIX)):
            continue
        pid_text = name[len(_TMP_PREFIX):].split("-", 1)[0]
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode):
                continue
            stale = (not pid_text.isdigit() or not _pid_alive(int(pid_text))
                     or now - st.st_mtime > _TMP_STALE_SECONDS)
            if stale and int(pid_text or 0) != os.getpid():
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except (OSError, ValueError):
            continue
    return removed


def write_atomic(path, write, *, replace: bool) -> Path:
    """Write a file through `write(binary_file)` to a temporary file beside
    the target, flushed to disk, then renamed over it: a crash or a refusal
    leaves the old file whole. With `replace` False, FileExists if a file is
    there, checked before writing and again, atomically, when it is put in
    place. Returns the path given."""
    target = write_target(path, replace)
    clean_stale_temps(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{_TMP_PREFIX}{os.getpid()}-", suffix=_TMP_SUFFIX,
                                   dir=target.parent)
    except OSError as e:
        raise FileRefused(f"cannot save to {os.fspath(path)}: {os_problem(target.parent, e)}") from None
    try:
        # mkstemp makes the file private (0600); give it the mode any new file gets,
        # or keep the mode of the file it replaces.
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename, or a power cut can leave it empty
        if replace:
            os.replace(tmp, target)
        else:
            _place_new(tmp, target, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise FileRefused(f"cannot save to {os_problem(path, e)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(path)


def _place_new(tmp: str, target: Path, path) -> None:
    """Give the written temporary file the target's name only if nothing has
    that name: a hard link never replaces (a rename would). A file system
    without hard links gets a check then a rename, a window of a moment."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise FileExists(path) from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(target):
            raise FileExists(path) from None
        os.replace(tmp, target)
        return
    os.unlink(tmp)
