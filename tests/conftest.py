"""Fixtures shared by the test modules.

torch is an oracle here, not a dependency of nntui: a test that compares with
torch takes the `torch` fixture, and is skipped alone where torch is missing;
the other tests of its module (contracts, hand-checked rules) still run.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import tempfile

import pytest

# The app asks the terminal how many colours it shows (rich reads COLORTERM
# and TERM) and draws the boundary in ASCII on a 16-colour one. Tests pin a
# truecolor terminal, so that no snapshot depends on the machine running them;
# a test of another depth sets its own before it makes the app.
os.environ["COLORTERM"] = "truecolor"
# A lesson's progress is kept under XDG_STATE_HOME: never the tester's own.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="nntui-test-state-")


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
