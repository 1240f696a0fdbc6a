"""
Tests for txnetserver._socket: the Twisted protocol side of a Socket (half
close both ways, destroy, resets, the high-water mark, failing listeners)
on real loopback sockets, and sockets made before their transport on memory
transports.  Reading, writing, pipe(), setTimeout, what a socket reports
about itself (test_socketinfo) and to its owner (test_socketowner) have test
modules of their own.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import IHalfCloseableProtocol, IProtocol, IPushProducer
from twisted.logger import globalLogPublisher
from zope.interface.verify import verifyObject

from txnetserver import Socket, errors
from txnetserver.testing import MemoryNetwork

from ._loopback import Client, asyncTest, attach, closed, connect, event, listening, recordOn
from .test_server import ServerTestCase, event_tick


class SocketTestCase(ServerTestCase):
    async def serve(
        self, *args: Any, halfOpen: bool = False, **options: Any
    ) -> tuple[Any, Client, Socket]:
        """A 127.0.0.1 server, one connected client, and its accepted socket."""
        accepted: Deferred[Socket] = Deferred()
        server = self.makeServer(*args, **options)
        server.once("connection", accepted.callback)
        server.listen(0, "127.0.0.1")
        await listening(server)
        client = await connect(server, halfOpen=halfOpen)
        sock = await accepted
        return server, client, sock

    def record(self, sock: Socket, *names: str) -> list[tuple[str, tuple[Any, ...]]]:
        log: list[tuple[str, tuple[Any, ...]]] = []
        for name in names:
            sock.on(name, lambda *args, name=name: log.append((name, args)))
        return log


class InterfaceTests(SocketTestCase):
    @asyncTest
    async def test_socket_provides_the_twisted_protocol_interfaces(self) -> None:
        _, client, sock = await self.serve()
        for interface in (IProtocol, IHalfCloseableProtocol, IPushProducer):
            self.assertTrue(verifyObject(interface, sock))
        client.close()


class LifecycleTests(SocketTestCase):
    @asyncTest
    async def test_client_that_writes_and_ends_sees_nodes_event_order(self) -> None:
        _, client, sock = await self.serve()
        self.assertEqual(sock.readyState, "open")
        log = self.record(sock, "data", "end", "finish", "close")
        client.write(b"hello")
        client.halfClose()
        await event(sock, "close")
        self.assertEqual(
            log,
            [("data", (b"hello",)), ("end", ()), ("finish", ()), ("close", (False,))],
        )
        await client.lost
        self.assertTrue(client.eof)

    @asyncTest
    async def test_writes_inside_end_listener_reach_the_peer(self) -> None:
        _, client, sock = await self.serve()
        sock.on("data", lambda data: None)
        sock.on("end", lambda: sock.write(b"bye"))
        client.halfClose()
        await client.lost
        self.assertEqual(client.received, b"bye")

    @asyncTest
    async def test_write_after_peer_ended_fails_with_epipe(self) -> None:
        _, client, sock = await self.serve()
        sock.on("data", lambda data: None)
        errorsSeen: list[BaseException] = []
        sock.on("error", errorsSeen.append)
        client.halfClose()
        await event(sock, "end")
        await event_tick()
        results: list[BaseException | None] = []
        self.assertFalse(sock.write(b"late", callback=results.append))
        await event_tick()
        self.assertEqual(len(results), 1)
        error = results[0]
        assert isinstance(error, errors.NodeSystemError)
        self.assertEqual(
            (error.code, str(error)), ("EPIPE", "This socket has been ended by the other party")
        )

    @asyncTest
    async def test_allow_half_open_keeps_writing_after_end(self) -> None:
        _, client, sock = await self.serve(allowHalfOpen=True)
        sock.on("data", lambda data: None)
        log = self.record(sock, "end", "finish", "close")
        client.write(b"req")
        client.halfClose()
        await event(sock, "end")
        self.assertTrue(sock.writable)
        self.assertEqual(sock.readyState, "writeOnly")
        await event_tick()
        sock.write(b"late reply")
        sock.end()
        await event(sock, "close")
        await client.lost
        self.assertEqual(client.received, b"late reply")
        self.assertEqual([name for name, _ in log], ["end", "finish", "close"])

    @asyncTest
    async def test_server_end_first_then_peer_end(self) -> None:
        _, client, sock = await self.serve(halfOpen=True)
        sock.on("data", lambda data: None)
        log = self.record(sock, "finish", "end", "close")
        sock.end(b"first")
        await client.waitForEOF()
        self.assertEqual(sock.readyState, "readOnly")
        client.write(b"still reading")
        received: list[bytes] = []
        sock.on("data", received.append)
        client.halfClose()
        await event(sock, "close")
        self.assertEqual(b"".join(received), b"still reading")
        self.assertEqual([name for name, _ in log], ["finish", "end", "close"])
        self.assertEqual(client.received, b"first")


class DestroyTests(SocketTestCase):
    @asyncTest
    async def test_destroy_without_error_closes_cleanly(self) -> None:
        _, client, sock = await self.serve()
        log = self.record(sock, "error", "close")
        self.assertIs(sock.destroy(), sock)
        self.assertTrue(sock.destroyed)
        await event(sock, "close")
        self.assertEqual(log, [("close", (False,))])
        await client.lost

    @asyncTest
    async def test_destroy_with_error_emits_error_then_close(self) -> None:
        _, _client, sock = await self.serve()
        log = self.record(sock, "error", "close")
        boom = RuntimeError("boom")
        sock.destroy(boom)
        await event(sock, "close")
        self.assertEqual(log, [("error", (boom,)), ("close", (True,))])

    @asyncTest
    async def test_peer_reset_is_econnreset_then_close_with_error(self) -> None:
        _, client, sock = await self.serve()
        log = self.record(sock, "error", "close")
        sock.on("data", lambda d: None)
        client.write(b"abcd")
        await event(sock, "data")
        client.reset()
        await event(sock, "close")
        self.assertEqual([name for name, _ in log], ["error", "close"])
        error = log[0][1][0]
        assert isinstance(error, errors.NodeSystemError)
        self.assertEqual((error.code, error.syscall), ("ECONNRESET", "read"))
        self.assertEqual(log[1][1], (True,))
        self.assertEqual(sock.bytesRead, 4)
        self.assertIsNone(sock.remoteAddress)

    @asyncTest
    async def test_reset_and_destroy_sends_rst(self) -> None:
        _, client, sock = await self.serve()
        sock.resetAndDestroy()
        reason = await client.lost
        self.assertIsInstance(reason, ConnectionLost)

    @asyncTest
    async def test_counters_survive_close(self) -> None:
        _, client, sock = await self.serve()
        sock.on("data", lambda d: sock.end(b"0123456789"))
        client.write(b"12345")
        await event(sock, "close")
        self.assertEqual((sock.bytesRead, sock.bytesWritten), (5, 10))


class PropertyTests(SocketTestCase):
    @asyncTest
    async def test_server_high_water_mark_applies_to_sockets(self) -> None:
        _, client, sock = await self.serve(highWaterMark=1024)
        self.assertEqual((sock.readableHighWaterMark, sock.writableHighWaterMark), (1024, 1024))
        client.close()


class ListenerFailureTests(SocketTestCase):
    @asyncTest
    async def test_a_raising_listener_destroys_only_its_socket(self) -> None:
        logged: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)

        def onConnection(sock: Socket) -> None:
            def onData(data: bytes) -> None:
                if data == b"bad":
                    raise ValueError("handler bug")
                sock.write(data)

            sock.on("data", onData)

        server, bad, _badSock = await self.serve(onConnection)
        bad.write(b"bad")
        await bad.lost
        self.assertTrue(any("handler bug" in repr(e.get("log_failure")) for e in logged))
        good = await connect(server)
        good.write(b"good")
        self.assertEqual(await good.waitForBytes(4), b"good")
        good.close()
        self.flushLoggedErrors(ValueError)

    @asyncTest
    async def test_failing_async_data_listener_is_an_error_on_the_socket(self) -> None:
        # A lone 'data' listener is called without emit(); its awaitable is
        # still watched, as emit() would.
        _server, client, sock = await self.serve()
        errorsSeen: list[BaseException] = []
        sock.on("error", errorsSeen.append)

        async def onData(data: bytes) -> None:
            raise ValueError(f"async bug on {data!r}")

        sock.on("data", onData)
        socketClosed = event(sock, "close")
        client.write(b"x")
        await socketClosed
        await client.lost
        self.assertEqual([str(e) for e in errorsSeen], ["async bug on b'x'"])

    @asyncTest
    async def test_failing_async_connection_listener_destroys_the_socket(self) -> None:
        async def onConnection(sock: Socket) -> None:
            raise ValueError("async bug")

        accepted: Deferred[Socket] = Deferred()
        server = self.makeServer(onConnection)
        server.on("connection", accepted.callback)
        server.listen(0, "127.0.0.1")
        await listening(server)
        client = await connect(server)
        sock = await accepted
        errorsSeen: list[BaseException] = []
        sock.on("error", errorsSeen.append)
        socketClosed = event(sock, "close")
        await client.lost
        await socketClosed
        self.assertEqual([str(e) for e in errorsSeen], ["async bug"])
        await closed(server)


# -- a socket made before its transport (Node's new net.Socket()), on memory transports


def test_destroy_before_any_transport_closes_cleanly(memoryNetwork: MemoryNetwork) -> None:
    sock = Socket(reactor=memoryNetwork.reactor)
    log = recordOn(sock, "error", "close")
    sock.destroy()
    assert (sock.destroyed, sock.readyState, sock.pending) == (True, "closed", True)
    memoryNetwork.pump()
    assert log == [("close", (False,))]


def test_destroy_while_connecting_fails_the_queued_writes_after_close(
    memoryNetwork: MemoryNetwork,
) -> None:
    sock = Socket(reactor=memoryNetwork.reactor)
    log = recordOn(sock, "close")
    sock._startConnecting()
    sock.write(b"abc", lambda error: log.append(("callback", (error,))))
    sock.destroy()
    memoryNetwork.pump()
    assert [name for name, _ in log] == ["close", "callback"]
    error = log[1][1][0]
    assert isinstance(error, errors.ERR_SOCKET_CLOSED_BEFORE_CONNECTION)
    assert str(error) == "Socket closed before the connection was established"


def test_a_standalone_socket_attached_later_reads_and_writes(
    memoryNetwork: MemoryNetwork,
) -> None:
    sock = Socket(reactor=memoryNetwork.reactor)
    assert (sock.readyState, sock.pending, sock.connecting) == ("open", True, False)
    sock.pipe(sock)
    client = attach(memoryNetwork, sock)
    assert (sock.pending, sock.server) == (False, None)
    client.write(b"echo")
    memoryNetwork.pump()
    assert client.takeReceived() == b"echo"
    client.end()
    memoryNetwork.pump()
    assert (sock.destroyed, sock.readyState, sock.pending) == (True, "closed", True)


def test_no_class_of_a_socket_hooks_attribute_lookup() -> None:
    # A __getattr__ (or __getattribute__) anywhere in the MRO puts every
    # attribute read of every Socket on CPython's slow generic path: about
    # 60% more CPU per chunk on the echo path.  Checked structurally, not timed.
    hooks = [
        (cls.__name__, name)
        for cls in Socket.__mro__
        if cls is not object
        for name in ("__getattr__", "__getattribute__")
        if name in vars(cls)
    ]
    assert hooks == []
