"""`nntui serve`: the app in a web browser, through textual-serve.

textual-serve runs one web server; each browser tab that opens its page gets
its own app process (`python -m nntui --preset ...`), wired to the tab's
terminal over a websocket, and ended when the tab closes.

This module imports textual-serve (an optional extra, `nntui[serve]`) at the
top: `nntui.cli` imports it only inside the `serve` command, after checking
that textual-serve is installed.

On top of textual-serve's own server, which checks none of this:
- the Host and Origin checks of guard.py, on every bind;
- the bounds of limits.py: tabs at once, per client address, terminal size,
  input message size, each app's memory, and its CPU once its tab has gone;
- each app ended within 5 s of its tab closing, and every app when the server
  stops (session.py);
- classroom mode (any non-loopback --host, or --classroom): each tab's app is
  sandboxed (nntui/experiment/sandbox.py): it opens the built-in lessons and
  the teacher's --presets folder only, and saves into a folder of its own
  under --saves;
- the page from this server alone (templates/app_index.html): no web font or
  script from the internet, which a classroom may not have.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import shlex
import signal
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import WSMsgType, web
from textual_serve.server import Server

from nntui.experiment.sandbox import Sandbox
from nntui.serve.guard import is_loopback, own_names, refused_host, refused_origin
from nntui.serve.limits import Limits
from nntui.serve.session import STOP_SECONDS, AppSession

log = logging.getLogger("nntui.serve")

__all__ = ["Classroom", "NNTuiServer", "app_argv", "app_command", "check_bind", "is_loopback", "serve"]


def app_argv(preset: str | None) -> list[str]:
    """The command each tab's app runs: this Python, this nntui.

    A built-in preset's name is passed as is; a file's path is made absolute,
    so the app finds it whatever its working folder.
    """
    argv = [sys.executable, "-m", "nntui"]
    if preset is not None:
        from nntui.experiment.presets import PRESET_DIR

        builtin = ("/" not in preset and os.sep not in preset and not preset.endswith(".toml")
                   and (PRESET_DIR / f"{preset}.toml").is_file())
        argv += ["--preset", preset if builtin else os.path.abspath(preset)]
    return argv


def app_command(preset: str | None) -> str:
    """app_argv as one shell line (as printed)."""
    return shlex.join(app_argv(preset))


@dataclass
class Classroom:
    """Classroom mode: the teacher's presets folder, and the folder under
    which each tab gets its own for saves."""

    saves: Path
    presets: Path | None = None
    made_saves: bool = False  # a fresh temporary folder, not one the teacher named
    _tabs: int = field(default=0, repr=False)

    @classmethod
    def start(cls, saves: str | None, presets: str | None) -> Classroom:
        if saves is None:
            return cls(Path(tempfile.mkdtemp(prefix="nntui-class-")), _path(presets), made_saves=True)
        folder = Path(saves).expanduser().resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return cls(folder, _path(presets))

    def tab_sandbox(self) -> Sandbox:
        """A new tab's sandbox, with a new folder of its own (tab-0001, ...)."""
        while True:
            self._tabs += 1
            folder = self.saves / f"tab-{self._tabs:04d}"
            try:
                folder.mkdir(mode=0o755)
            except FileExistsError:  # a folder from an earlier class: kept, never shared
                continue
            return Sandbox(folder, self.presets)


def _path(text: str | None) -> Path | None:
    return Path(text).expanduser().resolve() if text else None


class NNTuiServer(Server):
    """textual-serve's Server with the guards, limits, cleanup and classroom
    mode above, and links that follow the address the browser used (so a
    server bound to 0.0.0.0 hands a remote browser a websocket address it can
    reach, not ws://0.0.0.0)."""

    def __init__(self, argv: list[str], host: str, port: int, *, limits: Limits | None = None,
                 classroom: Classroom | None = None, allow_hosts: tuple[str, ...] = ()) -> None:
        super().__init__(shlex.join(argv), host=host, port=port, title="nntui",
                         templates_path=Path(__file__).with_name("templates"))
        self.argv = argv
        self.limits = limits or Limits()
        self.classroom = classroom
        self.names = own_names(host, allow_hosts)
        self.loopback_only = is_loopback(host)
        self._sessions: dict[asyncio.Task, AppSession | None] = {}
        self._per_client: collections.Counter[str] = collections.Counter()

    # --- what is refused --------------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._host_check)  # every route: the page, its files, downloads
        return app

    @web.middleware
    async def _host_check(self, request: web.Request, handler):
        if (why := refused_host(request, self.names)) is not None:
            raise web.HTTPForbidden(text=why)
        return await handler(request)

    def _full(self, client: str) -> str | None:
        """Why a new tab from `client` is refused for now, or None."""
        if len(self._sessions) >= self.limits.sessions:
            return f"This server is full ({_tabs(self.limits.sessions)} at once). Try again later."
        if self._per_client[client] >= self.limits.per_client:
            return f"Your computer has {_tabs(self.limits.per_client)} open here already: close one first."
        return None

    # --- the page and its websocket -------------------------------------------------

    async def handle_index(self, request: web.Request):
        # The page's links (static files, the websocket) follow the address the browser used.
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if (why := refused_origin(request)) is not None:
            raise web.HTTPForbidden(text=why)
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=self.limits.message_bytes)
        client = request.remote or "?"
        full = self._full(client)
        task = asyncio.current_task()
        if full is None:  # counted before any await: two tabs at once cannot both take the last place
            self._sessions[task] = None
            self._per_client[client] += 1
        try:
            await websocket.prepare(request)
            if full is not None:
                await websocket.close(code=1013, message=full.encode()[:123])  # 1013: try again later
                return websocket
            await self._run_app(request, websocket, task)
        except asyncio.CancelledError:
            pass
        finally:
            if full is None:
                self._sessions.pop(task, None)
                self._per_client[client] -= 1
                if self._per_client[client] <= 0:
                    del self._per_client[client]
        return websocket

    async def _run_app(self, request: web.Request, websocket: web.WebSocketResponse, task: asyncio.Task) -> None:
        width, height = self.limits.size(_int(request.query.get("width"), 80), _int(request.query.get("height"), 24))
        env = self.classroom.tab_sandbox().environ() if self.classroom else {}
        session = AppSession(self.argv, env=env, limits=self.limits, write_bytes=websocket.send_bytes,
                             write_str=websocket.send_str, close=websocket.close,
                             download_manager=self.download_manager, debug=self.debug)
        self._sessions[task] = session
        try:
            await session.start(width, height)
            await self._process_messages(websocket, session)
        except asyncio.CancelledError:
            pass
        except Exception as error:  # noqa: BLE001 - one tab's failure is logged, the server goes on
            log.exception(error)
        finally:
            # Shielded: a second cancellation (the server stopping) must not leave the app running.
            await asyncio.shield(session.stop())
            with contextlib.suppress(Exception):
                await websocket.close()

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppSession) -> None:
        """The browser's messages, bounded: input cut at --max-input
        characters, the terminal at --max-terminal; anything malformed ignored."""
        limits = self.limits
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
                kind, data = envelope[0], envelope[1]
            except (ValueError, TypeError, IndexError, KeyError):
                continue
            if kind == "stdin" and isinstance(data, str):
                await app_service.send_bytes(limits.cut(data).encode("utf-8", "replace"))
            elif kind == "resize" and isinstance(data, dict):
                width, height = limits.size(_int(data.get("width"), 80), _int(data.get("height"), 24))
                await app_service.set_terminal_size(width, height)
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()

    def app_pids(self) -> list[int]:
        return [s.pid for s in self._sessions.values() if s is not None and s.pid is not None]

    # --- start and stop -----------------------------------------------------------------

    async def on_shutdown(self, app: web.Application) -> None:
        """Ctrl+C ends every open tab's session, which ends its app within
        STOP_SECONDS; any app still there then is killed. textual-serve alone
        leaves them open, and aiohttp then waits up to a minute before it stops."""
        pids = self.app_pids()
        for task in list(self._sessions):
            task.cancel()
        if self._sessions:
            await asyncio.wait(list(self._sessions), timeout=STOP_SECONDS + 1)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    async def on_startup(self, app: web.Application) -> None:
        for line in self.banner():
            self.console.print(line, highlight=False, soft_wrap=True, markup=False)

    def banner(self) -> list[str]:
        """What the teacher reads at start: the URL to give, the mode, the limits."""
        wildcard = self.host in ("0.0.0.0", "::", "")
        shown = _lan_address() if wildcard else self.host
        url = f"http://{f'[{shown}]' if ':' in shown else shown}:{self.port}/"
        lines = []
        if self.classroom is None:
            lines.append(f"nntui: serving the app on {url} (each browser tab runs its own app); Ctrl+C stops")
        else:
            room = self.classroom
            lines.append(f"nntui: classroom mode: give the class {url} (each browser tab runs its own app); "
                         "Ctrl+C stops")
            folder = (f"the presets in {room.presets}" if room.presets
                      else "no other presets (--presets DIR adds a folder's)")
            lines.append(f"nntui: tabs open the built-in lessons and {folder}")
            made = "a fresh temporary folder, " if room.made_saves else ""
            lines.append(f"nntui: each tab saves into its own folder under {room.saves} ({made}kept after the "
                         "server stops)")
        lines.append(f"nntui: limits: {self.limits.describe()}")
        names = ", ".join(sorted(self.names - {"0.0.0.0", "::"}))
        lines.append(f"nntui: answers requests addressed to {names} or the address reached "
                     "(--allow-host NAME adds one)")
        if not self.loopback_only:
            lines.append(f"nntui: warning: listening on {self.host}: anyone who can reach port {self.port} "
                         "gets an nntui tab, with no password")
        return lines


def _tabs(n: int) -> str:
    return f"{n} tab{'s' * (n != 1)}"


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _lan_address() -> str:
    """This machine's address on its network (the one a route out would use);
    no packet is sent. 127.0.0.1 when there is no network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def check_bind(host: str, port: int) -> str | None:
    """Why (host, port) cannot be served, in one line, or None: checked before
    serving, so that a port in use or an unknown host is one clear error."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        return f"--host {host}: not an address of this machine ({e.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
        try:
            s.bind(address)
        except OSError as e:
            reason = e.strerror or str(e)
            return f"{host}:{port}: cannot listen there: {reason.lower()} (give another --port)"
    return None


def serve(host: str, port: int, preset: str | None, *, limits: Limits | None = None,
          classroom: Classroom | None = None, allow_hosts: tuple[str, ...] = ()) -> None:
    """Serve the app until Ctrl+C (or SIGTERM)."""
    NNTuiServer(app_argv(preset), host=host, port=port, limits=limits, classroom=classroom,
                allow_hosts=allow_hosts).serve()
