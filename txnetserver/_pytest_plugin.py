"""
The txnetserver pytest plugin (entry point ``txnetserver``): fixtures for
testing connection handlers without sockets, and a descriptor-leak check.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from txnetserver.testing import MemoryNetwork, openDescriptors


@pytest.fixture
def memoryNetwork() -> MemoryNetwork:
    """A fresh :class:`~txnetserver.testing.MemoryNetwork` (no sockets, no real reactor)."""
    return MemoryNetwork()


@pytest.fixture
def noLeakedDescriptors() -> Iterator[None]:
    """Fail the test if it leaves file descriptors open (Linux)."""
    before = openDescriptors()
    yield
    leaked = openDescriptors() - before
    if leaked:
        pytest.fail(f"the test leaked file descriptors: {sorted(leaked)}")
