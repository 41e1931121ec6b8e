"""Fixtures shared by the test modules.

torch is an oracle here, not a dependency of nntui: a test that compares with
torch takes the `torch` fixture, and is skipped alone where torch is missing;
the other tests of its module (contracts, hand-checked rules) still run.
"""

from __future__ import annotations

import asyncio
import inspect
import os

import pytest

# The app asks the terminal how many colours it shows (rich reads COLORTERM
# and TERM) and draws the boundary in ASCII on a 16-colour one. Tests pin a
# truecolor terminal, so that no snapshot depends on the machine running them;
# a test of another depth sets its own before it makes the app.
os.environ["COLORTERM"] = "truecolor"


# What each test file needs or costs, as markers (registered in pyproject.toml):
#   app      drives the Textual app or a widget in it;
#   torch    compares with PyTorch (skipped alone where torch is missing);
#   browser  runs `nntui serve` in chromium;
#   slow     left out of the quick run, `pytest -m "not slow"` (README).
# A file not listed here gets no marker: it is in the quick run. Besides the
# table, every test that runs the app (an `async def` Pilot test, or one that
# takes `snap_compare`) is `app` and `slow`: each costs 0.3-3 s. So the quick
# run keeps every engine, config and CLI test, and the sync tests of the app's
# pure parts (pacing, axes, ghosts' labels, the worker).
FILE_MARKERS = {
    "test_app.py": ("app", "slow"),
    "test_app_features.py": ("app", "slow"),
    "test_app_fuzz.py": ("app", "slow"),
    "test_app_main.py": ("app",),
    "test_app_keep.py": ("app", "slow"),
    "test_inspector_scroll.py": ("app", "slow"),
    "test_losschart_legibility.py": ("app",),
    "test_palette.py": ("app",),
    "test_slips.py": ("app",),
    "test_app_snapshots.py": ("app", "slow"),
    "test_compare_view.py": ("app",),
    "test_ghosts.py": ("app",),
    "test_image_views.py": ("app",),
    "test_losschart_axes.py": ("app",),
    "test_pacing.py": ("app",),
    "test_serve.py": ("browser", "slow"),
    "test_unitmaps.py": ("app",),
    "test_views.py": ("app",),
    "test_widgets.py": ("app",),
    "test_worker.py": ("app",),
    "test_export.py": ("torch",),
    "test_mazur.py": ("torch",),
    "test_optimizers.py": ("torch",),
    "test_oracle.py": ("torch",),
}

# Tests of quick files that cost seconds each, as (file, test name): each
# export test trains a preset in a fresh Python that imports torch (2-3 s),
# and the loss chart's toggles wait out a 1 s redraw throttle three times in
# a Textual app run by asyncio.run. The quick run keeps their files' other
# tests, the CLI's export among them.
SLOW_TESTS = {
    ("test_export.py", "test_every_preset_torch_can_train_gives_nntuis_history"),
    ("test_widgets.py", "test_losschart_toggle_shows_the_other_scale_even_before_a_redraw"),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        file = item.path.name
        for name in FILE_MARKERS.get(file, ()):
            item.add_marker(name)
        fixtures = getattr(item, "fixturenames", ())
        if inspect.iscoroutinefunction(getattr(item, "obj", None)) or "snap_compare" in fixtures:
            item.add_marker("app")
            item.add_marker("slow")
        if "torch" in fixtures:
            item.add_marker("torch")
        if (file, getattr(item, "originalname", item.name)) in SLOW_TESTS:
            item.add_marker("slow")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run an `async def` test in its own event loop, as Textual's run_test
    needs; no asyncio plugin, and no wrapper copied into every test module."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{n: pyfuncitem.funcargs[n] for n in names}))
    return True


@pytest.fixture(scope="session")
def torch():
    """The torch module, on one thread (tiny tensors; see DESIGN's measured facts).
    Skips the test that asks for it when torch is not installed."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


@pytest.fixture
def until():
    """`await until(condition)`: an explicit wait for what a test needs (a
    step trained, a frame drawn), polled every 10 ms, instead of a fixed sleep
    that is too short on a loaded machine and wasted on an idle one. Fails
    after `timeout` seconds, saying what it waited for."""

    async def wait(condition, timeout: float = 10.0, what: str = "the condition") -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not condition():
            if loop.time() > end:
                raise AssertionError(f"waited {timeout:g} s for {what}")
            await asyncio.sleep(0.01)

    return wait
