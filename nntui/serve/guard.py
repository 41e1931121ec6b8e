"""Which requests the server answers: the Host and Origin checks.

DNS rebinding: a web page a student opens (evil.example) can make its own
name resolve to the classroom server's address, then drive the server from the
student's browser as a page of the same site. Its requests still carry
`Host: evil.example`; so the server answers only requests addressed to one of
its own names, on every bind (loopback or not): the bind address, localhost,
the machine's host names, the address the connection reached, and any name
given with --allow-host.

The websocket (which starts an app and types into it) must also come from a
page this server served: its Origin must have the request's scheme, host and
port.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp import web

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1, localhost and the like: reachable from this machine only."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def own_names(bind: str, allow: tuple[str, ...] = ()) -> frozenset[str]:
    """The host names this server answers to (besides the address each connection reached)."""
    names = {bind, "localhost", *allow}
    try:
        hostname = socket.gethostname()
        names |= {hostname, socket.getfqdn(hostname)}
    except OSError:
        pass
    return frozenset(_plain(n) for n in names if n)


def _plain(name: str) -> str:
    return name.strip().strip("[]").rstrip(".").lower()


def split_host(netloc: str) -> tuple[str, int | None] | None:
    """"127.0.0.1:8000" -> ("127.0.0.1", 8000); "[::1]" -> ("::1", None); None if malformed."""
    try:
        parts = urlsplit(f"//{netloc}")
        return _plain(parts.hostname or ""), parts.port
    except ValueError:
        return None


def refused_host(request: web.Request, names: frozenset[str]) -> str | None:
    """Why a request's Host is not one of this server's names, or None."""
    host = split_host(request.host or "")
    if host is None or not host[0]:
        return "a request needs a Host header naming this server"
    name = host[0]
    if name in names:
        return None
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if sockname and _plain(str(sockname[0])) == name:
        return None  # the very address the browser connected to
    return (f"this server does not answer to the name {name!r} (start it with --allow-host {name} "
            "if that is its name)")


def refused_origin(request: web.Request) -> str | None:
    """Why a websocket's Origin is not the page this server served, or None:
    its scheme, host and port must be the request's own."""
    origin = request.headers.get("Origin")
    refused = "the app's websocket opens only from the page this server serves"
    if not origin:
        return refused
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return refused
    host = split_host(request.host or "")
    if host is None:
        return refused
    scheme = request.scheme
    same = (parts.scheme == scheme and _plain(parts.hostname or "") == host[0]
            and (port or DEFAULT_PORTS.get(parts.scheme)) == (host[1] or DEFAULT_PORTS.get(scheme)))
    return None if same else refused
