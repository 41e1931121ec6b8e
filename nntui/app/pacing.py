"""Pacing: how the UI and the training thread share two cores and one GIL.

Training runs in a thread of the app's process, so it competes with drawing
for the GIL, and fast play would starve the screen. Four measures, measured
on these machines (benchmarks/ui.py), keep the screen lively while the
engine keeps most of the CPU:

- The frame hold (PacedScreen): while the main screen draws a frame, fast
  training waits. Frames that need 10 ms of CPU took 60-90 ms when the two
  threads took turns every switch interval (the frames then fell behind and
  were dropped). The engine loses the same CPU either way; this way the frame
  is on screen sooner.
- The key hold (Pacer.hold_engine): a key, a click or a new model holds the
  engine until the screen has answered it.
- The turns (Turns): in fast play the views take turns, one screen area a
  frame (see Turns.next).
- The interpreter's settings (Pacer.tune_gc, Pacer.switch_interval).

The hold relies on Textual calling Screen._on_timer_update, a private method,
to draw a frame; tests/test_pacing.py fails if it stops doing so.
"""

from __future__ import annotations

import gc
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from textual.screen import Screen

from nntui.app.worker import SPEEDS, TRACE_UP_TO, EngineRunner, Status

if TYPE_CHECKING:
    from nntui.app.views import ViewSpec

# The GIL switch interval while the engine runs (Python's default is 5 ms).
SWITCH_INTERVAL = 0.002
# Garbage collector thresholds while the app runs (Python's default: 700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 20)
# Fast play shows a turn at most this often (Textual draws every 1/60 s).
MIN_TURN_GAP = 0.025


class Pacer:
    """Holds the engine while the UI needs the CPU, and tunes the interpreter."""

    def __init__(self, runner: EngineRunner, after_refresh: Callable[[Callable[[], None]], object]) -> None:
        self.runner = runner
        self._after_refresh = after_refresh  # App.call_after_refresh
        self._gc_thresholds: tuple[int, ...] | None = None  # saved by tune_gc

    def hold_engine(self) -> None:
        """While training at full speed, pause it until the screen has been
        redrawn: the UI has work to do (a key, a new model) and shares the
        CPU (the GIL) with the engine."""
        if self.runner.playing:
            self.runner.hold()
            self._after_refresh(self.runner.release)

    @contextmanager
    def frame(self) -> Iterator[None]:
        """Hold the engine for the drawing of one frame (see the module)."""
        runner = self.runner
        held = runner.playing
        if held:
            runner.hold()
        try:
            yield
        finally:
            if held:
                runner.release()

    def tune_gc(self) -> None:
        """Fewer, cheaper garbage collections. Training and drawing allocate
        many short-lived objects; at Python's default threshold (700) the
        collector ran ~45 times a second here, 1.4 ms each, and a full
        collection of the app's long-lived widgets paused up to 150 ms (a
        key's answer waited for it). Freeze what exists once the screen is up
        (full collections skip it) and collect the young generation less
        often."""
        if self._gc_thresholds is None:
            self._gc_thresholds = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)

    def restore_gc(self) -> None:
        """Undo tune_gc (the app is leaving; tests run many in one process)."""
        if self._gc_thresholds is not None:
            gc.unfreeze()
            gc.set_threshold(*self._gc_thresholds)
            self._gc_thresholds = None

    @staticmethod
    @contextmanager
    def switch_interval() -> Iterator[None]:
        """For the engine thread's life. It holds the GIL while it trains; with
        Python's default 5 ms switch interval every wake-up of the UI thread
        waits up to 5 ms for it, and a key or a frame needs many."""
        previous = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            yield
        finally:
            sys.setswitchinterval(previous)


class PacedScreen(Screen):
    """A screen whose frames hold fast training while they are drawn."""

    def __init__(self, pacer: Pacer, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pacer = pacer

    def _on_timer_update(self) -> None:  # Textual's "draw the pending changes"
        with self.pacer.frame():
            super()._on_timer_update()


def fast_play(status: Status, speed: int) -> bool:
    """Playing faster than steps are traced: the views then take turns."""
    return status == Status.PLAYING and (SPEEDS[speed] or math.inf) > TRACE_UP_TO


def fast_play_turns(views: Sequence[ViewSpec]) -> tuple[tuple[str, ...], ...]:
    """One cycle of fast-play turns, from the views' rates (ViewSpec.fast_rate).

    A turn draws one view, with the views that share its turns (ViewSpec.turn).
    Each view gets turns in proportion to its rate, in a cycle as short as the
    rates allow. The busiest view is placed first, at evenly spaced turns;
    each next one at its own even spacing, moved on to the next free turn
    where one is taken. A view that shares turns is drawn on as many of them,
    spread evenly, as its own rate asks.
    """
    leads: dict[str, list[ViewSpec]] = {}
    names = {v.name: v for v in views}
    for v in views:
        lead = v.turn or v.name
        if lead not in names or names[lead].turn or names[lead].place != v.place:
            raise ValueError(f"view {v.name!r} shares the turns of {lead!r}, which has none of its own in its place")
        leads.setdefault(lead, []).append(v)
    rate = {lead: max(v.fast_rate for v in group) for lead, group in leads.items()}
    unit = math.gcd(*(v.fast_rate for v in views))
    weight = {lead: r // unit for lead, r in rate.items()}
    cycle = sum(weight.values())
    slots: list[str | None] = [None] * cycle
    for lead in sorted(leads, key=lambda lead: -weight[lead]):  # stable: ties keep the registry's order
        for i in range(weight[lead]):
            at = math.ceil(i * cycle / weight[lead]) % cycle
            while slots[at] is not None:
                at = (at + 1) % cycle
            slots[at] = lead
    turns = []
    seen = dict.fromkeys(leads, 0)
    for lead in slots:
        k = seen[lead]
        seen[lead] += 1
        # The k-th turn of the lead draws a view of rate r if r/R more turns' worth is due.
        turns.append(tuple(
            v.name for v in leads[lead]
            if math.ceil((k + 1) * v.fast_rate / rate[lead]) > math.ceil(k * v.fast_rate / rate[lead])
        ))
    return tuple(turns)


class Turns:
    """Which views a frame draws.

    In fast play the views take turns (fast_play_turns), one screen area a
    frame: Textual redraws the bounding box of everything that changed in a
    frame, so the status line (top, full width) drawn with the boundary
    (right) would redraw every widget in between. Taking turns, a frame costs
    a fraction of a full redraw and the engine keeps most of the CPU, while
    the screen still changes 20 times a second.
    """

    def __init__(self, views: Sequence[ViewSpec]) -> None:
        self.all = tuple(v.name for v in views)
        self.cycle = fast_play_turns(views)
        self._turn = -1  # the last turn drawn
        self._turn_at = -math.inf

    def next(self, fast: bool) -> tuple[str, ...] | None:
        """The views to draw now: every view, or in fast play the next turn's
        (None: skip this frame, as it comes too soon after the last turn)."""
        if not fast:
            self._turn = -1
            return self.all
        # One turn a drawn frame: two turns drawn together would redraw the
        # box around both. Textual draws at most every 1/60 s, so turns closer
        # than that would be; skip such a frame.
        now = time.monotonic()
        if now - self._turn_at < MIN_TURN_GAP:
            return None
        self._turn_at = now
        self._turn = (self._turn + 1) % len(self.cycle)
        return self.cycle[self._turn]
