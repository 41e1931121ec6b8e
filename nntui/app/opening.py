"""Opening a preset (o, the picker, < and >) without blocking the screen.

The preset is read, checked and built in a thread (a large CSV takes
seconds); the current experiment goes on meanwhile, escape cancels, and an
opening that takes longer than OPEN_TIMEOUT is given up. A newer opening
replaces an older one, whose result is then dropped.
"""

from __future__ import annotations

import asyncio
import traceback
from typing import TYPE_CHECKING

from textual.worker import Worker, get_current_worker

from nntui.engine.trainer import Trainer
from nntui.experiment.config import ConfigError
from nntui.experiment import sandbox

if TYPE_CHECKING:
    from nntui.app.main_screen import MainScreen

OPEN_TIMEOUT = 120.0  # seconds an opening may take (a 200 MB CSV takes about 20)


class Opener:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.worker: Worker | None = None  # the opening under way, if any
        self.name: str | None = None
        self.progress: float | None = None  # how far a large CSV being opened has been read
        self.failure: tuple | None = None  # why the last opening was refused: (title, message, details)

    @property
    def busy(self) -> bool:
        return self.worker is not None and self.worker.is_running

    def open(self, name_or_path: str | None) -> None:
        if not name_or_path:
            return
        if self.worker is not None:
            self.worker.cancel()
        screen = self.screen
        self.name, self.progress = str(name_or_path), None
        worker = self.worker = screen.run_worker(lambda: self._read(name_or_path), thread=True,
                                                 exclusive=False, exit_on_error=False, group="open")

        def slow() -> None:
            if worker is self.worker and worker.is_running:
                screen.notify(f"Opening {name_or_path}… (escape cancels)", timeout=3)

        def show_progress() -> None:  # a large CSV reports how far its reading has got
            screen.update_hint()
            if worker is self.worker and worker.is_running:
                screen.set_timer(0.25, show_progress)

        def too_slow() -> None:
            if worker is self.worker and worker.is_running:
                worker.cancel()
                self.worker = None
                screen.show_error("Cannot open this preset",
                                  f"{name_or_path}: took longer than {OPEN_TIMEOUT:.0f} s; given up")

        screen.set_timer(0.5, slow)
        screen.set_timer(0.1, show_progress)
        screen.set_timer(OPEN_TIMEOUT, too_slow)

    def cancel(self) -> bool:
        """Escape: drop the opening under way (its result, when it comes). False if there is none."""
        if not self.busy:
            return False
        self.worker.cancel()
        self.worker = None
        self.screen.notify("Opening cancelled; the current experiment goes on.", timeout=3)
        self.screen.update_hint()
        return True

    def _read(self, name_or_path: str) -> None:
        from nntui.engine.datasets import csv_progress

        worker = get_current_worker()

        def report(fraction: float) -> None:
            if worker is self.worker:
                self.progress = fraction

        csv_progress.set(report)  # this thread's own: the app's other reads stay silent
        try:
            config = sandbox.open_preset(name_or_path)  # classroom mode: its lessons only
            trainer = Trainer(config)
        except ConfigError as exc:
            failure = ("Cannot open this preset", str(exc), None)
        except Exception as exc:  # noqa: BLE001 - shown, and the experiment goes on
            failure = ("Cannot open this preset", f"{name_or_path}: {exc}", traceback.format_exc())
        else:
            failure = None
        if worker.is_cancelled:
            return
        self.screen.app.call_from_thread(self._done, worker, failure, None if failure else (config, trainer))

    def _done(self, worker: Worker, failure, result) -> None:
        if worker is not self.worker:
            return  # cancelled, timed out, or replaced by a newer opening
        self.worker = None
        self.failure = failure
        self.screen.update_hint()
        if failure is not None:
            self.screen.show_error(*failure)
            return
        self.screen.adopt(*result)

    async def wait(self, timeout: float = 10.0) -> None:
        """Until the opening under way (if any) is in place or refused (for tests)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.worker is not None:
            if loop.time() > end:
                raise TimeoutError("the preset never finished opening")
            await asyncio.sleep(0.01)
