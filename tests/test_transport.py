"""
txnetserver._transport: the server transports' write-through and their
close without an EPOLLOUT round, on real loopback sockets and a private
NodeReactor driven by hand (no global reactor, no sleeping); nodeTransportFor
(the INodeTransport adapter for any other transport); and what the peer sees
after destroy() and resetAndDestroy() on every kind of listen.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl as stdlibSSL
import tempfile
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.defer import ensureDeferred
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.internet.error import ConnectionAborted, ConnectionDone
from twisted.internet.protocol import Protocol, connectionDone
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface.verify import verifyObject

from txnetserver import Socket, createServer, nodeTransportFor
from txnetserver._transport import NodeTCPServerTransport
from txnetserver._twistedinternals import closePoller
from txnetserver.interfaces import INodeTransport
from txnetserver.reactor import NodeReactor
from txnetserver.testing import MemoryNetwork, MemoryTransport

from ._loopback import asyncTest, event, listening, reactor, until
from .test_tls import temporaryCertificate


class _Recorder(Protocol):
    def __init__(self) -> None:
        self.lost: list[type[BaseException]] = []

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.lost.append(reason.type)  # type: ignore[arg-type]


class LoseConnectionTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.reactor = NodeReactor()
        self.addCleanup(closePoller, self.reactor)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        self.peer = socket.create_connection(listener.getsockname())
        self.addCleanup(self.peer.close)
        accepted, address = listener.accept()
        listener.close()
        accepted.setblocking(False)
        self.protocol = _Recorder()
        self.transport = NodeTCPServerTransport(
            accepted, self.protocol, address, None, 1, self.reactor
        )
        self.addCleanup(accepted.close)
        self.protocol.makeConnection(self.transport)
        self.transport.startReading()

    def iterate(self) -> None:
        self.reactor.runUntilCurrent()  # type: ignore[no-untyped-call]
        self.reactor.doPoll(0)

    def readAll(self) -> bytes:
        """Everything the peer receives until our FIN (bounded by the iterations)."""
        self.peer.setblocking(False)
        received = bytearray()
        for _ in range(10000):
            self.iterate()
            try:
                chunk = self.peer.recv(1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                return bytes(received)
            received += chunk
        self.fail("no FIN from the server")

    def test_with_nothing_buffered_it_closes_on_the_next_tick_without_epollout(self) -> None:
        self.transport.loseConnection()
        self.assertEqual(self.protocol.lost, [])  # never from inside loseConnection
        self.assertNotIn(self.transport, self.reactor.getWriters())
        self.assertNotIn(self.transport, self.reactor.getReaders())
        self.iterate()
        self.assertEqual(self.protocol.lost, [ConnectionDone])
        self.assertEqual(self.readAll(), b"")

    def test_a_write_in_the_same_tick_still_goes_out_before_the_fin(self) -> None:
        self.transport.loseConnection()
        self.transport.write(b"last words")
        self.assertEqual(self.readAll(), b"last words")
        self.assertEqual(self.protocol.lost, [ConnectionDone])

    def test_buffered_data_is_flushed_before_the_close(self) -> None:
        payload = b"x" * (8 * 1024 * 1024)  # more than the kernel takes at once
        self.transport.write(payload)
        self.assertGreater(self.transport.writableLength, 0)
        self.transport.loseConnection()
        self.assertEqual(self.readAll(), payload)
        self.assertEqual(self.protocol.lost, [ConnectionDone])

    def test_an_abort_before_the_tick_loses_the_connection_once(self) -> None:
        self.transport.loseConnection()
        self.transport.abortConnection()
        for _ in range(3):
            self.iterate()
        self.assertEqual(self.protocol.lost, [ConnectionAborted])


class NodeTransportForTests(SynchronousTestCase):
    """nodeTransportFor adapts any other transport and leaves ours alone."""

    def test_any_other_transport_is_adapted_and_keeps_its_interfaces(self) -> None:
        from twisted.internet.testing import StringTransport

        foreign = StringTransport()
        adapted = nodeTransportFor(foreign)
        self.assertTrue(verifyObject(INodeTransport, adapted))
        self.assertFalse(adapted.exactWriteBuffer)
        self.assertEqual(adapted.writableLength, 0)
        adapted.write(b"relayed")
        self.assertEqual(foreign.value(), b"relayed")
        self.assertEqual(adapted.getPeer(), foreign.getPeer())

    def test_our_own_transports_are_not_wrapped(self) -> None:
        network = MemoryNetwork()
        sockets: list[Socket] = []
        network.createServer(sockets.append).listen(8000)
        transport = MemoryTransport(
            network, IPv4Address("TCP", "127.0.0.1", 1), IPv4Address("TCP", "127.0.0.1", 2)
        )
        self.assertIs(nodeTransportFor(transport), transport)


class _BelowTLS:
    """A TLS client whose reads bypass TLS: the records as TCP delivers them."""

    def __init__(self, wrapped: stdlibSSL.SSLSocket, raw: socket.socket) -> None:
        self.wrapped = wrapped
        self.raw = raw

    def recv(self, size: int) -> bytes:
        return self.raw.recv(size)

    def close(self) -> None:
        self.raw.close()
        self.wrapped.close()


def _peerSees(client: Any) -> str:
    """How the peer's next read ends: ``"EOF"`` (FIN) or ``"ECONNRESET"`` (RST)."""
    try:
        while True:
            if not client.recv(65536):
                return "EOF"
    except ConnectionResetError:
        return "ECONNRESET"


class DestroyOnEveryTransportTests(TestCase):
    """
    ``destroy()`` closes with FIN and ``resetAndDestroy()`` with RST, on our
    transports and on any Twisted endpoint's: what a peer (a blocking client
    socket, in a thread) sees after the server destroys its socket.  On the
    global reactor: Twisted's TLS flushes small writes through it.
    """

    async def closeWith(self, how: str, listenArgument: Any, connect: Any) -> str:
        """``listenArgument(reactor)``: what ``server.listen()`` gets."""
        server = createServer()
        sockets: list[Socket] = []
        server.on("connection", sockets.append)
        server.listen(listenArgument(reactor))
        await listening(server)
        closed = event(server, "close")
        try:
            client = await deferToThread(connect, server.address())
            try:
                await until(lambda: bool(sockets))
                sock = sockets[0]
                sock.on("error", lambda error: None)
                # The server has read all the client sent: a close with unread
                # data would be a reset whatever we asked for.
                await event(sock, "data")
                getattr(sock, how)()
                return await deferToThread(_peerSees, client)
            finally:
                client.close()
        finally:
            server.close()
            await closed

    def tcp(self, address: Any) -> socket.socket:
        client = socket.create_connection((address.address, address.port), timeout=10)
        client.sendall(b"x")
        return client

    @staticmethod
    def unix(path: str) -> socket.socket:
        client = socket.socket(socket.AF_UNIX)
        client.settimeout(10)
        client.connect(path)
        client.sendall(b"x")
        return client

    def tls(self, address: Any) -> Any:
        context = stdlibSSL.SSLContext(stdlibSSL.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cadata=self.certificate.certificatePEM.decode())
        client = socket.create_connection((address.address, address.port), timeout=10)
        # What TCP delivers (FIN or RST) is read below TLS, from the same socket.
        raw = client.dup()
        wrapped = context.wrap_socket(client, server_hostname="127.0.0.1")
        wrapped.sendall(b"x")
        return _BelowTLS(wrapped, raw)

    def unixPath(self) -> str:
        directory = tempfile.mkdtemp(prefix="txns-")
        self.addCleanup(shutil.rmtree, directory, True)
        return os.path.join(directory, "s.sock")

    def sslEndpoint(self) -> Any:
        self.certificate = temporaryCertificate(self)
        listen = {"endpoint": self.certificate.endpoint()}
        return lambda reactor: listen

    @asyncTest
    async def test_destroy_sends_fin_on_a_port(self) -> None:
        self.assertEqual(await self.closeWith("destroy", _port, self.tcp), "EOF")

    @asyncTest
    async def test_destroy_sends_fin_before_the_peer_sees_its_unread_bytes_dropped(self) -> None:
        # pauseOnConnect: the server never reads what the client sent.  close(2)
        # alone would make the kernel answer with an RST; destroy() owes a FIN
        # first (Twisted's shutdown(2) before close(2)).
        server = createServer(pauseOnConnect=True)
        sockets: list[Socket] = []
        server.on("connection", sockets.append)
        server.listen(0, "127.0.0.1")
        await listening(server)
        closed = event(server, "close")
        try:
            client = await deferToThread(self.tcp, server.address())
            try:
                await until(lambda: bool(sockets))
                sockets[0].destroy()
                self.assertEqual(await deferToThread(_peerSees, client), "EOF")
            finally:
                client.close()
        finally:
            server.close()
            await closed

    @asyncTest
    async def test_reset_and_destroy_sends_rst_on_a_port(self) -> None:
        self.assertEqual(await self.closeWith("resetAndDestroy", _port, self.tcp), "ECONNRESET")

    @asyncTest
    async def test_destroy_sends_fin_on_a_unix_path(self) -> None:
        path = self.unixPath()
        self.assertEqual(await self.closeWith("destroy", lambda reactor: path, self.unix), "EOF")

    @asyncTest
    async def test_destroy_sends_fin_on_a_twisted_endpoint(self) -> None:
        self.assertEqual(await self.closeWith("destroy", _tcp4Endpoint, self.tcp), "EOF")

    @asyncTest
    async def test_reset_and_destroy_sends_rst_on_a_twisted_endpoint(self) -> None:
        self.assertEqual(
            await self.closeWith("resetAndDestroy", _tcp4Endpoint, self.tcp), "ECONNRESET"
        )

    @asyncTest
    async def test_destroy_sends_fin_on_an_ssl_endpoint(self) -> None:
        self.assertEqual(await self.closeWith("destroy", self.sslEndpoint(), self.tls), "EOF")

    @asyncTest
    async def test_reset_and_destroy_sends_rst_on_an_ssl_endpoint(self) -> None:
        self.assertEqual(
            await self.closeWith("resetAndDestroy", self.sslEndpoint(), self.tls), "ECONNRESET"
        )


def _port(reactor: Any) -> Any:
    return {"port": 0, "host": "127.0.0.1"}


def _tcp4Endpoint(reactor: Any) -> Any:
    return TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")


class SocketOptionsOnEveryTransportTests(TestCase):
    """Node's socket options apply to the socket beneath, or do nothing where there is none."""

    async def accepted(self, listenArgument: Any, connect: Any, **options: Any) -> Any:
        server = createServer(options)
        sockets: list[Socket] = []
        server.on("connection", sockets.append)
        server.listen(listenArgument)
        await listening(server)
        client = await deferToThread(connect, server.address())
        self.addCleanup(client.close)

        async def close() -> None:
            closed = event(server, "close")
            for sock in sockets:
                sock.destroy()
            server.close()
            await closed

        self.addCleanup(lambda: ensureDeferred(close()))
        await until(lambda: bool(sockets))
        await event(sockets[0], "data")
        return sockets[0]

    @asyncTest
    async def test_no_delay_on_a_unix_socket_is_a_no_op_on_every_twisted(self) -> None:
        # Twisted before 24.11 raised EOPNOTSUPP here, inside the accept loop.
        directory = tempfile.mkdtemp(prefix="txns-")
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "s.sock")
        sock = await self.accepted(path, DestroyOnEveryTransportTests.unix, noDelay=True)
        self.assertIs(sock.setNoDelay(True), sock)
        self.assertFalse(sock.transport.getTcpNoDelay())
        sock.write(b"still served")
        self.assertEqual(sock.bytesWritten, 12)

    @asyncTest
    async def test_keep_alive_reaches_the_tcp_socket_below_tls(self) -> None:
        certificate = temporaryCertificate(self)
        tests = DestroyOnEveryTransportTests()
        tests.certificate = certificate
        sock = await self.accepted({"endpoint": certificate.endpoint()}, tests.tls)
        sock.setNoDelay(True)
        sock.setKeepAlive(True, 3000)
        handle = sock.transport.getHandle()
        self.assertEqual(handle.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 1)
        self.assertEqual(handle.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), 1)
        self.assertEqual(handle.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE), 3)


def test_an_accepted_tcp_connection_reads_up_to_read_size_at_once() -> None:
    # 256 KiB reads (Twisted's are 64 KiB): a stream takes a quarter of the
    # reads and 'data' events; the inlined read of NodeReactor uses it too.
    from txnetserver._defaults import READ_SIZE
    from txnetserver._transport import NodeTCPServerTransport

    assert READ_SIZE == 262144
    assert NodeTCPServerTransport.bufferSize == READ_SIZE
