"""`nntui serve`: the command's refusals, the server's guards, and the app in a
real browser (Debian's chromium driven by playwright's sync API).

The browser test starts `nntui serve --port P` in a subprocess (its own session,
killed in a `finally`), opens http://127.0.0.1:P/ in headless chromium with
every request to another host aborted, and checks that:
- the page loads and the app draws: the app's own text reaches the terminal
  (read from the websocket's frames, ANSI codes stripped) and the canvas is no
  longer blank (screenshots);
- `n` changes the screen: new text arrives ("next forward 2") and the
  screenshot differs;
- each tab runs its own app process, and closing a tab ends that process;
- stopping the server (SIGTERM, as Ctrl+C) with a tab open ends it and that tab's app.
Without chromium, playwright or textual-serve it is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import importlib.util
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


# --- the app in a browser ---------------------------------------------------------------


ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])")


class Tab:
    """A browser tab on the server, and the text its terminal has received."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1600, "height": 1000})
        self.received: list[bytes] = []
        self.page.route("**/*", _local_only)
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


def _local_only(route) -> None:
    """Network only on 127.0.0.1: the page also asks for a web font, which is refused."""
    if route.request.url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:")):
        route.continue_()
    else:
        route.abort()


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
def _server():
    """`nntui serve --port P` in its own session, its output in a file; killed, with
    its apps, whatever happens."""
    port = _free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "nntui", "serve", "--port", str(port)],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None:
                log.seek(0)
                raise AssertionError(f"nntui serve ended: {log.read().decode(errors='replace')}")
            if time.monotonic() > deadline:
                raise AssertionError("nntui serve did not listen within 20 s")
            time.sleep(0.1)
        yield port, proc
    finally:
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

