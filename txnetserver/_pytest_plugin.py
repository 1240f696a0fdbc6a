"""
The txnetserver pytest plugin (entry point ``txnetserver``): fixtures for
testing connection handlers without sockets, and a descriptor-leak check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from txnetserver.testing import LoopbackServer, MemoryNetwork, openDescriptors


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


@pytest.fixture
def loopbackServer() -> Iterator[Callable[..., LoopbackServer]]:
    """
    Start real servers on 127.0.0.1 (each on its own reactor thread):
    ``loopbackServer(connectionListener, **options)``.  After the test they are
    closed, and the test fails if a server leaked file descriptors.
    """
    started: list[LoopbackServer] = []

    def start(connectionListener: Any = None, **options: Any) -> LoopbackServer:
        server = LoopbackServer(connectionListener, **options)
        started.append(server)
        return server

    yield start
    leaked = set()
    for server in started:
        leaked |= server.close()
    if leaked:
        pytest.fail(f"the loopback server leaked file descriptors: {sorted(leaked)}")
