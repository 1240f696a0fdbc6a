"""
Hostile and broken peers on loopback (issue 9): RST storms, half-open peers,
huge writes, listeners that raise on every event, and a graceful stop while
clients are mid-transfer.  Every loop is bounded; the server must keep serving
and leak nothing.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, gatherResults
from twisted.logger import globalLogPublisher

from txnetserver import NetServerService, Socket

from ._loopback import asyncTest, closed, connect, echoRoundTrip, event, listening, openFDs, until
from .test_server import ServerTestCase


class HostilePeerTests(ServerTestCase):
    timeout = 30

    async def echoServer(self, **options: Any) -> tuple[Any, list[Socket]]:
        sockets: list[Socket] = []

        def onConnection(sock: Socket) -> None:
            sockets.append(sock)
            sock.on("error", lambda error: None)
            sock.pipe(sock)

        server = self.makeServer(onConnection, **options)
        server.listen(0, "127.0.0.1", backlog=1024)
        await listening(server)
        return server, sockets

    async def assertServes(self, server: Any) -> None:
        self.assertEqual(await echoRoundTrip(server, b"still serving"), b"still serving")

    @asyncTest
    async def test_an_rst_storm_leaves_nothing_behind(self) -> None:
        server, _sockets = await self.echoServer()
        await self.assertServes(server)
        before = openFDs()
        counts: list[int] = []
        for _ in range(5):
            clients = await gatherResults([connect(server) for _ in range(40)])
            for client in clients:
                client.write(b"x" * 100)
            for client in clients:
                client.reset()
            await gatherResults([client.lost for client in clients])
        await until(lambda: server._connections == 0)
        server.getConnections(lambda error, n: counts.append(n))
        await until(lambda: counts == [0])
        self.assertLessEqual(openFDs(), before)
        await self.assertServes(server)

    @asyncTest
    async def test_half_open_peers_are_answered_and_closed(self) -> None:
        server, _sockets = await self.echoServer()
        clients = await gatherResults([connect(server, halfOpen=True) for _ in range(20)])
        for client in clients:
            client.write(b"last request")
            client.halfClose()
        # Each gets its echo and the server's FIN (allowHalfOpen false), then closes.
        for client in clients:
            await client.waitForEOF()
            self.assertEqual(client.received, b"last request")
            client.close()
        await until(lambda: server._connections == 0)

    @asyncTest
    async def test_a_huge_write_arrives_whole(self) -> None:
        payload = bytes(range(256)) * (64 * 1024)  # 16 MiB
        server = self.makeServer(lambda s: s.end(payload))
        server.listen(0, "127.0.0.1")
        await listening(server)
        client = await connect(server)
        await client.lost
        self.assertEqual(len(client.received), len(payload))
        self.assertEqual(bytes(client.received), payload)

    @asyncTest
    async def test_a_listener_raising_on_every_event_never_stops_the_server(self) -> None:
        logged: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        count = [0]

        def hostile(sock: Socket) -> None:
            def explode(*args: object) -> None:
                count[0] += 1
                raise RuntimeError("listener bug")

            for name in ("data", "end", "close", "drain", "timeout"):
                sock.on(name, explode)
            raise RuntimeError("connection listener bug")

        server = self.makeServer(hostile)
        server.listen(0, "127.0.0.1")
        await listening(server)
        for _ in range(10):
            client = await connect(server)
            client.write(b"poke")
            await client.lost
        self.assertTrue(server.listening)
        self.assertGreater(
            sum("listener bug" in repr(entry.get("log_failure")) for entry in logged), 10
        )
        self.flushLoggedErrors(RuntimeError)
        server.removeAllListeners("connection")
        server.on("connection", lambda s: s.pipe(s))
        await self.assertServes(server)

    @asyncTest
    async def test_graceful_stop_loses_no_bytes_written_before_close(self) -> None:
        payload = b"z" * (4 * 1024 * 1024)
        accepted: Deferred[Socket] = Deferred()
        server = self.makeServer(accepted.callback)
        service = NetServerService(server, 0, "127.0.0.1")
        service.startService()
        await listening(server)
        client = await connect(server)
        client.transport.pauseProducing()  # type: ignore[union-attr]
        sock = await accepted
        sock.write(payload)  # mostly still queued: the client is not reading
        sock.end()
        stopped = service.stopService()
        self.assertFalse(server.listening)
        client.transport.resumeProducing()  # type: ignore[union-attr]
        await client.lost
        await stopped
        self.assertEqual(len(client.received), len(payload))

    @asyncTest
    async def test_closing_mid_transfer_keeps_serving_open_sockets(self) -> None:
        server, sockets = await self.echoServer()
        client = await connect(server)
        client.write(b"before close")
        self.assertEqual(await client.waitForBytes(12), b"before close")
        closing = closed(server)
        client.write(b" and after")
        self.assertEqual(await client.waitForBytes(22), b"before close and after")
        socketClosed = event(sockets[0], "close")
        client.close()
        await socketClosed
        await closing
