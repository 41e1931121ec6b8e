"""The nntui app: the shell around the display widgets and the engine's worker.

`make_app(config, runfile=None, play=False)` is the one factory the CLI and the
tests share. The app owns the experiment's Config (the truth for resets and
the controls); the worker thread owns the Trainer (see worker.py). Replacing
the model builds the new Trainer here (so a bad preset fails here, and the
running experiment is untouched), bumps the generation, shows its step-0
snapshot at once and hands it to the worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Select, Static
from textual.worker import get_current_worker

from nntui.app.ghosts import Ghosts
from nntui.app.pacing import PacedScreen, Pacer, Turns, fast_play
from nntui.app.screens.compare import CompareScreen
from nntui.app.screens.error import ErrorDialog
from nntui.app.screens.gradcheck import GradcheckScreen
from nntui.app.screens.help import HelpScreen
from nntui.app.screens.picker import PresetPicker
from nntui.app.screens.save import SaveDialog, SavePreset
from nntui.app.screens.vary import VaryDialog
from nntui.app.views import COLUMNS, TOP, VIEWS, ViewSpec, views_in
from nntui.app.widgets.boundary import BoundaryView
from nntui.app.widgets.controls import ControlsPanel
from nntui.app.lesson_quiz import LessonQuiz
from nntui.app.widgets.lesson import LessonPanel
from nntui.app.widgets.network import NetworkDiagram
from nntui.app.widgets.unit_images import UnitImages
from nntui.app.widgets.view import Context, View
from nntui.app.worker import (
    DEFAULT_SPEED,
    SPEEDS,
    EngineRunner,
    FinishStep,
    Frame,
    NextPhase,
    Pause,
    Replace,
    ReplaceData,
    RunEpoch,
    SetLearningRate,
    SetOption,
    SetSpeed,
    Status,
    StepBack,
    TogglePlay,
    Wake,
    speed_label,
)
from nntui.experiment.config import Config, ConfigError
from nntui.experiment.edits import edit
from nntui.engine import drawn
from nntui.engine.features import label
from nntui.engine.optimizers import OPTIMIZER_DEFAULTS
from nntui.engine.snapshot import Snapshot
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import list_presets, load_preset, preset_titles
from nntui.experiment.variants import Variant, declared_variants

# Below this the layout cannot work; it asks for a larger terminal instead.
MIN_WIDTH, MIN_HEIGHT = 80, 24
# The layouts, by the terminal's size (columns, rows): below MEDIUM the compact
# one (no header, one panel on the right, `i` switches it), below LARGE the
# medium one; in both the controls are a drawer (`m`). app.tcss draws each.
MEDIUM, LARGE = (100, 30), (140, 40)
# Learning rates `+` and `-` step through (TensorFlow Playground's, extended).
LR_LADDER = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


CLEAR_CONFIRM_SECONDS = 3.0  # X clears the points if pressed again within this


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


class Hint(Widget):
    """One line of what to press next. Unlike Static.update, a new text only
    repaints this line: it never asks for a layout of the whole screen."""

    DEFAULT_CSS = """
    Hint {
        height: 1;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.markup = ""
        self._content = Content("")

    def set_markup(self, markup: str) -> None:
        if markup != self.markup:
            self.markup = markup
            self._content = Content.from_markup(markup)
            self.refresh()

    def render(self) -> Content:
        return self._content


def next_lr(lr: float, up: bool) -> float:
    """The next rung of LR_LADDER above (or below) lr."""
    if up:
        return next((x for x in LR_LADDER if x > lr * (1 + 1e-9)), LR_LADDER[-1])
    return next((x for x in reversed(LR_LADDER) if x < lr * (1 - 1e-9)), LR_LADDER[0])


class NNTuiApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # not relative: a subclass elsewhere finds it too
    TITLE = "nntui"
    AUTO_FOCUS = None  # keys go to the app until the user clicks a control
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    # The views, where they go and how often fast play draws them (views.py).
    VIEWS: tuple[ViewSpec, ...] = VIEWS

    BINDINGS = [
        Binding("space", "toggle_play", "play"),
        Binding("n", "next_phase", "phase"),
        Binding("s", "finish_step", "step"),
        Binding("e", "epoch", "epoch"),
        Binding("b", "step_back", "back"),
        # Help and quit early: the footer is cut at the right on a 100-column terminal.
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit", "quit"),
        Binding("r", "reset", "reset"),
        # Out of the footer, which 160 columns must fit up to ^s, g, ? and q: in the help (?).
        Binding("R", "reset_new_seed", "seed", key_display="R", show=False),
        Binding("plus,equals_sign", "lr(True)", "lr", key_display="+"),
        Binding("minus,underscore", "lr(False)", "lr", key_display="-"),
        Binding("left_square_bracket", "speed(-1)", "slow", key_display="["),
        Binding("right_square_bracket", "speed(1)", "fast", key_display="]"),
        Binding("t", "heatmap_mode", "heat"),
        Binding("x", "confusion", "confusion matrix", show=False),
        Binding("a", "ascii", "ascii", show=False),
        Binding("l", "log_scale", "log"),
        Binding("h", "toggle_ghosts", "hide earlier runs", show=False),
        Binding("c", "clear_ghosts", "clear earlier runs", show=False),
        Binding("f", "features", "feat"),
        Binding("w", "images", "images", show=False),
        Binding("m", "drawer", "controls"),
        Binding("L", "lesson", "lesson", key_display="L"),
        Binding("greater_than_sign", "next_lesson(1)", "next lesson", show=False, key_display=">"),
        Binding("less_than_sign", "next_lesson(-1)", "previous lesson", show=False, key_display="<"),
        *(Binding(str(n), f"answer({n})", "answer", show=False) for n in range(1, 10)),
        Binding("i", "panel", "panel", show=False),
        Binding("o", "open_preset", "open"),
        Binding("v", "compare", "race"),
        Binding("ctrl+s", "save", "save", key_display="^s"),
        Binding("g", "gradcheck", "grad"),
        Binding("full_stop", "sample(1)", "next sample", show=False, key_display="."),
        Binding("comma", "sample(-1)", "previous sample", show=False, key_display=","),
        Binding("d", "digits", "digits", show=False),
        Binding("j", "neuron(1)", "next neuron", show=False),
        Binding("k", "neuron(-1)", "previous neuron", show=False),
        Binding("escape", "unfocus", "unfocus", show=False),
        # Drawn data (the mouse draws on the boundary): the class a click draws, remove, clear.
        Binding("p", "draw_label", "class to draw", show=False),
        Binding("u", "remove_point", "remove nearest point", show=False),
        Binding("X", "clear_points", "clear points", show=False, key_display="X"),
    ]

    def __init__(self, config: Config, trainer: Trainer, *, play: bool = False, race: bool = True) -> None:
        """race: open the race of a preset that declares [compare] variants."""
        super().__init__()
        self.race_on_open = race
        self._clear_asked: float | None = None  # when X last asked to clear the drawn points
        self.config = config
        self.dataset = trainer.dataset
        self.generation = 0
        self.speed = DEFAULT_SPEED
        self.frame: Frame | None = None  # the last frame shown
        self.shown: Snapshot | None = None  # the snapshot on screen
        self.shown_generation = 0
        self.status = Status.PLAYING if play else Status.PAUSED
        self.views: dict[str, View] = {}  # by name (VIEWS), found once mounted
        self.turns = Turns(self.VIEWS)
        self.modified = False  # the controls changed the preset
        self.image_views = True  # image data: the image views, not the boundary (w)
        self.ghosts = Ghosts()  # earlier runs, drawn on the loss chart
        self._seed_rng = random.Random(config.model.seed)
        self._opening = None  # the worker opening a preset, if one is (see open_preset_soon)
        self._open_progress: float | None = None  # how far a large CSV being opened has been read
        self.draw_label = 0  # what a click draws: a class, or an index into the palette (regression)
        self._palette = drawn.palette(np.array([]))  # the data's own, from _set_data
        self._draw_note: tuple[str, float] | None = None  # what the last drawing did, and when
        self._initial = trainer.snapshot()
        self.runner = EngineRunner(
            trainer,
            playing=play,
            speed=self.speed,
            on_publish=self._published_from_thread,
            on_error=self._failed_from_thread,
        )
        self.pacer = Pacer(self.runner, self.call_after_refresh)
        self.title = config.title
        self.sub_title = self._sub_title()
        self.lesson_quiz = LessonQuiz(config)

    # ------------------------------------------------------------------ layout

    def get_default_screen(self) -> Screen:
        return PacedScreen(self.pacer, id="_default")

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        for view in views_in(self.VIEWS, TOP):
            yield view.cls(id=view.name)
        yield Hint(id="hint")
        yield LessonPanel(id="lesson")
        with Horizontal(id="body"):
            yield ControlsPanel(self.config, id="controls")
            for column in COLUMNS:
                with Vertical(id=f"col-{column}"):
                    for view in views_in(self.VIEWS, column):
                        yield view.cls(id=view.name)
        yield Static(id="too-small")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        # Found once: queries would search whatever screen is on top.
        self.views = {view.name: self.query_one(f"#{view.name}", view.cls) for view in self.VIEWS}
        self.hint = self.query_one("#hint", Hint)
        self.too_small = self.query_one("#too-small", Static)
        self.controls = self.query_one(ControlsPanel)
        self.lesson_panel = self.query_one(LessonPanel)
        self._check_size(self.size.width, self.size.height)
        self._set_data(self.dataset)
        self._show(self._initial, 0, every_view=True)
        self._show_lesson()
        self._update_hint()
        if not self.is_headless:  # tests run many apps in one process: leave them be
            self.call_after_refresh(self.pacer.tune_gc)
        self.run_engine()
        if self.race_on_open:
            self.call_after_refresh(self.open_declared_race)

    def on_unmount(self) -> None:
        self.pacer.restore_gc()

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

    def on_resize(self, event) -> None:
        if self.views:  # else on_mount checks
            self._check_size(event.size.width, event.size.height)
            self._update_hint()

    def _check_size(self, width: int, height: int) -> None:
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.set_class(small, "-too-small")
        compact = width < MEDIUM[0] or height < MEDIUM[1]
        self.set_class(compact, "-compact")
        self.set_class(not compact and (width < LARGE[0] or height < LARGE[1]), "-medium")
        self._place_lesson()
        if small:
            self.too_small.update(
                f"Enlarge the terminal to {MIN_WIDTH}×{MIN_HEIGHT}\n"
                f"(it is {width}×{height}; 160×48 is best).\n"
                "Keys still work; q quits."
            )

    # --------------------------------------------------------------- frames

    def _published_from_thread(self) -> None:
        self.post_message(Published())

    def _failed_from_thread(self, title: str, text: str) -> None:
        self.post_message(EngineFailed(title, text))

    def on_published(self, _message: Published) -> None:
        frame = self.runner.latest()
        if frame is None or frame.generation != self.generation:
            return  # a frame of a model that has been replaced
        if self.frame is not None and frame.seq <= self.frame.seq:
            return
        previous = self.frame
        self.frame = frame
        self.status = frame.status
        if frame.status == Status.DIVERGED and (previous is None or previous.status != Status.DIVERGED):
            self.notify(frame.message or "training diverged", title="Diverged", severity="error", timeout=8)
        self._follow_lesson(frame)
        # A new model's first frame, or a change of state (play, pause,
        # diverged): every view; in fast play otherwise, the views take turns.
        first = previous is None or previous.generation != frame.generation or previous.status != frame.status
        self._show(frame.snapshot, frame.generation, every_view=first)
        self._update_hint()

    def on_engine_failed(self, message: EngineFailed) -> None:
        last = message.text.strip().splitlines()[-1] if message.text.strip() else message.title
        self.push_screen(ErrorDialog(message.title, last, message.text))

    def _show(self, snapshot: Snapshot, generation: int, *, every_view: bool = False) -> None:
        """Put a snapshot on screen: in every view, or in fast play the views
        whose turn it is (see pacing.Turns)."""
        self.shown = snapshot
        self.shown_generation = generation
        names = self.turns.next(fast=not every_view and fast_play(self.status, self.speed))
        if names is None:
            return
        frame = self.frame
        context = Context(
            self.status,
            frame.rate if frame is not None and self.status == Status.PLAYING else 0.0,
            self._sub_title(),
        )
        for name in names:
            self.views[name].show(snapshot, context)

    def _set_data(self, dataset, *, keep_axes: bool = False) -> None:
        image = self.config.data.image
        for view in self.views.values():
            view.set_dataset(dataset, image)
        self._show_images()
        self.views["boundary"].set_data(
            dataset.x_train,
            dataset.y_train,
            dataset.x_val,
            dataset.y_val,
            dataset.task,
            dataset.classes,
            dataset.feature_names,
            keep_axes=keep_axes,
        )
        plane = self.views["boundary"].data  # the unit maps take the boundary's axes, kept while drawing
        self.views["network"].set_data(dataset.x_train, dataset.x_val, dataset.feature_names,
                                       limits=(plane["lo"], plane["hi"]) if plane else None)
        if not keep_axes and dataset.task == "regression":
            # The drawing palette follows the data's own range, fixed while drawing.
            self._palette = drawn.palette(np.concatenate([dataset.y_train.reshape(-1), dataset.y_val.reshape(-1)]))
        self._show_draw_hint()

    def _sub_title(self) -> str:
        name = self.config.name if self.config.source else "preset"
        return (f"{name}{' (modified)' if self.modified else ''}"
                f"{' (drawn data)' if drawn.is_drawn(self.dataset) else ''}")

    def _update_hint(self) -> None:
        snap = self.shown
        frame = self.frame
        status = self.status
        if status == Status.DIVERGED:
            why = escape((frame.message if frame else None) or "the loss became NaN or inf")
            text = (
                f"[b $text-error]⚠ {why}[/]  [b]-[/] lower the learning rate · "
                "[b]r[/] reset · [b]b[/] step back"
            )
        elif status == Status.ERROR:
            why = escape((frame.message if frame else None) or "the engine failed")
            text = f"[b $text-error]✖ {why}[/]  [b]r[/] reset · [b]space[/] try again"
        elif self._draw_note is not None and time.monotonic() - self._draw_note[1] < self.DRAW_NOTE_SECONDS:
            # What the last click did, while drawing goes on (playing or not).
            note = f"[b]{escape(self._draw_note[0])}[/]"
            play = "pause" if status == Status.PLAYING else "play"
            text = (f"{note}  [b]p u X[/] · [b]?[/] help" if self.has_class("-compact") else
                    f"{note}  drawing [b]{escape(self._draw_label_name())}[/] · "
                    f"[b]p[/] next · [b]u[/] remove nearest · [b]X[/] clear · [b]space[/] {play}")
        elif status == Status.PLAYING:
            text = (
                f"speed {speed_label(self.speed)}  [b]\\[ ][/] slower/faster · [b]space[/] pause · "
                "[b]+ -[/] learning rate · [b]r[/] reset · [b]?[/] help"
            )
        elif frame is not None and frame.message:  # paused by the engine, e.g. at the preset's epochs
            text = f"[b]{escape(frame.message)}[/]  [b]space[/] trains on · [b]r[/] reset · [b]?[/] help"
        elif self.has_class("-compact"):  # 80 columns: the keys a newcomer needs first
            nxt = snap.next_phase.label() if snap is not None else "forward 1"
            text = (f"[b]space[/] play · [b]n[/] [i]{nxt}[/] · [b]s[/] step · [b]i[/] panel · "
                    "[b]m[/] controls · [b]?[/] help")
        else:
            nxt = snap.next_phase.label() if snap is not None else "forward 1"
            text = (
                f"step-by-step  [b]space[/] play · [b]n[/] next phase ([i]{nxt}[/]) · "
                "[b]s[/] finish step · [b]e[/] epoch · [b]b[/] back · [b]?[/] help"
            )
        self.hint.set_markup(text)

    # ----------------------------------------------------- replacing the model

    def replace_model(self, trainer: Trainer, config: Config) -> None:
        """Swap in a new Trainer: from now on frames of older models are dropped.
        The run replaced stays on the loss chart as a ghost (app/ghosts.py)."""
        history = self.shown.history if self.shown is not None and self.shown_generation == self.generation else None
        self.ghosts.replaced(self.config, history, config)
        self._show_ghosts()
        self.generation += 1
        self.config = config
        self.dataset = trainer.dataset
        self.title = config.title
        self.sub_title = self._sub_title()
        snapshot = trainer.snapshot()
        self.frame = None
        if self.status in (Status.DIVERGED, Status.ERROR):
            self.status = Status.PAUSED
        self._set_data(trainer.dataset, keep_axes=drawn.is_drawn(trainer.dataset))
        self._show(snapshot, self.generation, every_view=True)  # no view keeps the old model
        self.runner.send(Replace(trainer, self.generation))
        self.controls.load(config)
        if config.lesson != self.lesson_quiz.config.lesson or config.source != self.lesson_quiz.config.source:
            self.lesson_quiz = LessonQuiz(config)
        else:  # the same lesson, run again (reset, an edit): judged afresh, the answers stand
            self.lesson_quiz.restart()
        self._show_lesson()
        self._update_hint()

    def _build(self, config: Config, *, same_data: bool) -> Trainer | None:
        """A Trainer for config, or None after showing why it cannot be built."""
        self.pacer.hold_engine()  # the old model need not train while the new one is built
        try:
            return Trainer(config, dataset=self.dataset if same_data else None)
        except Exception as exc:  # noqa: BLE001 - shown, and the experiment goes on
            self.show_error("Cannot build this experiment", f"{exc}", traceback.format_exc())
            return None

    def show_error(self, title: str, message: str, details: str | None = None) -> None:
        self.push_screen(ErrorDialog(title, message, details))

    def _show_ghosts(self) -> None:
        chart = self.views.get("loss")
        if chart is not None and hasattr(chart, "set_ghosts"):
            chart.set_ghosts(self.ghosts.items, self.ghosts.visible, self.ghosts.version)

    def action_toggle_ghosts(self) -> None:
        if not self.ghosts.items:
            self.notify("No earlier runs: a change that starts a new run leaves its curve here", timeout=3)
            return
        visible = self.ghosts.toggle()
        self._show_ghosts()
        self.notify(f"Earlier runs {'shown' if visible else 'hidden'} (h)", timeout=2)

    def action_clear_ghosts(self) -> None:
        n = len(self.ghosts.items)
        self.ghosts.clear()
        self._show_ghosts()
        self.notify(f"Cleared {n} earlier run{'s' if n != 1 else ''} from the loss chart", timeout=2)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Textual's notify, with markup off by default: a notice shows paths,
        titles and messages the user wrote ("Saved to r[x=^y].npz"), never
        parsed as markup. A caller that means markup escapes what it inserts."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # ----------------------------------------------------------------- actions

    def action_toggle_play(self) -> None:
        self.runner.send(TogglePlay())

    def action_next_phase(self) -> None:
        self.runner.send(NextPhase())

    def action_finish_step(self) -> None:
        self.runner.send(FinishStep())

    def action_epoch(self) -> None:
        self.runner.send(RunEpoch())

    def action_step_back(self) -> None:
        self.runner.send(StepBack())

    def action_reset(self) -> None:
        trainer = self._build(self.config, same_data=True)
        if trainer is not None:
            self.replace_model(trainer, self.config)
            self.notify("Reset to step 0, from the same start (the same seeds).", timeout=3)

    def action_reset_new_seed(self) -> None:
        seed = self._seed_rng.randrange(2**31)
        config = dataclasses.replace(self.config, model=dataclasses.replace(self.config.model, seed=seed))
        trainer = self._build(config, same_data=True)
        if trainer is not None:
            self.replace_model(trainer, config)
            if config.model.init == "explicit":
                self.notify(
                    f"Model seed {seed}: the weights are given by the preset, so only the "
                    "order of the batches changes.",
                    timeout=4,
                )
            else:
                self.notify(f"New model seed {seed}", timeout=2)

    def action_lr(self, up: bool) -> None:
        old = self.config.train.learning_rate
        lr = next_lr(old, up)
        self._set_config(train=dataclasses.replace(self.config.train, learning_rate=lr))
        self.runner.send(SetLearningRate(lr))
        self.controls.load(self.config)
        self.notify(f"Learning rate {old:g} → {lr:g}, from the next step on (the run goes on).", timeout=3)

    def action_speed(self, delta: int) -> None:
        self.speed = max(0, min(len(SPEEDS) - 1, self.speed + delta))
        self.runner.send(SetSpeed(self.speed))
        self._update_hint()

    def _show_lesson(self) -> None:
        names = [name for name, _ in list_presets()]
        builtin = self.config.source == f"{self.config.name}.toml" and self.config.name in names
        place = (names.index(self.config.name) + 1, len(names)) if builtin else None
        self.lesson_panel.set_lesson(self.config.title, self.config.description, place)
        self._show_quiz()

    def _show_quiz(self) -> None:
        opened = self.lesson_quiz.open_ask
        self.lesson_panel.set_quiz(self.lesson_quiz.lines(), len(opened[1].choices) if opened else 0)

    def _place_lesson(self) -> None:
        """Below 140×40 the lesson is brief until L: its first sentence (and at
        100×30 its open question); L shows all of it."""
        if not self.views:  # on_mount places it
            return
        compact = self.has_class("-compact")
        brief = (compact or self.has_class("-medium")) and not self.has_class("-lesson-whole")
        self.lesson_panel.set_brief(brief, with_quiz=not compact)

    def _follow_lesson(self, frame: Frame) -> None:
        changed, notice = self.lesson_quiz.frame(frame.snapshot, frame.status == Status.DIVERGED)
        if changed:
            self._show_quiz()
        if notice:
            self.notify(notice, timeout=6)

    def action_answer(self, choice: int) -> None:
        """Answer the lesson's open question with choice 1-9."""
        problem = self.lesson_quiz.answer(choice)
        if problem:
            self.notify(f"{choice}: {problem}", timeout=3)
            return
        self._show_quiz()

    def action_lesson(self) -> None:
        """Below 140×40: brief -> the whole lesson and its question -> hidden ->
        brief; from 140×40 (where it is whole): hidden <-> shown."""
        small = self.has_class("-compact") or self.has_class("-medium")
        if self.has_class("-lesson-hidden"):
            self.remove_class("-lesson-hidden")
        elif small and not self.has_class("-lesson-whole"):
            self.add_class("-lesson-whole")
        else:
            self.remove_class("-lesson-whole")
            self.add_class("-lesson-hidden")
        self._place_lesson()

    def action_next_lesson(self, delta: int) -> None:
        """The next (or previous) built-in preset, in the story's order."""
        names = [name for name, _ in list_presets()]
        here = names.index(self.config.name) if self.config.name in names else -1
        target = here + delta
        if not 0 <= target < len(names):
            self.notify("That was the " + ("last" if delta > 0 else "first") + " lesson.", timeout=2)
            return
        self.open_preset_soon(names[target])

    def action_drawer(self) -> None:
        """Open or close the controls. On a large screen they are always there
        (m hides them); below 140×40 they open over the left of the screen."""
        self.toggle_class("-drawer")
        open_ = self.has_class("-drawer") == (self.has_class("-compact") or self.has_class("-medium"))
        if not open_:
            self.set_focus(None)  # the keys go back to the app

    def action_panel(self) -> None:
        """The compact layout has room for one panel on the right: the step
        inspector or the network; i switches between them (with image data:
        the inspector and the loss, or the mistakes and the units' pictures)."""
        self.toggle_class("-show-network")
        if not self.has_class("-compact"):
            self.notify("The inspector and the network are both on screen; "
                        "i switches between them on a small terminal.", timeout=3)

    def action_confusion(self) -> None:
        """The confusion matrix in the weights' place (the loss chart's, at 80×24), or back."""
        if self.dataset.task == "regression":
            self.remove_class("-show-confusion")
            self.notify("Regression has no classes: no confusion matrix.", timeout=3)
            return
        self.toggle_class("-show-confusion")
        instead = "the loss chart" if self.has_class("-compact") else "the weights"
        shown = self.has_class("-show-confusion")
        self.notify(f"Confusion matrix {'shown in place of' if shown else 'hidden; back to'} {instead} (x).",
                    timeout=2)

    def action_heatmap_mode(self) -> None:
        self.views["heatmaps"].cycle_mode()

    def action_ascii(self) -> None:
        boundary = self.views["boundary"]
        boundary.ascii = not boundary.ascii
        for name in ("sample", "units", "mistakes", "network"):  # the images and the unit maps too
            if name in self.views:
                self.views[name].ascii = boundary.ascii

    def action_log_scale(self) -> None:
        self.views["loss"].toggle_log_scale()  # the other scale than the one seen, auto log included

    def _show_images(self) -> None:
        """Image data shows the image views in place of the boundary, the
        heatmaps and the diagram (app.tcss), unless w switched them off."""
        self.set_class(self.config.data.image is not None and self.image_views, "-images")

    def action_images(self) -> None:
        """Image data: the image views, or the boundary (any pair of pixels)."""
        if self.config.data.image is None:
            self.notify("Not image data: a CSV preset with image = [rows, columns] is "
                        "(the digits preset).", timeout=3)
            return
        self.image_views = not self.image_views
        self._show_images()
        if self.image_views:
            self.notify("Images: the sample, the hidden units' weights, the mistakes (w: the boundary)", timeout=3)
        else:
            self.notify("The boundary over two pixels (f: the next pair; w: the images again)", timeout=3)

    def action_features(self) -> None:
        boundary = self.views["boundary"]
        if self.has_class("-images"):  # the boundary is off screen: show it first
            self.action_images()
            return
        if self.dataset.n_inputs <= 2:
            self.notify("This data has 2 inputs: the boundary already shows both.", timeout=2)
        boundary.cycle_features()

    # ------------------------------------------------------------- drawn data
    # The mouse draws on the boundary (BoundaryView.Clicked); engine/drawn.py
    # makes each edit a new Dataset named "drawn", which the worker hands the
    # same run at a step boundary (ReplaceData). The first edit starts from the
    # points on screen, training and validation alike: drawn data has no
    # validation set. A reset or a new seed keeps the drawn points; other data
    # (a data control, another preset) replaces them.

    DRAW_NOTE_SECONDS = 5.0  # how long the hint line says what the last drawing did

    def _draw_labels(self) -> list[float]:
        """What a click can draw, in the order p cycles: the classes, or the
        regression palette."""
        if self.dataset.task == "regression":
            return list(self._palette)
        return list(range(drawn.label_count(self.dataset)))

    def _draw_value(self, other: bool = False) -> float:
        """The label a left click draws; `other` (right- or shift-click): the
        next one after it (binary: the other class)."""
        labels = self._draw_labels()
        return labels[(self.draw_label + (1 if other else 0)) % len(labels)]

    def _draw_label_name(self, other: bool = False) -> str:
        return drawn.label_name(self.dataset, self._draw_value(other))

    def _show_draw_hint(self) -> None:
        boundary = self.views.get("boundary")
        if boundary is None:
            return
        if drawn.why_not(self.dataset):
            boundary.set_draw_hint((), False)
            return
        now, other = self._draw_label_name(), self._draw_label_name(True)
        texts = (f"click: {now} · right-click: {other} · p next · u remove · X clear",
                 f"click: {now} · right-click: {other} · p u X",
                 f"click: {now} · right: {other}",
                 f"click: {now}")
        boundary.set_draw_hint(texts, always=drawn.is_drawn(self.dataset))

    def _note(self, text: str) -> None:
        """Say in the hint line what a drawing did (for DRAW_NOTE_SECONDS)."""
        self._draw_note = (text, time.monotonic())
        self._update_hint()
        self.set_timer(self.DRAW_NOTE_SECONDS + 0.05, self._update_hint)

    def _cannot_draw(self) -> bool:
        problem = drawn.why_not(self.dataset)
        if problem:
            self.notify(f"Cannot draw on this data: {problem}.", timeout=4)
        return problem is not None

    @on(BoundaryView.Clicked)
    def boundary_clicked(self, event: BoundaryView.Clicked) -> None:
        """A click on the map adds a point there: left, of the class being
        drawn; right or shift, of the next class (binary: the other one)."""
        if self._cannot_draw():
            return
        if event.at is None:
            return
        value = self._draw_value(event.other)
        x1, x2 = event.at
        data = drawn.add_point(self.dataset, x1, x2, value)
        self._use_drawn(data, f"added a {drawn.label_name(data, value)} point at ({x1:.3g}, {x2:.3g}): "
                              f"{_points(data)}")

    def _use_drawn(self, data, note: str) -> None:
        """Show the drawn data and hand it to the running trainer."""
        first = not drawn.is_drawn(self.dataset)
        self.dataset = data
        self._set_data(data, keep_axes=True)
        self.runner.send(ReplaceData(data, self.generation))
        self.sub_title = self._sub_title()
        self._note(note)
        if first:
            self.notify("The data is now 'drawn': every point you see trains (a drawn set has no "
                        "validation set), and the run goes on with the same weights from the next "
                        "step. ctrl+s saves it as a preset.", title="Drawing", timeout=8)

    def action_draw_label(self) -> None:
        """The next class (or regression value) a left click draws."""
        if self._cannot_draw():
            return
        n = len(self._draw_labels())
        self.draw_label = (self.draw_label % n + 1) % n
        self._show_draw_hint()
        self._note(f"a click draws {self._draw_label_name()} (right-click: {self._draw_label_name(True)})")

    def action_remove_point(self) -> None:
        """Remove the point nearest where the mouse last was on the boundary."""
        if self._cannot_draw():
            return
        at = self.views["boundary"].pointer
        if at is None:
            self.notify("Point at the boundary with the mouse first: u removes the point nearest to it.",
                        timeout=3)
            return
        before = drawn.start(self.dataset)
        data, row = drawn.remove_nearest(before, *at)
        if row is None:
            self.notify("There are no points to remove.", timeout=2)
            return
        x1, x2 = before.x_train[row]
        label = float(np.asarray(before.y_train[row]).reshape(-1)[0])
        self._use_drawn(data, f"removed the {drawn.label_name(data, label)} point at ({x1:.3g}, {x2:.3g}): "
                              f"{_points(data)}")

    def action_clear_points(self) -> None:
        """Remove every point: draw anew (training waits for a point)."""
        if self._cannot_draw():
            return
        n = len(drawn.start(self.dataset).x_train)
        # Asked twice: nothing brings the points back (r keeps drawn data, b cannot
        # step back over a change of data), and x, the confusion matrix, is next to it.
        now, asked = time.monotonic(), self._clear_asked
        self._clear_asked = now
        if n and (asked is None or now - asked > CLEAR_CONFIRM_SECONDS):
            self.notify(f"Press X again to clear all {n} points: nothing brings them back "
                        "(reopen the preset for its data).", timeout=CLEAR_CONFIRM_SECONDS)
            return
        self._clear_asked = None
        self._use_drawn(drawn.cleared(self.dataset),
                        f"cleared {n} point{'s' * (n != 1)}: click on the boundary to draw new ones")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p): Textual's commands (themes, keys,
        quit...) and nntui's own, for those who would rather search than
        remember a key."""
        yield from super().get_system_commands(screen)
        if screen is not self.screen_stack[0]:
            return  # nntui's commands act on the main screen
        commands = (
            ("Play / pause", "space: train, or stop training", self.action_toggle_play),
            ("Next phase", "n: run one phase of the step", self.action_next_phase),
            ("Finish the step", "s: run the rest of the step", self.action_finish_step),
            ("Train one epoch", "e: run to the end of the epoch", self.action_epoch),
            ("Step back", "b: undo the step in progress, or the last step", self.action_step_back),
            ("Reset", "r: back to step 0, same seed", self.action_reset),
            ("Reset with a new seed", "R: back to step 0 from another start", self.action_reset_new_seed),
            ("Open a preset", "o: a built-in, or your own file", self.action_open_preset),
            ("Save the run", "ctrl+s: a runfile that nntui --load opens", self.action_save),
            ("Gradient check", "g: backprop against finite differences", self.action_gradcheck),
            ("ASCII boundary", "a: the decision boundary and unit maps in plain characters", self.action_ascii),
            ("Log-scale loss", "l: the loss chart on a log scale", self.action_log_scale),
            ("Confusion matrix", "x: counts of true and predicted classes, in place of the weights",
             self.action_confusion),
            ("nntui help", "?: every key", self.action_help),
        )
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)

    async def action_quit(self) -> None:
        # Stop the engine first, and wake it if it waits for a command, so
        # quitting never waits for its queue's timeout.
        self.workers.cancel_group(self, "engine")
        self.runner.send(Wake())
        self.exit()

    def action_sample(self, delta: int) -> None:
        """Show the numbers of another sample of the batch (network, inspector;
        the boundary rings it)."""
        snap = self.shown
        n = len(snap.batch_x) if snap is not None and snap.batch_x is not None else 0
        if not n and self.has_class("-images") and "sample" in self.views:
            self.views["sample"].step_sample(delta)  # no batch: another validation image
            return
        if not n:
            self.notify("No batch yet: press n to start a step.", timeout=2)
            return
        sample = (self.views["inspector"].sample + delta) % n
        for name in ("inspector", "network", "boundary", "sample"):
            if name in self.views:
                self.views[name].sample = sample

    def action_neuron(self, delta: int) -> None:
        """Select the next (or previous) neuron on the diagram without the
        mouse: every unit in turn, inputs first, layer by layer."""
        net = self.views["network"]
        s = net.snapshot
        if s is None:
            return
        units = [(l, j) for l in range(len(s.sizes)) for j in range(s.sizes[l])]
        here = tuple(net.selected)
        i = units.index(here) if here in units else 0
        net.selected = units[(i + delta) % len(units)]

    def action_digits(self) -> None:
        """4 or 10 significant digits, in the inspector, network and heatmaps."""
        digits = self.views["inspector"].toggle_digits()
        self.views["network"].digits = digits
        self.views["heatmaps"].digits = digits

    @on(NetworkDiagram.NeuronSelected)
    def neuron_selected(self, event: NetworkDiagram.NeuronSelected) -> None:
        """A neuron picked on the diagram: its weights in the heatmaps, its sum
        in the inspector."""
        if event.layer >= 1:
            self.views["inspector"].neuron = event.index
            self.views["heatmaps"].selected = (event.layer, 0, event.index)
        else:  # an input: its row of W1
            self.views["heatmaps"].selected = (1, event.index, 0)
        if "units" in self.views:
            self.views["units"].selected = event.index if event.layer == 1 else None

    @on(UnitImages.UnitSelected)
    def unit_selected(self, event: UnitImages.UnitSelected) -> None:
        """A unit's weight picture clicked: select that neuron, as on the diagram."""
        self.views["network"].selected = (1, event.index)

    def action_unfocus(self) -> None:
        if self._opening is not None and self._opening.is_running:
            self._opening.cancel()  # the opening's result, when it comes, is dropped
            self._opening = None
            self.notify("Opening cancelled; the current experiment goes on.", timeout=3)
            return
        self.set_focus(None)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_open_preset(self) -> None:
        self.push_screen(PresetPicker(preset_titles(), current=self.config.name), self.open_preset_soon)

    OPEN_TIMEOUT = 120.0  # seconds an opening may take (a 200 MB CSV takes about 20)

    def open_preset_soon(self, name_or_path: str | None) -> None:
        """Open a preset from the picker without blocking the screen: it is
        read, checked and built in a thread (a large CSV takes seconds), the
        current experiment goes on meanwhile, escape cancels, and an opening
        that takes longer than OPEN_TIMEOUT is given up."""
        if not name_or_path:
            return
        if self._opening is not None:
            self._opening.cancel()
        self._opening = self._open_in_thread(name_or_path)
        worker = self._opening

        def slow() -> None:
            if worker is self._opening and worker.is_running:
                self.notify(f"Opening {name_or_path}… (escape cancels)", timeout=3)

        def show_progress() -> None:
            # A large CSV reports how far its reading has got: the hint line says so.
            if worker is self._opening and worker.is_running:
                done = self._open_progress
                read = f"{done:.0%} of its data read · " if done is not None else ""
                self.hint.set_markup(f"[b]Opening {escape(str(name_or_path))}…[/] {read}[b]escape[/] cancels")
                self.set_timer(0.25, show_progress)
            elif worker is not self._opening or not worker.is_running:
                self._update_hint()

        def too_slow() -> None:
            if worker is self._opening and worker.is_running:
                worker.cancel()
                self._opening = None
                self.show_error("Cannot open this preset",
                                f"{name_or_path}: took longer than {self.OPEN_TIMEOUT:.0f} s; given up")

        self.set_timer(0.5, slow)
        self.set_timer(0.1, show_progress)
        self.set_timer(self.OPEN_TIMEOUT, too_slow)

    @work(thread=True, exclusive=False, exit_on_error=False, group="open")
    def _open_in_thread(self, name_or_path: str) -> None:
        from nntui.engine.datasets import csv_progress

        worker = get_current_worker()
        self._open_progress = None

        def report(fraction: float) -> None:
            if worker is self._opening:
                self._open_progress = fraction

        csv_progress.set(report)  # this thread's own: the app's other reads stay silent
        try:
            config = load_preset(name_or_path)
            trainer = Trainer(config)
        except ConfigError as exc:
            failure = ("Cannot open this preset", str(exc), None)
        except Exception as exc:  # noqa: BLE001 - shown, and the experiment goes on
            failure = ("Cannot open this preset", f"{name_or_path}: {exc}", traceback.format_exc())
        else:
            failure = None
        if worker.is_cancelled:
            return
        self.call_from_thread(self._opened, worker, failure, None if failure else (config, trainer))

    def _opened(self, worker, failure, result) -> None:
        if worker is not self._opening:
            return  # cancelled, timed out, or replaced by a newer opening
        self._opening = None
        self._update_hint()
        if failure is not None:
            self.show_error(*failure)
            return
        config, trainer = result
        self._adopt(config, trainer)

    def _adopt(self, config: Config, trainer: Trainer) -> None:
        """A newly opened preset in place of the current experiment."""
        self.modified = False
        self._seed_rng = random.Random(config.model.seed)
        self.replace_model(trainer, config)
        self.notify(f"Opened {config.title} ({config.name}): a new run from step 0.", timeout=3)
        self.open_declared_race()

    # ------------------------------------------------------------------ races

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Over a race, the single run's keys are off (and out of the footer):
        they would act on the run the race hides."""
        if isinstance(self.screen, CompareScreen) and action not in ("help", "quit"):
            return False
        return True

    def action_compare(self) -> None:
        self.push_screen(VaryDialog(self.config), self.open_race)

    def open_declared_race(self) -> None:
        """A preset that declares [compare] variants opens as their race, playing."""
        variants = declared_variants(self.config)
        if variants:
            self.open_race(variants)

    def open_race(self, variants: list[Variant] | None, *, playing: bool = True) -> None:
        """The compare view over the single run, which pauses: the race has the CPU."""
        if not variants:
            return
        if self.status == Status.PLAYING:
            self.runner.send(Pause())
        self.push_screen(CompareScreen(variants, self.config.title or self.config.name, playing=playing))

    def open_preset(self, name_or_path: str | None) -> bool:
        """Load a preset (a built-in name or a path) in place of the current one.
        On an error, show it and keep the current experiment; False then."""
        if not name_or_path:
            return False
        try:
            config = load_preset(name_or_path)
        except ConfigError as exc:
            self.show_error("Cannot open this preset", str(exc))
            return False
        except Exception as exc:  # noqa: BLE001
            self.show_error("Cannot open this preset", f"{name_or_path}: {exc}", traceback.format_exc())
            return False
        trainer = self._build(config, same_data=False)
        if trainer is None:
            return False
        self._adopt(config, trainer)
        return True

    def default_save_path(self) -> str:
        step = self.shown.step if self.shown is not None else 0
        return f"./{self.config.name or 'run'}-step{step}.npz"

    def action_save(self) -> None:
        preset = f"./{self.config.name or 'my'}-drawn.toml" if drawn.is_drawn(self.dataset) else None
        self.push_screen(SaveDialog(self.default_save_path(), preset), self._save_chosen)

    def _save_chosen(self, answer: str | SavePreset | None) -> None:
        if isinstance(answer, SavePreset):
            self.save_drawn(answer.path)
        else:
            self.save_run(answer)

    def save_run(self, path: str | None) -> None:
        if path:
            if drawn.is_drawn(self.dataset) and not len(self.dataset.x_train):
                self.show_error("Cannot save the run", "there are no points: a run needs at least one to train on")
                return
            self._save(path)

    @work(exclusive=False, group="save")
    async def save_drawn(self, path: str) -> None:
        """Save the drawn points as a preset: a CSV and a TOML that reads it
        (nntui/drawn_preset.py), written off the screen's thread."""
        from nntui.experiment.drawn_preset import DrawnSaveError, save_drawn_preset
        from nntui.engine.files import FileRefused

        try:
            toml_path, csv_path = await asyncio.to_thread(save_drawn_preset, self.config, self.dataset, path)
        except (DrawnSaveError, FileRefused) as exc:
            self.show_error("Cannot save the drawn data", str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            self.show_error("Cannot save the drawn data", f"{path}: {exc}", traceback.format_exc())
            return
        self.notify(f"Saved {len(self.dataset.x_train)} points: {toml_path} and {csv_path.name} beside it. "
                    f"Reopen with o or nntui --preset {toml_path}", title="Drawn data saved", timeout=6)

    @work(exclusive=False, group="save")
    async def _save(self, path: str) -> None:
        from nntui.engine.runfile import RunfileError, save_run

        target = Path(path).expanduser()
        try:
            written = await asyncio.wrap_future(self.runner.submit(lambda tr: save_run(tr, target)))
        except RunfileError as exc:  # one line that names the file already
            self.show_error("Cannot save the run", str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            self.show_error("Cannot save the run", f"{target}: {exc}")
            return
        self.notify(f"Saved to {written or target}", title="Run saved", timeout=4)

    @work(exclusive=True, group="grad")
    async def action_gradcheck(self) -> None:
        from nntui.engine.gradcheck import gradcheck

        def check(tr: Trainer) -> tuple[dict[str, float], int]:
            return gradcheck(tr), tr.step

        self.notify("Checking gradients…", timeout=1)
        try:
            errors, step = await asyncio.wrap_future(self.runner.submit(check))
        except Exception as exc:  # noqa: BLE001
            self.show_error("Gradient check failed", str(exc))
            return
        self.push_screen(GradcheckScreen(errors, step))

    # ----------------------------------------------------------------- controls

    def _set_config(self, **sections: Any) -> None:
        self.config = dataclasses.replace(self.config, **sections)
        self.modified = True
        self.sub_title = self._sub_title()

    @on(ControlsPanel.Changed)
    def control_changed(self, event: ControlsPanel.Changed) -> None:
        self.apply_control(event.key, event.value)
        if isinstance(self.focused, Select):
            self.set_focus(None)  # space plays again, rather than reopen the menu

    def apply_control(self, key: str, value: Any) -> bool:
        """Apply one edit of the controls panel. Live keys (the learning rate,
        optimizer options) reach the running trainer; the others build a new
        network. An invalid value shows the error and changes nothing."""
        panel = self.controls
        old = self.config
        try:
            # Drawn data with every point removed tells the checks nothing (no rows
            # to split): they read the preset's own data then.
            config = edit(old, key, value, dataset=self.dataset if len(self.dataset.x_train) else None)
        except (ConfigError, ValueError) as exc:
            self.notify(str(exc), title="Not applied", severity="error", timeout=8)
            panel.load(old)
            return False
        if config == old:
            panel.load(old)
            return True
        live = key == "train.learning_rate" or (
            key.startswith("train.options.") and config.train.optimizer == old.train.optimizer
        )
        if live:
            self.config = config
            self.modified = True
            self.sub_title = self._sub_title()
            if key == "train.learning_rate":
                self.runner.send(SetLearningRate(config.train.learning_rate))
            else:
                name = key.rsplit(".", 1)[1]
                self.runner.send(SetOption(name, config.train.options.get(name)))
            panel.load(config)
            self.notify(f"{_said(key, old, config)}, from the next step on (the run goes on).", timeout=3)
            return True
        # Features are computed from the same points: the data is kept.
        same_data = dataclasses.replace(config.data, features=old.data.features) == old.data
        trainer = self._build(config, same_data=same_data)
        if trainer is None:
            panel.load(old)
            return False
        self.modified = True
        self.replace_model(trainer, config)
        kept = ("; the last run's loss curve stays on the chart (h hides, c clears)"
                if self.ghosts.items else "")
        self.notify(f"{_said(key, old, config)}: a new run from step 0{kept}.", timeout=5)
        return True

    # ------------------------------------------------------------------ tests

    async def opened(self, timeout: float = 10.0) -> None:
        """Wait until the preset being opened from the picker (if any) is in
        place or refused (for tests)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self._opening is not None:
            if loop.time() > end:
                raise TimeoutError("the preset never finished opening")
            await asyncio.sleep(0.01)

    async def settle(self, timeout: float = 10.0) -> Frame | None:
        """Wait until the worker has handled every command sent so far and the
        frame it then published is on screen (for tests and benchmarks)."""
        seq = await asyncio.wait_for(asyncio.wrap_future(self.runner.sync()), timeout)
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.frame is None or self.frame.seq < seq:
            if self.runner.generation != self.generation:
                break  # a newer model is on its way; its frames come later
            if loop.time() > end:
                raise TimeoutError("the worker's frame never reached the screen")
            await asyncio.sleep(0.005)
        return self.frame


def _points(data) -> str:
    n = len(data.x_train)
    return f"{n} point{'s' * (n != 1)}"


def _said(key: str, old: Config, new: Config) -> str:
    """'momentum 0 → 0.9': what an edit changed, as the controls name it."""
    name = key.rsplit(".", 1)[-1]
    if key == "model.hidden":
        return f"hidden layers {list(old.model.layers[1:-1])} → {list(new.model.layers[1:-1])}"
    if key == "data.features":
        names = [label(f) for f in new.data.features]
        on = [n for f, n in zip(new.data.features, names) if f not in old.data.features]
        off = [label(f) for f in old.data.features if f not in new.data.features]
        change = "; ".join(p for p in (f"{', '.join(on)} on" if on else "", f"{', '.join(off)} off" if off else "") if p)
        return (f"{change}: the network's inputs are {', '.join(names)} "
                f"({old.model.layers[0]} → {new.model.layers[0]} input units, hidden layers kept)")
    section, _, rest = key.partition(".")
    if rest.startswith("options."):
        before = old.train.options.get(name, OPTIMIZER_DEFAULTS.get(old.train.optimizer, {}).get(name))
        after = new.train.options.get(name, OPTIMIZER_DEFAULTS.get(new.train.optimizer, {}).get(name))
    else:
        before, after = getattr(getattr(old, section), name), getattr(getattr(new, section), name)
    return f"{name.replace('_', ' ')} {before} → {after}"


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
