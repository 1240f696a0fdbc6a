"""
Tests for txnetserver._socketreading: flowing and paused reading,
read-ahead up to ``highWaterMark``, ``setEncoding``, and ``'end'`` held until
buffered data is consumed.
"""

from __future__ import annotations

from typing import Any

from ._loopback import asyncTest, event, until
from .test_server import event_tick
from .test_socket import SocketTestCase


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
