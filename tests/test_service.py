"""Tests for txnetserver._service: NetServerService as a Twisted IService."""

from __future__ import annotations

import socket
from typing import Any

from twisted.application.service import IService, MultiService
from twisted.internet.defer import Deferred
from zope.interface.verify import verifyObject

from txnetserver import NetServerService, Socket, createServer, errors

from ._loopback import asyncTest, connect, event, listening
from .test_server import ServerTestCase


class NetServerServiceTests(ServerTestCase):
    def test_provides_iservice(self) -> None:
        service = NetServerService(createServer(), 0)
        self.assertTrue(verifyObject(IService, service))

    @asyncTest
    async def test_start_listens_and_stop_fires_after_connections_close(self) -> None:
        accepted: Deferred[Socket] = Deferred()
        server = self.makeServer(accepted.callback)
        service = NetServerService(server, 0, "127.0.0.1")
        parent = MultiService()
        service.setServiceParent(parent)
        parent.startService()
        await listening(server)
        client = await connect(server)
        sock = await accepted
        stopped = service.stopService()
        self.assertFalse(server.listening)
        self.assertFalse(stopped.called)
        client.close()
        await event(sock, "close")
        await stopped

    @asyncTest
    async def test_graceful_timeout_destroys_remaining_sockets(self) -> None:
        accepted: Deferred[Socket] = Deferred()
        server = self.makeServer(accepted.callback)
        service = NetServerService(server, port=0, host="127.0.0.1", gracefulTimeout=20)
        service.startService()
        await listening(server)
        client = await connect(server)
        await accepted
        await service.stopService()
        await client.lost
        self.assertEqual(list(server.sockets), [])

    @asyncTest
    async def test_service_can_be_stopped_and_started_again(self) -> None:
        server = self.makeServer()
        service = NetServerService(server, 0)
        service.startService()
        self.assertTrue(server.listening)
        await service.stopService()
        self.assertFalse(server.listening)
        service.startService()
        self.assertTrue(server.listening)
        await listening(server)
        await service.stopService()

    def test_privileged_start_listens_once(self) -> None:
        server = self.makeServer()
        service = NetServerService(server, 0)
        service.privilegedStartService()
        self.assertTrue(server.listening)
        service.startService()  # must not listen twice (ERR_SERVER_ALREADY_LISTEN)
        self.assertTrue(service.running)

    def test_a_listen_error_fails_the_start_with_nodes_message(self) -> None:
        busy = socket.socket(socket.AF_INET6)
        busy.bind(("::", 0))
        busy.listen(1)
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        server = self.makeServer()
        service = NetServerService(server, port)
        with self.assertRaises(errors.NodeSystemError) as raised:
            service.privilegedStartService()
        self.assertEqual(
            str(raised.exception), f"listen EADDRINUSE: address already in use :::{port}"
        )
        self.assertFalse(server.listening)

    @asyncTest
    async def test_a_later_listen_failure_is_logged_critically_not_uncaught(self) -> None:
        from twisted.logger import LogLevel, globalLogPublisher

        from txnetserver._handles import handlesFor
        from txnetserver._tick import nextTick

        from ._loopback import reactor

        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        self.addCleanup(busy.close)
        logged: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        uncaught: list[BaseException] = []
        handlesFor(reactor).watch(None, uncaught.append)
        self.addCleanup(handlesFor(reactor).watch, None, None)
        server = self.makeServer()
        service = NetServerService(server, busy.getsockname()[1], "127.0.0.1")
        service.startService()  # a host: the bind happens after start
        (error,) = await event(server, "error")
        done: Deferred[None] = Deferred()
        nextTick(reactor, done.callback, None)
        await done
        self.assertEqual(getattr(error, "code", None), "EADDRINUSE")
        self.assertEqual(uncaught, [])
        self.assertTrue(
            any(
                e.get("log_level") == LogLevel.critical and "could not listen" in e["log_format"]
                for e in logged
            )
        )
