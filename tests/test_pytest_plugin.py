"""
Tests for txnetserver._pytest_plugin, the pytest plugin users get through
its ``txnetserver`` entry point: the ``noLeakedDescriptors`` fixture fails a
leaking test, and ``loopbackServer`` serves real sockets.  The
``memoryNetwork`` fixture is used throughout the suite.
"""

from __future__ import annotations

from typing import Any

import pytest


def test_no_leaked_descriptors_fixture_fails_a_leaking_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        def test_leaks(noLeakedDescriptors):
            os.open(os.devnull, os.O_RDONLY)
        def test_clean(noLeakedDescriptors):
            os.close(os.open(os.devnull, os.O_RDONLY))
        """
    )
    # The plugin is loaded through its pytest11 entry point, as for users.
    result = pytester.runpytest("-p", "no:twisted")
    # The leak is found in teardown, which pytest reports as an error.
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*the test leaked file descriptors*"])


def test_loopback_server_fixture_serves_real_sockets(loopbackServer: Any) -> None:
    import socket

    server = loopbackServer(lambda s: s.pipe(s))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
        client.sendall(b"real bytes")
        assert client.recv(100) == b"real bytes"
    assert server.call(lambda: server.server.listening) is True
