"""Tests for txnetserver.reactor: the opt-in lean epoll reactor."""

from __future__ import annotations

import os
import socket
import struct
from typing import Any

from twisted.internet.abstract import FileDescriptor
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.internet.protocol import Protocol, connectionDone
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from txnetserver._transport import NodeTCPServerTransport
from txnetserver.reactor import NodeReactor

from ._children import runPython


class _Readable(FileDescriptor):
    """A descriptor whose doRead runs a callable."""

    def __init__(self, reactor: NodeReactor, sock: socket.socket, onRead: object) -> None:
        super().__init__(reactor)
        self._sock = sock
        self._onRead = onRead

    def fileno(self) -> int:
        return self._sock.fileno()

    def doRead(self) -> None:
        self._sock.recv(100)
        self._onRead()  # type: ignore[operator]


class NodeReactorTests(SynchronousTestCase):
    def makeReactor(self) -> NodeReactor:
        reactor = NodeReactor()
        self.addCleanup(reactor._poller.close)
        return reactor

    def test_events_are_dispatched(self) -> None:
        reactor = self.makeReactor()
        left, right = socket.socketpair()
        self.addCleanup(left.close)
        self.addCleanup(right.close)
        calls: list[bool] = []
        reader = _Readable(reactor, left, lambda: calls.append(True))
        reactor.addReader(reader)
        right.send(b"x")
        reactor.doPoll(1)
        self.assertEqual(calls, [True])
        reactor.removeReader(reader)

    def test_an_exception_in_a_handler_is_logged_and_polling_goes_on(self) -> None:
        reactor = self.makeReactor()
        left, right = socket.socketpair()
        self.addCleanup(left.close)
        self.addCleanup(right.close)

        def explode() -> None:
            raise ZeroDivisionError("handler bug")

        reader = _Readable(reactor, left, explode)
        reactor.addReader(reader)
        right.send(b"x")
        reactor.doPoll(1)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)
        reactor.removeReader(reader)

    def test_install_makes_it_the_global_reactor_and_serves(self) -> None:
        result = runPython(
            """
            import txnetserver.reactor
            txnetserver.reactor.install()
            from twisted.internet import reactor
            from txnetserver import createServer, run
            import socket
            def main(r):
                server = createServer(lambda s: s.pipe(s))
                def check():
                    port = server.address().port
                    # a blocking client in a thread: the reactor keeps serving
                    from twisted.internet.threads import deferToThread
                    def client():
                        with socket.create_connection(("127.0.0.1", port)) as c:
                            c.sendall(b"lean"); return c.recv(10)
                    d = deferToThread(client)
                    d.addCallback(lambda data: (print(type(r).__name__, data), server.close()))
                server.listen(0, "127.0.0.1", check)
            run(main)
            """
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "NodeReactor b'lean'")
        self.assertTrue(os.path.exists(__file__))


@implementer(IHalfCloseableProtocol)
class _Recorder(Protocol):
    """A protocol recording what the inlined read path hands it."""

    def __init__(self, explode: bool = False) -> None:
        self.received: list[bytes] = []
        self.readLost = False
        self.lost: list[type[BaseException]] = []
        self.explode = explode

    def dataReceived(self, data: bytes) -> None:
        self.received.append(data)
        if self.explode:
            raise ZeroDivisionError("protocol bug")

    def readConnectionLost(self) -> None:
        self.readLost = True
        self.transport.loseConnection()  # type: ignore[union-attr]

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.lost.append(reason.type)  # type: ignore[arg-type]


class InlinedReadTests(SynchronousTestCase):
    """
    NodeReactor reads txnetserver's own TCP connections without
    ``_doReadOrWrite``; these are the outcomes Twisted's path gives.
    """

    def connection(self, protocol: Protocol) -> tuple[NodeReactor, socket.socket, Any]:
        reactor = NodeReactor()
        self.addCleanup(reactor._poller.close)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        peer = socket.create_connection(listener.getsockname())
        self.addCleanup(peer.close)
        accepted, address = listener.accept()
        listener.close()
        accepted.setblocking(False)
        transport = NodeTCPServerTransport(accepted, protocol, address, None, 1, reactor)
        self.addCleanup(transport.socket.close)
        protocol.makeConnection(transport)
        transport.startReading()
        return reactor, peer, transport

    def test_data_goes_to_the_protocol(self) -> None:
        protocol = _Recorder()
        reactor, peer, transport = self.connection(protocol)
        peer.send(b"hello")
        reactor.doPoll(1)
        self.assertEqual(protocol.received, [b"hello"])
        self.assertIn(transport, reactor.getReaders())

    def test_the_peers_fin_is_a_read_side_close(self) -> None:
        protocol = _Recorder()
        reactor, peer, _ = self.connection(protocol)
        peer.shutdown(socket.SHUT_WR)
        reactor.doPoll(1)
        # Half-closeable: the FIN reaches readConnectionLost, not connectionLost.
        self.assertTrue(protocol.readLost)
        while not protocol.lost:
            reactor.doPoll(1)
            reactor.runUntilCurrent()  # type: ignore[no-untyped-call]
        self.assertEqual(protocol.lost, [ConnectionDone])

    def test_a_reset_is_connection_lost(self) -> None:
        protocol = _Recorder()
        reactor, peer, transport = self.connection(protocol)
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.close()
        reactor.doPoll(1)
        while not protocol.lost:
            reactor.runUntilCurrent()  # type: ignore[no-untyped-call]
            reactor.doPoll(0)
        self.assertEqual(protocol.lost, [ConnectionLost])
        self.assertNotIn(transport, reactor.getReaders())

    def test_an_exception_from_the_protocol_is_logged_and_disconnects(self) -> None:
        protocol = _Recorder(explode=True)
        reactor, peer, transport = self.connection(protocol)
        peer.send(b"boom")
        reactor.doPoll(1)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)
        self.assertNotIn(transport, reactor.getReaders())
        self.assertEqual(protocol.lost, [ZeroDivisionError])
