"""Pictures of the app, made headless (`nntui shot`): the app runs under
Textual's run_test on a trained trainer, shows one view, and its screen is
saved as Textual's SVG screenshot or as plain text."""

from __future__ import annotations

import contextlib
import os

from nntui.app.views import VIEWS

RACE = "race"
RACE_LANDSCAPE = "race-landscape"  # the race, its boundaries replaced by every variant's path on one map
RACES = (RACE, RACE_LANDSCAPE)


def view_names() -> tuple[str, ...]:
    return tuple(v.name for v in VIEWS) + RACES


def check_view(view: str | None) -> None:
    """ValueError naming the views, unless `view` is one (or None)."""
    if view is not None and view not in view_names():
        from nntui.engine.names import did_you_mean

        raise ValueError(f"no such view{did_you_mean(view, view_names())}; the views are "
                         f"{', '.join(view_names())}")


def screen_text(app) -> str:
    """The screen as plain text, a line a row (what a reader sees)."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips()) + "\n"


@contextlib.contextmanager
def colours_for(kind: str):
    """An SVG in full colour whatever the terminal; plain text as a 16-colour
    terminal draws it (maps and curves in characters, which read as text)."""
    saved = {k: os.environ.get(k) for k in ("COLORTERM", "NO_COLOR", "TERM")}
    if kind == "svg":
        os.environ.update(COLORTERM="truecolor", TERM="xterm-256color")
        os.environ.pop("NO_COLOR", None)
    else:
        os.environ["NO_COLOR"] = "1"
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


async def take(trainer, view: str | None, size: tuple[int, int], kind: str, race_epochs: int = 0) -> str:
    """The screen of the app on `trainer` showing `view`, as "svg" or "txt".
    A race is run `race_epochs` epochs (each variant), then paused."""
    from nntui.app.app import NNTuiApp

    race = view in RACES
    if race and not trainer.config.variants:
        raise ValueError(f"{trainer.config.name} declares no [compare] variants to race")
    with colours_for(kind):
        app = NNTuiApp(trainer.config, trainer, race=race)
        async with app.run_test(size=size) as pilot:
            await app.settle()
            await pilot.pause()
            if race:
                run_race(app.screen, race_epochs, landscape=view == RACE_LANDSCAPE)
            elif view is not None:
                show_view(app, view)
                await pilot.pause()
                finish = getattr(app.screen.views.get(view), "finish", None)
                if finish is not None:
                    finish()  # a slice measured a piece a tick: the whole of it, for the picture
            await app.settle()
            await pilot.pause(0.3)
            if kind == "svg":
                return app.export_screenshot(title=f"nntui {trainer.config.name}")
            return screen_text(app)


def run_race(screen, epochs: int, landscape: bool) -> None:
    """The race paused after `epochs` epochs of each variant (fewer if all end
    sooner), on its boundaries or its landscape."""
    from nntui.app.screens.compare import CompareScreen

    if not isinstance(screen, CompareScreen):
        raise ValueError("the race did not open")
    screen._set_playing(False)
    while min(r.trainer.epoch for r in screen.race.runners) < epochs and screen.race.step_epoch():
        pass
    if landscape != screen.landscape_shown:
        screen.action_toggle_landscape()
    screen._show(force=True)
    if landscape:
        screen.landscape.finish()


def show_view(app, view: str) -> None:
    """Bring `view` on screen, as its key does."""
    screen = app.screen
    if view in ("gradients", "hidden", "landscape"):
        screen.why = view
    elif view == "confusion":
        screen.show_confusion = True
    elif view == "network" and getattr(screen, "compact", False):
        screen.show_network = True
    widget = screen.views.get(view)
    if widget is not None and widget.can_focus:
        widget.focus()
