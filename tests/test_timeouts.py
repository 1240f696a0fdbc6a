"""
Tests for txnetserver._timeouts: Node's ``socket.setTimeout`` (``'timeout'``
once per idle period, re-armed by reads and writes), on loopback sockets and
on the deterministic clock of a memory network.
"""

from __future__ import annotations

import pytest

from txnetserver import errors
from txnetserver.testing import MemoryNetwork

from ._loopback import asyncTest, event
from .test_socket import SocketTestCase
from .test_testing import serve


class TimeoutTests(SocketTestCase):
    @asyncTest
    async def test_timeout_fires_after_inactivity_and_does_not_close(self) -> None:
        _, client, sock = await self.serve()
        order: list[str] = []
        self.assertIs(sock.setTimeout(50, lambda: order.append("cb")), sock)
        sock.on("timeout", lambda: order.append("listener"))
        self.assertEqual(sock.timeout, 50)
        await event(sock, "timeout")
        self.assertEqual(order, ["cb", "listener"])
        self.assertFalse(sock.destroyed)
        sock.setTimeout(0)
        self.assertEqual(sock.timeout, 0)
        client.close()

    @asyncTest
    async def test_set_timeout_validation(self) -> None:
        _, client, sock = await self.serve()
        with self.assertRaises(errors.ERR_OUT_OF_RANGE) as raised:
            sock.setTimeout(-1)
        self.assertEqual(
            str(raised.exception),
            'The value of "msecs" is out of range. It must be a non-negative finite '
            "number. Received -1",
        )
        with self.assertRaises(errors.ERR_INVALID_ARG_TYPE):
            sock.setTimeout("5")  # type: ignore[arg-type]
        client.close()


def test_set_timeout_fires_after_exact_inactivity_and_activity_defers_it(
    memoryNetwork: MemoryNetwork,
) -> None:
    server, sockets = serve(memoryNetwork)
    client = memoryNetwork.connect(server)
    sock = sockets[0]
    sock.on("data", lambda data: None)
    fired: list[float] = []
    sock.setTimeout(1000, lambda: fired.append(memoryNetwork.reactor.seconds()))
    memoryNetwork.advance(999)
    assert fired == []
    client.write(b"activity")  # at t=0.999 s: the idle period restarts
    memoryNetwork.pump()
    memoryNetwork.advance(998)
    assert fired == []
    memoryNetwork.advance(3)  # past 1000 ms after the last activity (float margin)
    assert fired == [pytest.approx(1.999, abs=0.001)]
    assert not sock.destroyed
    memoryNetwork.advance(5000)
    assert len(fired) == 1  # once per idle period, as Node


def test_an_echo_by_pipe_defers_the_timeout_and_counts_bytes(
    memoryNetwork: MemoryNetwork,
) -> None:
    server, sockets = serve(memoryNetwork)
    client = memoryNetwork.connect(server)
    sock = sockets[0]
    sock.pipe(sock)
    fired: list[float] = []
    sock.setTimeout(1000, lambda: fired.append(memoryNetwork.reactor.seconds()))
    memoryNetwork.advance(999)
    client.write(b"ping")  # echoed at t=0.999 s: the idle period restarts
    memoryNetwork.pump()
    assert client.takeReceived() == b"ping"
    memoryNetwork.advance(998)
    assert fired == []
    memoryNetwork.advance(3)
    assert fired == [pytest.approx(1.999, abs=0.001)]
    sock.setTimeout(0)
    client.write(b"pong")  # without a timeout: the direct echo path
    memoryNetwork.pump()
    assert client.takeReceived() == b"pong"
    assert (sock.bytesRead, sock.bytesWritten) == (8, 8)


def test_set_timeout_zero_disarms(memoryNetwork: MemoryNetwork) -> None:
    server, sockets = serve(memoryNetwork)
    memoryNetwork.connect(server)
    sock = sockets[0]
    fired: list[bool] = []
    sock.setTimeout(100, lambda: fired.append(True))
    sock.setTimeout(0)
    memoryNetwork.advance(1000)
    assert fired == []
    assert sock.timeout == 0


def test_a_timeout_handler_can_close_idle_peers(memoryNetwork: MemoryNetwork) -> None:
    server = memoryNetwork.createServer(lambda s: s.setTimeout(500, s.destroy))
    server.listen(8000)
    client = memoryNetwork.connect(server)
    memoryNetwork.advance(499)
    assert not client.closed
    memoryNetwork.advance(1)
    assert client.closed
