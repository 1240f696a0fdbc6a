"""
listen({"endpoint": "ssl:..."}): a Server serves TLS through Twisted's ``ssl:``
endpoint (``TLSMemoryBIOFactory`` around ``server.factory``), with a
certificate made for the test and a real Twisted TLS client on loopback.
Socket semantics must hold over TLS as over TCP: events, addresses,
backpressure, ``destroy()``, ``maxConnections``/``'drop'`` and ``blockList``.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import ssl as stdlibSSL
import tempfile
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.internet import ssl
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import SSL4ClientEndpoint, connectProtocol
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IHandshakeListener
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from txnetserver import BlockList, Server, Socket

from ._children import readUntil, startTwistd, stopChild
from ._loopback import Client, asyncTest, event, listening, reactor, until
from .test_server import ServerTestCase


@implementer(IHandshakeListener)
class TLSClient(Client):
    """A :class:`Client` that knows when its TLS handshake has completed."""

    def __init__(self, halfOpen: bool = False) -> None:
        super().__init__(halfOpen)
        self.handshake: Deferred[None] = Deferred()

    def handshakeCompleted(self) -> None:
        self.handshake.callback(None)


# The plaintext a backpressure test writes at once: far above the socket's
# 64 KiB highWaterMark and above what loopback kernel buffers absorb.
LARGE_WRITE = 8 * 1024 * 1024


@dataclass(frozen=True)
class GeneratedCertificate:
    """A self-signed certificate for 127.0.0.1: key and certificate PEM files."""

    keyPath: str
    certificatePath: str
    certificatePEM: bytes

    def endpoint(self, port: int = 0) -> str:
        """The ``ssl:`` server endpoint description serving this certificate."""
        return (
            f"ssl:{port}:interface=127.0.0.1"
            f":privateKey={self.keyPath}:certKey={self.certificatePath}"
        )


def makeCertificate(directory: str) -> GeneratedCertificate:
    """Generate a fresh EC key and a self-signed certificate for ``127.0.0.1``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "txnetserver-test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificatePEM = certificate.public_bytes(serialization.Encoding.PEM)
    keyPath = os.path.join(directory, "server.key")
    certificatePath = os.path.join(directory, "server.crt")
    with open(keyPath, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    with open(certificatePath, "wb") as f:
        f.write(certificatePEM)
    return GeneratedCertificate(keyPath, certificatePath, certificatePEM)


def temporaryCertificate(test: Any) -> GeneratedCertificate:
    """A certificate in a directory removed when ``test`` ends."""
    directory = tempfile.mkdtemp(prefix="txns-tls-")
    test.addCleanup(shutil.rmtree, directory, True)
    return makeCertificate(directory)


class TLSTestCase(ServerTestCase):
    def setUp(self) -> None:
        self.certificate = temporaryCertificate(self)

    async def serveTLS(self, *args: Any, **options: Any) -> Server:
        """A listening server on an ``ssl:`` endpoint on 127.0.0.1."""
        server = self.makeServer(*args, **options)
        server.listen({"endpoint": self.certificate.endpoint()})
        await listening(server)
        return server

    async def connectTLS(self, server: Server, *, halfOpen: bool = False) -> TLSClient:
        """A TLS client that verifies the test certificate (TCP connected, handshake pending)."""
        port = server.address().port  # type: ignore[union-attr]
        authority = ssl.Certificate.loadPEM(self.certificate.certificatePEM)
        options = ssl.optionsForClientTLS("127.0.0.1", trustRoot=authority)
        endpoint = SSL4ClientEndpoint(reactor, "127.0.0.1", port, options)
        return await connectProtocol(endpoint, TLSClient(halfOpen))

    async def serveOne(self, **options: Any) -> tuple[Server, TLSClient, Socket]:
        """A TLS server, one client whose handshake is done, and its accepted socket."""
        accepted: Deferred[Socket] = Deferred()
        server = await self.serveTLS(**options)
        server.once("connection", accepted.callback)
        client = await self.connectTLS(server)
        await client.handshake
        return server, client, await accepted

    def record(self, sock: Socket, *names: str) -> list[str]:
        log: list[str] = []
        for name in names:
            sock.on(name, lambda *args, name=name: log.append(name))
        return log


class TLSEchoTests(TLSTestCase):
    @asyncTest
    async def test_echo_round_trip(self) -> None:
        server = await self.serveTLS(lambda s: s.pipe(s))
        client = await self.connectTLS(server)
        client.write(b"secret")
        self.assertEqual(await client.waitForBytes(6), b"secret")
        client.close()
        await client.lost

    @asyncTest
    async def test_a_megabyte_echoes_intact(self) -> None:
        server = await self.serveTLS(lambda s: s.pipe(s))
        client = await self.connectTLS(server)
        payload = os.urandom(1024 * 1024)
        client.write(payload)
        self.assertEqual(await client.waitForBytes(len(payload)), payload)
        client.close()
        await client.lost


class TLSSocketEventTests(TLSTestCase):
    @asyncTest
    async def test_secure_is_emitted_once_the_handshake_is_done(self) -> None:
        secured: Deferred[None] = Deferred()

        def onConnection(sock: Socket) -> None:
            sock.on("error", lambda error: None)
            sock.once("secure", lambda: secured.callback(None))
            sock.pipe(sock)

        server = await self.serveTLS(onConnection)
        client = await self.connectTLS(server)
        await client.handshake
        await secured
        client.close()
        await client.lost

    @asyncTest
    async def test_twistds_handshake_deadline_is_cancelled_by_the_handshake(self) -> None:
        from txnetserver._twistd import Timeouts, watch

        server = self.makeServer(lambda s: s.pipe(s))
        watch(server, Timeouts(tlsHandshake=60_000))
        accepted: Deferred[Socket] = Deferred()
        server.once("connection", accepted.callback)
        server.listen({"endpoint": self.certificate.endpoint()})
        await listening(server)
        client = await self.connectTLS(server)
        await client.handshake
        sock = await accepted
        client.write(b"x")
        self.assertEqual(await client.waitForBytes(1), b"x")
        deadlines = [call for call in reactor.getDelayedCalls() if call.func == sock.destroy]
        self.assertEqual(deadlines, [])
        client.close()
        await client.lost

    @asyncTest
    async def test_addresses_are_the_real_tcp_peer_and_host(self) -> None:
        server, client, sock = await self.serveOne()
        self.assertEqual(sock.remoteAddress, "127.0.0.1")
        self.assertEqual(sock.remoteFamily, "IPv4")
        self.assertEqual(sock.remotePort, client.transport.getHost().port)  # type: ignore[union-attr]
        self.assertEqual(sock.localAddress, "127.0.0.1")
        self.assertEqual(sock.localPort, server.address().port)  # type: ignore[union-attr]
        client.close()
        await event(sock, "close")

    @asyncTest
    async def test_client_close_notify_is_end_then_close(self) -> None:
        _, client, sock = await self.serveOne()
        log: list[str] = []
        sock.on("data", lambda data: log.append(f"data {data!r}"))
        sock.on("end", lambda: log.append("end"))
        sock.on("finish", lambda: log.append("finish"))
        sock.on("close", lambda hadError: log.append(f"close {hadError}"))
        sock.on("error", lambda error: log.append(f"error {error}"))
        closedEvent = event(sock, "close")
        client.write(b"hi")
        await event(sock, "data")
        sock.write(b"bye")
        self.assertEqual(await client.waitForBytes(3), b"bye")
        client.close()  # close_notify, then FIN
        await closedEvent
        # Node: 'end', then (allowHalfOpen false) our end() → 'finish', 'close'.
        self.assertEqual(log, ["data b'hi'", "end", "finish", "close False"])

    @asyncTest
    async def test_server_end_delivers_data_then_finish_end_close(self) -> None:
        _, client, sock = await self.serveOne()
        log = self.record(sock, "finish", "end", "close", "error")
        closedEvent = event(sock, "close")
        sock.end(b"goodbye")
        # The client (not half-open) answers the server's close with its own.
        reason = await client.lost
        await closedEvent
        # Node 20 (tls.createServer, same steps): finish, end, close, and
        # the client reads every byte before a clean close.
        self.assertEqual(client.received, b"goodbye")
        self.assertIsInstance(reason, ConnectionDone)
        self.assertEqual(log, ["finish", "end", "close"])  # Node's order

    @asyncTest
    async def test_allow_half_open_ends_with_the_tls_session(self) -> None:
        # Twisted's TLS layer answers the peer's close_notify with its own and
        # closes the TCP connection: there is no half-open state to write in.
        _, client, sock = await self.serveOne(allowHalfOpen=True)
        log = self.record(sock, "end", "finish", "close", "error")
        closedEvent = event(sock, "close")
        client.close()
        await closedEvent
        await client.lost
        self.assertEqual(log, ["end", "close"])

    @asyncTest
    async def test_destroy_closes_the_client_and_emits_close_without_error(self) -> None:
        server, client, sock = await self.serveOne()
        log = self.record(sock, "end", "finish", "close", "error")
        closedEvent = event(sock, "close")
        sock.destroy()
        self.assertEqual(server._connections, 0)
        await client.lost
        await closedEvent
        self.assertEqual(log, ["close"])
        self.assertTrue(sock.destroyed)

    @asyncTest
    async def test_destroy_with_error_emits_error_then_close_true(self) -> None:
        _, client, sock = await self.serveOne()
        seen: list[object] = []
        sock.on("error", seen.append)
        closedEvent = event(sock, "close")
        boom = ValueError("boom")
        sock.destroy(boom)
        (hadError,) = await closedEvent
        await client.lost
        self.assertEqual((seen, hadError), ([boom], True))

    @asyncTest
    async def test_client_reset_is_an_error_then_close(self) -> None:
        _, client, sock = await self.serveOne()
        errors: list[Any] = []
        sock.on("error", errors.append)
        sock.on("data", lambda data: None)
        client.write(b"x")
        await event(sock, "data")
        closedEvent = event(sock, "close")
        client.reset()
        (hadError,) = await closedEvent
        self.assertTrue(hadError)
        self.assertEqual([getattr(e, "code", None) for e in errors], ["ECONNRESET"])


class TLSBackpressureTests(TLSTestCase):
    """
    Twisted's TLS transport registers a ``_ProducerMembrane`` for the Socket
    with the TCP transport: when the TCP write buffer passes the mark, the
    Socket is paused (``write()`` → ``False``); when it drains, ``'drain'``.
    """

    @asyncTest
    async def test_large_write_to_a_paused_client_returns_false_then_drain(self) -> None:
        _, client, sock = await self.serveOne()
        sock.on("data", lambda data: None)
        # Finish the handshake first: before it, TLS buffers writes itself.
        sock.write(b"hello")
        await client.waitForBytes(5)
        client.transport.pauseProducing()  # type: ignore[union-attr]
        drained = event(sock, "drain")
        payload = os.urandom(LARGE_WRITE)
        self.assertIs(sock.write(payload), False)
        self.assertTrue(sock.writableNeedDrain)
        self.assertFalse(drained.called)
        client.transport.resumeProducing()  # type: ignore[union-attr]
        await drained
        self.assertFalse(sock.writableNeedDrain)
        self.assertEqual(await client.waitForBytes(5 + LARGE_WRITE), b"hello" + payload)
        client.close()
        await event(sock, "close")

    @asyncTest
    async def test_a_write_before_the_handshake_returns_true_and_no_drain_follows(
        self,
    ) -> None:
        # A banner written in 'connection' (SMTP, FTP) goes out before the
        # handshake has completed; Node emits 'drain' only after write() → False.
        results: list[object] = []
        accepted: Deferred[Socket] = Deferred()

        def onConnection(sock: Socket) -> None:
            sock.on("drain", lambda: results.append("drain"))
            results.append(sock.write(b"220 ready\r\n"))
            accepted.callback(sock)

        server = await self.serveTLS(onConnection)
        client = await self.connectTLS(server)
        sock = await accepted
        self.assertEqual(await client.waitForBytes(11), b"220 ready\r\n")
        results.append(sock.write(b"more"))
        await client.waitForBytes(15)
        self.assertEqual(results, [True, True])
        client.close()
        await event(sock, "close")

    @asyncTest
    async def test_pipe_echoes_more_than_the_client_reads_at_once(self) -> None:
        # An echo writing faster than the client reads: pipe() pauses on
        # write() → False and resumes on 'drain', and every byte arrives.
        server = await self.serveTLS(lambda s: s.pipe(s))
        client = await self.connectTLS(server)
        client.write(b"x")
        await client.waitForBytes(1)
        client.transport.pauseProducing()  # type: ignore[union-attr]
        payload = os.urandom(4 * 1024 * 1024)
        client.write(payload)
        socket = next(iter(server.sockets))
        await until(lambda: socket.writableNeedDrain or socket.isPaused())
        client.transport.resumeProducing()  # type: ignore[union-attr]
        self.assertEqual(await client.waitForBytes(1 + len(payload)), b"x" + payload)
        client.close()
        await client.lost


class TLSAcceptPathTests(TLSTestCase):
    """
    twisted#6640: Twisted's limiting factories return ``None`` from
    ``buildProtocol``, which ``TLSMemoryBIOFactory`` wraps blindly.  The
    Server's drop path returns a protocol that closes, so it works wrapped.
    """

    @asyncTest
    async def test_max_connections_drops_with_the_real_peer_and_keeps_serving(self) -> None:
        failures = self.recordFailures()
        server = await self.serveTLS(lambda s: s.pipe(s))
        server.maxConnections = 1
        drops: list[Any] = []
        server.on("drop", drops.append)
        first = await self.connectTLS(server)
        first.write(b"one")
        self.assertEqual(await first.waitForBytes(3), b"one")
        second = await self.connectTLS(server)
        secondPort = second.transport.getHost().port  # type: ignore[union-attr]
        await second.lost
        self.assertEqual(second.received, b"")
        self.assertEqual(len(drops), 1)
        info = drops[0]
        self.assertEqual(
            (info["remoteAddress"], info["remotePort"], info["remoteFamily"]),
            ("127.0.0.1", secondPort, "IPv4"),
        )
        self.assertEqual(
            (info["localAddress"], info["localPort"]),
            ("127.0.0.1", server.address().port),  # type: ignore[union-attr]
        )
        self.assertEqual(server._connections, 1)
        first.close()
        await first.lost
        await until(lambda: server._connections == 0)
        third = await self.connectTLS(server)
        third.write(b"three")
        self.assertEqual(await third.waitForBytes(5), b"three")
        third.close()
        await third.lost
        self.assertEqual(failures, [])

    @asyncTest
    async def test_block_list_closes_without_connection_and_keeps_serving(self) -> None:
        failures = self.recordFailures()
        blockList = BlockList()
        blockList.addAddress("127.0.0.1")
        connections: list[Socket] = []
        server = await self.serveTLS(connections.append, blockList=blockList)
        drops: list[Any] = []
        server.on("drop", drops.append)
        blocked = await self.connectTLS(server)
        await blocked.lost
        self.assertEqual((connections, drops, blocked.received), ([], [], b""))
        self.assertEqual(failures, [])
        self.assertTrue(server.listening)
        # Unblocked, the same server accepts again.
        server.blockList = None
        allowed = await self.connectTLS(server)
        allowed.write(b"in")
        await until(lambda: len(connections) == 1)
        allowed.close()
        await allowed.lost


LISTENING = r"txnetserver listening on \S+ port (\d+)"


class TwistdTLSTests(SynchronousTestCase):
    """``twistd netserver --endpoint ssl:...`` serves TLS (a real twistd process)."""

    def test_twistd_serves_tls_on_an_ssl_endpoint(self) -> None:
        certificate = temporaryCertificate(self)
        child = startTwistd("--endpoint", certificate.endpoint(), cwd=tempfile.gettempdir())
        self.addCleanup(stopChild, child)
        port = int(readUntil(child.stdout, LISTENING).group(1))
        context = stdlibSSL.create_default_context(cadata=certificate.certificatePEM.decode())
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as client,
        ):
            client.sendall(b"hello over tls")
            received = b""
            while len(received) < 14:
                chunk = client.recv(64)
                if not chunk:
                    break
                received += chunk
        self.assertEqual(received, b"hello over tls")
