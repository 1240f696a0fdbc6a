"""
txnetserver._transport: the server transports' write-through and their
close without an EPOLLOUT round, on real loopback sockets and a private
NodeReactor driven by hand (no global reactor, no sleeping).
"""

from __future__ import annotations

import socket

from twisted.internet.error import ConnectionAborted, ConnectionDone
from twisted.internet.protocol import Protocol, connectionDone
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from txnetserver._transport import NodeTCPServerTransport
from txnetserver.reactor import NodeReactor


class _Recorder(Protocol):
    def __init__(self) -> None:
        self.lost: list[type[BaseException]] = []

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.lost.append(reason.type)  # type: ignore[arg-type]


class LoseConnectionTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.reactor = NodeReactor()
        self.addCleanup(self.reactor._poller.close)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        self.peer = socket.create_connection(listener.getsockname())
        self.addCleanup(self.peer.close)
        accepted, address = listener.accept()
        listener.close()
        accepted.setblocking(False)
        self.protocol = _Recorder()
        self.transport = NodeTCPServerTransport(
            accepted, self.protocol, address, None, 1, self.reactor
        )
        self.addCleanup(accepted.close)
        self.protocol.makeConnection(self.transport)
        self.transport.startReading()

    def iterate(self) -> None:
        self.reactor.runUntilCurrent()  # type: ignore[no-untyped-call]
        self.reactor.doPoll(0)

    def readAll(self) -> bytes:
        """Everything the peer receives until our FIN (bounded by the iterations)."""
        self.peer.setblocking(False)
        received = bytearray()
        for _ in range(10000):
            self.iterate()
            try:
                chunk = self.peer.recv(1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                return bytes(received)
            received += chunk
        self.fail("no FIN from the server")

    def test_with_nothing_buffered_it_closes_on_the_next_tick_without_epollout(self) -> None:
        self.transport.loseConnection()
        self.assertEqual(self.protocol.lost, [])  # never from inside loseConnection
        self.assertNotIn(self.transport, self.reactor.getWriters())
        self.assertNotIn(self.transport, self.reactor.getReaders())
        self.iterate()
        self.assertEqual(self.protocol.lost, [ConnectionDone])
        self.assertEqual(self.readAll(), b"")

    def test_a_write_in_the_same_tick_still_goes_out_before_the_fin(self) -> None:
        self.transport.loseConnection()
        self.transport.write(b"last words")
        self.assertEqual(self.readAll(), b"last words")
        self.assertEqual(self.protocol.lost, [ConnectionDone])

    def test_buffered_data_is_flushed_before_the_close(self) -> None:
        payload = b"x" * (8 * 1024 * 1024)  # more than the kernel takes at once
        self.transport.write(payload)
        self.assertGreater(self.transport.writableLength, 0)
        self.transport.loseConnection()
        self.assertEqual(self.readAll(), payload)
        self.assertEqual(self.protocol.lost, [ConnectionDone])

    def test_an_abort_before_the_tick_loses_the_connection_once(self) -> None:
        self.transport.loseConnection()
        self.transport.abortConnection()
        for _ in range(3):
            self.iterate()
        self.assertEqual(self.protocol.lost, [ConnectionAborted])
