"""
Tests for txnetserver._pipe: ``readable.pipe(destination)`` on real loopback
sockets, including the direct echo path of ``socket.pipe(socket)``.
"""

from __future__ import annotations

import gc
import os
import weakref

from ._loopback import asyncTest, event, until
from .test_socket import SocketTestCase


class PipeTests(SocketTestCase):
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
    async def test_a_closed_echo_socket_is_freed_without_the_garbage_collector(self) -> None:
        # Reference counting alone frees a finished socket.pipe(socket) and
        # its transport: no cycle is left for the collector (whose runs cost
        # a busy server more than the rest of a short connection's close).
        _server, client, sock = await self.serve(lambda s: s.pipe(s))
        freed = weakref.ref(sock)
        del sock
        enabled = gc.isenabled()
        gc.disable()
        try:
            client.write(b"echo")
            self.assertEqual(await client.waitForBytes(4), b"echo")
            client.close()
            await until(lambda: freed() is None)
        finally:
            if enabled:
                gc.enable()

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
