"""The main screen: the single run, its views, its keys and its actions.

It owns the experiment's Config (the truth for resets and the controls); the
worker thread owns the Trainer (worker.py, started by the App). Replacing the
model builds the new Trainer here (so a bad preset fails here, and the running
experiment is untouched), bumps the generation, shows its step-0 snapshot at
once and hands it to the worker. The race (screens/compare.py) is pushed over
it, and its keys are then simply not this screen's.

Settings the views share (ascii, digits, the sample, the selected unit) are
reactives here that each view declaring one of that name is bound to
(`data_bind`); the layout's toggles are reactives that set this screen's
classes, which app.tcss reads.
"""

from __future__ import annotations

import dataclasses
import random
import traceback
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingsMap
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.reactive import Reactive, var
from textual.widgets import Footer, Header, Select, Static

from nntui.app import keys
from nntui.app.drawing import Drawing
from nntui.app.ghosts import Ghosts
from nntui.app.hint import HintState, hint_markup
from nntui.app.notices import said
from nntui.app.opening import Opener
from nntui.app.pacing import PacedScreen, Pacer, Turns, fast_play
from nntui.app.editing import Editing
from nntui.app.saving import Saving
from nntui.app.screens.compare import CompareScreen
from nntui.app.screens.error import ErrorDialog
from nntui.app.screens.picker import PresetPicker
from nntui.app.screens.vary import VaryDialog
from nntui.app.views import COLUMNS, TOP, ViewSpec, views_in
from nntui.app.widgets.boundary import BoundaryView
from nntui.app.widgets.controls import ControlsPanel
from nntui.app.widgets.hint import Hint
from nntui.app.lessons_shown import Lessons
from nntui.app.widgets.lesson import LessonPanel
from nntui.app.widgets.losschart import LossChart
from nntui.app.widgets.network import NetworkDiagram, SwitchUnit
from nntui.app.widgets.unit_images import UnitImages
from nntui.app.widgets.view import Context, View
from nntui.app.worker import (
    SPEEDS,
    FinishStep,
    Frame,
    MoveEpoch,
    NextPhase,
    Pause,
    Replace,
    ReplaceData,
    RunEpoch,
    SetLearningRate,
    SetOption,
    SetSpeed,
    ShowEpoch,
    Status,
    StepBack,
    TogglePlay,
)
from nntui.engine import drawn
from nntui.engine.snapshot import Snapshot
from nntui.engine.trainer import Trainer
from nntui.experiment.config import Config, ConfigError
from nntui.experiment.edits import edit
from nntui.experiment import sandbox
from nntui.experiment.presets import list_presets
from nntui.experiment.variants import Variant, declared_variants

# Below this the layout cannot work; it asks for a larger terminal instead.
MIN_WIDTH, MIN_HEIGHT = 80, 24
# The layouts, by the terminal's size (columns, rows): below MEDIUM the compact
# one (no header, one panel on the right, `i` switches it), below LARGE the
# medium one; in both the controls are a drawer (`m`). Below LARGE's width the
# controls are narrower. app.tcss draws each.
MEDIUM, LARGE = (100, 30), (140, 40)
# Learning rates `+` and `-` step through (TensorFlow Playground's, extended).
LR_LADDER = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
# The settings views share: a view with a reactive of one of these names is bound to it.
SHARED = ("ascii", "digits", "sample", "unit")


def next_lr(lr: float, up: bool) -> float:
    """The next rung of LR_LADDER above (or below) lr."""
    if up:
        return next((x for x in LR_LADDER if x > lr * (1 + 1e-9)), LR_LADDER[-1])
    return next((x for x in reversed(LR_LADDER) if x < lr * (1 - 1e-9)), LR_LADDER[0])


def size_class(width: int, height: int) -> str:
    """The layout for a terminal of this size: too-small, compact, medium or large."""
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return "too-small"
    if width < MEDIUM[0] or height < MEDIUM[1]:
        return "compact"
    return "medium" if width < LARGE[0] or height < LARGE[1] else "large"


def sub_title(config: Config, dataset, modified: bool) -> str:
    """The header's second line: which preset, and whether it was changed or drawn."""
    name = config.name if config.source else "preset"
    return f"{name}{' (modified)' if modified else ''}{' (drawn data)' if drawn.is_drawn(dataset) else ''}"


class MainScreen(PacedScreen):
    ascii: Reactive[bool] = var(False)  # the boundary, unit maps and images in characters (a)
    digits: Reactive[int] = var(4)  # significant digits (d)
    sample: Reactive[int] = var(0)  # the batch's sample shown (, .)
    unit: Reactive[tuple[int, int]] = var((1, 0))  # the selected (layer, unit); layer 0: the inputs
    layout_size: Reactive[str] = var("large")  # size_class(), as this screen's class -compact, -medium...
    images: Reactive[bool] = var(False, toggle_class="-images")  # the image views shown (w)
    show_confusion: Reactive[bool] = var(False, toggle_class="-show-confusion")  # x
    drawer: Reactive[bool] = var(False, toggle_class="-drawer")  # m
    show_network: Reactive[bool] = var(False, toggle_class="-show-network")  # i
    # L: below 140×40 the lesson opens brief; L shows the whole of it, then hides it
    lesson_whole: Reactive[bool] = var(False, toggle_class="-lesson-whole")
    lesson_hidden: Reactive[bool] = var(False, toggle_class="-lesson-hidden")
    why: Reactive[str] = var("")  # the why view shown in the weights' place (G, H, z): "" or its name

    def __init__(self, config: Config, trainer: Trainer, views: tuple[ViewSpec, ...], pacer: Pacer,
                 status: Status) -> None:
        super().__init__(pacer, id="_default")
        self.spec = views
        self.keys = keys.keys_for(v.name for v in views)
        self._bindings = BindingsMap(keys.bindings(self.keys))  # this registry's keys, no others
        self.config = config
        self.dataset = trainer.dataset
        self.generation = 0
        self.speed = pacer.runner.speed
        self.status = status
        self.frame: Frame | None = None  # the last frame shown
        self.shown: Snapshot | None = None  # the snapshot on screen
        self.shown_generation = 0
        self.views: dict[str, View] = {}  # by name (VIEWS), found once mounted
        self.hint: Hint | None = None
        self.turns = Turns(views)
        self.modified = False  # the controls changed the preset
        self.image_views = True  # image data: the image views, not the boundary (w)
        self.ghosts = Ghosts()  # earlier runs, drawn on the loss chart
        self.branches_seen = 0  # the worker's branches from a past epoch already kept as ghosts
        self.drawing = Drawing(self)
        self.opener = Opener(self)
        self.saving = Saving(self)
        self.editing = Editing(self)
        self._seed_rng = random.Random(config.model.seed)
        self._initial = trainer.snapshot()
        self.lessons = Lessons(self, config)

    @property
    def runner(self):
        return self.pacer.runner

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        self.app.notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        for view in views_in(self.spec, TOP):
            yield self._view(view)
        yield Hint(id="hint")
        yield LessonPanel(id="lesson")
        with Horizontal(id="body"):
            yield ControlsPanel(self.config, id="controls")
            for column in COLUMNS:
                with Vertical(id=f"col-{column}"):
                    for view in views_in(self.spec, column):
                        yield self._view(view)
        yield Static(id="too-small")
        yield Footer(compact=True, show_command_palette=False)

    def _view(self, spec: ViewSpec) -> View:
        view = spec.cls(id=spec.name)
        shared = [getattr(MainScreen, s) for s in SHARED if isinstance(getattr(spec.cls, s, None), Reactive)]
        return view.data_bind(*shared) if shared else view

    def on_mount(self) -> None:
        self.views = {view.name: self.query_one(f"#{view.name}", view.cls) for view in self.spec}
        self.hint = self.query_one("#hint", Hint)
        self.too_small = self.query_one("#too-small", Static)
        self.controls = self.query_one(ControlsPanel)
        self.lesson = self.query_one(LessonPanel)
        self._check_size(*self.app.size)
        self._set_data(self.dataset)
        self._show(self._initial, 0, every_view=True)
        self.lessons.show()
        self.update_hint()
        self.show_latest()  # a frame the worker published while this screen was being composed

    def on_resize(self, event) -> None:
        if self.views:  # else on_mount checks
            self._check_size(event.size.width, event.size.height)
            self.update_hint()

    def _check_size(self, width: int, height: int) -> None:
        self.layout_size = size_class(width, height)
        self.set_class(width < LARGE[0], "-narrow")
        if self.layout_size == "too-small":
            self.too_small.update(
                f"Enlarge the terminal to {MIN_WIDTH}×{MIN_HEIGHT}\n"
                f"(it is {width}×{height}; 160×48 is best).\n"
                "Keys still work; q quits."
            )

    def watch_layout_size(self, layout: str) -> None:
        self.set_class(layout == "too-small", "-too-small")
        self.set_class(self.compact, "-compact")  # too small is compact too
        self.set_class(layout == "medium", "-medium")
        self.lessons.place()

    @property
    def compact(self) -> bool:
        return self.layout_size in ("compact", "too-small")

    def on_screen_resume(self) -> None:
        if self.views:  # the terminal may have changed while another screen was on top
            self._check_size(*self.app.size)

    # --------------------------------------------------------------- frames

    def show_latest(self) -> None:
        """The worker published a frame: show it, unless a newer model replaced its own."""
        frame = self.runner.latest()
        if not self.views or frame is None or frame.generation != self.generation:  # on_mount catches up
            return
        if self.frame is not None and frame.seq <= self.frame.seq:
            return
        previous = self.frame
        self.frame = frame
        self.status = frame.status
        if frame.status == Status.DIVERGED and (previous is None or previous.status != Status.DIVERGED):
            self.notify(frame.message or "training diverged", title="Diverged", severity="error", timeout=8)
        if frame.branches > self.branches_seen and frame.branched is not None:
            # Play from a past epoch: the run as it was stays on the chart as a ghost.
            self.branches_seen = frame.branches
            if self.ghosts.branched(self.config, frame.branched, frame.snapshot.epoch) is not None:
                self._show_ghosts()
                self.notify(f"Training on from epoch {frame.snapshot.epoch}: the run as it was stays on the "
                            "chart (h hides, c clears).", timeout=4)

        self.lessons.follow(frame)
        # A new model's first frame, or a change of state (play, pause,
        # diverged): every view; in fast play otherwise, the views take turns.
        first = previous is None or previous.generation != frame.generation or previous.status != frame.status
        self._show(frame.snapshot, frame.generation, every_view=first)
        self.update_hint()

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
            self.sub_title_text(),
        )
        for name in names:
            self.views[name].show(snapshot, context)

    def _set_data(self, dataset, *, keep_axes: bool = False) -> None:
        image = self.config.data.image
        for view in self.views.values():
            view.set_dataset(dataset, image)
        self.images = image is not None and self.image_views
        boundary, network = self.views.get("boundary"), self.views.get("network")
        plane = None
        if boundary is not None:
            boundary.set_data(dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val, dataset.task,
                              dataset.classes, dataset.feature_names, keep_axes=keep_axes)
            plane = boundary.data  # the unit maps take the boundary's axes, kept while drawing
        if network is not None:
            network.set_data(dataset.x_train, dataset.x_val, dataset.feature_names,
                             limits=(plane["lo"], plane["hi"]) if plane else None)
        self.drawing.new_data(dataset, keep_axes)
        if dataset.task == "regression":
            # x pressed on classes does not carry over: regression has no
            # confusion matrix, and the weights are shown again.
            self.show_confusion = False

    def sub_title_text(self) -> str:
        return sub_title(self.config, self.dataset, self.modified)

    def update_hint(self) -> None:
        if self.hint is None:
            return  # not composed yet: on_mount shows the first
        frame, snap = self.frame, self.shown
        self.hint.set_markup(hint_markup(HintState(
            self.status, self.speed,
            message=frame.message if frame is not None else None,
            next_phase=snap.next_phase.label() if snap is not None else "forward 1",
            compact=self.compact,
            draw_note=self.drawing.note(),
            drawing=self.drawing.label_name() if self.drawing.note() is not None else "",
            opening=self.opener.name if self.opener.busy else None,
            open_progress=self.opener.progress,
        )))

    # ----------------------------------------------------- replacing the model

    def replace_model(self, trainer: Trainer, config: Config) -> None:
        """Swap in a new Trainer: from now on frames of older models are dropped.
        The run replaced stays on the loss chart as a ghost (app/ghosts.py)."""
        same = self.shown is not None and self.shown_generation == self.generation
        history = self.shown.history if same else None
        self.ghosts.replaced(self.config, history, config, self.shown.edits if same else ())
        self._show_ghosts()
        self.generation += 1
        self.config = config
        self.dataset = trainer.dataset
        self.app.title = config.title
        self.app.sub_title = self.sub_title_text()
        snapshot = trainer.snapshot()
        self.frame = None
        if self.status in (Status.DIVERGED, Status.ERROR):
            self.status = Status.PAUSED
        self._set_data(trainer.dataset, keep_axes=drawn.is_drawn(trainer.dataset))
        self._show(snapshot, self.generation, every_view=True)  # no view keeps the old model
        self.runner.send(Replace(trainer, self.generation))
        self.controls.load(config)
        self.lessons.replaced(config)
        self.update_hint()

    def build(self, config: Config, *, same_data: bool) -> Trainer | None:
        """A Trainer for config, or None after showing why it cannot be built."""
        self.pacer.hold_engine()  # the old model need not train while the new one is built
        try:
            return Trainer(config, dataset=self.dataset if same_data else None)
        except Exception as exc:  # noqa: BLE001 - shown, and the experiment goes on
            self.show_error("Cannot build this experiment", f"{exc}", traceback.format_exc())
            return None

    def adopt(self, config: Config, trainer: Trainer) -> None:
        """A newly opened preset in place of the current experiment."""
        self.modified = False
        self._seed_rng = random.Random(config.model.seed)
        self.replace_model(trainer, config)
        self.notify(f"Opened {config.title} ({config.name}): a new run from step 0.", timeout=3)
        self.open_declared_race()

    def use_drawn(self, data) -> None:
        """Show drawn data and hand it to the running trainer (drawing.py)."""
        self.dataset = data
        self._set_data(data, keep_axes=True)
        self.runner.send(ReplaceData(data, self.generation))
        self.app.sub_title = self.sub_title_text()

    def show_error(self, title: str, message: str, details: str | None = None) -> None:
        self.app.push_screen(ErrorDialog(title, message, details))

    def _show_ghosts(self) -> None:
        chart = self.views.get("loss")
        if chart is not None and hasattr(chart, "set_ghosts"):
            chart.set_ghosts(self.ghosts.items, self.ghosts.visible, self.ghosts.version)

    # ------------------------------------------------------ stepping and the run

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
        trainer = self.build(self.config, same_data=True)
        if trainer is not None:
            self.replace_model(trainer, self.config)
            self.notify("Reset to step 0, from the same start (the same seeds).", timeout=3)

    def action_reset_new_seed(self) -> None:
        seed = self._seed_rng.randrange(2**31)
        config = dataclasses.replace(self.config, model=dataclasses.replace(self.config.model, seed=seed))
        trainer = self.build(config, same_data=True)
        if trainer is not None:
            self.replace_model(trainer, config)
            if config.model.init == "explicit":
                self.notify(f"Model seed {seed}: the weights are given by the preset, so only the "
                            "order of the batches changes.", timeout=4)
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
        self.update_hint()

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

    # ----------------------------------------------------------- lessons, presets

    def action_answer(self, choice: int) -> None:
        """Answer the lesson's open question with choice 1-9."""
        self.lessons.answer(choice)

    def action_lesson(self) -> None:
        """Below 140×40: brief -> the whole lesson and its question -> hidden ->
        brief; from 140×40 (where it is whole): hidden <-> shown."""
        self.lessons.toggle()

    def action_next_lesson(self, delta: int) -> None:
        """The next (or previous) built-in preset, in the story's order."""
        names = [name for name, _ in list_presets()]
        here = names.index(self.config.name) if self.config.name in names else -1
        target = here + delta
        if not 0 <= target < len(names):
            self.notify("That was the " + ("last" if delta > 0 else "first") + " lesson.", timeout=2)
            return
        self.opener.open(names[target])

    def action_open_preset(self) -> None:
        self.app.push_screen(PresetPicker(sandbox.picker_titles(), current=self.config.name), self.opener.open)

    def action_unfocus(self) -> None:
        if not self.opener.cancel():
            self.set_focus(None)

    # ------------------------------------------------------------------ races

    def action_compare(self) -> None:
        self.app.push_screen(VaryDialog(self.config), self.open_race)

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
        self.app.push_screen(CompareScreen(variants, self.config.title or self.config.name, playing=playing))

    def action_save(self) -> None:
        self.saving.ask()

    def action_gradcheck(self) -> None:
        self.saving.gradcheck()

    # ------------------------------------------------------------------ views

    def action_drawer(self) -> None:
        """Open or close the controls. On a large screen they are always there
        (m hides them); below 140×40 they open over the left of the screen."""
        self.drawer = not self.drawer
        if self.drawer == (self.layout_size == "large"):  # closed
            self.set_focus(None)  # the keys go back to the screen

    def action_panel(self) -> None:
        """The compact layout has room for one panel on the right: the step
        inspector or the network; i switches between them (with image data:
        the inspector and the loss, or the mistakes and the units' pictures)."""
        self.show_network = not self.show_network
        if not self.compact:
            self.notify("The inspector and the network are both on screen; "
                        "i switches between them on a small terminal.", timeout=3)

    def action_confusion(self) -> None:
        """The confusion matrix in the weights' place (the loss chart's, at 80×24), or back."""
        if self.dataset.task == "regression":
            self.show_confusion = False
            self.notify("Regression has no classes: no confusion matrix.", timeout=3)
            return
        self.show_confusion = not self.show_confusion
        if self.show_confusion:
            self.why = ""
        instead = "the loss chart" if self.compact else "the weights"
        self.notify(f"Confusion matrix {'shown in place of' if self.show_confusion else 'hidden; back to'} "
                    f"{instead} (x).", timeout=2)

    def action_why(self, name: str) -> None:
        """Show a why view (gradients, hidden, landscape) in the weights' place, or back."""
        self.why = "" if self.why == name else name
        if self.why:
            self.show_confusion = False
        instead = "the loss chart" if self.compact else "the weights"
        what = {"gradients": "Gradient sizes", "hidden": "Hidden space", "landscape": "Loss landscape"}[name]
        self.notify(f"{what} {'shown in place of' if self.why else 'hidden; back to'} {instead}.", timeout=2)

    def watch_why(self, old: str, new: str) -> None:
        if old:
            self.remove_class(f"-show-{old}")
        if new:
            self.add_class(f"-show-{new}")

    def action_hidden_pair(self, step: int) -> None:
        self.views["hidden"].next_pair(step)

    def action_hidden_layer(self, step: int) -> None:
        self.views["hidden"].next_layer(step)

    def action_unit_off(self) -> None:
        """Switch the selected hidden unit off (its output held at 0), or on again."""
        self.editing.switch_unit(*self.unit)

    @on(SwitchUnit)
    def unit_switched(self, event: SwitchUnit) -> None:
        self.editing.switch_unit(event.layer, event.index)

    def action_set_weight(self) -> None:
        """Type a new value for the weight selected in the heatmaps; the run goes on from it."""
        self.editing.set_weight()

    def action_heatmap_mode(self) -> None:
        self.views["heatmaps"].cycle_mode()

    def action_ascii(self) -> None:
        self.ascii = not self.ascii

    def action_log_scale(self) -> None:
        self.views["loss"].toggle_log_scale()  # the other scale than the one seen, auto log included

    def action_show_lr(self) -> None:
        chart = self.views["loss"]
        chart.show_lr = not chart.show_lr

    def action_move_epoch(self, direction: int) -> None:
        """One epoch back or on through the run's timeline (pauses play)."""
        self.runner.send(MoveEpoch(direction))

    @on(LossChart.EpochPicked)
    def epoch_picked(self, event: LossChart.EpochPicked) -> None:
        self.runner.send(ShowEpoch(event.epoch))

    def action_images(self) -> None:
        """Image data: the image views, or the boundary (any pair of pixels)."""
        if self.config.data.image is None:
            self.notify("Not image data: a CSV preset with image = [rows, columns] is "
                        "(the digits preset).", timeout=3)
            return
        self.image_views = not self.image_views
        self.images = self.image_views
        if self.image_views:
            self.notify("Images: the sample, the hidden units' weights, the mistakes (w: the boundary)", timeout=3)
        else:
            self.notify("The boundary over two pixels (f: the next pair; w: the images again)", timeout=3)

    def action_features(self) -> None:
        if self.images:  # the boundary is off screen: show it first
            self.action_images()
            return
        if self.dataset.n_inputs <= 2:
            self.notify("This data has 2 inputs: the boundary already shows both.", timeout=2)
        self.views["boundary"].cycle_features()

    def action_sample(self, delta: int) -> None:
        """Show the numbers of another sample of the batch (network, inspector;
        the boundary rings it)."""
        snap = self.shown
        n = len(snap.batch_x) if snap is not None and snap.batch_x is not None else 0
        if not n and self.images and "sample" in self.views:
            self.views["sample"].step_sample(delta)  # no batch: another validation image
            return
        if not n:
            self.notify("No batch yet: press n to start a step.", timeout=2)
            return
        self.sample = (self.sample + delta) % n

    def action_neuron(self, delta: int) -> None:
        """Select the next (or previous) neuron without the mouse: every unit
        in turn, inputs first, layer by layer."""
        s = self.shown
        if s is None:
            return
        units = [(l, j) for l in range(len(s.sizes)) for j in range(s.sizes[l])]
        i = units.index(tuple(self.unit)) if tuple(self.unit) in units else 0
        self.unit = units[(i + delta) % len(units)]

    def action_scroll_panel(self, pages: int) -> None:
        """PgUp / PgDn: scroll the step inspector a page, with no Tab first.
        (A focused panel, such as the controls, scrolls itself: its own
        bindings come before these.)"""
        inspector = self.views.get("inspector")
        if inspector is None or not inspector.region.height:
            self.notify("The step inspector is not on screen: i shows it at 80×24.", timeout=2)
            return
        if pages > 0:
            inspector.scroll_page_down(animate=False)
        else:
            inspector.scroll_page_up(animate=False)

    def action_digits(self) -> None:
        """4 or 10 significant digits, in the inspector, network and heatmaps."""
        self.digits = 10 if self.digits < 10 else 4

    @on(NetworkDiagram.NeuronSelected)
    def neuron_selected(self, event: NetworkDiagram.NeuronSelected) -> None:
        self.unit = (event.layer, event.index)

    @on(UnitImages.UnitSelected)
    def unit_selected(self, event: UnitImages.UnitSelected) -> None:
        """A unit's weight picture clicked: select that neuron, as on the diagram."""
        self.unit = (1, event.index)

    # ------------------------------------------------------------- drawn data

    @on(BoundaryView.Clicked)
    def boundary_clicked(self, event: BoundaryView.Clicked) -> None:
        self.drawing.click(event.at, event.other)

    def action_draw_label(self) -> None:
        self.drawing.next_label()

    def action_remove_point(self) -> None:
        self.drawing.remove_nearest(self.views["boundary"].pointer)

    def action_clear_points(self) -> None:
        self.drawing.clear()

    # ----------------------------------------------------------------- controls

    def _set_config(self, **sections: Any) -> None:
        self.config = dataclasses.replace(self.config, **sections)
        self.modified = True
        self.app.sub_title = self.sub_title_text()

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
            self.app.sub_title = self.sub_title_text()
            if key == "train.learning_rate":
                self.runner.send(SetLearningRate(config.train.learning_rate))
            else:
                name = key.rsplit(".", 1)[1]
                self.runner.send(SetOption(name, config.train.options.get(name)))
            panel.load(config)
            self.notify(f"{said(key, old, config)}, from the next step on (the run goes on).", timeout=3)
            return True
        # Features are computed from the same points: the data is kept.
        same_data = dataclasses.replace(config.data, features=old.data.features) == old.data
        trainer = self.build(config, same_data=same_data)
        if trainer is None:
            panel.load(old)
            return False
        self.modified = True
        self.replace_model(trainer, config)
        kept = ("; the last run's loss curve stays on the chart (h hides, c clears)"
                if self.ghosts.items else "")
        self.notify(f"{said(key, old, config)}: a new run from step 0{kept}.", timeout=5)
        return True
