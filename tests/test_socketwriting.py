"""
Tests for txnetserver._socketwriting: ``write()`` and its backpressure,
callbacks and errors, and writes queued while a socket connects.
"""

from __future__ import annotations

from typing import Any

from txnetserver import Socket, errors
from txnetserver.testing import MemoryNetwork

from ._loopback import asyncTest, attach, event, recordOn, until
from .test_client import ClientTestCase
from .test_server import event_tick
from .test_socket import SocketTestCase


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


class QueuedWriteTests(ClientTestCase):
    """
    Writes and end() made while connecting, on loopback sockets, settled as
    Node 20's when the socket is destroyed or refused (tests/test_conformance.py
    compares the same with live Node); end()'s callback on an open socket.
    """

    def queueWrites(self, socket: Socket, log: list[Any], count: int = 2) -> None:
        for i in range(1, count + 1):
            socket.write(b"x", lambda error, i=i: log.append((f"cb{i}", error)))

    def named(self, log: list[Any]) -> list[tuple[str, Any]]:
        """Each entry as (name, error code, or the argument)."""
        return [
            (name, getattr(arg, "code", None) or str(arg) if isinstance(arg, Exception) else arg)
            for name, *args in log
            for arg in (args[0] if args else None,)
        ]

    @asyncTest
    async def test_destroy_while_connecting_fails_the_first_write_closed_before_connection(
        self,
    ) -> None:
        port = await self.echoServer()
        socket = self.connect(port, "127.0.0.1")
        log: list[Any] = []
        self.queueWrites(socket, log)
        # Node's first write waits on a 'connect' and a 'close' listener of its own.
        self.assertEqual((socket.listenerCount("connect"), socket.listenerCount("close")), (1, 1))
        socket.on("error", lambda error: log.append(("error", error)))
        socket.on("close", lambda hadError: log.append(("close", hadError)))
        socket.destroy()
        await event(socket, "close")
        self.assertEqual(
            self.named(log),
            [
                ("cb1", "ERR_SOCKET_CLOSED_BEFORE_CONNECTION"),
                ("cb2", "ERR_SOCKET_CLOSED_BEFORE_CONNECTION"),
                ("close", False),
            ],
        )

    @asyncTest
    async def test_destroy_with_an_error_fails_the_later_writes_with_it_before_close(
        self,
    ) -> None:
        port = await self.echoServer()
        socket = self.connect(port, "127.0.0.1")
        log: list[Any] = []
        socket.on("error", lambda error: log.append(("error", error)))
        socket.on("close", lambda hadError: log.append(("close", hadError)))
        self.queueWrites(socket, log, 3)
        socket.on("close", lambda hadError: log.append(("close after writes", hadError)))
        socket.destroy(ValueError("boom"))
        await event(socket, "close")
        # A 'close' listener added before the writes runs before their callbacks.
        self.assertEqual(
            self.named(log),
            [
                ("error", "boom"),
                ("close", True),
                ("cb1", "ERR_SOCKET_CLOSED_BEFORE_CONNECTION"),
                ("cb2", "boom"),
                ("cb3", "boom"),
                ("close after writes", True),
            ],
        )

    @asyncTest
    async def test_a_refused_connection_fails_the_later_writes_with_econnrefused(self) -> None:
        socket = self.connect(1, "127.0.0.1")
        log: list[Any] = []
        socket.write(b"first, without a callback")
        self.queueWrites(socket, log)
        socket.on("error", lambda error: log.append(("error", error)))
        socket.on("close", lambda hadError: log.append(("close", hadError)))
        await event(socket, "close")
        self.assertEqual(
            self.named(log),
            [
                ("error", "ECONNREFUSED"),
                ("cb1", "ECONNREFUSED"),
                ("cb2", "ECONNREFUSED"),
                ("close", True),
            ],
        )

    @asyncTest
    async def test_a_connect_listener_added_after_the_writes_sees_them_called_back_first(
        self,
    ) -> None:
        port = await self.echoServer()
        socket = self.connect(port, "127.0.0.1")
        log: list[Any] = []
        self.queueWrites(socket, log)
        socket.on("connect", lambda: (log.append(("connect", None)), socket.destroy()))
        socket.on("close", lambda hadError: log.append(("close", hadError)))
        await event(socket, "close")
        await until(lambda: len(log) == 4)
        self.assertEqual(log, [("cb1", None), ("connect", None), ("cb2", None), ("close", False)])

    @asyncTest
    async def test_a_connect_listener_added_before_the_writes_destroys_them_socket_closed(
        self,
    ) -> None:
        port = await self.echoServer()
        socket = self.connect(port, "127.0.0.1")
        log: list[Any] = []
        socket.on("connect", lambda: (log.append(("connect", None)), socket.destroy()))
        self.queueWrites(socket, log)
        socket.on("close", lambda hadError: log.append(("close", hadError)))
        await event(socket, "close")
        self.assertEqual(
            self.named(log),
            [
                ("connect", None),
                ("cb1", "ERR_SOCKET_CLOSED"),
                ("cb2", "ERR_SOCKET_CLOSED"),
                ("close", False),
            ],
        )

    @asyncTest
    async def test_end_then_destroy_while_connecting_fails_end_s_callback_before_close(
        self,
    ) -> None:
        port = await self.echoServer()
        socket = self.connect(port, "127.0.0.1")
        log: list[Any] = []
        socket.on("finish", lambda: log.append(("finish", None)))
        socket.on("close", lambda hadError: log.append(("close", hadError)))
        socket.end(lambda error: log.append(("end", error)))
        socket.destroy()
        await event(socket, "close")
        self.assertEqual(self.named(log), [("end", "ERR_STREAM_DESTROYED"), ("close", False)])
        self.assertEqual(str(log[0][1]), "Cannot call end after a stream was destroyed")

    @asyncTest
    async def test_end_s_callback_shares_the_fate_of_the_writes_queued_before_it(self) -> None:
        port = await self.echoServer()
        socket = self.connect(port, "127.0.0.1")
        log: list[Any] = []
        socket.on("close", lambda hadError: log.append(("close", hadError)))
        self.queueWrites(socket, log, 1)
        socket.end(lambda error: log.append(("end", error)))
        socket.destroy()
        await event(socket, "close")
        self.assertEqual(
            self.named(log),
            [
                ("close", False),
                ("cb1", "ERR_SOCKET_CLOSED_BEFORE_CONNECTION"),
                ("end", "ERR_SOCKET_CLOSED_BEFORE_CONNECTION"),
            ],
        )

    @asyncTest
    async def test_a_refused_connection_fails_end_s_callback_before_error(self) -> None:
        socket = self.connect(1, "127.0.0.1")
        log: list[Any] = []
        socket.on("error", lambda error: log.append(("error", error)))
        socket.end(lambda error: log.append(("end", error)))
        await event(socket, "close")
        self.assertEqual(self.named(log), [("end", "ECONNREFUSED"), ("error", "ECONNREFUSED")])

    @asyncTest
    async def test_destroy_after_end_on_an_open_socket_fails_end_s_callback_not_finish(
        self,
    ) -> None:
        port = await self.echoServer()
        socket = self.connect(port, "127.0.0.1")
        await event(socket, "connect")
        log: list[Any] = []
        socket.on("finish", lambda: log.append(("finish", None)))
        socket.on("error", lambda error: log.append(("error", error)))
        socket.on("close", lambda hadError: log.append(("close", hadError)))
        socket.end(lambda error: log.append(("end", error)))
        socket.destroy(ValueError("boom"))
        await event(socket, "close")
        self.assertEqual(self.named(log), [("end", "boom"), ("error", "boom"), ("close", True)])

    @asyncTest
    async def test_end_s_callback_runs_before_the_finish_listeners(self) -> None:
        port = await self.echoServer()
        socket = self.connect(port, "127.0.0.1")
        log: list[str] = []
        socket.on("finish", lambda: log.append("finish"))
        socket.end(lambda: log.append("end callback"))
        socket.resume()
        await event(socket, "close")
        self.assertEqual(log, ["end callback", "finish"])
