"""The compare view: variants of one run raced together (nntui.experiment.variants.Race).

    CompareScreen(variants, title, playing=False)

One chart overlays every variant's train loss per epoch (drawn by plotext
through `nntui.text.curves`, the chart `nntui compare` prints, in the same colours),
and under it a small decision boundary per variant, side by side, each titled
with its label in its curve's colour and its latest loss and accuracy. The
variants play, pause and step together:

    space  play / pause        s  one step of each      e  one epoch of each
    r      restart the race    [ ]  slower / faster     escape, v  back to the single run
    z      the landscape: every variant's path on one loss map, in place of the boundaries
    < >    leave for the previous / next lesson

A race whose network has exactly two parameters (the `valley` lesson) opens
on the landscape: there the map is the whole loss surface, which is the lesson.

Playing runs on the main thread, STEP_BUDGET seconds of steps a frame, always
the variant furthest behind in epochs first (`Race.step`), so the variants stay
level by epoch. No worker thread: the nets a race is for are small, and the
screen then needs none of the main view's pacing. The frame timer runs only
while playing, so a paused race costs nothing (and a test's Pilot finds the
screen idle). The app opens it for a preset that declares [compare] variants
(`optimizers` opens as a four-way race), and from the `v` key's dialog.
"""

from __future__ import annotations

import asyncio
from time import perf_counter

from rich.color import Color
from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from nntui.app.widgets.boundary import BoundaryView
from nntui.app.widgets.race_landscape import RaceLandscape
from nntui.text.curves import PALETTE, Chart, Curve, chart_text
from nntui.experiment import sandbox
from nntui.experiment.variants import Race, Runner, Variant

FPS = 20
STEP_BUDGET = 0.012  # seconds of training a frame while playing, at most: the rest of the frame draws
# Play speeds, in epochs a second of each variant ([ and ]); None: as fast as
# STEP_BUDGET allows. 5 a second lets a 60-epoch race be watched in 12 s.
SPEEDS = (1, 2, 5, 10, 20, None)
DEFAULT_SPEED = 2
CHART_FPS = 5.0  # a plotext build is a few ms; the curves gain nothing from more


def colour_of(i: int) -> int:
    """The 256-colour index of variant i: its curve's, its boundary title's."""
    return PALETTE[i % len(PALETTE)]


def hex_of(i: int) -> str:
    """Variant i's colour for Textual markup, which names no 256-colour index."""
    return Color.from_ansi(colour_of(i)).get_truecolor().hex


class RaceChart(Widget):
    """Every variant's train loss, overlaid: a plotext chart built on the main thread."""

    DEFAULT_CSS = """
    RaceChart {
        height: 1fr;
        min-height: 10;
        border: round $foreground 30%;
        border-title-color: $text;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text("")
        self._key: tuple | None = None
        self._last = -1.0
        self.builds = 0

    def show(self, race: Race, loss_name: str, force: bool = False) -> None:
        width, height = self.content_size.width, self.content_size.height
        key = (tuple(len(r.trainer.history["train_loss"]) for r in race.runners), width, height)
        if key == self._key or (not force and perf_counter() - self._last < 1.0 / CHART_FPS):
            return
        self._key, self._last = key, perf_counter()
        if width < 20 or height < 4:
            self._text = Text("too small for the chart", style="dim")
        else:
            curves = [Curve(r.variant.label, r.trainer.history["train_loss"]) for r in race.runners]
            chart = Chart(f"train loss ({loss_name})", curves, height=height - 1,
                          colors=[colour_of(i) for i in range(len(curves))])
            text = chart_text(chart, width, "color")
            self._text = (Text.from_ansi(text) if text else
                          Text("no epoch yet: space plays the race, e runs one epoch of each", style="dim"))
        self.builds += 1
        self.refresh()

    def on_resize(self, _event) -> None:
        self._key = None

    def render(self) -> Text:
        return self._text


class CompareScreen(Screen[None]):
    # In the footer's order: at 80 columns the first ones show, and the way
    # out (esc), the help and quit must be among them.
    BINDINGS = [
        Binding("space", "toggle_play", "play"),
        Binding("z", "toggle_landscape", "landscape"),
        Binding("escape,v", "close", "single run"),
        Binding("question_mark", "app.help", "help", key_display="?"),
        Binding("q", "app.quit", "quit"),
        Binding("e", "epoch", "epoch each"),
        Binding("s", "step", "step each"),
        Binding("left_square_bracket", "speed(-1)", "slow", key_display="["),
        Binding("right_square_bracket", "speed(1)", "fast", key_display="]"),
        Binding("r", "restart", "restart"),
        Binding("ctrl+s", "save_variant", "save a variant", key_display="^s"),
        Binding("greater_than_sign", "lesson(1)", "next lesson", show=False, key_display=">"),
        Binding("less_than_sign", "lesson(-1)", "previous lesson", show=False, key_display="<"),
    ]

    DEFAULT_CSS = """
    CompareScreen {
        layout: vertical;
    }
    CompareScreen #race-hint {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    CompareScreen #race-boundaries {
        height: 1fr;
    }
    CompareScreen BoundaryView {
        width: 1fr;
        height: 100%;
    }
    CompareScreen RaceLandscape {
        display: none;
    }
    CompareScreen.landscape RaceLandscape {
        display: block;
        height: 2fr;  /* the map is the picture: two thirds of the room, the chart the rest */
    }
    CompareScreen.landscape #race-boundaries {
        display: none;
    }
    """

    def __init__(self, variants: list[Variant], title: str, *, playing: bool = False) -> None:
        super().__init__()
        self.variants = list(variants)
        self.race_title = title
        self.playing = playing
        self.race = Race(self.variants)
        self.loss_name = self.variants[0].config.train.loss
        self.speed = DEFAULT_SPEED
        self._goal = 0.0  # epochs the race should have reached, playing at its rate
        self._race_closed = False

    def compose(self) -> ComposeResult:
        yield Static(id="race-hint", markup=True)
        yield RaceChart(id="race-chart")
        with Horizontal(id="race-boundaries"):
            for i, _ in enumerate(self.variants):
                yield BoundaryView(id=f"race-boundary-{i}")
        yield RaceLandscape(id="race-landscape")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.chart = self.query_one(RaceChart)
        self.hint = self.query_one("#race-hint", Static)
        self.boundaries = [self.query_one(f"#race-boundary-{i}", BoundaryView) for i in range(len(self.variants))]
        self.landscape = self.query_one(RaceLandscape)
        self._set_data()
        first = self.race.runners[0].trainer
        self.set_class(sum(p.size for p in first.params.values()) == 2, "landscape")
        self._timer = self.set_interval(1 / FPS, self._tick, pause=not self.playing)
        self.call_after_refresh(self._show, True)

    def _set_data(self) -> None:
        for view, runner in zip(self.boundaries, self.race.runners):
            d = runner.trainer.dataset
            view.set_data(d.x_train, d.y_train, d.x_val, d.y_val, d.task, d.classes, d.feature_names)
        self.landscape.set_race(self.race, [colour_of(i) for i in range(len(self.variants))])

    # ------------------------------------------------------------ playing

    def _tick(self) -> None:
        if not self.playing:
            return
        end = perf_counter() + STEP_BUDGET
        rate = SPEEDS[self.speed]
        # The goal grows by rate/FPS a frame, not from where the race is: a step
        # may be a whole epoch (full batch), and stepping whenever the race is
        # behind its goal keeps the rate on average instead of a step a frame.
        if rate is None:
            self._goal = float("inf")
        else:
            now = self._progress()
            self._goal = min(self._goal, now + 1.0) + rate / FPS if now != float("inf") else now
        while perf_counter() < end and self._progress() < self._goal and self.race.step():
            pass
        if all(r.done for r in self.race.runners):
            self._set_playing(False)
        self._show(force=not self.playing)  # the finished race's last epochs are charted too

    def _progress(self) -> float:
        """Epochs done by the variant furthest behind (the race steps it first)."""
        return min((r.progress for r in self.race.runners if not r.done), default=float("inf"))

    def _set_playing(self, playing: bool) -> None:
        self.playing = playing
        self._goal = self._progress()  # play goes on from here at the chosen rate
        if playing:
            self._timer.resume()
        else:
            self._timer.pause()

    def _show(self, force: bool = False) -> None:
        for i, (view, r) in enumerate(zip(self.boundaries, self.race.runners)):
            view.show(r.trainer.snapshot())
            view.border_title = f"[{hex_of(i)}]━━[/] {escape(r.variant.label)}"
            view.border_subtitle = self._result(r, width=view.size.width)
        self.chart.show(self.race, self.loss_name, force=force)
        self.landscape.show()
        self._update_hint()

    @staticmethod
    def _result(r: Runner, width: int = 80) -> str:
        """The variant's last train loss and accuracy (validation's if it has
        one), in as many words as its border has room for."""
        h = r.trainer.history
        if r.diverged:
            return "diverged"
        if not h["train_loss"]:
            return "step 0"
        which, acc = ("val", h["val_accuracy"]) if h.get("val_accuracy") else ("train", h.get("train_accuracy"))
        if width < 24:
            return f"loss {h['train_loss'][-1]:.3g}" + (f" · {acc[-1]:.0%}" if acc else "")
        if width < 36:
            return f"{h['train_loss'][-1]:.3g}" + (f" · {which} {acc[-1]:.0%}" if acc else "")
        return f"train loss {h['train_loss'][-1]:.3g}" + (f" · {which} acc {acc[-1]:.0%}" if acc else "")

    def _update_hint(self) -> None:
        runners = self.race.runners
        epochs = min(r.trainer.epoch for r in runners)
        state = "done" if all(r.done for r in runners) else "playing" if self.playing else "paused"
        rate = SPEEDS[self.speed]
        state += f" · {rate} epoch{'s' if rate != 1 else ''}/s" if rate is not None else " · max speed"
        self.hint.update(f"[b]race[/b] · epoch {epochs}/{self.race.epochs} · {state} · {escape(self.race_title)} · "
                         f"{len(runners)} variants from the same start, data and batches")

    # ------------------------------------------------------------ keys

    def on_key(self, event) -> None:
        """A key of the single run (G, x, n, ...) does nothing here: say where it works."""
        from nntui.app.keys import KEYS

        if any(event.key in b.key.split(",") for b in self.BINDINGS):
            return
        single = next((k for k in KEYS if k.action is not None and event.key in k.keys.split(",")), None)
        if single is not None:
            self.app.notify(f"{single.shown_as()} ({single.label}) is a key of the single run: escape (or v) "
                            "goes back to it; ? lists the race's keys.", timeout=4)

    def action_toggle_play(self) -> None:
        if all(r.done for r in self.race.runners):
            self.app.notify("The race is done: r starts it again.", timeout=3)
            return
        self._set_playing(not self.playing)
        self._show(force=True)

    def action_step(self) -> None:
        self._set_playing(False)
        self.race.step_each()
        self._show(force=True)

    def action_epoch(self) -> None:
        """One more epoch of each variant still running."""
        self._set_playing(False)
        live = [r for r in self.race.runners if not r.done]
        if live:
            target = min(r.trainer.epoch for r in live) + 1
            while any(not r.done and r.trainer.epoch < target for r in self.race.runners):
                self.race.step()
        self._show(force=True)

    @property
    def landscape_shown(self) -> bool:
        return self.has_class("landscape")

    def action_toggle_landscape(self) -> None:
        self.set_class(not self.landscape_shown, "landscape")
        self._show(force=True)

    HELP_NOTES = (
        "The race: every variant starts from step 0 of the current experiment, from the same weights, data "
        "and batch order, and they step together, the one furthest behind first. The chart is each "
        "variant's train loss; under it each one's decision boundary, or with z the loss landscape: the "
        "training loss on one plane through the shared start, each variant's path on it in its colour. "
        "A two-weight net's plane is the whole surface (its axes the two weights); a bigger net's is the "
        "plane of the paths' two principal directions: the paths are projected on it, so the ground under "
        "a dot is the loss on the plane, not exactly the run's own (its loss is on the chart)."
    )

    def help_rows(self) -> list[tuple[str, str]]:
        """The race's own keys, for the help (?): the single run's are not on the race."""
        return [("space", "play / pause the race"), ("s", "one step of each variant"),
                ("e", "one epoch of each variant"), ("r", "restart the race from the same start"),
                ("[ ]", "slower / faster (epochs a second)"),
                ("z", "the landscape: every variant's path on one loss map (S the shared start, k variant "
                      "k's end), in place of the boundaries; a two-weight net shows its whole surface"),
                ("ctrl+s", "save a variant as a preset"), ("escape, v", "back to the single run"),
                ("< >", "the previous / next lesson"), ("?", "this help"), ("q", "quit")]

    def action_speed(self, delta: int) -> None:
        self.speed = max(0, min(len(SPEEDS) - 1, self.speed + delta))
        self._update_hint()  # it says the speed

    def action_lesson(self, delta: int) -> None:
        """< and > leave the race for the previous or next lesson, as on the single run."""
        self.action_close()
        self.app.call_later(self.app.main.action_next_lesson, delta)

    def action_restart(self) -> None:
        self._set_playing(False)
        self.race = Race(self.variants)
        self._set_data()
        self._show(force=True)
        self.app.notify("The race starts again from step 0, from the same start.", timeout=3)

    def action_save_variant(self) -> None:
        """A variant as a preset (.toml) that reopens as a single run."""
        from nntui.app.screens.save import SaveVariantDialog

        self._set_playing(False)
        labels = [v.label for v in self.variants]
        self.app.push_screen(SaveVariantDialog(labels, self.variants[0].config.name), self._save_variant)

    @work(exclusive=False, group="save")
    async def _save_variant(self, answer, replace: bool = False) -> None:
        """Asks before it replaces a file already there (screens/replace.py)."""
        from nntui.app.screens.replace import ReplaceDialog
        from nntui.engine.files import FileRefused
        from nntui.experiment.preset_file import PresetExists, save_preset

        if answer is None or answer.variant is None:
            return
        variant = self.variants[answer.variant]
        try:
            with sandbox.save_target(answer.path, (".toml",)) as target:  # classroom mode: in the tab's own folder
                replace = replace or sandbox.current() is not None  # (sandboxed: an empty file made for it)
                path = await asyncio.to_thread(save_preset, variant.config, target, replace=replace)
        except PresetExists as exc:
            self.app.push_screen(ReplaceDialog(str(exc)),
                                 lambda yes: yes and self._save_variant(answer, replace=True))
            return
        except (FileRefused, sandbox.SandboxRefused) as exc:  # one line naming the file
            self.app.notify(str(exc), title="Cannot save the variant", severity="error", timeout=6)
            return
        self.app.notify(f"Saved {variant.label} to {path}. Reopen with o or nntui --preset {path}",
                        title="Variant saved", timeout=6)

    def action_close(self) -> None:
        """Back to the single run, once (dismiss pops whatever is on top)."""
        if self._race_closed or not self.is_current:
            return
        self._race_closed = True
        self._set_playing(False)
        self.dismiss(None)
