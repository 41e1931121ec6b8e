"""`nntui serve`: the command's refusals, the server's guards, classroom mode and
the limits (with aiohttp websocket clients, as the page's script is one), and the
app in a real browser (Debian's chromium driven by playwright's sync API).

The classroom tests bind 127.0.0.2 with --classroom, which the server treats as a
non-loopback bind (classroom mode, the same Host and Origin checks); only
loopback addresses are used. Apps are checked through /proc (their environment,
limits, kernel wait channel and state), never psutil.

The browser test starts `nntui serve --port P` in a subprocess (its own session,
killed in a `finally`), opens http://127.0.0.1:P/ in headless chromium with
every request to another host aborted, and checks that:
- the page loads and the app draws, with nothing fetched beyond the server
  (no web font from the internet: the terminal's font is served locally): the app's own text reaches the terminal
  (read from the websocket's frames, ANSI codes stripped) and the canvas is no
  longer blank (screenshots);
- `n` changes the screen: new text arrives ("next forward 2") and the
  screenshot differs;
- each tab runs its own app process, and closing a tab ends that process;
- stopping the server (SIGTERM, as Ctrl+C) with a tab open ends it and that tab's app.
Without chromium, playwright or textual-serve it is skipped with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nntui.cli import main

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HAVE_SERVE = importlib.util.find_spec("textual_serve") is not None
needs_serve = pytest.mark.skipif(not HAVE_SERVE, reason='textual-serve is not installed (pip install "nntui[serve]")')


# --- the command, without a server ------------------------------------------------------


def test_without_textual_serve_it_says_how_to_install_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "textual_serve" else real(name, *a))
    result = CliRunner().invoke(main, ["serve", "--port", "8000"])
    assert result.exit_code == 2
    assert result.output.strip() == 'nntui: error: nntui serve needs textual-serve: pip install "nntui[serve]"'


@needs_serve
def test_a_bad_preset_is_refused_before_serving():
    result = CliRunner().invoke(main, ["serve", "--preset", "xro", "--port", str(_free_port())])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "unknown preset 'xro'" in lines[0] and "did you mean 'xor'" in lines[0]


@needs_serve
def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 2
    assert result.output.strip() == f"nntui: error: 127.0.0.1:{port}: cannot listen there: address already in use " \
                                    "(give another --port)"


@needs_serve
def test_the_command_each_tab_runs(tmp_path):
    from nntui.serve.server import app_command

    assert app_command(None).endswith("-m nntui")
    assert app_command("xor").endswith("-m nntui --preset xor")
    preset = tmp_path / "my net.toml"
    assert app_command(str(preset)).endswith(f"-m nntui --preset '{preset}'")


def test_loopback_is_the_default():
    serve = main.commands["serve"]
    host = next(p for p in serve.params if p.name == "host")
    assert host.default == "127.0.0.1"


# --- the server, without a browser -------------------------------------------------------


@needs_serve
def test_the_server_refuses_other_hosts_and_other_origins():
    """Bound to 127.0.0.1, a request addressed to another name (DNS rebinding)
    and a websocket opened from another site's page are refused: neither may
    start an app process. The page itself is served."""
    import aiohttp
    import asyncio

    with _server() as (port, proc):
        async def probe():
            base = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession() as http:
                async with http.get(base + "/") as r:
                    assert r.status == 200 and f"ws://127.0.0.1:{port}/ws" in await r.text()
                async with http.get(base + "/", headers={"Host": f"evil.example:{port}"}) as r:
                    assert r.status == 403
                for origin in ("http://evil.example", None):
                    headers = {"Origin": origin} if origin else {}
                    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                        await http.ws_connect(base + "/ws", headers=headers)
                    assert e.value.status == 403

        asyncio.run(asyncio.wait_for(probe(), 20))
        assert _apps(proc.pid) == []


# --- classroom mode and the limits, with websocket clients ------------------------------
#
# The "non-loopback" server of these tests is bound to 127.0.0.2 with --classroom,
# which the code treats exactly as a non-loopback --host (classroom mode, the same
# Host and Origin checks); only loopback addresses are used.

ROOM = "127.0.0.2"


class WsTab:
    """A websocket client as the page's script is one: it types, resizes, and
    gathers what the app draws as text (ANSI codes stripped)."""

    def __init__(self, ws):
        self.ws = ws
        self.received: list[bytes] = []
        self.reason = ""  # why the server closed the connection
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, http, port: int, *, host: str = ROOM, width: int = 120, height: int = 40,
                   origin: str | None = None, **kwargs) -> "WsTab":
        origin = origin or f"http://{host}:{port}"
        ws = await http.ws_connect(f"http://{host}:{port}/ws?width={width}&height={height}",
                                   headers={"Origin": origin}, max_msg_size=0, **kwargs)
        return cls(ws)

    async def _read(self) -> None:
        import aiohttp

        while True:
            message = await self.ws.receive()
            if message.type == aiohttp.WSMsgType.BINARY:
                self.received.append(message.data)
            elif message.type == aiohttp.WSMsgType.CLOSE:
                self.reason = message.extra or ""
            elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):
                return

    def text(self) -> str:
        return ANSI.sub("", b"".join(self.received).decode("utf-8", "replace"))

    async def wait_for(self, needle: str, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} never reached the tab; it got: {self.text()[-1500:]!r}")
            await asyncio.sleep(0.1)

    async def wait_closed(self, timeout: float = 20) -> int | None:
        await asyncio.wait_for(asyncio.shield(self.reader), timeout)
        return self.ws.close_code

    async def type(self, keys: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", keys]))

    async def close(self) -> None:
        await self.ws.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.reader, 10)


def _run(coro, timeout: float = 120):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@needs_serve
def test_a_forged_host_or_origin_is_refused_on_a_classroom_bind():
    """DNS rebinding (Host: evil.example, with its own Origin) and a websocket
    from another site's page, another port or scheme, are refused; the server's
    own names and --allow-host's are answered."""
    import aiohttp

    with _server("--classroom", "--allow-host", "nntui.school.example", host=ROOM) as (port, proc):
        async def probe():
            base = f"http://{ROOM}:{port}"
            async with aiohttp.ClientSession() as http:
                for name, status in ((f"evil.example:{port}", 403), (f"{ROOM}:{port}", 200),
                                     (f"localhost:{port}", 200), (f"nntui.school.example:{port}", 200),
                                     (f"{ROOM}.evil.example:{port}", 403), ("", 403)):
                    for path, found in (("/", 200), ("/static/js/textual.js", 200), ("/download/x", 404)):
                        async with http.get(base + path, headers={"Host": name}) as r:
                            assert r.status == (status if status == 403 else found), (name, path)
                forged = [({"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}),
                          ({"Origin": "http://evil.example"}), ({"Origin": f"http://{ROOM}:{port + 1}"}),
                          ({"Origin": f"https://{ROOM}:{port}"}), ({"Origin": "null"}), ({})]
                for headers in forged:
                    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                        await http.ws_connect(base + "/ws", headers=headers)
                    assert e.value.status == 403, headers
                assert _apps(proc.pid) == []
                tab = await WsTab.open(http, port, host=ROOM)  # the page's own origin: an app
                await tab.wait_for("XOR needs a hidden layer")
                await tab.close()

        _run(probe())
        proc.log.seek(0)
        banner = proc.log.read().decode()
    assert f"classroom mode: give the class http://{ROOM}:{port}/" in banner
    assert "limits: " in banner and "tabs at once (--max-sessions)" in banner


@needs_serve
def test_no_more_tabs_than_the_limits():
    """--max-sessions 3 --max-per-client 2: a third tab from one address is
    refused, and a fourth from anywhere; the tab is told why; no app starts."""
    import aiohttp

    with _server("--classroom", "--max-sessions", "3", "--max-per-client", "2", host=ROOM) as (port, proc):
        async def probe():
            async with aiohttp.ClientSession() as one, \
                    aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.3", 0))) as two, \
                    aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.4", 0))) as three:
                tabs = [await WsTab.open(one, port), await WsTab.open(one, port)]
                third = await WsTab.open(one, port)
                assert await third.wait_closed() == 1013
                assert third.reason == "Your computer has 2 tabs open here already: close one first."
                tabs.append(await WsTab.open(two, port))
                fourth = await WsTab.open(three, port)
                assert await fourth.wait_closed() == 1013
                assert fourth.reason == "This server is full (3 tabs at once). Try again later."
                for tab in tabs:
                    await tab.wait_for("XOR needs a hidden layer")
                assert len(_apps(proc.pid)) == 3
                await tabs[0].close()
                _wait_for_apps(proc.pid, 2)
                again = await WsTab.open(three, port)  # a place is free again, once the app is reaped
                deadline = time.monotonic() + 10
                while await _refused_soon(again):
                    assert time.monotonic() < deadline, f"no place freed: {again.reason}"
                    await asyncio.sleep(0.2)
                    again = await WsTab.open(three, port)
                await again.wait_for("XOR needs a hidden layer")
                assert len(_apps(proc.pid)) == 3
                for tab in (*tabs[1:], again):
                    await tab.close()

        _run(probe(), 180)


@needs_serve
def test_a_huge_terminal_or_message_cannot_grow_an_app():
    """A tab asking for 6000x3000 cells gets 400x200; each app's address space
    is bounded (RLIMIT_AS); a paste over --max-input is cut; a message too large
    to be an input closes the connection, and its app ends."""
    import aiohttp

    with _server("--classroom", "--app-memory", "900", host=ROOM) as (port, proc):
        async def probe():
            async with aiohttp.ClientSession() as http:
                tab = await WsTab.open(http, port, width=6000, height=3000)
                await tab.wait_for("XOR needs a hidden layer")
                (app,) = _apps(proc.pid)
                env = dict(e.split(b"=", 1) for e in Path(f"/proc/{app}/environ").read_bytes().split(b"\0") if b"=" in e)
                assert (env[b"COLUMNS"], env[b"ROWS"]) == (b"400", b"200")
                limits = Path(f"/proc/{app}/limits").read_text()
                assert re.search(r"Max address space\s+943718400\s+943718400", limits)
                await tab.ws.send_str(json.dumps(["resize", {"width": 10**9, "height": 10**9}]))
                await tab.type("x" * 40_000)  # within a message's bytes, over --max-input: cut
                await tab.ws.send_str(json.dumps(["stdin", "n"]))
                await asyncio.sleep(3)
                assert _alive(app)
                assert _vm_peak(app) <= 900 * 2**20
                await tab.ws.send_str(json.dumps(["stdin", "x" * 3_000_000]))  # 3 MB: refused whole
                assert await tab.wait_closed() == 1009  # message too big
                _wait_ended(app, "the tab's app outlived a refused message", timeout=6)

        _run(probe())


@needs_serve
def test_an_app_blocked_writing_ends_within_5_s_of_its_tab_closing():
    """A client that stops reading while the app draws a 400x200 screen, then
    drops its connection: the app, blocked writing to a full pipe, ends."""
    import aiohttp

    with _server("--classroom", host=ROOM) as (port, proc):
        async def probe():
            async with aiohttp.ClientSession() as http:
                ws = await http.ws_connect(f"http://{ROOM}:{port}/ws?width=400&height=200",
                                           headers={"Origin": f"http://{ROOM}:{port}"})
                (app,) = _wait_for_apps(proc.pid, 1)
                await asyncio.sleep(2)
                await ws.send_str(json.dumps(["stdin", " "]))  # play: the app draws without end
                deadline = time.monotonic() + 30
                while not any("pipe_write" in w for w in _wchans(app)):  # never read: its pipe fills
                    assert time.monotonic() < deadline, f"the app never blocked writing: {_wchans(app)}"
                    await asyncio.sleep(0.2)
                ws._response.connection.transport.abort()  # the tab is gone, without a goodbye
                closed = time.monotonic()
                while _alive(app) and time.monotonic() - closed < 10:
                    await asyncio.sleep(0.05)
                assert not _alive(app), "the app outlived its tab by 10 s"
                assert time.monotonic() - closed <= 5.5, "the app outlived its tab by more than 5 s"

        _run(probe())


@needs_serve
def test_every_app_ends_when_the_server_stops_or_dies():
    """SIGTERM (as Ctrl+C) ends every app, one of them blocked writing; a server
    killed outright (SIGKILL, no cleanup) takes its apps with it."""
    import aiohttp

    for how in (signal.SIGTERM, signal.SIGKILL):
        with _server("--classroom", host=ROOM) as (port, proc):
            async def probe():
                async with aiohttp.ClientSession() as http:
                    busy = await http.ws_connect(f"http://{ROOM}:{port}/ws?width=400&height=200",
                                                 headers={"Origin": f"http://{ROOM}:{port}"})
                    tab = await WsTab.open(http, port)
                    await tab.wait_for("XOR needs a hidden layer")
                    await busy.send_str(json.dumps(["stdin", " "]))
                    apps = _wait_for_apps(proc.pid, 2)
                    await asyncio.sleep(2)
                    proc.send_signal(how)
                    deadline = time.monotonic() + 15
                    while any(_alive(a) for a in apps):
                        assert time.monotonic() < deadline, f"{how.name}: apps left running"
                        await asyncio.sleep(0.1)
                    return apps

            _run(probe())
            code = proc.wait(timeout=15)
            assert code == (0 if how == signal.SIGTERM else -signal.SIGKILL)


@needs_serve
def test_a_classroom_tab_saves_only_in_its_folder_and_opens_only_the_lessons(tmp_path):
    """Through the app's own keys (ctrl+s, o) in a served tab: a save typed to
    a path outside lands in the tab's folder under the name typed, never over
    a file; a preset outside the teacher's folder is refused without a word of
    its content; the teacher's preset opens."""
    import aiohttp

    presets, saves, outside = tmp_path / "lessons", tmp_path / "saves", tmp_path / "outside"
    for folder in (presets, saves, outside):
        folder.mkdir()
    (presets / "week3.toml").write_text('title = "Week three lesson"\n[data]\ndataset = "circle"\n'
                                        '[model]\nlayers = [2, 4, 1]\n')
    (outside / "secret.toml").write_text('title = "SECRET-OUTSIDE-TITLE"\n[data]\ndataset = "xor"\n'
                                         '[model]\nlayers = [2, 2, 1]\n')

    with _server("--classroom", "--presets", str(presets), "--saves", str(saves), host=ROOM) as (port, proc):
        async def probe():
            async with aiohttp.ClientSession() as http:
                tab = await WsTab.open(http, port, width=160, height=48)
                await tab.wait_for("XOR needs a hidden layer")
                folder = saves / "tab-0001"
                assert folder.is_dir()
                for n in (1, 2):  # the same name twice: the second is numbered, the first kept
                    await tab.type("\x13")  # ctrl+s
                    await tab.wait_for("Save the run")
                    for keys in ("\x15", str(outside / "evil.npz"), "\r"):  # ctrl+u, the path, enter
                        await tab.type(keys)
                        await asyncio.sleep(0.5)
                    await _wait_file(folder / ("evil.npz" if n == 1 else "evil-2.npz"))
                    await tab.wait_for("Saved to")
                    tab.received.clear()
                first = (folder / "evil.npz").read_bytes()
                assert first[:2] == b"PK" and (folder / "evil.npz").read_bytes() == first
                assert list(outside.iterdir()) == [outside / "secret.toml"]

                await tab.type("o")
                await tab.wait_for("week3.toml")  # the teacher's preset is in the picker
                for keys in ("\t", str(outside / "secret.toml"), "\r"):
                    await tab.type(keys)
                    await asyncio.sleep(0.5)
                await tab.wait_for("Cannot open this preset")
                await tab.wait_for("classroom opens only its lessons, by name")  # the line wraps before it
                await asyncio.sleep(1)
                assert "SECRET-OUTSIDE-TITLE" not in tab.text()
                await tab.type("\x1b")  # the error closes
                await asyncio.sleep(1)
                await tab.type("o")
                await tab.wait_for("Open a preset")
                for keys in ("\t", "week3.toml", "\r"):
                    await tab.type(keys)
                    await asyncio.sleep(0.5)
                await tab.wait_for("Opened Week three lesson")
                await tab.close()

        _run(probe(), 150)


async def _wait_file(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not (path.is_file() and path.stat().st_size > 0):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} was never saved; the folder has {sorted(path.parent.iterdir())}")
        await asyncio.sleep(0.1)


@needs_serve
def test_input_is_cut_and_the_terminal_bounded_before_the_app():
    """The server's message loop: stdin cut at --max-input characters, resize
    within --max-terminal, malformed messages ignored."""
    import aiohttp
    from types import SimpleNamespace

    from nntui.serve.limits import Limits
    from nntui.serve.server import NNTuiServer

    server = NNTuiServer(["true"], "127.0.0.1", 0, limits=Limits(input_chars=100, cols=300, rows=100))
    sent = []

    class App:
        async def send_bytes(self, data):
            sent.append(("stdin", data))

        async def set_terminal_size(self, w, h):
            sent.append(("resize", w, h))

    class Socket:
        def __init__(self, *texts):
            self.messages = [SimpleNamespace(type=aiohttp.WSMsgType.TEXT, data=t) for t in texts]

        def __aiter__(self):
            return self._iter()

        async def _iter(self):
            for m in self.messages:
                yield m

    texts = [json.dumps(["stdin", "é" * 1000]), json.dumps(["resize", {"width": 6000, "height": -5}]),
             "not json", json.dumps({"stdin": 1}), json.dumps(["stdin", 7]), json.dumps(["resize", "big"]),
             json.dumps(["resize", {"width": "1e9", "height": 10**30}])]
    asyncio.run(server._process_messages(Socket(*texts), App()))
    assert sent == [("stdin", "é".encode() * 100), ("resize", 300, 1), ("resize", 80, 100)]


@needs_serve
def test_files_a_tab_hands_its_browser_are_bounded(monkeypatch):
    """Screenshots wait in the server's memory until downloaded: a tab may hand
    over DELIVERY_BYTES in all, then its deliveries are dropped."""
    from textual_serve.app_service import AppService

    from nntui.serve import session
    from nntui.serve.limits import Limits

    passed = []

    async def record(self, payload):
        passed.append(len(payload))

    monkeypatch.setattr(AppService, "on_packed", record)
    monkeypatch.setattr(session, "DELIVERY_BYTES", 1000)
    tab = session.AppSession(["true"], env={}, limits=Limits(), write_bytes=None, write_str=None, close=None,
                             download_manager=None)
    for _ in range(5):
        asyncio.run(tab.on_packed(b"x" * 300))
    assert passed == [300, 300, 300]


@needs_serve
def test_an_app_whose_tab_has_gone_has_a_cpu_budget():
    """limit_cpu: a busy process given 1 s more of CPU is ended by the kernel
    (SIGXCPU, then SIGKILL), whatever it does."""
    from nntui.serve.limits import limit_cpu

    busy = subprocess.Popen([sys.executable, "-c", "import signal; signal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
                                                   "while True: pass"])
    try:
        time.sleep(0.5)
        limit_cpu(busy.pid, 1.0)
        assert re.search(r"Max cpu time\s+\d+\s+\d+", Path(f"/proc/{busy.pid}/limits").read_text())
        assert busy.wait(timeout=30) == -signal.SIGKILL
    finally:
        busy.kill()
        busy.wait()


@needs_serve
def test_what_the_teacher_reads_at_start(tmp_path):
    """The address to give the class (this machine's own on a wildcard bind,
    never 0.0.0.0), the folders, every limit with its flag; no server is bound."""
    from nntui.serve.limits import Limits
    from nntui.serve.server import Classroom, NNTuiServer, app_argv

    room = Classroom(tmp_path / "saves", tmp_path / "lessons", made_saves=True)
    lines = NNTuiServer(app_argv(None), "0.0.0.0", 8123, limits=Limits(sessions=12), classroom=room).banner()
    text = "\n".join(lines)
    assert re.match(r"nntui: classroom mode: give the class http://[\d.]+:8123/", lines[0])
    assert "0.0.0.0" not in lines[0] and "0.0.0.0," not in text
    assert f"the presets in {tmp_path / 'lessons'}" in text
    assert f"under {tmp_path / 'saves'} (a fresh temporary folder, kept after the server stops)" in text
    for flag in ("12 tabs at once (--max-sessions)", "--max-per-client", "400x200 cells (--max-terminal)",
                 "--max-input", "1024 MB of memory per app (--app-memory)", "--cpu-after-close"):
        assert flag in text
    assert "warning: listening on 0.0.0.0" in text
    plain = NNTuiServer(app_argv(None), "127.0.0.1", 8123).banner()
    assert plain[0].startswith("nntui: serving the app on http://127.0.0.1:8123/")
    assert not any("warning" in line or "classroom" in line for line in plain)


def test_a_cut_input_never_leaves_the_app_mid_sequence():
    from nntui.serve.limits import Limits

    limits = Limits(input_chars=20)
    assert limits.cut("abc") == "abc"
    assert limits.cut("x" * 50) == "x" * 20
    assert limits.cut("x" * 18 + "\x1b[A" * 5) == "x" * 18  # an arrow key split: dropped
    paste = "\x1b[200~" + "y" * 40 + "\x1b[201~"
    assert limits.cut(paste) == "\x1b[200~" + "y" * 14 + "\x1b[201~"  # closed, or the app stays pasting
    assert limits.cut("\x1b[200~ab\x1b[201~" + "z" * 30) == "\x1b[200~ab\x1b[201~" + "z" * 6


async def _refused_soon(tab: WsTab) -> bool:
    """True if the server closes the tab at once (no place for it yet)."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(tab.reader), 1)
    return tab.ws.close_code == 1013


def _wchans(pid: int) -> list[str]:
    """Where each of the process's threads waits in the kernel."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out.append((task / "wchan").read_text())
    return out


def _vm_peak(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmPeak:"):
            return int(line.split()[1]) * 1024
    return 0


# --- the app in a browser ---------------------------------------------------------------


ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])")


class Tab:
    """A browser tab on the server, and the text its terminal has received."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1600, "height": 1000})
        self.received: list[bytes] = []
        self.elsewhere: list[str] = []  # requests the page made beyond this server (refused)
        self.page.route("**/*", self._local_only)
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        self.page.goto(url, timeout=20_000)

    def _frame(self, payload) -> None:
        self.received.append(payload if isinstance(payload, bytes) else payload.encode())

    def text(self) -> str:
        """All the terminal has received, as text: the ANSI codes stripped (joined
        first, since a frame may end inside a code or a character)."""
        return ANSI.sub("", b"".join(self.received).decode("utf-8", "replace"))

    def wait_for_text(self, needle: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} never reached the terminal; it got: {self.text()[-2000:]!r}")
            self.page.wait_for_timeout(100)

    def screenshot(self) -> bytes:
        return self.page.locator("#terminal").screenshot(timeout=10_000)

    def press(self, key: str) -> None:
        self.page.focus("textarea.xterm-helper-textarea", timeout=10_000)
        self.page.keyboard.press(key)


    def _local_only(self, route) -> None:
        """Network only on 127.0.0.1, as in a classroom without internet."""
        if route.request.url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:")):
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort()

    def font_loaded(self) -> bool:
        """The terminal's font (Roboto Mono) came from this server and is in use."""
        return self.page.evaluate("""() => document.fonts.check('16px "Roboto Mono"')
            && [...document.fonts].some(f => f.family.includes('Roboto Mono') && f.status === 'loaded')""")


@needs_serve
def test_the_app_in_a_real_browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright)")

    with _server() as (port, proc), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            first = Tab(browser, f"http://127.0.0.1:{port}/")
            ws_url = first.page.get_attribute("#terminal", "data-session-websocket-url", timeout=10_000)
            assert ws_url == f"ws://127.0.0.1:{port}/ws"  # the page loaded, pointing at this server
            first.page.wait_for_selector("body.-first-byte", timeout=30_000)  # the app's first output
            first.wait_for_text("XOR needs a hidden layer")  # the title bar: the app drew
            first.wait_for_text("Press n to run one phase")  # the step inspector, at step 0
            assert _inked(first) > 10_000, "the terminal's canvas shows nothing"
            assert first.elsewhere == [], "the page fetched from beyond its server"
            assert first.font_loaded(), "the terminal's font was not served"
            before = _settled_screenshot(first)
            (app_one,) = _wait_for_apps(proc.pid, 1)

            first.press("n")
            first.wait_for_text("next forward 2", timeout=20)  # one phase on: forward 1 done
            assert _settled_screenshot(first) != before, "n did not change the screen"

            second = Tab(browser, f"http://127.0.0.1:{port}/")  # a tab of its own, its own app
            second.wait_for_text("XOR needs a hidden layer")
            apps = _wait_for_apps(proc.pid, 2)
            assert app_one in apps
            (app_two,) = set(apps) - {app_one}

            first.page.close()
            assert _wait_for_apps(proc.pid, 1) == [app_two], "closing the tab did not end its app"
            _wait_ended(app_one, "closing the tab did not end its app")

            proc.send_signal(signal.SIGTERM)  # as Ctrl+C: the server stops, and the open tab's app with it
            assert proc.wait(timeout=15) == 0
            _wait_ended(app_two, "the server stopped but left its app running")
        finally:
            browser.close()


def _inked(tab: Tab) -> int:
    """How many pixels of xterm's text canvas are drawn on (0 for a blank terminal)."""
    return tab.page.evaluate("""() => {
        const c = document.querySelector('canvas.xterm-text-layer');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
        return n;
    }""")


def _settled_screenshot(tab: Tab, timeout: float = 10) -> bytes:
    """A screenshot once two in a row agree (the app has finished drawing)."""
    deadline = time.monotonic() + timeout
    shot = tab.screenshot()
    while time.monotonic() < deadline:
        tab.page.wait_for_timeout(300)
        again = tab.screenshot()
        if again == shot:
            return shot
        shot = again
    return shot


# --- helpers ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _server(*args: str, host: str = "127.0.0.1"):
    """`nntui serve --host H --port P ARGS` in its own session, its output in a
    file; killed, with its apps, whatever happens."""
    port = _free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "nntui", "serve", "--host", host, "--port", str(port), *args],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log = log
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
                break
            if proc.poll() is not None:
                log.seek(0)
                raise AssertionError(f"nntui serve ended: {log.read().decode(errors='replace')}")
            if time.monotonic() > deadline:
                raise AssertionError("nntui serve did not listen within 20 s")
            time.sleep(0.1)
        yield port, proc
    finally:
        for app in _apps(proc.pid):  # each app leads a session of its own
            with contextlib.suppress(ProcessLookupError):
                os.killpg(app, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        log.close()


def _children() -> dict[int, list[int]]:
    """ppid -> pids, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _apps(server_pid: int) -> list[int]:
    """The app processes under the server: `python -m nntui` (through textual-serve's shell)."""
    tree, found, todo = _children(), [], [server_pid]
    while todo:
        for pid in tree.get(todo.pop(), []):
            todo.append(pid)
            with contextlib.suppress(OSError):
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z" and b"-m" in argv and b"nntui" in argv and os.path.basename(argv[0]).startswith(b"python"):
                    found.append(pid)
    return sorted(found)


def _wait_for_apps(server_pid: int, count: int, timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while len(apps := _apps(server_pid)) != count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} app processes, found {len(apps)}: {apps}")
        time.sleep(0.1)
    return apps


def _wait_ended(pid: int, why: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(OSError):
                why += f": {Path(f'/proc/{pid}/stat').read_text()}"
            raise AssertionError(why)
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"

