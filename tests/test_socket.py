"""
Integration tests for txnetserver._socket on real loopback sockets: Node's
``net.Socket`` as the server side sees it.
"""

from __future__ import annotations

import os
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import IHalfCloseableProtocol, IProtocol, IPushProducer
from twisted.logger import globalLogPublisher
from zope.interface import implementer
from zope.interface.verify import verifyObject

from txnetserver import Socket, errors
from txnetserver._socket import ISocketOwner
from txnetserver.testing import MemoryClient, MemoryNetwork, MemoryTransport

from ._loopback import Client, asyncTest, closed, connect, event, listening, until
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
    async def test_accepted_socket_properties(self) -> None:
        server, client, sock = await self.serve()
        port = server.address().port
        clientAddress = client.transport.getHost()  # type: ignore[union-attr]
        self.assertEqual(
            (
                sock.remoteAddress,
                sock.remoteFamily,
                sock.remotePort,
                sock.localPort,
                sock.readyState,
                sock.pending,
                sock.bytesRead,
                sock.bytesWritten,
                sock.allowHalfOpen,
                sock.writableHighWaterMark,
                sock.timeout,
                sock.server,
            ),
            (
                "127.0.0.1",
                "IPv4",
                clientAddress.port,
                port,
                "open",
                False,
                0,
                0,
                False,
                65536,
                None,
                server,
            ),
        )
        address = sock.address()
        self.assertEqual(
            (address["address"], address["family"], address["port"]),
            ("127.0.0.1", "IPv4", port),
        )
        client.close()

    @asyncTest
    async def test_server_high_water_mark_applies_to_sockets(self) -> None:
        _, client, sock = await self.serve(highWaterMark=1024)
        self.assertEqual((sock.readableHighWaterMark, sock.writableHighWaterMark), (1024, 1024))
        client.close()

    @asyncTest
    async def test_setters_chain(self) -> None:
        _, client, sock = await self.serve()
        self.assertIs(sock.setNoDelay(), sock)
        self.assertIs(sock.setNoDelay(False), sock)
        self.assertIs(sock.setKeepAlive(True, 1000), sock)
        self.assertIs(sock.ref(), sock)
        self.assertIs(sock.unref(), sock)
        client.close()

    @asyncTest
    async def test_no_delay_and_keep_alive_server_options_apply_on_accept(self) -> None:
        import socket as socketModule

        _, client, sock = await self.serve(noDelay=True, keepAlive=True, keepAliveInitialDelay=3000)
        handle = sock.transport.getHandle()
        self.assertEqual(handle.getsockopt(socketModule.IPPROTO_TCP, socketModule.TCP_NODELAY), 1)
        self.assertEqual(handle.getsockopt(socketModule.SOL_SOCKET, socketModule.SO_KEEPALIVE), 1)
        self.assertEqual(handle.getsockopt(socketModule.IPPROTO_TCP, socketModule.TCP_KEEPIDLE), 3)
        client.close()


class WriteTests(SocketTestCase):
    @asyncTest
    async def test_backpressure_false_then_drain(self) -> None:
        _, client, sock = await self.serve()
        client.transport.pauseProducing()  # type: ignore[union-attr]
        self.assertTrue(sock.write(b"small"))
        # The kernel's loopback buffers take megabytes (tcp_rmem may allow
        # 32 MB) before our transport buffers anything: write until it does.
        chunk = b"x" * (1024 * 1024)
        total = 5
        for _ in range(256):
            total += len(chunk)
            if not sock.write(chunk):
                break
        self.assertTrue(sock.writableNeedDrain)
        self.assertGreater(sock.writableLength, 0)
        drained = event(sock, "drain")
        client.transport.resumeProducing()  # type: ignore[union-attr]
        await drained
        self.assertEqual(sock.writableLength, 0)
        self.assertEqual(sock.bytesWritten, total)
        data = await client.waitForBytes(total)
        self.assertEqual(len(data), total)

    @asyncTest
    async def test_write_callback_and_encodings(self) -> None:
        _, client, sock = await self.serve()
        results: list[BaseException | None] = []
        sock.write("héllo", results.append)
        sock.write("6869", "hex")
        sock.write("aGk=", "base64", results.append)
        await client.waitForBytes(10)
        await event_tick()
        self.assertEqual(results, [None, None])
        self.assertEqual(client.received, "héllo".encode() + b"hihi")
        client.close()

    @asyncTest
    async def test_bad_chunk_type_raises(self) -> None:
        _, client, sock = await self.serve()
        with self.assertRaises(errors.ERR_INVALID_ARG_TYPE) as raised:
            sock.write(123)  # type: ignore[arg-type]
        self.assertEqual(
            str(raised.exception),
            'The "chunk" argument must be of type string or an instance of Buffer, '
            "TypedArray, or DataView. Received type int (123)",
        )
        client.close()

    @asyncTest
    async def test_write_after_end_errors(self) -> None:
        _, _client, sock = await self.serve()
        errorsSeen: list[BaseException] = []
        sock.on("error", errorsSeen.append)
        sock.end()
        results: list[BaseException | None] = []
        self.assertFalse(sock.write(b"x", callback=results.append))
        await event(sock, "close")
        self.assertIsInstance(results[0], errors.ERR_STREAM_WRITE_AFTER_END)
        self.assertIsInstance(errorsSeen[0], errors.ERR_STREAM_WRITE_AFTER_END)
        self.assertEqual(str(errorsSeen[0]), "write after end")

    @asyncTest
    async def test_pipe_to_itself_echoes(self) -> None:
        _server, client, _sock = await self.serve(lambda s: s.pipe(s))
        client.write(b"echo me")
        self.assertEqual(await client.waitForBytes(7), b"echo me")
        client.halfClose()
        await client.lost
        self.assertEqual(client.received, b"echo me")

    @asyncTest
    async def test_pipe_removes_its_listeners_on_close(self) -> None:
        _server, client, sock = await self.serve()
        before = {name: sock.listenerCount(name) for name in ("data", "end", "drain", "close")}
        sock.pipe(sock)
        self.assertEqual(sock.listenerCount("data"), before["data"] + 1)
        self.assertEqual(sock.listenerCount("end"), before["end"] + 1)
        self.assertEqual(sock.listenerCount("drain"), before["drain"] + 1)
        self.assertEqual(sock.listenerCount("close"), before["close"] + 1)
        closed = event(sock, "close")
        client.close()
        await closed
        after = {name: sock.listenerCount(name) for name in ("data", "end", "drain", "close")}
        self.assertEqual(after, before)

    @asyncTest
    async def test_pipe_to_itself_pauses_for_a_slow_reader_and_counts_every_byte(self) -> None:
        # The direct echo path (pipe to itself, nothing else reading) keeps
        # pipe()'s backpressure and the counters.
        _server, client, sock = await self.serve(lambda s: s.pipe(s))
        client.transport.pauseProducing()  # type: ignore[union-attr]
        payload = os.urandom(32 * 1024 * 1024)  # more than loopback buffers hold
        client.write(payload)
        await until(lambda: sock.isPaused())
        self.assertTrue(sock.writableNeedDrain)
        client.transport.resumeProducing()  # type: ignore[union-attr]
        self.assertEqual(await client.waitForBytes(len(payload)), payload)
        self.assertEqual((sock.bytesRead, sock.bytesWritten), (len(payload), len(payload)))
        self.assertFalse(sock.isPaused())
        closed = event(sock, "close")
        client.close()
        await closed

    @asyncTest
    async def test_pipe_to_itself_still_emits_data_to_a_second_listener(self) -> None:
        _server, client, sock = await self.serve(lambda s: s.pipe(s))
        client.write(b"one")
        self.assertEqual(await client.waitForBytes(3), b"one")
        seen: list[bytes] = []
        sock.on("data", seen.append)
        client.write(b"two")
        self.assertEqual(await client.waitForBytes(6), b"onetwo")
        self.assertEqual(seen, [b"two"])
        sock.removeListener("data", seen.append)
        client.write(b"three")
        self.assertEqual(await client.waitForBytes(11), b"onetwothree")
        self.assertEqual(seen, [b"two"])
        self.assertEqual((sock.bytesRead, sock.bytesWritten), (11, 11))
        closed = event(sock, "close")
        client.close()
        await closed

    @asyncTest
    async def test_slow_reader_keeps_the_buffer_bounded(self) -> None:
        """A handler that respects write()'s result never buffers much more than the mark."""
        _, client, sock = await self.serve(highWaterMark=16384)
        client.transport.pauseProducing()  # type: ignore[union-attr]
        chunk = b"y" * 65536
        peak = 0
        written = 0
        drains = 0
        # More than the kernel's loopback buffers hold, so the socket buffers.
        total = 32 * 1024 * 1024
        while written < total:
            accepted = sock.write(chunk)
            written += len(chunk)
            peak = max(peak, sock.writableLength)
            if not accepted:
                drained = event(sock, "drain")
                if drains == 0:
                    client.transport.resumeProducing()  # type: ignore[union-attr]
                await drained
                drains += 1
        self.assertGreater(drains, 1)
        # Never more than one chunk past the mark: write() said stop.
        self.assertLessEqual(peak, 16384 + len(chunk))
        await client.waitForBytes(written)
        self.assertEqual(len(client.received), written)


class ReadTests(SocketTestCase):
    @asyncTest
    async def test_pause_on_connect_holds_data_until_resume(self) -> None:
        _, client, sock = await self.serve(pauseOnConnect=True)
        self.assertTrue(sock.isPaused())
        self.assertIs(sock.readableFlowing, False)
        received: list[Any] = []
        sock.on("data", received.append)
        client.write("héllo".encode())
        await event_tick()
        await client.waitForBytes(0)
        self.assertEqual(received, [])
        sock.setEncoding("utf8")
        sock.resume()
        await event(sock, "data")
        self.assertEqual("".join(received), "héllo")
        client.close()

    @asyncTest
    async def test_set_encoding_never_splits_a_character(self) -> None:
        _, client, sock = await self.serve()
        sock.setEncoding("utf8")
        received: list[str] = []
        sock.on("data", received.append)
        encoded = "é".encode()
        client.write(encoded[:1])
        client.write(encoded[1:])
        client.halfClose()
        await event(sock, "end")
        self.assertEqual("".join(received), "é")
        self.assertTrue(all(isinstance(chunk, str) and chunk for chunk in received))

    @asyncTest
    async def test_pause_and_resume(self) -> None:
        _, client, sock = await self.serve()
        received: list[bytes] = []
        sock.on("data", received.append)
        sock.pause()
        client.write(b"while paused")
        await event_tick()
        self.assertEqual(received, [])
        sock.resume()
        await event(sock, "data")
        self.assertEqual(b"".join(received), b"while paused")
        client.close()

    @asyncTest
    async def test_end_waits_for_buffered_data_to_be_consumed(self) -> None:
        _, client, sock = await self.serve()
        log: list[str] = []
        sock.on("end", lambda: log.append("end"))
        client.write(b"unread")
        client.halfClose()
        # The FIN has arrived but nobody consumed the data: Node keeps 'end'
        # until it is read, and the socket stays readable ('open') until then.
        await until(lambda: sock._state.peerEnded)
        self.assertEqual((log, sock.readyState, sock.readable), ([], "open", True))
        sock.on("data", lambda d: log.append(d.decode()))
        await event(sock, "end")
        self.assertEqual(log, ["unread", "end"])


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


def attach(network: MemoryNetwork, sock: Socket) -> MemoryClient:
    """Give ``sock`` an in-memory transport, as a client endpoint would on connect."""
    transport = MemoryTransport(
        network, IPv4Address("TCP", "127.0.0.1", 40000), IPv4Address("TCP", "127.0.0.1", 8000)
    )
    transport.protocol = sock
    client = MemoryClient(network, transport)
    transport.client = client
    network.clients.append(client)
    sock.makeConnection(transport)
    network.pump()
    return client


def recordOn(sock: Socket, *names: str) -> list[tuple[str, tuple[Any, ...]]]:
    log: list[tuple[str, tuple[Any, ...]]] = []
    for name in names:
        sock.on(name, lambda *args, name=name: log.append((name, args)))
    return log


def test_writes_and_end_while_connecting_are_counted_then_sent_in_order(
    memoryNetwork: MemoryNetwork,
) -> None:
    sock = Socket(reactor=memoryNetwork.reactor)
    log = recordOn(sock, "finish", "close")
    sock._startConnecting()
    results: list[object] = []
    assert sock.write(b"abc", results.append) is True
    sock.end(b"def")
    # Node: queued bytes count as written and buffered; readyState 'opening'.
    assert (sock.bytesWritten, sock.writableLength) == (6, 6)
    assert (sock.readyState, sock.pending, sock.connecting, sock.writableEnded) == (
        "opening",
        True,
        True,
        True,
    )
    memoryNetwork.pump()
    assert results == []  # nothing went out yet
    client = attach(memoryNetwork, sock)
    assert (client.received, client.ended) == (b"abcdef", True)
    assert results == [None]
    assert [name for name, _ in log] == ["finish", "close"]  # the client ended too
    assert (sock.connecting, sock.writableLength, sock.bytesWritten) == (False, 0, 6)


def test_writes_while_connecting_past_the_high_water_mark_wait_for_drain(
    memoryNetwork: MemoryNetwork,
) -> None:
    sock = Socket(reactor=memoryNetwork.reactor)
    drains = recordOn(sock, "drain")
    sock._startConnecting()
    assert sock.write(b"x" * sock.writableHighWaterMark) is False
    assert sock.writableNeedDrain
    client = attach(memoryNetwork, sock)
    assert len(client.received) == sock.writableHighWaterMark
    assert drains == [("drain", ())]
    assert not sock.writableNeedDrain


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


def test_write_before_connect_is_err_socket_closed(memoryNetwork: MemoryNetwork) -> None:
    sock = Socket(reactor=memoryNetwork.reactor)
    log = recordOn(sock, "error", "close")
    results: list[object] = []
    assert sock.write(b"abc", results.append) is False
    memoryNetwork.pump()
    assert [type(r) for r in results] == [errors.ERR_SOCKET_CLOSED]
    assert [name for name, _ in log] == ["error", "close"]
    assert log[0][1][0].code == "ERR_SOCKET_CLOSED"
    assert log[1][1] == (True,)


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


def test_write_after_ending_inside_the_end_listener_is_epipe(
    memoryNetwork: MemoryNetwork,
) -> None:
    # Node's writeAfterFIN: once the peer ended a socket that is not
    # half-open, a write after our own end() is EPIPE, not "write after end".
    results: list[object] = []

    def onConnection(sock: Socket) -> None:
        sock.on("error", lambda error: None)

        def onEnd() -> None:
            sock.end()
            sock.write(b"late", results.append)

        sock.on("end", onEnd)
        sock.resume()

    server = memoryNetwork.createServer(onConnection)
    server.listen(8000)
    client = memoryNetwork.connect(server)
    client.end()
    memoryNetwork.pump()
    assert [getattr(r, "code", r) for r in results] == ["EPIPE"]


@implementer(ISocketOwner)
class RecordingOwner:
    def __init__(self) -> None:
        self.log: list[tuple[str, Socket]] = []

    def socketConnected(self, socket: Socket) -> None:
        self.log.append(("connected", socket))

    def socketClosed(self, socket: Socket) -> None:
        self.log.append(("closed", socket))


def test_a_socket_reports_to_its_owner_once_connected_and_once_closed(
    memoryNetwork: MemoryNetwork,
) -> None:
    owner = RecordingOwner()
    assert verifyObject(ISocketOwner, owner)
    sock = Socket(reactor=memoryNetwork.reactor, owner=owner)
    closes = recordOn(sock, "close")
    attach(memoryNetwork, sock)
    assert owner.log == [("connected", sock)]
    sock.destroy()
    # Counted out synchronously, before 'close' (Node's server._connections).
    assert (owner.log, closes) == ([("connected", sock), ("closed", sock)], [])
    memoryNetwork.pump()
    assert closes == [("close", (False,))]
    assert len(owner.log) == 2
