"""Pictures of the app, made headless (`nntui shot`): the app runs under
Textual's run_test on a trained trainer, shows one view, and its screen is
saved as Textual's SVG screenshot or as plain text."""

from __future__ import annotations

import contextlib
import os
import re

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


async def take(trainer, view: str | None, size: tuple[int, int], kind: str, race_epochs: int = 0,
               keys: tuple[str, ...] = ()) -> str:
    """The screen of the app on `trainer` showing `view`, as "svg" or "txt".
    A race is run `race_epochs` epochs (each variant), then paused. `keys`
    are pressed last, as a user would (n n n: the step's phases so far)."""
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
            for key in keys:
                await pilot.press(key)
                await app.settle()
            finish = getattr(getattr(app.screen, "views", {}).get(view), "finish", None)
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


QUITTING = ("q", "ctrl+q", "ctrl+c")
_KEY = re.compile(r"[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*|[{}<>?+\-\[\]]")


def parse_keys(text: str) -> tuple[str, ...]:
    """"n n n" or "n,n,n" -> the keys to press (Textual's names: space, escape,
    ctrl+s, or one character); ValueError naming a key that is not one, or
    one that would quit the app before the picture."""
    keys = tuple(k for k in re.split(r"[\s,]+", text.strip()) if k)
    for k in keys:
        if not _KEY.fullmatch(k):
            raise ValueError(f"'{k}' is not a key: name keys as the app's help does (n, space, escape, "
                             "ctrl+s, [ ), separated by spaces or commas")
        if k in QUITTING:
            raise ValueError(f"'{k}' quits the app before the picture is taken")
    return keys


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
