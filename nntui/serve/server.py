"""`nntui serve`: the app in a web browser, through textual-serve.

textual-serve runs one web server; each browser tab that opens its page gets
its own app process (`python -m nntui --preset ...`), wired to the tab's
terminal over a websocket, and ended when the tab closes.

This module imports textual-serve (an optional extra, `nntui[serve]`) at the
top: `nntui.cli` imports it only inside the `serve` command, after checking
that textual-serve is installed.

Two guards on top of textual-serve's own server, which checks neither:
- the websocket (which starts an app process and types into it) is refused
  unless the page that opens it was served by this server (its Origin is the
  server's own address), so a web page in another tab cannot start nntui;
- bound to a loopback address, the server answers only requests addressed to
  a loopback name (127.0.0.1, localhost, [::1]), which defeats DNS rebinding.
Bound to another address (--host 0.0.0.0), anyone who can reach the port can
open a tab: there is no authentication.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shlex
import socket
import sys
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def app_command(preset: str | None) -> str:
    """The shell command textual-serve runs for each tab: this Python, this nntui.

    A built-in preset's name is passed as is; a file's path is made absolute,
    so the app finds it whatever its working folder.
    """
    argv = [sys.executable, "-m", "nntui"]
    if preset is not None:
        from nntui.experiment.presets import PRESET_DIR

        builtin = ("/" not in preset and os.sep not in preset and not preset.endswith(".toml")
                   and (PRESET_DIR / f"{preset}.toml").is_file())
        argv += ["--preset", preset if builtin else os.path.abspath(preset)]
    return shlex.join(argv)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1, localhost and the like: reachable from this machine only."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _hostname(netloc: str) -> str:
    """"127.0.0.1:8000" -> "127.0.0.1"; "[::1]:8000" -> "::1"."""
    return (urlsplit(f"//{netloc}").hostname or "").lower()


class NNTuiServer(Server):
    """textual-serve's Server with the two guards above, and links that follow
    the address the browser used (so a server bound to 0.0.0.0 hands a remote
    browser a websocket address it can reach, not ws://0.0.0.0)."""

    def __init__(self, command: str, host: str, port: int) -> None:
        super().__init__(command, host=host, port=port, title="nntui")
        self.loopback_only = is_loopback(host)
        self._sessions: set[asyncio.Task] = set()

    def _refused(self, request: web.Request) -> str | None:
        """Why the request is refused, or None."""
        if self.loopback_only and not is_loopback(_hostname(request.host)):
            return "this server answers only requests addressed to 127.0.0.1 or localhost"
        return None

    async def handle_index(self, request: web.Request):
        if (why := self._refused(request)) is not None:
            raise web.HTTPForbidden(text=why)
        # The page's links (static files, the websocket) follow the address the browser used.
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if (why := self._refused(request)) is not None:
            raise web.HTTPForbidden(text=why)
        origin = request.headers.get("Origin")
        if origin is None or urlsplit(origin).netloc.lower() != request.host.lower():
            raise web.HTTPForbidden(text="the app's websocket opens only from the page this server serves")
        task = asyncio.current_task()
        self._sessions.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            self._sessions.discard(task)

    async def on_shutdown(self, app: web.Application) -> None:
        """Ctrl+C ends every open tab's session, which tells its app to quit and
        waits for it: textual-serve alone leaves them open, and aiohttp then
        waits up to a minute for them before it stops."""
        for task in list(self._sessions):
            task.cancel()
        if self._sessions:
            await asyncio.wait(self._sessions, timeout=10)

    async def on_startup(self, app: web.Application) -> None:
        wildcard = self.host in ("0.0.0.0", "::", "")
        shown = "127.0.0.1" if wildcard else self.host
        url = f"http://{f'[{shown}]' if ':' in shown else shown}:{self.port}/"
        elsewhere = " here, or this machine's address from elsewhere" if wildcard else ""
        self.console.print(f"nntui: serving the app on {url}{elsewhere} (each browser tab runs its own app); "
                           "Ctrl+C stops", highlight=False, soft_wrap=True)
        if not self.loopback_only:
            self.console.print(f"nntui: warning: listening on {self.host}: anyone who can reach port {self.port} "
                               "gets an nntui process running as you, with no password", highlight=False,
                               soft_wrap=True)


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


def serve(host: str, port: int, preset: str | None) -> None:
    """Serve the app until Ctrl+C (or SIGTERM)."""
    NNTuiServer(app_command(preset), host=host, port=port).serve()
