"""Fixtures shared by the test modules.

torch is an oracle here, not a dependency of nntui: a test that compares with
torch takes the `torch` fixture, and is skipped alone where torch is missing;
the other tests of its module (contracts, hand-checked rules) still run.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def torch():
    """The torch module, on one thread (tiny tensors; see DESIGN's measured facts).
    Skips the test that asks for it when torch is not installed."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch
