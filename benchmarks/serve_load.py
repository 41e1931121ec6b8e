"""`nntui serve` under a class: many tabs playing at once.

    python benchmarks/serve_load.py [--tabs 30] [--seconds 30] [--size 160x48]

Starts `nntui serve` on a free loopback port (with --max-sessions and
--max-per-client raised to --tabs), opens --tabs websocket clients as the
page's script does (one app each), and reports:

- first frame: seconds from each tab's connection to its first output, and to
  the app's title on screen (the app drawn), across tabs;
- frames per second per tab while every tab plays (space pressed), over
  --seconds: one frame is one websocket message of terminal output (the app
  sends one per screen update);
- memory per tab: each app's RSS and PSS (PSS shares the pages of Python and
  NumPy the apps have in common between them), and the server's own RSS;
- CPU: what the apps and the server used over the window, per frame, and from
  that how many tabs this machine holds at 10 frames per second each.

Every app and the server are ended at the end (and checked to be gone).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "XOR needs a hidden layer"
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
    return out


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB."""
    rss = pss = 0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


class Tab:
    def __init__(self) -> None:
        self.opened = 0.0
        self.first_byte: float | None = None
        self.drawn: float | None = None
        self.frames = 0
        self.bytes = 0
        self.text = b""

    async def run(self, http, url: str, origin: str, stop: asyncio.Event, counting: asyncio.Event) -> None:
        import aiohttp

        self.opened = time.monotonic()
        async with http.ws_connect(url, headers={"Origin": origin}, max_msg_size=0) as ws:
            self.ws = ws
            while not stop.is_set():
                message = await ws.receive()
                if message.type != aiohttp.WSMsgType.BINARY:
                    if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        return
                    continue
                now = time.monotonic()
                if self.first_byte is None:
                    self.first_byte = now
                if self.drawn is None:
                    self.text = (self.text + message.data)[-200_000:]
                    if TITLE.encode() in self.text:
                        self.drawn = now
                if counting.is_set():
                    self.frames += 1
                    self.bytes += len(message.data)

    async def press(self, keys: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", keys]))


async def load(port: int, tabs: int, seconds: float, cols: int, rows: int, server_pid: int) -> dict:
    import aiohttp

    url = f"http://127.0.0.1:{port}/ws?width={cols}&height={rows}"
    origin = f"http://127.0.0.1:{port}"
    stop, counting = asyncio.Event(), asyncio.Event()
    all_tabs = [Tab() for _ in range(tabs)]
    async with aiohttp.ClientSession() as http:
        started = time.monotonic()
        tasks = [asyncio.create_task(t.run(http, url, origin, stop, counting)) for t in all_tabs]
        deadline = started + 120
        while any(t.drawn is None for t in all_tabs):
            if time.monotonic() > deadline or all(task.done() for task in tasks):
                break
            await asyncio.sleep(0.1)
        all_drawn = time.monotonic() - started
        for t in all_tabs:
            if t.drawn is not None:
                await t.press(" ")  # play
        await asyncio.sleep(2)  # every tab playing
        apps = children(server_pid)
        before = {pid: cpu_seconds(pid) for pid in [server_pid, *apps]}
        counting.set()
        t0 = time.monotonic()
        await asyncio.sleep(seconds)
        counting.clear()
        window = time.monotonic() - t0
        used = {pid: cpu_seconds(pid) - c for pid, c in before.items()}
        memory = {pid: memory_kb(pid) for pid in apps}
        server_memory = memory_kb(server_pid)
        stop.set()
        for t in all_tabs:
            with contextlib.suppress(Exception):
                await t.ws.close()
        await asyncio.wait(tasks, timeout=15)
    return {"tabs": all_tabs, "window": window, "used": used, "memory": memory, "server_memory": server_memory,
            "apps": apps, "all_drawn": all_drawn}


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    if not values:
        return "-"
    values = sorted(values)
    return (f"median {fmt.format(statistics.median(values))}, min {fmt.format(values[0])}, "
            f"max {fmt.format(values[-1])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tabs", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=30.0, help="the measured window, every tab playing")
    parser.add_argument("--size", default="160x48", help="each tab's terminal, COLSxROWS")
    args = parser.parse_args()
    cols, rows = (int(n) for n in args.size.lower().split("x"))

    port = free_port()
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "nntui", "serve", "--port", str(port), "--max-sessions", str(args.tabs),
         "--max-per-client", str(args.tabs)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline or server.poll() is not None:
                log.seek(0)
                sys.exit(f"the server did not start: {log.read().decode(errors='replace')}")
            time.sleep(0.1)
        load_before = os.getloadavg()
        r = asyncio.run(load(port, args.tabs, args.seconds, cols, rows, server.pid))
        apps = r["apps"]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    left = [pid for pid in r["apps"] if Path(f"/proc/{pid}").exists()
            and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]

    tabs = r["tabs"]
    drawn = [t for t in tabs if t.drawn is not None]
    window = r["window"]
    fps = [t.frames / window for t in tabs]
    app_cpu = sum(c for pid, c in r["used"].items() if pid != server.pid)
    server_cpu = r["used"].get(server.pid, 0.0)
    frames = sum(t.frames for t in tabs)
    cores = os.cpu_count() or 1
    cpu_per_frame = (app_cpu + server_cpu) / frames if frames else float("nan")
    holds = cores / (10 * cpu_per_frame) if frames else float("nan")
    rss = [m[0] / 1024 for m in r["memory"].values()]
    pss = [m[1] / 1024 for m in r["memory"].values()]

    print(f"nntui serve, {args.tabs} tabs at {cols}x{rows}, xor playing; {cores} cores, load before "
          f"{load_before[0]:.2f}; measured over {window:.1f} s")
    print(f"  apps running: {len(apps)}; tabs drawn: {len(drawn)}/{len(tabs)} "
          f"(all within {r['all_drawn']:.1f} s of opening them together)")
    print(f"  first output, s after connecting: {spread([t.first_byte - t.opened for t in tabs if t.first_byte])}")
    print(f"  app drawn (title on screen), s:   {spread([t.drawn - t.opened for t in drawn])}")
    print(f"  frames per second per tab:        {spread(fps)}; total {frames / window:.1f}/s; "
          f"{statistics.mean([t.bytes for t in tabs]) / window / 1024:.0f} KB/s per tab")
    print(f"  memory per app, MB: RSS {spread(rss, '{:.0f}')}; PSS {spread(pss, '{:.0f}')}; "
          f"server RSS {r['server_memory'][0] / 1024:.0f} MB")
    print(f"  CPU over the window: apps {app_cpu:.1f} s, server {server_cpu:.1f} s, of {cores * window:.0f} "
          f"core-seconds; {1000 * cpu_per_frame:.1f} ms of CPU per frame")
    print(f"  => at 10 frames/s each this machine holds about {holds:.0f} tabs "
          f"({cores} cores / (10 frames/s x {1000 * cpu_per_frame:.1f} ms))")
    print(f"  apps left running after the server stopped: {len(left)}")


if __name__ == "__main__":
    main()
