"""
Tests for txnetserver._service: NetServerService, a Server as a Twisted IService.

Loopback tests run the real reactor (trial).  A trial test body starts before
the reactor runs, which is exactly twistd's ``privilegedStartService``
situation; tests of the started-while-running case first let the reactor run.
Memory-reactor tests pin down what happens before and after the reactor starts
deterministically.
"""

from __future__ import annotations

import os
import re
import socket
from typing import Any

from twisted.application.service import Application, IService, MultiService
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import LogLevel, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from txnetserver import NetServerService, Server, Socket, createServer, errors
from txnetserver._handles import handlesFor

from ._loopback import asyncTest, connect, echoRoundTrip, event, listening, reactor
from .test_server import ServerTestCase, busyMemoryReactor, busyPort


class NetServerServiceTests(ServerTestCase):
    def test_provides_iservice(self) -> None:
        service = NetServerService(createServer(), 0)
        self.assertTrue(verifyObject(IService, service))

    @asyncTest
    async def test_start_listens_and_stop_fires_once_connections_close(self) -> None:
        accepted: Deferred[Socket] = Deferred()

        def onConnection(sock: Socket) -> None:
            sock.pipe(sock)
            accepted.callback(sock)

        server = self.makeServer(onConnection)
        service = NetServerService(server, 0, "127.0.0.1")
        application = Application("test")
        service.setServiceParent(application)
        IService(application).startService()
        await listening(server)
        client = await connect(server)
        sock = await accepted
        stopped = IService(application).stopService()
        self.assertFalse(server.listening)
        client.write(b"still served")  # open connections finish their business
        self.assertEqual(await client.waitForBytes(12), b"still served")
        self.assertFalse(stopped.called)
        client.close()
        await event(sock, "close")
        await stopped
        self.assertFalse(service.running)

    @asyncTest
    async def test_graceful_timeout_destroys_the_sockets_still_open(self) -> None:
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
    async def test_graceful_timeout_is_cancelled_when_connections_close_in_time(self) -> None:
        server = self.makeServer()
        service = NetServerService(server, 0, gracefulTimeout=60_000)
        service.startService()
        await service.stopService()
        # trial's dirty-reactor check would fail the test on a pending timer.

    @asyncTest
    async def test_stop_then_start_listens_again(self) -> None:
        # twisted#5071: StreamServerEndpointService cannot do this.
        server = self.makeServer(lambda sock: sock.pipe(sock))
        service = NetServerService(server, 0, "127.0.0.1")
        service.startService()
        await listening(server)
        await service.stopService()
        self.assertFalse(server.listening)
        service.startService()
        await listening(server)
        self.assertEqual(await echoRoundTrip(server, b"again"), b"again")
        await service.stopService()

    def test_privileged_start_listens_and_start_does_not_listen_twice(self) -> None:
        server = self.makeServer()
        service = NetServerService(server, 0)
        service.privilegedStartService()
        self.assertTrue(server.listening)
        service.startService()  # a second listen() would raise ERR_SERVER_ALREADY_LISTEN
        self.assertTrue(service.running)

    def test_a_bind_error_fails_the_start_with_nodes_message(self) -> None:
        busy = busyPort("::", socket.AF_INET6)
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
        self.assertFalse(service.running)

    @asyncTest
    async def test_a_host_is_bound_before_start_returns_and_listening_comes_after(self) -> None:
        # What twistd needs: bound before privileges are dropped.
        server = self.makeServer()
        events: list[str] = []
        server.on("listening", lambda: events.append("listening"))
        service = NetServerService(server, 0, "127.0.0.1")
        service.privilegedStartService()
        self.assertTrue(server.listening)
        self.assertEqual(events, [])  # Node's next tick, still
        await listening(server)
        self.assertEqual(events, ["listening"])

    def test_a_host_name_is_resolved_and_bound_before_start_returns(self) -> None:
        server = self.makeServer()
        service = NetServerService(server, 0, "localhost")
        service.privilegedStartService()
        address = server.address()
        assert address is not None and not isinstance(address, str)
        self.assertIn(address.address, ("127.0.0.1", "::1"))

    def test_a_busy_host_and_port_fail_the_start_with_nodes_message(self) -> None:
        busy = busyPort()
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        server = self.makeServer()
        service = NetServerService(server, port, "127.0.0.1")
        with self.assertRaises(errors.NodeSystemError) as raised:
            service.privilegedStartService()
        self.assertEqual(
            str(raised.exception), f"listen EADDRINUSE: address already in use 127.0.0.1:{port}"
        )

    def test_an_unknown_host_fails_the_start_with_nodes_message(self) -> None:
        server = self.makeServer()
        service = NetServerService(server, 0, "no.such.host.invalid")
        with self.assertRaises(errors.NodeSystemError) as raised:
            service.startService()
        self.assertIn(raised.exception.code, ("ENOTFOUND", "EAI_AGAIN"))
        self.assertEqual(
            str(raised.exception), f"getaddrinfo {raised.exception.code} no.such.host.invalid"
        )
        self.assertFalse(service.running)

    @asyncTest
    async def test_started_while_running_a_bind_error_still_fails_the_start(self) -> None:
        await deferLater(reactor, 0, lambda: None)  # now the reactor runs
        busy = busyPort("::", socket.AF_INET6)
        self.addCleanup(busy.close)
        service = NetServerService(self.makeServer(), busy.getsockname()[1])
        with self.assertRaises(errors.NodeSystemError):
            service.startService()

    @asyncTest
    async def test_started_while_running_a_later_failure_is_logged_not_uncaught(self) -> None:
        await deferLater(reactor, 0, lambda: None)  # now the reactor runs
        logged: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        uncaught: list[BaseException] = []
        handlesFor(reactor).watch(None, uncaught.append)
        self.addCleanup(handlesFor(reactor).watch, None, None)
        server = self.makeServer()
        service = NetServerService(server, 0, "no.such.host.invalid")
        service.startService()  # the lookup fails after the start returned
        (error,) = await event(server, "error")
        await deferLater(reactor, 0, lambda: None)
        self.assertIn(getattr(error, "code", None), ("ENOTFOUND", "EAI_AGAIN"))
        self.assertEqual(uncaught, [])
        self.assertTrue(
            any(
                e.get("log_level") == LogLevel.critical and "could not listen" in e["log_format"]
                for e in logged
            )
        )

    @asyncTest
    async def test_the_readme_tac_example_serves(self) -> None:
        with open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "README.md")) as f:
            (block,) = re.findall(r"```python\n(# echo\.tac.*?)```", f.read(), re.DOTALL)
        namespace: dict[str, Any] = {}
        exec(block.replace("(server, 8000,", '(server, 0, "127.0.0.1",'), namespace)
        application = IService(namespace["application"])
        server = namespace["server"]
        self.addCleanup(self._closeQuietly, server)
        application.privilegedStartService()
        application.startService()
        await listening(server)
        self.assertEqual(await echoRoundTrip(server, b"tac"), b"tac")
        await application.stopService()

    def test_a_negative_graceful_timeout_is_refused(self) -> None:
        with self.assertRaises(ValueError):
            NetServerService(createServer(), 0, gracefulTimeout=-1)


class MemoryReactorServiceTests(SynchronousTestCase):
    """The start before and after the reactor runs, step by step."""

    def test_before_the_reactor_runs_a_host_listen_binds_during_the_start(self) -> None:
        memory = MemoryReactorClock()
        server = Server(reactor=memory)
        NetServerService(server, 8000, "127.0.0.1").privilegedStartService()
        self.assertEqual(memory.tcpServers[0][0::3], (8000, "127.0.0.1"))

    def test_once_the_reactor_runs_a_host_listen_binds_on_the_next_tick(self) -> None:
        memory = MemoryReactorClock()
        memory.running = True
        server = Server(reactor=memory)
        NetServerService(server, 8000, "localhost").startService()
        self.assertEqual(memory.tcpServers, [])
        memory.advance(0)
        self.assertEqual(len(memory.tcpServers), 1)

    def test_a_later_listen_failure_can_stop_the_reactor(self) -> None:
        memory = busyMemoryReactor()
        memory.running = True
        server = Server(reactor=memory)
        service = NetServerService(server, 8000, "localhost")
        service.stopReactorOnListenFailure = True
        service.startService()
        self.assertTrue(memory.running)
        memory.advance(0)
        self.assertFalse(memory.running)

    def test_a_stop_forgets_a_pending_listen(self) -> None:
        memory = MemoryReactorClock()
        memory.running = True
        server = Server(reactor=memory)
        service = NetServerService(server, 8000, "localhost")
        service.startService()
        stopped = service.stopService()
        memory.advance(0)
        self.successResultOf(stopped)
        self.assertEqual(
            (memory.tcpServers, server.listenerCount("error"), server.listenerCount("listening")),
            ([], 0, 0),
        )

    def test_a_stop_after_a_failed_start_fires(self) -> None:
        memory = busyMemoryReactor()
        server = Server(reactor=memory)
        service = NetServerService(server, 8000, "127.0.0.1")
        self.assertRaises(errors.NodeSystemError, service.privilegedStartService)
        stopped = service.stopService()
        memory.advance(0)
        self.successResultOf(stopped)

    def test_the_raised_error_is_not_also_uncaught(self) -> None:
        memory = busyMemoryReactor()
        uncaught: list[BaseException] = []
        handlesFor(memory).watch(None, uncaught.append)
        server = Server(reactor=memory)
        service = NetServerService(server, 8000)
        self.assertRaises(errors.NodeSystemError, service.privilegedStartService)
        memory.advance(0)  # the server's own 'error' event
        self.assertEqual(uncaught, [])

    def test_bad_listen_arguments_raise_node_errors_and_leave_no_listeners(self) -> None:
        server = Server(reactor=MemoryReactorClock())
        service = NetServerService(server, 70000, "127.0.0.1")
        self.assertRaises(errors.ERR_SOCKET_BAD_PORT, service.privilegedStartService)
        self.assertEqual((server.listenerCount("error"), server.listenerCount("listening")), (0, 0))

    def test_composes_into_a_multiservice(self) -> None:
        memory = MemoryReactorClock()
        parent = MultiService()
        server = Server(reactor=memory)
        NetServerService(server, 8000).setServiceParent(parent)
        parent.privilegedStartService()
        parent.startService()
        self.assertEqual(len(memory.tcpServers), 1)
        stopped = parent.stopService()
        memory.advance(0)
        self.successResultOf(stopped)
        self.assertFalse(server.listening)
