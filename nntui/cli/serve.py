"""`nntui serve`: the app in web browsers."""

from __future__ import annotations

import os
import re

import click

from nntui.cli import common
from nntui.cli.common import UserError
from nntui.cli.main import main

# The bounds' defaults live in nntui.serve.limits (which imports textual-serve's
# own dependencies); the same numbers are written here for --help.
MAX_COLS, MAX_ROWS = 400, 200


def _sessions_default() -> int:
    return max(1, min(40, 4 * (os.cpu_count() or 1)))


def _terminal(ctx, param, value: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,6})\s*[xX]\s*(\d{1,6})\s*", value)
    if not match:
        raise click.BadParameter(f"{value!r}: give COLSxROWS, e.g. 200x60")
    cols, rows = int(match[1]), int(match[2])
    if not (1 <= cols <= MAX_COLS and 1 <= rows <= MAX_ROWS):
        raise click.BadParameter(f"{value}: at most {MAX_COLS}x{MAX_ROWS} cells")
    return cols, rows


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Any other than a loopback one (0.0.0.0: every address of this "
                   "machine) turns classroom mode on. There is no password: anyone who can reach the port "
                   "gets a tab.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The port.")
@click.option("--preset", "-p", metavar="NAME|FILE",
              help="The preset each browser tab opens (see `nntui presets`). Default: xor.")
@click.option("--classroom", is_flag=True,
              help="Classroom mode on a loopback --host too: tabs open only the built-in lessons and the "
                   "--presets folder, and save only into a folder of their own under --saves.")
@click.option("--presets", "presets_dir", metavar="DIR",
              type=click.Path(exists=True, file_okay=False, dir_okay=True),
              help="Classroom mode: the folder of your own presets the tabs may open (its *.toml files), "
                   "besides the built-in lessons. Implies --classroom.")
@click.option("--saves", "saves_dir", metavar="DIR", type=click.Path(file_okay=False, dir_okay=True),
              help="Classroom mode: the folder under which each tab gets its own folder for saves "
                   "(tab-0001, ...). Default: a fresh temporary folder, printed at start. Implies --classroom.")
@click.option("--allow-host", "allow_hosts", metavar="NAME", multiple=True,
              help="A name this server answers to besides its bind address, localhost, this machine's "
                   "host names and the address a browser reached (e.g. a DNS name given to the class). "
                   "Repeatable.")
@click.option("--max-sessions", type=click.IntRange(1, 200), default=_sessions_default(), show_default=True,
              help="Tabs (app processes) at once; the default is 4 per core, at most 40.")
@click.option("--max-per-client", type=click.IntRange(1, 200), default=4, show_default=True,
              help="Tabs at once from one client address.")
@click.option("--max-terminal", metavar="COLSxROWS", default=f"{MAX_COLS}x{MAX_ROWS}", show_default=True,
              callback=_terminal, help=f"The largest terminal a tab gets (at most {MAX_COLS}x{MAX_ROWS}).")
@click.option("--max-input", type=click.IntRange(16, 1_000_000), default=4096, show_default=True,
              help="Characters of one input message (a paste) passed to the app; the rest is dropped.")
@click.option("--app-memory", type=click.IntRange(256, 1_000_000), default=1024, show_default=True,
              metavar="MB", help="Memory (address space) of each tab's app, in MB; an app uses about 400.")
@click.option("--cpu-after-close", type=click.FloatRange(0, 60), default=2.0, show_default=True,
              metavar="SECONDS", help="CPU an app may still use once its tab has closed (it ends within 5 s "
                                      "anyway).")
def serve_command(host: str, port: int, preset: str | None, classroom: bool, presets_dir: str | None,
                  saves_dir: str | None, allow_hosts: tuple[str, ...], max_sessions: int, max_per_client: int,
                  max_terminal: tuple[int, int], max_input: int, app_memory: int,
                  cpu_after_close: float) -> None:
    """Serve the app to web browsers (textual-serve): open
    http://127.0.0.1:8000/ and each tab runs its own app, ended when the tab
    closes. Listens on 127.0.0.1 only, unless --host says otherwise.

    For a class: `nntui serve --host 0.0.0.0 --presets lessons/` and give the
    students the address it prints.
    """
    import importlib.util

    if importlib.util.find_spec("textual_serve") is None:
        raise UserError('nntui serve needs textual-serve: pip install "nntui[serve]"')
    if preset is not None:
        common.load(preset)  # a bad preset is refused here, not in each tab
    from nntui.serve.guard import is_loopback
    from nntui.serve.limits import Limits
    from nntui.serve.server import Classroom, check_bind, serve

    problem = check_bind(host, port)
    if problem is not None:
        raise UserError(problem)
    room = None
    if classroom or presets_dir or saves_dir or not is_loopback(host):
        try:
            room = Classroom.start(saves_dir, presets_dir)
        except OSError as e:
            raise UserError(f"--saves {saves_dir}: cannot make the folder ({e.strerror})") from None
    cols, rows = max_terminal
    limits = Limits(sessions=max_sessions, per_client=max_per_client, cols=cols, rows=rows,
                    input_chars=max_input, memory_mb=app_memory, cpu_after_close=cpu_after_close)
    serve(host, port, preset, limits=limits, classroom=room, allow_hosts=allow_hosts)
