"""What one browser tab may cost the machine that serves it.

Each tab runs an app process; without bounds one visitor could start dozens,
ask for a terminal of millions of cells, paste megabytes, or leave a busy app
running after leaving. Every bound has a flag of `nntui serve` and a default
sized to the machine; `describe` says them all in one line at start.
"""

from __future__ import annotations

import os
import re
import resource
from dataclasses import dataclass

MAX_COLS, MAX_ROWS = 400, 200  # a full-screen 4K browser at a small font is about 380x110 cells
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"  # how a terminal brackets a paste
# An escape sequence the end of a string cuts short: ESC alone, a CSI without its
# final byte, SS3 without its key, an OSC without its terminator.
_UNFINISHED = re.compile(r"\x1b(\[[0-?]*[ -/]*|O|\][^\x07\x1b]*)?\Z")


def default_sessions(cores: int | None = None) -> int:
    """4 tabs per core, at most 40: a frame costs a playing tab 7 to 11 ms of
    CPU (benchmarks/serve_load.py), so a quarter of a core each is 20 to 35
    frames a second, and 10 under other load."""
    cores = cores or os.cpu_count() or 1
    return max(1, min(40, 4 * cores))


@dataclass(frozen=True)
class Limits:
    sessions: int = default_sessions()  # apps at once
    per_client: int = 4  # apps at once from one client address
    cols: int = MAX_COLS  # terminal size: larger requests are cut down to this
    rows: int = MAX_ROWS
    input_chars: int = 4096  # characters of one stdin message (a paste): the rest is dropped
    memory_mb: int = 1024  # address space of each app (RLIMIT_AS); an app uses about 400 MB
    cpu_after_close: float = 2.0  # CPU seconds an app may still use once its tab has gone

    def __post_init__(self) -> None:
        if not (1 <= self.cols <= MAX_COLS and 1 <= self.rows <= MAX_ROWS):
            raise ValueError(f"the terminal size is at most {MAX_COLS}x{MAX_ROWS} cells")

    @property
    def message_bytes(self) -> int:
        """The largest websocket message read at all: an input message of
        input_chars characters, each escaped in JSON as at most 12 bytes
        (a surrogate pair), with room for the envelope. A larger one closes
        the connection before it is held in memory whole."""
        return 12 * self.input_chars + 1024

    def cut(self, data: str) -> str:
        """One input message within input_chars. A cut never leaves the app's
        input parser mid-sequence: an escape sequence the cut split is dropped,
        and a bracketed paste the cut split is closed."""
        if len(data) <= self.input_chars:
            return data
        kept = data[: self.input_chars]
        if split := _UNFINISHED.search(kept):
            kept = kept[: split.start()]
        if kept.rfind(PASTE_START) > kept.rfind(PASTE_END):
            kept += PASTE_END
        return kept

    def size(self, width: int, height: int) -> tuple[int, int]:
        """A terminal size the app is given: within 1..cols x 1..rows."""
        return max(1, min(self.cols, width)), max(1, min(self.rows, height))

    def describe(self) -> str:
        return (f"{self.sessions} tabs at once (--max-sessions), {self.per_client} per client address "
                f"(--max-per-client), terminals up to {self.cols}x{self.rows} cells (--max-terminal), "
                f"{self.input_chars} characters per input message (--max-input), {self.memory_mb} MB of memory "
                f"per app (--app-memory), {self.cpu_after_close:g} s of CPU for an app whose tab has closed "
                f"(--cpu-after-close), which ends within 5 s")


def limit_child(memory_mb: int) -> None:
    """In the app's process, before it runs: its memory bound, and death with
    the server (should the server be killed without its cleanup)."""
    size = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    _die_with_parent()


def limit_cpu(pid: int, seconds: float) -> None:
    """From now on `pid` may use `seconds` more CPU: then SIGXCPU, and SIGKILL
    a second later (the kernel's RLIMIT_CPU), whatever it does meanwhile."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        used = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        soft = int(used + seconds) + 1
        resource.prlimit(pid, resource.RLIMIT_CPU, (soft, soft + 1))
    except (OSError, ValueError, IndexError):
        pass  # already gone


def _die_with_parent() -> None:
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the server's own cleanup still ends its apps
