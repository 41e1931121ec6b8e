"""One browser tab's app process, bounded and always ended.

textual-serve's AppService starts the app through a shell and ends it by
asking it to quit and waiting, forever if need be: an app that is busy, or
blocked writing a screen to a pipe nobody reads once the tab has gone, then
outlives the tab and the server. This subclass:
- starts the app itself (no shell) in a session of its own, with its memory
  bounded (RLIMIT_AS) and bound to die with the server;
- keeps reading the app's output after the tab has gone (and drops it), so an
  app blocked writing can go on and read its quit;
- on stop: a CPU budget (RLIMIT_CPU), the quit, then SIGTERM and SIGKILL to
  the app's whole process group, all within STOP_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import signal
from functools import partial

from textual_serve.app_service import AppService

from nntui.serve.limits import Limits, limit_child, limit_cpu

log = logging.getLogger("nntui.serve")

QUIT_SECONDS = 2.5  # for the app to quit when asked (it saves nothing: a tab's state lives in it)
TERM_SECONDS = 1.0  # then for SIGTERM, before SIGKILL
STOP_SECONDS = 5.0  # the most a tab's app outlives its connection
DELIVERY_BYTES = 64 * 2**20  # files a tab's app may hand its browser (screenshots), in all


class AppSession(AppService):
    def __init__(self, argv: list[str], *, env: dict[str, str], limits: Limits, **kwargs) -> None:
        super().__init__(shlex.join(argv), **kwargs)
        self.argv = argv
        self.extra_env = env
        self.limits = limits
        self.gone = False  # the tab has gone: the app's output is read and dropped
        self._stopped: asyncio.Future | None = None
        self.delivered = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = super()._build_environment(width, height)
        env.update(self.extra_env)
        return env

    async def _open_app_process(self, width: int = 80, height: int = 24):
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=environment, start_new_session=True,
            preexec_fn=partial(limit_child, self.limits.memory_mb),
        )
        self._stdin = process.stdin
        return process

    async def on_data(self, payload: bytes) -> None:
        if self.gone:
            return
        try:
            await self.remote_write_bytes(payload)
        except Exception:  # noqa: BLE001 - the connection closed under the write
            self.gone = True

    async def on_meta(self, data: bytes) -> None:
        if self.gone:
            return
        try:
            await super().on_meta(data)
        except Exception:  # noqa: BLE001 - a closed connection, or a meta packet this server does not know
            self.gone = True

    async def on_packed(self, payload: bytes) -> None:
        """A file the app delivers to the browser (Textual's screenshot): held
        in the server's memory until downloaded, so bounded per tab."""
        self.delivered += len(payload)
        if not self.gone and self.delivered <= DELIVERY_BYTES:
            with contextlib.suppress(Exception):
                await super().on_packed(payload)

    async def stop(self) -> None:
        """End the app within STOP_SECONDS, whatever it is doing. Safe to call
        twice (textual-serve's handler does): the second waits for the first."""
        if self._stopped is not None:
            await asyncio.shield(self._stopped)
            return
        self._stopped = asyncio.get_running_loop().create_future()
        try:
            await self._stop()
        finally:
            self._stopped.set_result(None)

    async def _stop(self) -> None:
        self.gone = True
        process = self._process
        if process is None:
            return
        limit_cpu(process.pid, self.limits.cpu_after_close)
        with contextlib.suppress(Exception):
            await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        # A full stdin pipe (the app not reading) must not hold the stop up.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.send_meta({"type": "quit"}), 0.5)
        if not await self._exited(process, QUIT_SECONDS):
            self._signal(process, signal.SIGTERM)
            if not await self._exited(process, TERM_SECONDS):
                self._signal(process, signal.SIGKILL)
                await self._exited(process, 5.0)
        # The app is gone; its group too (anything it started).
        self._signal(process, signal.SIGKILL)
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 1.0)
            except (asyncio.TimeoutError, asyncio.CancelledError, Exception):  # noqa: BLE001
                self._task.cancel()
            self._task = None
        if self._stdin is not None:
            with contextlib.suppress(Exception):
                self._stdin.close()

    @staticmethod
    async def _exited(process, seconds: float) -> bool:
        try:
            await asyncio.wait_for(process.wait(), seconds)
            return True
        except asyncio.TimeoutError:
            return False

    @staticmethod
    def _signal(process, sig: int) -> None:
        """`sig` to the app's process group (it leads a session of its own)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
