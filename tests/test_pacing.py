"""Pacing: the frame hold (which rests on a private Textual method), the
fast-play turns derived from the registry of views, the GC tuning."""

from __future__ import annotations

import gc
from collections import Counter

import pytest
from textual.screen import Screen

from nntui.app import pacing
from nntui.app.app import make_app
from nntui.app.pacing import MIN_TURN_GAP, PacedScreen, Turns, fast_play, fast_play_turns
from nntui.app.views import VIEWS, ViewSpec
from nntui.app.widgets.view import View
from nntui.app.worker import SPEEDS, TRACE_UP_TO, Pause, Status
from nntui.experiment.presets import load_preset

SIZE = (160, 48)



# ------------------------------------------------------------ the frame hold


async def test_textual_calls_the_frame_hold_and_training_waits_while_a_frame_draws(monkeypatch, until):
    """PacedScreen overrides Screen._on_timer_update, a private method of
    Textual's. If a Textual upgrade renames it or draws frames another way,
    the override is dead code and fast training no longer waits for frames:
    this test then fails (no frame is drawn through Textual's method while
    the engine is held)."""
    drawn_held = []
    textual_update = Screen._on_timer_update

    def spy(screen) -> None:
        drawn_held.append((type(screen), screen.app.runner.held))
        textual_update(screen)

    monkeypatch.setattr(Screen, "_on_timer_update", spy)
    app = make_app(load_preset("xor"), play=True)  # 100 steps/s: the CPU stays mostly idle
    async with app.run_test(size=SIZE):
        assert isinstance(app.screen, PacedScreen)
        await until(lambda: any(held for _, held in drawn_held), what="a frame drawn while training is held")
        assert app.runner.playing
        app.runner.send(Pause())
        await app.settle()
        assert not app.runner.held  # every hold was released
    frames_held = [screen for screen, held in drawn_held if held]
    assert frames_held, f"no frame drawn while training was held ({len(drawn_held)} frames)"
    assert all(issubclass(screen, PacedScreen) for screen in frames_held)


async def test_paused_frames_hold_nothing(monkeypatch):
    drawn_held = []
    textual_update = Screen._on_timer_update

    def spy(screen) -> None:
        drawn_held.append(screen.app.runner.held)
        textual_update(screen)

    monkeypatch.setattr(Screen, "_on_timer_update", spy)
    app = make_app(load_preset("xor"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")  # a frame to draw
        await app.settle()
        await pilot.pause()
    assert drawn_held and not any(drawn_held)


# ------------------------------------------------------------ the turns


def test_the_turns_draw_each_view_at_its_rate():
    cycle = fast_play_turns(VIEWS)
    counts = Counter(name for turn in cycle for name in turn)
    # The rates share the cycle in proportion: boundary 8, status and network 4, the others 2.
    per_second = {v.name: v.fast_rate for v in VIEWS}
    seconds = len(cycle) / 20  # a cycle's length at 20 frames a second
    for name, rate in per_second.items():
        assert counts[name] == rate * seconds, (name, counts)
    assert len(cycle) == 10


def test_a_turn_draws_one_area():
    """Two areas drawn in one frame would redraw the box around both."""
    by_name = {v.name: v for v in VIEWS}
    for turn in fast_play_turns(VIEWS):
        leads = {by_name[n].turn or n for n in turn}
        assert len(leads) == 1, turn
    assert ("network", "mistakes", "inspector") in fast_play_turns(VIEWS)


def test_the_busiest_view_is_spread_evenly():
    cycle = fast_play_turns(VIEWS)
    at = [i for i, turn in enumerate(cycle) if "boundary" in turn]
    gaps = [(b - a) % len(cycle) for a, b in zip(at, at[1:] + at[:1])]
    assert max(gaps) - min(gaps) <= 1, gaps


class Extra(View):
    pass


def test_a_new_view_gets_turns_from_its_registry_line_alone():
    views = (*VIEWS, ViewSpec("extra", Extra, "data", 4))
    cycle = fast_play_turns(views)
    counts = Counter(name for turn in cycle for name in turn)
    assert counts["extra"] == counts["status"] == counts["network"]
    assert counts["boundary"] == 2 * counts["extra"]


def test_a_view_must_share_the_turns_of_a_view_in_its_place():
    with pytest.raises(ValueError, match="inspector"):
        fast_play_turns((*VIEWS[:2], ViewSpec("inspector", Extra, "data", 2, turn="network")))
    with pytest.raises(ValueError, match="nowhere"):
        fast_play_turns((ViewSpec("nowhere", Extra, "data", 2, turn="nothing"),))


def test_turns_go_round_in_fast_play_and_skip_frames_too_close(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(pacing.time, "monotonic", lambda: now[0])
    turns = Turns(VIEWS)
    assert turns.next(fast=False) == tuple(v.name for v in VIEWS)
    seen = []
    for _ in range(len(turns.cycle)):
        now[0] += MIN_TURN_GAP
        seen.append(turns.next(fast=True))
        assert turns.next(fast=True) is None  # at once again: too soon, skipped
    assert tuple(seen) == turns.cycle
    now[0] += MIN_TURN_GAP
    assert turns.next(fast=True) == turns.cycle[0]  # round again
    assert turns.next(fast=False) == tuple(v.name for v in VIEWS)
    now[0] += MIN_TURN_GAP
    assert turns.next(fast=True) == turns.cycle[0]  # a full draw starts the cycle over


def test_fast_play_is_playing_faster_than_steps_are_traced():
    fast = [i for i, s in enumerate(SPEEDS) if s is None or s > TRACE_UP_TO]
    slow = [i for i in range(len(SPEEDS)) if i not in fast]
    assert fast and slow
    assert all(fast_play(Status.PLAYING, i) for i in fast)
    assert not any(fast_play(Status.PLAYING, i) for i in slow)
    assert not any(fast_play(status, fast[0]) for status in Status if status != Status.PLAYING)


# ------------------------------------------------------------ the interpreter


def test_gc_tuning_is_undone():
    app = make_app(load_preset("xor"))
    before = gc.get_threshold()
    try:
        app.pacer.tune_gc()
        assert gc.get_threshold() == pacing.GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        app.pacer.restore_gc()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_switch_interval_is_set_and_restored():
    import sys

    before = sys.getswitchinterval()
    with pacing.Pacer.switch_interval():
        assert sys.getswitchinterval() == pytest.approx(pacing.SWITCH_INTERVAL)
    assert sys.getswitchinterval() == before


def test_a_key_hold_lapses_after_the_next_refresh():
    calls = []
    app = make_app(load_preset("xor"), play=True)
    app.pacer._after_refresh = calls.append
    app.pacer.hold_engine()
    assert app.runner.held and calls == [app.runner.release]
    calls[0]()
    assert not app.runner.held
    app.runner.playing = False
    app.pacer.hold_engine()  # paused: nothing to hold
    assert not app.runner.held and len(calls) == 1
