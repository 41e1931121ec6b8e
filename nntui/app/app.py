"""The nntui app: start-up, the engine's worker thread, themes and screens.

`make_app(config, runfile=None, play=False)` is the one factory the CLI and the
tests share. The single run is the main screen (main_screen.py), which owns
the experiment's Config and its keys; the worker thread owns the Trainer (see
worker.py), and the App relays each frame it publishes to the main screen.
The race (screens/compare.py) and the dialogs are pushed over the main screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual import events, work
from textual.actions import parse
from textual.app import App, SystemCommand
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import get_current_worker

from nntui.app import keys
from nntui.app.main_screen import MainScreen, sub_title
from nntui.app.pacing import Pacer
from nntui.app.screens.error import ErrorDialog
from nntui.app.screens.help import HelpScreen
from nntui.app.views import VIEWS, ViewSpec
from nntui.app.worker import DEFAULT_SPEED, EngineRunner, Frame, Status, Wake
from nntui.engine.trainer import Trainer
from nntui.experiment.config import Config
from nntui.experiment.presets import load_preset


class Published(Message):
    """The worker has put a new frame in its slot. Coalesced: one pending at most."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Published)


class EngineFailed(Message):
    """The worker caught an exception (and survived it)."""

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title = title
        self.text = text


class NNTuiApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # not relative: a subclass elsewhere finds it too
    TITLE = "nntui"
    AUTO_FOCUS = None  # keys go to the screen until the user clicks a control
    # The views, where they go and how often fast play draws them (views.py).
    VIEWS: tuple[ViewSpec, ...] = VIEWS

    def __init__(self, config: Config, trainer: Trainer, *, play: bool = False, race: bool = True) -> None:
        """race: open the race of a preset that declares [compare] variants."""
        super().__init__()
        self.race_on_open = race
        self._start = (config, trainer, Status.PLAYING if play else Status.PAUSED)
        self.runner = EngineRunner(
            trainer,
            playing=play,
            speed=DEFAULT_SPEED,
            on_publish=self._published_from_thread,
            on_error=self._failed_from_thread,
        )
        self.pacer = Pacer(self.runner, self.call_after_refresh)
        self.title = config.title
        self.sub_title = sub_title(config, trainer.dataset, False)

    def get_default_screen(self) -> Screen:
        config, trainer, status = self._start
        self.main = MainScreen(config, trainer, self.VIEWS, self.pacer, status)
        return self.main

    def on_mount(self) -> None:
        if not self.is_headless:  # tests run many apps in one process: leave them be
            self.call_after_refresh(self.pacer.tune_gc)
        self.run_engine()
        if self.race_on_open:
            self.call_after_refresh(self.main.open_declared_race)

    def on_unmount(self) -> None:
        self.pacer.restore_gc()

    # --------------------------------------------------------------- the worker

    @work(thread=True, exclusive=True, exit_on_error=False, group="engine", name="engine")
    def run_engine(self) -> None:
        worker = get_current_worker()
        with self.pacer.switch_interval():
            self.runner.run(lambda: worker.is_cancelled)

    async def on_event(self, event: events.Event) -> None:
        # A key or a click while training at full speed: hold the engine until
        # the screen has answered it (see pacing.py).
        if isinstance(event, (events.Key, events.MouseDown)):
            self.pacer.hold_engine()
        await super().on_event(event)

    def _published_from_thread(self) -> None:
        self.post_message(Published())

    def _failed_from_thread(self, title: str, text: str) -> None:
        self.post_message(EngineFailed(title, text))

    def on_published(self, _message: Published) -> None:
        self.main.show_latest()

    def on_engine_failed(self, message: EngineFailed) -> None:
        last = message.text.strip().splitlines()[-1] if message.text.strip() else message.title
        self.push_screen(ErrorDialog(message.title, last, message.text))

    async def action_quit(self) -> None:
        # Stop the engine first, and wake it if it waits for a command, so
        # quitting never waits for its queue's timeout.
        self.workers.cancel_group(self, "engine")
        self.runner.send(Wake())
        self.exit()

    # ---------------------------------------------------------------- screens

    def action_help(self) -> None:
        race_rows = getattr(self.screen, "help_rows", None)  # the race has keys and notes of its own
        if race_rows is not None:
            self.push_screen(HelpScreen(race_rows(), notes=self.screen.HELP_NOTES))
        else:
            self.push_screen(HelpScreen(keys.help_rows(self.main.keys)))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p): Textual's commands (themes, keys,
        quit...) and, over the single run, nntui's own (keys.py), for those who
        would rather search than remember a key."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            for title, help_text, action in keys.palette(screen.keys):
                target, name, params = parse(action)
                yield SystemCommand(title, help_text,
                                    partial(getattr(self if target == "app" else screen, f"action_{name}"), *params))

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Textual's notify, with markup off by default: a notice shows paths,
        titles and messages the user wrote ("Saved to r[x=^y].npz"), never
        parsed as markup. A caller that means markup escapes what it inserts."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # ------------------------------------------------------------------ tests

    async def opened(self, timeout: float = 10.0) -> None:
        """Wait until the preset being opened (if any) is in place or refused (for tests)."""
        await self.main.opener.wait(timeout)

    async def settle(self, timeout: float = 10.0) -> Frame | None:
        """Wait until the worker has handled every command sent so far and the
        frame it then published is on screen (for tests and benchmarks)."""
        seq = await asyncio.wait_for(asyncio.wrap_future(self.runner.sync()), timeout)
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        main = self.main
        while main.frame is None or main.frame.seq < seq:
            if self.runner.generation != main.generation:
                break  # a newer model is on its way; its frames come later
            if loop.time() > end:
                raise TimeoutError("the worker's frame never reached the screen")
            await asyncio.sleep(0.005)
        return main.frame


def make_app(config: Config | None, runfile: str | Path | None = None, play: bool = False) -> NNTuiApp:
    """The app for a config (or for a saved run, whose config it carries)."""
    if runfile is not None:
        from nntui.experiment.runs import load_run

        trainer = load_run(runfile)
        config = trainer.config
    else:
        if config is None:
            from nntui.experiment.presets import DEFAULT_PRESET

            config = load_preset(DEFAULT_PRESET)
        trainer = Trainer(config)
    return NNTuiApp(config, trainer, play=play, race=runfile is None)
