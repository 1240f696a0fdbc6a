"""
Tests for txnetserver._socketwriting: ``write()`` and its backpressure,
callbacks and errors, and writes queued while a socket connects.
"""

from __future__ import annotations

from txnetserver import Socket, errors
from txnetserver.testing import MemoryNetwork

from ._loopback import asyncTest, attach, event, recordOn
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
