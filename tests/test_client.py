"""
txnetserver.connect() on real loopback sockets: every overload, Node's events
and errors, options applied on connect.  The connecting phase of
socket.connect() (cancellation, reconnecting, the process lifetime under
run()) is tests/test_connecting.py's.  tests/test_conformance.py runs the
same scenarios against live Node.
"""

from __future__ import annotations

import errno
import socket as _socket
from typing import Any

from twisted.internet.defer import Deferred

import txnetserver
from txnetserver import Socket, errors

from ._loopback import asyncTest, event, listening, reactor, until
from .test_server import ServerTestCase


class ClientTestCase(ServerTestCase):
    async def echoServer(self, host: str = "127.0.0.1") -> int:
        server = self.makeServer(lambda s: s.pipe(s))
        server.listen(0, host)
        await listening(server)
        return int(server.address().port)

    def connect(self, *args: Any, **kwargs: Any) -> Socket:
        socket = txnetserver.connect(*args, **kwargs)
        self.addCleanup(socket.destroy)
        return socket

    def record(self, socket: Socket, *names: str) -> list[tuple[Any, ...]]:
        log: list[tuple[Any, ...]] = []
        for name in names:
            socket.on(name, lambda *args, name=name: log.append((name, *args)))
        return log


class OverloadTests(ClientTestCase):
    async def assertEchoes(self, socket: Socket) -> None:
        received: list[bytes] = []
        socket.on("data", received.append)
        socket.write(b"ping")
        await until(lambda: b"".join(received) == b"ping")

    @asyncTest
    async def test_port_host_and_listener(self) -> None:
        port = await self.echoServer()
        connected: Deferred[None] = Deferred()
        socket = self.connect(port, "127.0.0.1", lambda: connected.callback(None))
        await connected
        self.assertEqual((socket.remoteAddress, socket.remotePort), ("127.0.0.1", port))
        self.assertEqual(socket.readyState, "open")
        await self.assertEchoes(socket)

    @asyncTest
    async def test_options_and_keywords_and_create_connection(self) -> None:
        port = await self.echoServer()
        makers = (
            lambda: self.connect({"port": port, "host": "127.0.0.1"}),
            lambda: self.connect(port=port, host="127.0.0.1"),
            lambda: txnetserver.createConnection(str(port), "127.0.0.1"),
        )
        for make in makers:
            socket = make()
            self.addCleanup(socket.destroy)
            await event(socket, "connect")
            await self.assertEchoes(socket)

    @asyncTest
    async def test_ipv6_loopback(self) -> None:
        port = await self.echoServer("::1")
        socket = self.connect(port, "::1")
        await event(socket, "connect")
        self.assertEqual((socket.remoteFamily, socket.localAddress), ("IPv6", "::1"))

    @asyncTest
    async def test_localhost_is_the_default_host(self) -> None:
        port = await self.echoServer()
        socket = self.connect(port)
        lookups = self.record(socket, "lookup")
        await event(socket, "connect")
        self.assertEqual(lookups, [("lookup", None, "127.0.0.1", 4, "localhost")])

    @asyncTest
    async def test_a_path_connects_to_a_unix_socket(self) -> None:
        path = self.tempPath()
        server = self.makeServer(lambda s: s.pipe(s))
        server.listen(path)
        await listening(server)
        socket = self.connect(path)
        await event(socket, "connect")
        await self.assertEchoes(socket)

    @asyncTest
    async def test_an_endpoint_description_connects_through_twisted(self) -> None:
        port = await self.echoServer()
        socket = self.connect(endpoint=f"tcp:127.0.0.1:{port}")
        await event(socket, "connect")
        await self.assertEchoes(socket)

    @asyncTest
    async def test_socket_connect_returns_the_socket_which_is_connecting(self) -> None:
        port = await self.echoServer()
        socket = Socket()
        self.addCleanup(socket.destroy)
        self.assertEqual((socket.pending, socket.connecting), (True, False))
        self.assertIs(socket.connect(port, "127.0.0.1"), socket)
        self.assertEqual(
            (socket.connecting, socket.pending, socket.readyState), (True, True, "opening")
        )
        log = self.record(socket, "connectionAttempt", "connect", "ready")
        await event(socket, "ready")
        self.assertEqual(
            log, [("connectionAttempt", "127.0.0.1", port, 4), ("connect",), ("ready",)]
        )
        self.assertEqual((socket.connecting, socket.pending), (False, False))


class ErrorTests(ClientTestCase):
    @asyncTest
    async def test_refused_is_node_s_error_then_close_true(self) -> None:
        socket = self.connect(1, "127.0.0.1")
        log = self.record(socket, "error", "close")
        await event(socket, "close")
        error = log[0][1]
        self.assertIsInstance(error, errors.NodeSystemError)
        self.assertEqual(str(error), "connect ECONNREFUSED 127.0.0.1:1")
        self.assertEqual(
            (error.code, error.errno, error.syscall, error.address, error.port),
            ("ECONNREFUSED", errno.ECONNREFUSED, "connect", "127.0.0.1", 1),
        )
        self.assertEqual(log[1], ("close", True))

    @asyncTest
    async def test_an_invalid_name_is_not_found_without_a_query(self) -> None:
        socket = self.connect(80, "nothing.invalid")
        errorSeen = event(socket, "error")
        (error,) = await errorSeen
        self.assertEqual(str(error), "getaddrinfo ENOTFOUND nothing.invalid")
        self.assertEqual((error.code, error.hostname), ("ENOTFOUND", "nothing.invalid"))

    @asyncTest
    async def test_every_raced_address_refused_is_an_aggregate_error(self) -> None:
        def lookup(hostname: object, options: dict[str, Any], callback: Any) -> None:
            self.assertEqual(options["all"], True)
            callback(None, [{"address": "::1", "family": 6}, {"address": "127.0.0.1", "family": 4}])

        socket = self.connect(port=1, host="backend.test", lookup=lookup)
        (error,) = await event(socket, "error")
        self.assertIsInstance(error, errors.NodeAggregateError)
        self.assertEqual(error.code, "ECONNREFUSED")
        self.assertEqual(
            [str(e) for e in error.errors],
            ["connect ECONNREFUSED ::1:1", "connect ECONNREFUSED 127.0.0.1:1"],
        )
        self.assertEqual(socket.autoSelectFamilyAttemptedAddresses, ["::1:1", "127.0.0.1:1"])

    @asyncTest
    async def test_a_lookup_answer_that_is_not_an_address_is_invalid_ip_address(self) -> None:
        socket = self.connect(
            port=1, host="backend.test", family=4, lookup=lambda h, o, cb: cb(None, "nope", 4)
        )
        (error,) = await event(socket, "error")
        self.assertIsInstance(error, errors.ERR_INVALID_IP_ADDRESS)

    @asyncTest
    async def test_a_local_port_in_use_is_node_s_bind_error(self) -> None:
        port = await self.echoServer()
        socket = self.connect(port=port, host="127.0.0.1", localAddress="127.0.0.1", localPort=port)
        (error,) = await event(socket, "error")
        self.assertEqual((error.code, error.syscall), ("EADDRINUSE", "bind"))

    @asyncTest
    async def test_a_local_port_out_of_range_is_a_bind_error_then_close(self) -> None:
        # Node hands it to libuv and emits its bind failure; Python's bind()
        # refuses it first (an OverflowError), which must not escape as such.
        port = await self.echoServer()
        socket = self.connect(
            port=port, host="127.0.0.1", localAddress="127.0.0.1", localPort=70000
        )
        closed = event(socket, "close")
        (error,) = await event(socket, "error")
        self.assertEqual((error.code, error.syscall), ("EINVAL", "bind"))
        self.assertEqual(str(error), "bind EINVAL 127.0.0.1:70000")
        self.assertEqual(await closed, (True,))


class ConnectingTests(ClientTestCase):
    @asyncTest
    async def test_local_address_and_port_bind_the_socket(self) -> None:
        accepted: Deferred[Socket] = Deferred()
        server = self.makeServer(accepted.callback)
        server.listen(0, "127.0.0.1")
        await listening(server)
        probe = _socket.socket()
        probe.bind(("127.0.0.1", 0))
        localPort = probe.getsockname()[1]
        probe.close()
        self.connect(
            server.address().port, "127.0.0.1", localAddress="127.0.0.1", localPort=localPort
        )
        peer = await accepted
        self.assertEqual(peer.remotePort, localPort)

    @asyncTest
    async def test_no_delay_and_keep_alive_are_applied_on_connect(self) -> None:
        port = await self.echoServer()
        socket = self.connect(port=port, host="127.0.0.1", noDelay=True, keepAlive=True)
        await event(socket, "connect")
        handle = socket.transport.getHandle()
        self.assertTrue(handle.getsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY))
        self.assertTrue(handle.getsockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE))

    @asyncTest
    async def test_writes_and_end_before_connect_are_sent_in_order(self) -> None:
        received: list[bytes] = []
        ended: Deferred[None] = Deferred()

        def onConnection(sock: Socket) -> None:
            sock.on("data", received.append)
            sock.on("end", lambda: ended.callback(None))

        server = self.makeServer(onConnection)
        server.listen(0, "127.0.0.1")
        await listening(server)
        socket = self.connect(server.address().port, "127.0.0.1")
        self.assertTrue(socket.write(b"one "))
        socket.end(b"two")
        self.assertEqual(socket.writableLength, 7)
        await ended
        self.assertEqual(b"".join(received), b"one two")

    @asyncTest
    async def test_set_timeout_counts_while_connecting(self) -> None:
        socket = self.connect(
            port=80, host="backend.test", lookup=lambda h, o, cb: None, timeout=10
        )
        await event(socket, "timeout")
        self.assertEqual((socket.connecting, socket.destroyed), (True, False))

    @asyncTest
    async def test_family_racing_connects_to_the_family_that_answers(self) -> None:
        port = await self.echoServer("127.0.0.1")

        def lookup(hostname: object, options: object, callback: Any) -> None:
            # Answered later, as a resolver does: a synchronous answer would
            # start the first attempt before our listeners are added (Node too).
            answers = [{"address": "::1", "family": 6}, {"address": "127.0.0.1", "family": 4}]
            reactor.callLater(0, callback, None, answers)

        socket = self.connect(
            port=port, host="backend.test", lookup=lookup, autoSelectFamilyAttemptTimeout=1000
        )
        log = self.record(socket, "connectionAttempt", "connectionAttemptFailed", "connect")
        await event(socket, "connect")
        self.assertEqual(
            [entry[0] for entry in log],
            ["connectionAttempt", "connectionAttemptFailed", "connectionAttempt", "connect"],
        )
        self.assertEqual(socket.remoteAddress, "127.0.0.1")


class OutgoingSocketTests(ClientTestCase):
    """An outgoing socket is the same Socket an accepted one is."""

    @asyncTest
    async def test_destroy_closes_with_a_fin_not_a_reset(self) -> None:
        accepted: Deferred[Socket] = Deferred()
        server = self.makeServer(accepted.callback)
        server.listen(0, "127.0.0.1")
        await listening(server)
        socket = self.connect(server.address().port, "127.0.0.1")
        peer = await accepted
        log = self.record(peer, "end", "error", "close")
        peer.resume()
        await event(socket, "connect")
        socket.destroy()
        await event(peer, "close")
        self.assertEqual([entry[0] for entry in log], ["end", "close"])

    @asyncTest
    async def test_counters_encoding_and_pause_work_as_on_an_accepted_socket(self) -> None:
        port = await self.echoServer()
        socket = self.connect(port, "127.0.0.1")
        socket.setEncoding("utf8")
        received: list[str] = []
        socket.on("data", received.append)
        socket.pause()
        socket.write("héllo")
        await event(socket, "connect")
        self.assertTrue(socket.isPaused())
        await until(lambda: socket.bytesWritten == 6)
        socket.resume()
        await until(lambda: "".join(received) == "héllo")
        self.assertEqual((socket.bytesRead, socket.bytesWritten), (6, 6))
        self.assertEqual(socket.address()["address"], "127.0.0.1")

    @asyncTest
    async def test_a_lookup_answering_twice_connects_once(self) -> None:
        accepted: list[Socket] = []
        server = self.makeServer(accepted.append)
        server.listen(0, "127.0.0.1")
        await listening(server)

        def lookup(hostname: object, options: object, callback: Any) -> None:
            callback(None, "127.0.0.1", 4)
            callback(None, "127.0.0.1", 4)

        socket = self.connect(
            port=server.address().port, host="twice.test", family=4, lookup=lookup
        )
        await event(socket, "connect")
        socket.end()
        await event(socket, "close")
        self.assertEqual(len(accepted), 1)
