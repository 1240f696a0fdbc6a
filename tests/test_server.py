"""
Integration tests for txnetserver._server on real loopback sockets: Node's
``net.Server``.  How it gets its listening socket (endpoints, listenNow(),
host lookups, shared handles, signals) is tests/test_serverlisten.py's.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import tempfile
import warnings
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.error import CannotListenError, ConnectionRefusedError
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase

from txnetserver import AddressInfo, Server, createServer, errors
from txnetserver._tick import nextTick

from ._loopback import (
    asyncTest,
    closed,
    connect,
    event,
    listenError,
    listening,
    openFDs,
    reactor,
)


def busyPort(host: str = "127.0.0.1", family: int = socket.AF_INET) -> socket.socket:
    """A listening socket the test owns, to provoke EADDRINUSE."""
    s = socket.socket(family)
    s.bind((host, 0))
    s.listen(1)
    return s


def busyMemoryReactor() -> MemoryReactorClock:
    """A memory reactor on which every TCP port is taken."""

    class Busy(MemoryReactorClock):
        def listenTCP(self, port: int, *args: Any, **kwargs: Any) -> Any:
            interface = kwargs.get("interface", args[2] if len(args) > 2 else "")
            raise CannotListenError(interface, port, OSError(errno.EADDRINUSE, "in use"))

    return Busy()


class ServerTestCase(TestCase):
    timeout = 10

    def makeServer(self, *args: Any, **kwargs: Any) -> Server:
        server = createServer(*args, **kwargs)
        self.addCleanup(self._closeQuietly, server)
        return server

    def _closeQuietly(self, server: Server) -> Deferred[None] | None:
        for sock in list(server.sockets):
            sock.destroy()
        if server.listening:
            return closed(server)
        return None

    def recordFailures(self) -> list[str]:
        """Everything logged as a failure while the test runs."""
        failures: list[str] = []

        def observe(event: dict[str, Any]) -> None:
            if "log_failure" in event:
                failures.append(str(event["log_failure"].value))

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)
        return failures

    def tempPath(self, name: str = "s.sock") -> str:
        directory = tempfile.mkdtemp(prefix="txns-")
        self.addCleanup(os.rmdir, directory)
        path = os.path.join(directory, name)
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        return path


class ListenOverloadTests(ServerTestCase):
    """What each listen() form binds."""

    @asyncTest
    async def test_listen_without_arguments_binds_dual_stack_synchronously(self) -> None:
        server = self.makeServer()
        events: list[str] = []
        server.on("listening", lambda: events.append("listening"))
        self.assertIs(server.listen(), server)
        self.assertTrue(server.listening)
        address = server.address()
        assert isinstance(address, AddressInfo)
        self.assertEqual((address.address, address.family), ("::", "IPv6"))
        self.assertGreater(address.port, 0)
        self.assertEqual(events, [])
        await event(server, "listening")
        self.assertEqual(events, ["listening"])

    @asyncTest
    async def test_tcp_address_is_the_address_info_while_listening_on_tcp(self) -> None:
        server = self.makeServer()
        with self.assertRaises(errors.ERR_SERVER_NOT_RUNNING):
            server.tcpAddress()
        server.listen(0, "127.0.0.1")
        await listening(server)
        self.assertEqual(server.tcpAddress(), server.address())
        self.assertGreater(server.tcpAddress().port, 0)
        await closed(server)
        with self.assertRaises(errors.ERR_SERVER_NOT_RUNNING):
            server.tcpAddress()

    @asyncTest
    async def test_listen_callback_runs_once_on_listening(self) -> None:
        server = self.makeServer()
        calls: list[tuple[object, ...]] = []
        server.listen(lambda *a: calls.append(a))
        await event(server, "listening")
        self.assertEqual(calls, [()])

    @asyncTest
    async def test_listen_zero_null_and_string_zero_bind_random_port(self) -> None:
        for first in (0, None, "0"):
            server = self.makeServer()
            server.listen(first)
            await listening(server)
            address = server.address()
            assert isinstance(address, AddressInfo)
            self.assertEqual(address.address, "::")
            self.assertGreater(address.port, 0)
            await closed(server)

    @asyncTest
    async def test_listen_with_host_is_asynchronous(self) -> None:
        server = self.makeServer()
        server.listen(0, "127.0.0.1")
        self.assertFalse(server.listening)
        self.assertIsNone(server.address())
        await listening(server)
        address = server.address()
        assert isinstance(address, AddressInfo)
        self.assertEqual((address.address, address.family), ("127.0.0.1", "IPv4"))

    @asyncTest
    async def test_listen_on_ipv6_loopback_and_wildcards(self) -> None:
        for host, family in (("::1", "IPv6"), ("0.0.0.0", "IPv4"), ("::", "IPv6")):
            server = self.makeServer()
            server.listen(0, host)
            await listening(server)
            address = server.address()
            assert isinstance(address, AddressInfo)
            self.assertEqual((address.address, address.family), (host, family))
            await closed(server)

    @asyncTest
    async def test_listen_localhost_resolves_to_one_address(self) -> None:
        server = self.makeServer()
        server.listen(0, "localhost")
        await listening(server)
        address = server.address()
        assert isinstance(address, AddressInfo)
        self.assertIn(address.address, ("127.0.0.1", "::1"))

    @asyncTest
    async def test_empty_host_means_unspecified_and_binds_now(self) -> None:
        server = self.makeServer()
        server.listen(0, "")
        self.assertTrue(server.listening)
        await listening(server)

    @asyncTest
    async def test_number_after_port_is_a_backlog(self) -> None:
        server = self.makeServer()
        called: list[bool] = []
        server.listen(0, 5, lambda: called.append(True))
        self.assertTrue(server.listening)
        self.assertEqual(server.listeningPort.backlog, 5)  # type: ignore[union-attr]
        await listening(server)
        self.assertEqual(called, [True])

    @asyncTest
    async def test_port_host_backlog_callback_all_honoured(self) -> None:
        server = self.makeServer()
        called: list[bool] = []
        server.listen(0, "127.0.0.1", 7, lambda: called.append(True))
        await listening(server)
        self.assertEqual(server.listeningPort.backlog, 7)  # type: ignore[union-attr]
        self.assertEqual(called, [True])

    @asyncTest
    async def test_default_backlog_is_511(self) -> None:
        server = self.makeServer()
        server.listen(0)
        self.assertEqual(server.listeningPort.backlog, 511)  # type: ignore[union-attr]
        await listening(server)

    @asyncTest
    async def test_options_dict_and_keywords_are_equivalent(self) -> None:
        first = self.makeServer()
        options = {"port": 0, "host": "127.0.0.1"}
        first.listen(options)
        await listening(first)
        self.assertEqual(options, {"port": 0, "host": "127.0.0.1"})
        second = self.makeServer()
        second.listen(port=0, host="127.0.0.1")
        await listening(second)
        for server in (first, second):
            address = server.address()
            assert isinstance(address, AddressInfo)
            self.assertEqual(address.address, "127.0.0.1")

    @asyncTest
    async def test_numeric_and_hex_string_ports(self) -> None:
        probe = busyPort()
        port = probe.getsockname()[1]
        probe.close()
        for spelling in (str(port), hex(port)):
            server = self.makeServer()
            server.listen(spelling, "127.0.0.1")
            await listening(server)
            address = server.address()
            assert isinstance(address, AddressInfo)
            self.assertEqual(address.port, port)
            await closed(server)

    @asyncTest
    async def test_non_numeric_string_is_a_unix_path_relative_to_cwd(self) -> None:
        directory = tempfile.mkdtemp(prefix="txns-")
        self.addCleanup(os.rmdir, directory)
        here = os.getcwd()
        os.chdir(directory)
        self.addCleanup(os.chdir, here)
        for name in ("abc-sock", "-1"):
            server = self.makeServer()
            server.listen(name)
            self.assertEqual(server.address(), name)
            self.assertTrue(stat.S_ISSOCK(os.stat(os.path.join(directory, name)).st_mode))
            await listening(server)
            await closed(server)
            self.assertFalse(os.path.exists(os.path.join(directory, name)))

    @asyncTest
    async def test_callback_not_in_last_position_is_ignored(self) -> None:
        server = self.makeServer()
        calls: list[bool] = []
        server.listen(0, lambda: calls.append(True), "extra")
        await listening(server)
        self.assertEqual(calls, [])


class ListenErrorTests(ServerTestCase):
    """Errors raised and emitted by listen()."""

    def test_bad_port_raises_and_keeps_the_callback(self) -> None:
        server = self.makeServer()
        with self.assertRaises(errors.ERR_SOCKET_BAD_PORT) as raised:
            server.listen(-1, lambda: None)
        self.assertIsInstance(raised.exception, ValueError)
        self.assertEqual(
            str(raised.exception),
            "options.port should be >= 0 and < 65536. Received type int (-1).",
        )
        self.assertEqual(server.listenerCount("listening"), 1)
        self.assertFalse(server.listening)

    def test_listen_twice_raises_already_listen(self) -> None:
        server = self.makeServer()
        server.listen(0)
        with self.assertRaises(errors.ERR_SERVER_ALREADY_LISTEN) as raised:
            server.listen(0)
        self.assertEqual(
            str(raised.exception),
            "Listen method has been called more than once without closing.",
        )

    @asyncTest
    async def test_eaddrinuse_on_default_host_reports_dual_stack_address(self) -> None:
        busy = busyPort("::", socket.AF_INET6)
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        server = self.makeServer()
        order: list[str] = []
        server.on("error", lambda e: order.append("error"))
        self.assertIs(server.listen(port), server)
        self.assertFalse(server.listening)
        self.assertIsNone(server.address())
        nextTick(reactor, order.append, "tick-after")
        error = await listenError(server)
        await event_tick()
        assert isinstance(error, errors.NodeSystemError)
        self.assertEqual(order, ["error", "tick-after"])
        self.assertEqual(
            (error.code, error.errno, error.syscall, error.address, error.port),
            ("EADDRINUSE", errno.EADDRINUSE, "listen", "::", port),
        )
        self.assertEqual(str(error), f"listen EADDRINUSE: address already in use :::{port}")

    @asyncTest
    async def test_eaddrinuse_with_host(self) -> None:
        busy = busyPort()
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        server = self.makeServer()
        server.listen(port, "127.0.0.1")
        error = await listenError(server)
        self.assertEqual(str(error), f"listen EADDRINUSE: address already in use 127.0.0.1:{port}")

    @asyncTest
    async def test_dual_stack_conflict_does_not_fall_back_to_ipv4(self) -> None:
        busy = busyPort()
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        server = self.makeServer()
        server.listen(port)
        error = await listenError(server)
        assert isinstance(error, errors.NodeSystemError)
        self.assertEqual((error.code, error.address), ("EADDRINUSE", "::"))

    @asyncTest
    async def test_relisten_after_error_works_and_old_callback_fires_too(self) -> None:
        busy = busyPort("::", socket.AF_INET6)
        self.addCleanup(busy.close)
        server = self.makeServer()
        order: list[str] = []
        server.on("error", lambda e: order.append("error"))
        server.listen(busy.getsockname()[1], lambda: order.append("cb1"))
        await event(server, "error")
        closes: list[bool] = []
        server.on("close", lambda: closes.append(True))
        server.listen(0, lambda: order.append("cb2"))
        await event(server, "listening")
        self.assertEqual(order, ["error", "cb1", "cb2"])
        self.assertEqual(closes, [])

    @asyncTest
    async def test_eaddrnotavail_has_no_port(self) -> None:
        server = self.makeServer()
        server.listen(0, "192.0.2.1")
        error = await listenError(server)
        assert isinstance(error, errors.NodeSystemError)
        self.assertEqual(
            (error.code, error.address, error.port), ("EADDRNOTAVAIL", "192.0.2.1", None)
        )
        self.assertEqual(str(error), "listen EADDRNOTAVAIL: address not available 192.0.2.1")

    @asyncTest
    async def test_failed_listen_leaves_no_descriptor_behind(self) -> None:
        busy = busyPort("::", socket.AF_INET6)
        self.addCleanup(busy.close)
        # One failure first: Twisted reserves a spare descriptor on first use.
        warmUp = self.makeServer()
        warmUp.listen(busy.getsockname()[1])
        await listenError(warmUp)
        before = openFDs()
        for _ in range(5):
            server = self.makeServer()
            server.listen(busy.getsockname()[1])
            await listenError(server)
        self.assertEqual(openFDs(), before)

    @asyncTest
    async def test_close_right_after_synchronous_listen_suppresses_listening(self) -> None:
        server = self.makeServer()
        listened: list[bool] = []
        server.on("listening", lambda: listened.append(True))
        server.listen(0)
        results: list[BaseException | None] = []
        server.close(results.append)
        await event(server, "close")
        self.assertEqual(results, [None])
        self.assertEqual(listened, [])

    @asyncTest
    async def test_listen_after_close_gets_a_new_port(self) -> None:
        server = self.makeServer()
        server.listen(0)
        await listening(server)
        await closed(server)
        server.listen(0)
        await listening(server)
        self.assertTrue(server.listening)


def event_tick() -> Deferred[None]:
    d: Deferred[None] = Deferred()
    nextTick(reactor, d.callback, None)
    return d


class CloseTests(ServerTestCase):
    """Node's server.close()."""

    @asyncTest
    async def test_close_never_listened_server_reports_not_running(self) -> None:
        server = self.makeServer()
        order: list[object] = []
        server.on("close", lambda: order.append("close"))
        self.assertIs(server.close(order.append), server)
        self.assertEqual(order, [])
        await event(server, "close")
        self.assertEqual(order[0], "close")
        error = order[1]
        assert isinstance(error, errors.ERR_SERVER_NOT_RUNNING)
        self.assertEqual(str(error), "Server is not running.")

    @asyncTest
    async def test_close_twice_emits_close_twice(self) -> None:
        server = self.makeServer()
        server.listen(0)
        await listening(server)
        order: list[object] = []
        server.on("close", lambda: order.append("close-event"))
        server.close(lambda e: order.append(("cb1", e)))
        server.close(lambda e: order.append(("cb2", type(e).__name__)))
        await event(server, "close")
        await event(server, "close")
        self.assertEqual(
            order,
            ["close-event", ("cb1", None), ("cb2", "ERR_SERVER_NOT_RUNNING"), "close-event"],
        )

    @asyncTest
    async def test_close_callback_is_ordered_among_close_listeners(self) -> None:
        server = self.makeServer()
        server.listen(0)
        order: list[str] = []
        server.on("close", lambda: order.append("A"))
        server.close(lambda e: order.append("CB"))
        server.on("close", lambda: order.append("B"))
        await event_tick()
        await event_tick()
        self.assertEqual(order, ["A", "CB", "B"])

    @asyncTest
    async def test_close_waits_for_open_connections_and_closes_before_them(self) -> None:
        accepted: Deferred[Any] = Deferred()
        server = self.makeServer(accepted.callback)
        server.listen(0, "127.0.0.1")
        await listening(server)
        port = server.address().port  # type: ignore[union-attr]
        client = await connect("127.0.0.1", port)
        sock = await accepted
        order: list[str] = []
        server.close(lambda e: order.append(f"server-close-cb {e}"))
        self.assertFalse(server.listening)
        self.assertIsNone(server.address())
        counts: list[int] = []
        server.getConnections(lambda e, n: counts.append(n))
        refused = await connect("127.0.0.1", port).addCallbacks(lambda c: None, lambda f: f.value)
        self.assertIsInstance(refused, ConnectionRefusedError)
        self.assertEqual(counts, [1])
        self.assertEqual(order, [])
        sock.on("close", lambda hadError: order.append(f"socket-close {hadError}"))
        socketClosed = event(sock, "close")
        sock.destroy()
        await client.lost
        await socketClosed
        self.assertEqual(order, ["server-close-cb None", "socket-close False"])


class ConnectionAccountingTests(ServerTestCase):
    """getConnections, maxConnections and 'drop'."""

    @asyncTest
    async def test_get_connections_counts_open_sockets_asynchronously(self) -> None:
        sockets: list[Any] = []
        server = self.makeServer(sockets.append)
        server.listen(0, "127.0.0.1")
        await listening(server)

        async def count() -> int:
            d: Deferred[int] = Deferred()
            self.assertIs(server.getConnections(lambda e, n: d.callback(n)), server)
            self.assertFalse(d.called)
            return await d

        self.assertEqual(await count(), 0)
        clients = [await connect(server) for _ in range(2)]
        while len(sockets) < 2:
            await event(server, "connection")
        self.assertEqual(await count(), 2)
        firstClosed = event(sockets[0], "close")
        clients[0].close()
        await firstClosed
        self.assertEqual(await count(), 1)
        secondClosed = event(sockets[1], "close")
        clients[1].close()
        await secondClosed
        self.assertEqual(await count(), 0)

    def test_get_connections_with_a_none_callback_raises(self) -> None:
        server = self.makeServer()
        with self.assertRaises(errors.ERR_INVALID_ARG_TYPE) as raised:
            server.getConnections(None)
        self.assertEqual(
            str(raised.exception),
            'The "callback" argument must be of type function. Received None',
        )

    def test_get_connections_with_no_argument_raises_node_s_error(self) -> None:
        server = self.makeServer()
        with self.assertRaises(errors.ERR_INVALID_ARG_TYPE) as raised:
            server.getConnections()
        self.assertEqual(raised.exception.code, "ERR_INVALID_ARG_TYPE")
        self.assertEqual(
            str(raised.exception),
            'The "callback" argument must be of type function. Received None',
        )

    def test_connections_property_is_deprecated(self) -> None:
        server = self.makeServer()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertEqual(server.connections, 0)
        self.assertEqual([w.category for w in caught], [DeprecationWarning])
        self.assertEqual(
            str(caught[0].message),
            "Server.connections is deprecated. Please use Server.getConnections instead.",
        )

    @asyncTest
    async def test_max_connections_drops_extra_clients_with_a_payload(self) -> None:
        sockets: list[Any] = []
        server = self.makeServer(sockets.append)
        server.maxConnections = 1
        drops: list[Any] = []
        server.on("drop", drops.append)
        server.listen(0, "127.0.0.1")
        await listening(server)
        accepted = event(server, "connection")
        first = await connect(server)
        await accepted
        second = await connect(server)
        secondPort = second.transport.getHost().port  # type: ignore[union-attr]
        await second.lost
        self.assertEqual(second.received, b"")
        self.assertEqual(len(sockets), 1)
        self.assertEqual(len(drops), 1)
        port = server.address().port  # type: ignore[union-attr]
        self.assertEqual(
            list(drops[0].items()),
            [
                ("localAddress", "127.0.0.1"),
                ("localPort", port),
                ("localFamily", "IPv4"),
                ("remoteAddress", "127.0.0.1"),
                ("remotePort", secondPort),
                ("remoteFamily", "IPv4"),
            ],
        )
        counts: list[int] = []
        server.getConnections(lambda e, n: counts.append(n))
        firstClosed = event(sockets[0], "close")
        first.close()
        await firstClosed
        accepted = event(server, "connection")
        third = await connect(server)
        await accepted
        self.assertEqual(len(sockets), 2)
        self.assertEqual(counts, [1])
        third.close()

    @asyncTest
    async def test_max_connections_zero_refuses_everything(self) -> None:
        server = self.makeServer()
        server.maxConnections = 0
        drops: list[Any] = []
        server.on("drop", drops.append)
        connections: list[Any] = []
        server.on("connection", connections.append)
        server.listen(0, "127.0.0.1")
        await listening(server)
        client = await connect(server)
        await client.lost
        self.assertEqual((len(drops), connections), (1, []))

    @asyncTest
    async def test_drop_without_listener_is_silent(self) -> None:
        server = self.makeServer()
        server.maxConnections = 0
        server.listen(0, "127.0.0.1")
        await listening(server)
        client = await connect(server)
        await client.lost
        self.assertEqual(client.received, b"")

    @asyncTest
    async def test_drop_on_a_unix_server_has_no_argument(self) -> None:
        server = self.makeServer()
        server.maxConnections = 0
        drops: list[tuple[Any, ...]] = []
        server.on("drop", lambda *args: drops.append(args))
        path = self.tempPath()
        server.listen(path)
        await listening(server)
        client = await connect(path)
        await client.lost
        self.assertEqual(drops, [()])

    @asyncTest
    async def test_drop_payload_on_dual_stack_server_uses_mapped_addresses(self) -> None:
        server = self.makeServer()
        server.maxConnections = 0
        drops: list[Any] = []
        server.on("drop", drops.append)
        server.listen(0)
        await listening(server)
        client = await connect("127.0.0.1", server.address().port)  # type: ignore[union-attr]
        await client.lost
        self.assertEqual(drops[0]["localAddress"], "::ffff:127.0.0.1")
        self.assertEqual(drops[0]["remoteAddress"], "::ffff:127.0.0.1")
        self.assertEqual((drops[0]["localFamily"], drops[0]["remoteFamily"]), ("IPv6", "IPv6"))

    @asyncTest
    async def test_one_connection_event_per_client(self) -> None:
        sockets: list[Any] = []
        server = self.makeServer(sockets.append)
        server.listen(0, "127.0.0.1")
        await listening(server)
        clients = [await connect(server) for _ in range(3)]
        while len(sockets) < 3:
            await event(server, "connection")
        self.assertTrue(all(s.server is server for s in sockets))
        for client in clients:
            client.close()

    @asyncTest
    async def test_block_list_closes_blocked_peers_without_drop(self) -> None:
        from txnetserver import BlockList

        blockList = BlockList()
        blockList.addAddress("127.0.0.1")
        server = self.makeServer({"blockList": blockList})
        events: list[str] = []
        server.on("connection", lambda s: events.append("connection"))
        server.on("drop", lambda *a: events.append("drop"))
        server.listen(0, "127.0.0.1")
        await listening(server)
        client = await connect(server)
        await client.lost
        self.assertEqual(events, [])


class UnixSocketTests(ServerTestCase):
    """UNIX domain sockets."""

    @asyncTest
    async def test_listen_on_path_is_synchronous_and_removed_on_close(self) -> None:
        path = self.tempPath()
        server = self.makeServer()
        server.listen(path)
        self.assertTrue(server.listening)
        self.assertEqual(server.address(), path)
        self.assertTrue(stat.S_ISSOCK(os.stat(path).st_mode))
        await listening(server)
        await closed(server)
        self.assertFalse(os.path.exists(path))
        self.assertEqual(server.address(), path)

    @asyncTest
    async def test_tcp_address_refuses_a_unix_server(self) -> None:
        path = self.tempPath()
        server = self.makeServer()
        server.listen(path)
        with self.assertRaises(ValueError) as caught:
            server.tcpAddress()
        self.assertEqual(str(caught.exception), f"the server listens on {path!r}, not on TCP")
        await closed(server)

    @asyncTest
    async def test_existing_file_is_eaddrinuse_and_left_untouched(self) -> None:
        path = self.tempPath()
        with open(path, "w") as f:
            f.write("keep me")
        server = self.makeServer()
        server.listen(path)
        error = await listenError(server)
        assert isinstance(error, errors.NodeSystemError)
        self.assertEqual(
            (error.code, error.syscall, error.address, error.port),
            ("EADDRINUSE", "listen", path, -1),
        )
        self.assertEqual(str(error), f"listen EADDRINUSE: address already in use {path}")
        with open(path) as f:
            self.assertEqual(f.read(), "keep me")
        self.assertEqual(server.address(), path)

    @asyncTest
    async def test_stale_socket_file_is_not_unlinked(self) -> None:
        path = self.tempPath()
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)
        stale.close()
        server = self.makeServer()
        server.listen(path)
        error = await listenError(server)
        self.assertEqual(getattr(error, "code", None), "EADDRINUSE")
        self.assertTrue(os.path.exists(path))

    @asyncTest
    async def test_live_server_path_is_eaddrinuse(self) -> None:
        path = self.tempPath()
        first = self.makeServer()
        first.listen(path)
        second = self.makeServer()
        second.listen(path)
        error = await listenError(second)
        self.assertEqual(getattr(error, "port", None), -1)
        self.assertTrue(first.listening)

    @asyncTest
    async def test_missing_directory_is_eacces(self) -> None:
        server = self.makeServer()
        path = "/nonexistent-dir-txns/s.sock"
        server.listen(path)
        error = await listenError(server)
        assert isinstance(error, errors.NodeSystemError)
        self.assertEqual((error.code, error.errno, error.port), ("EACCES", errno.EACCES, -1))
        self.assertEqual(str(error), f"listen EACCES: permission denied {path}")

    @asyncTest
    async def test_abstract_socket_has_no_file(self) -> None:
        name = f"\0txns-{os.getpid()}-{id(self)}"
        server = self.makeServer(lambda s: s.end(b"abstract"))
        server.listen(name)
        self.assertEqual(server.address(), name)
        await listening(server)
        client = await connect(name)
        self.assertEqual(await client.waitForBytes(8), b"abstract")

    @asyncTest
    async def test_socket_modes_follow_umask_and_options(self) -> None:
        old = os.umask(0o022)
        self.addCleanup(os.umask, old)
        for options, mode in (
            ({}, 0o755),
            ({"readableAll": True}, 0o755),
            ({"writableAll": True}, 0o777),
            ({"readableAll": True, "writableAll": True}, 0o777),
        ):
            path = self.tempPath()
            server = self.makeServer()
            server.listen({"path": path, **options})
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), mode, options)
            await closed(server)

    @asyncTest
    async def test_over_long_path_is_einval(self) -> None:
        path = "/tmp/" + "x" * 200
        server = self.makeServer()
        server.listen(path)
        error = await listenError(server)
        self.assertEqual(getattr(error, "code", None), "EINVAL")
        self.assertFalse(os.path.exists(path[:107]))

    @asyncTest
    async def test_accepted_unix_socket_has_no_addresses(self) -> None:
        accepted: Deferred[Any] = Deferred()
        server = self.makeServer(accepted.callback)
        path = self.tempPath()
        server.listen(path)
        client = await connect(path)
        sock = await accepted
        self.assertEqual(
            (
                sock.remoteAddress,
                sock.remotePort,
                sock.remoteFamily,
                sock.localAddress,
                sock.localPort,
            ),
            (None, None, None, None, None),
        )
        self.assertEqual(sock.address(), {})
        self.assertIs(sock.server, server)
        client.close()


class DualStackTests(ServerTestCase):
    """Dual stack, ipv6Only and reusePort."""

    @asyncTest
    async def test_default_listen_accepts_ipv4_and_ipv6(self) -> None:
        sockets: list[Any] = []
        server = self.makeServer(sockets.append)
        server.listen(0)
        port = server.address().port  # type: ignore[union-attr]
        v4 = await connect("127.0.0.1", port)
        v6 = await connect("::1", port)
        while len(sockets) < 2:
            await event(server, "connection")
        self.assertEqual(
            sorted((s.remoteAddress, s.remoteFamily) for s in sockets),
            [("::1", "IPv6"), ("::ffff:127.0.0.1", "IPv6")],
        )
        v4.close()
        v6.close()

    @asyncTest
    async def test_ipv6_only_with_host_refuses_ipv4(self) -> None:
        server = self.makeServer()
        server.listen({"host": "::", "port": 0, "ipv6Only": True})
        await listening(server)
        port = server.address().port  # type: ignore[union-attr]
        refused = await connect("127.0.0.1", port).addCallbacks(lambda c: None, lambda f: f.value)
        self.assertIsInstance(refused, ConnectionRefusedError)
        client = await connect("::1", port)
        client.close()
        other = self.makeServer()
        other.listen(port, "0.0.0.0")
        await listening(other)

    @asyncTest
    async def test_ipv6_only_without_host_is_ignored(self) -> None:
        server = self.makeServer()
        server.listen({"port": 0, "ipv6Only": True})
        await listening(server)
        client = await connect("127.0.0.1", server.address().port)  # type: ignore[union-attr]
        client.close()

    @asyncTest
    async def test_reuse_port_lets_two_servers_share_a_port(self) -> None:
        first = self.makeServer()
        first.listen({"port": 0, "host": "127.0.0.1", "reusePort": True})
        await listening(first)
        port = first.address().port  # type: ignore[union-attr]
        second = self.makeServer()
        second.listen({"port": port, "host": "127.0.0.1", "reusePort": True})
        await listening(second)
        self.assertEqual(second.address().port, port)  # type: ignore[union-attr]

    @asyncTest
    async def test_listeners_set_so_reuseaddr(self) -> None:
        server = self.makeServer()
        server.listen(0, "127.0.0.1")
        await listening(server)
        sock = server.listeningPort.socket  # type: ignore[union-attr]
        self.assertEqual(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR), 1)


class OrderingTests(ServerTestCase):
    """'listening' relative to listeners and ticks."""

    @asyncTest
    async def test_listening_runs_listeners_in_registration_order_before_later_ticks(
        self,
    ) -> None:
        server = self.makeServer()
        order: list[str] = []
        server.on("listening", lambda: order.append("A"))
        server.listen(0, lambda: order.append("CB"))
        server.on("listening", lambda: order.append("B"))
        nextTick(reactor, order.append, "T")
        order.append("sync-end")
        await event_tick()
        self.assertEqual(order, ["sync-end", "A", "CB", "B", "T"])

    @asyncTest
    async def test_listening_with_ip_literal_host_comes_after_a_tick(self) -> None:
        server = self.makeServer()
        order: list[str] = []
        server.listen(0, "127.0.0.1", lambda: order.append("CB"))
        nextTick(reactor, order.append, "T")
        order.append("sync-end")
        await listening(server)
        self.assertEqual(order[:2], ["sync-end", "T"])
        self.assertIn("CB", order)


class FactoryTests(ServerTestCase):
    def test_factory_is_a_twisted_server_factory(self) -> None:
        from twisted.internet.interfaces import IProtocolFactory
        from zope.interface.verify import verifyObject

        server = self.makeServer()
        self.assertTrue(verifyObject(IProtocolFactory, server.factory))


class ConstructionTests(ServerTestCase):
    """createServer options as attributes."""

    def test_defaults(self) -> None:
        server = self.makeServer()
        self.assertEqual(
            (
                server.allowHalfOpen,
                server.pauseOnConnect,
                server.noDelay,
                server.keepAlive,
                server.keepAliveInitialDelay,
                server.highWaterMark,
                server.maxConnections,
                server.listening,
                server.address(),
            ),
            (False, False, False, False, 0, 65536, None, False, None),
        )

    def test_options_are_normalised(self) -> None:
        server = self.makeServer(
            {
                "keepAliveInitialDelay": -5,
                "highWaterMark": -1,
                "allowHalfOpen": "yes",
                "pauseOnConnect": 1,
                "noDelay": 1,
                "keepAlive": 0,
            }
        )
        self.assertEqual(
            (
                server.keepAliveInitialDelay,
                server.highWaterMark,
                server.allowHalfOpen,
                server.pauseOnConnect,
                server.noDelay,
                server.keepAlive,
            ),
            (0, 65536, "yes", True, True, False),
        )
        self.assertEqual(self.makeServer(keepAliveInitialDelay=2500).keepAliveInitialDelay, 2)

    def test_bad_options_raise_invalid_arg_type(self) -> None:
        with self.assertRaises(errors.ERR_INVALID_ARG_TYPE) as raised:
            createServer("path")
        self.assertEqual(
            str(raised.exception),
            "The \"options\" argument must be of type object. Received type str ('path')",
        )
        with self.assertRaises(errors.ERR_INVALID_ARG_TYPE):
            createServer({"highWaterMark": "x"})
        with self.assertRaises(errors.ERR_INVALID_ARG_TYPE):
            createServer({"keepAliveInitialDelay": "x"})

    def test_function_first_argument_is_the_connection_listener(self) -> None:
        def listener(socket: Any) -> None:
            pass

        self.assertEqual(self.makeServer(listener).listeners("connection"), [listener])
        self.assertEqual(self.makeServer(None, listener).listeners("connection"), [listener])


class PrivilegedPortTests(ServerTestCase):
    """EACCES, provoked as an unprivileged user in a child process."""

    def test_privileged_port_as_non_root_is_eacces_on_the_ipv4_fallback(self) -> None:
        import subprocess
        import sys

        if os.getuid() != 0:
            self.skipTest("needs root to drop privileges to nobody")
        script = """
import json, os, sys
from twisted.internet import reactor
from txnetserver import createServer
import txnetserver._errors, txnetserver._ports, encodings.idna
os.setgid(65534); os.setuid(65534)  # after the imports: the stdlib is root's
results = []
def report(err):
    results.append({"code": err.code, "address": err.address, "port": err.port,
                    "message": str(err)})
    if len(results) == 2:
        print(json.dumps(results)); reactor.stop()
createServer().on("error", report).listen(80)
createServer().on("error", report).listen(81, "127.0.0.1")
reactor.callLater(5, reactor.stop)
reactor.run()
"""
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=20,
            cwd="/",
            env={**os.environ, "PYTHONPATH": root},
        )
        import json

        reports = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertEqual(
            reports,
            [
                {
                    "code": "EACCES",
                    "address": "0.0.0.0",
                    "port": 80,
                    "message": "listen EACCES: permission denied 0.0.0.0:80",
                },
                {
                    "code": "EACCES",
                    "address": "127.0.0.1",
                    "port": 81,
                    "message": "listen EACCES: permission denied 127.0.0.1:81",
                },
            ],
        )


class RefTests(ServerTestCase):
    """ref()/unref() bookkeeping (process lifetime itself is tested with run())."""

    @asyncTest
    async def test_listening_server_is_a_ref_d_handle_until_unref_or_close(self) -> None:
        from txnetserver._handles import handlesFor

        refs = handlesFor(reactor).refs
        server = self.makeServer()
        self.assertIs(server.unref(), server)
        server.listen(0)
        self.assertNotIn(server, refs)
        self.assertIs(server.ref(), server)
        self.assertIn(server, refs)
        server.ref()
        self.assertIn(server, refs)
        await listening(server)
        await closed(server)
        self.assertNotIn(server, refs)

    @asyncTest
    async def test_accepted_socket_is_its_own_handle(self) -> None:
        from txnetserver._handles import handlesFor

        refs = handlesFor(reactor).refs
        accepted: Deferred[Any] = Deferred()
        server = self.makeServer(accepted.callback)
        server.listen(0, "127.0.0.1")
        await listening(server)
        server.unref()
        client = await connect(server)
        sock = await accepted
        self.assertIn(sock, refs)
        sock.unref()
        self.assertNotIn(sock, refs)
        sock.ref()
        socketClosed = event(sock, "close")
        client.close()
        await socketClosed
        self.assertNotIn(sock, refs)


class ReactorTests(SynchronousTestCase):
    def test_the_server_reports_its_reactor(self) -> None:
        memory = MemoryReactorClock()
        self.assertIs(Server(reactor=memory).reactor, memory)
