"""The views: their shared base, their registry, and the one step number they name."""

from __future__ import annotations


from rich.text import Text

from nntui.app.app import NNTuiApp
from nntui.app.views import COLUMNS, TOP, VIEWS, ViewSpec
from nntui.app.widgets.inspector import StepInspector
from nntui.app.widgets.status import StatusLine
from nntui.app.widgets.view import Context, View
from nntui.app.worker import Status
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset

SIZE = (160, 48)



def text_of(view) -> str:
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


class StepCounter(View):
    """A made-up view: what a new view needs is this class and a registry line."""

    DEFAULT_CSS = "StepCounter { height: 3; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.shown = 0

    def invalidate(self) -> None:
        self.shown += 1
        super().invalidate()

    def render(self) -> Text:
        s = self.snapshot
        return Text("" if s is None else f"counter at step {s.shown_step}")


class WithCounter(NNTuiApp):
    VIEWS = (*VIEWS, ViewSpec("counter", StepCounter, "model", 2))


def test_every_view_is_a_view_with_a_place_and_a_rate():
    places = {TOP, *COLUMNS}
    assert len({v.name for v in VIEWS}) == len(VIEWS)
    for v in VIEWS:
        assert issubclass(v.cls, View), v.name
        assert v.place in places and v.fast_rate > 0, v.name


async def test_the_app_composes_each_view_in_its_place():
    app = NNTuiApp(load_preset("xor"), Trainer(load_preset("xor")))
    async with app.run_test(size=SIZE):
        assert list(app.main.views) == [v.name for v in VIEWS]
        for v in VIEWS:
            widget = app.main.views[v.name]
            assert isinstance(widget, v.cls) and widget.snapshot is app.main.shown
            parent = widget.parent
            assert (parent.id == f"col-{v.place}") if v.place in COLUMNS else parent is app.screen, v.name


async def test_a_new_view_is_one_class_and_one_registry_line():
    config = load_preset("xor")
    app = WithCounter(config, Trainer(config))
    async with app.run_test(size=SIZE) as pilot:
        counter = app.main.views["counter"]
        assert counter.parent.id == "col-model"
        assert "counter" in {name for turn in app.main.turns.cycle for name in turn}
        assert counter.shown == 1 and "step 0" in text_of(counter)
        await pilot.press("n")
        await app.settle()
        await pilot.pause()
        assert counter.shown == 2 and "counter at step 1" in text_of(counter)


async def test_the_framed_look_is_shared_and_the_status_line_has_none():
    app = NNTuiApp(load_preset("xor"), Trainer(load_preset("xor")))
    async with app.run_test(size=SIZE) as pilot:
        for v in VIEWS:
            border = app.main.views[v.name].styles.border_top[0]
            assert border == ("" if v.cls is StatusLine else "round"), v.name
        inspector = app.main.views["inspector"]
        assert inspector.styles.overflow_y == "auto"  # still a ScrollView, View's CSS first
        inspector.focus()
        await pilot.pause()
        assert inspector.styles.border_top[1] != app.main.views["network"].styles.border_top[1]  # focus is brighter
        app.set_focus(None)


async def test_views_name_the_same_step_in_every_phase():
    """A step in progress is step s.step + 1 everywhere; once its update is
    done, or at a step boundary, the last step completed."""
    app = NNTuiApp(load_preset("xor"), Trainer(load_preset("xor")))
    async with app.run_test(size=SIZE) as pilot:
        status, network, inspector = (app.main.views[n] for n in ("status", "network", "inspector"))
        assert "step 0" in status.line().plain and "step 0 ·" in text_of(network)
        phases = len(app.main.shown.phases)
        for done in range(1, 2 * phases + 1):
            await pilot.press("n")
            await app.settle()
            await pilot.pause()
            s = app.main.shown
            assert s.done in (done % phases, phases)
            expected = s.step + 1 if 0 < s.done < phases else s.step
            assert s.shown_step == expected
            assert f"step {expected} " in status.line().plain + " ", (done, status.line().plain)
            assert f"step {expected} ·" in text_of(network), done
            assert inspector.lines_text()[0].startswith(f"step {expected} ·"), (done, inspector.lines_text()[0])


async def _status_text(snapshot, context) -> str:
    w = StatusLine()
    from textual.app import App

    class One(App):
        def compose(self):
            yield w

    async with One().run_test(size=(160, 3)) as pilot:
        w.show(snapshot, context)
        await pilot.pause()
        return w.line().plain


async def test_the_status_line_shows_the_status_it_is_given():
    snap = Trainer(load_preset("xor")).snapshot()
    assert "‖ paused" in await _status_text(snap, Context(Status.PAUSED))
    assert "▶ playing" in await _status_text(snap, Context(Status.PLAYING, 250.0, "xor"))
    assert "✖ diverged" in await _status_text(snap, Context(Status.DIVERGED))
    assert "‖ paused" in await _status_text(snap, Context(Status.ERROR))  # the hint says what failed


async def test_a_view_redraws_only_when_its_snapshot_changes():
    tr = Trainer(load_preset("xor"))
    w = StepInspector()
    calls = []
    w.invalidate = lambda: calls.append(1)  # noqa: E731 - count, draw nothing
    w.show(tr.snapshot())
    w.show(tr.snapshot())  # the same state again
    assert len(calls) == 1
    tr.next_phase()
    w.show(tr.snapshot())
    assert len(calls) == 2


def test_panel_borders_stay_visible_in_256_and_16_colours():
    """The panels' frame colour must not fall on the background's colour when
    a terminal has 256 or 16 colours (the theme's $border-blurred did, in 256:
    the borders vanished in Terminal.app and in tmux without COLORTERM)."""
    from rich.color import Color as RichColor
    from rich.color import ColorSystem
    from textual.color import Color

    assert "$foreground 30%" in View.DEFAULT_CSS
    config = load_preset("xor")
    for theme in ("textual-dark", "textual-light", "nord", "gruvbox"):
        app = NNTuiApp(config, Trainer(config))
        app.theme = theme
        variables = app.get_css_variables()
        background = Color.parse(variables["background"])
        frame = background.blend(Color.parse(variables["foreground"]), 0.3)
        for system in (ColorSystem.EIGHT_BIT, ColorSystem.STANDARD):
            down = [RichColor.from_rgb(*c.rgb).downgrade(system) for c in (background, frame)]
            assert down[0] != down[1], (theme, system, down)
