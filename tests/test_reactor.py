"""Tests for txnetserver.reactor: the opt-in lean epoll reactor."""

from __future__ import annotations

import os
import socket

from twisted.internet.abstract import FileDescriptor
from twisted.trial.unittest import SynchronousTestCase

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
