"""Snapshots of the lesson on screen: its question before the run and the verdict
after it at 160x48, and at 80x24 the brief lesson and, after L, all of it."""

from __future__ import annotations

import pytest

from nntui.app.worker import RunEpoch
from tests.test_app_snapshots import LOSS_CHART_THROTTLE, app_for


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))


def keys_then_epochs(keys: list[str], epochs: int):
    async def run_before(pilot) -> None:
        app = pilot.app
        await pilot.press(*keys)
        for _ in range(epochs):
            app.runner.send(RunEpoch())
        for _ in range(200):
            await app.settle()
            if app.main.frame is None or app.main.frame.snapshot.epoch >= epochs:
                break
            await pilot.pause(0.02)
        await pilot.pause(LOSS_CHART_THROTTLE)

    return run_before


def test_the_question_before_the_run(snap_compare):
    assert snap_compare(app_for("perceptron-xor"), run_before=keys_then_epochs([], 0), terminal_size=(160, 48))


def test_the_verdict_after_the_run(snap_compare):
    assert snap_compare(app_for("perceptron-xor"), run_before=keys_then_epochs(["1"], 50), terminal_size=(160, 48))


def test_the_brief_lesson_at_80x24(snap_compare):
    assert snap_compare(app_for("xor"), run_before=keys_then_epochs([], 0), terminal_size=(80, 24))


def test_the_whole_lesson_and_its_question_at_80x24(snap_compare):
    assert snap_compare(app_for("xor"), run_before=keys_then_epochs(["L"], 0), terminal_size=(80, 24))
