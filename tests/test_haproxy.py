"""
HAProxy in front of a Server, on loopback: Twisted's ``haproxy:`` endpoint and
the ``proxyProtocol`` option, first with PROXY headers written by the test,
then behind a real HAProxy (Debian's ``haproxy``, started by the test with
``send-proxy`` and ``send-proxy-v2``).

A missing ``haproxy`` binary skips the real-HAProxy tests, except with
``CI=true``, where it fails them: CI must install it (``apt-get install -y
haproxy``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.trial.unittest import SkipTest

from txnetserver import BlockList, Server, Socket

from ._loopback import Client, asyncTest, connect, event, listening, openFDs, reactor, until
from .test_proxy import v2Header
from .test_server import ServerTestCase

# How long a started haproxy may live if the test process dies without
# cleaning up (coreutils timeout sends it SIGTERM).
HAPROXY_LIFETIME_SECONDS = 120
READY_ATTEMPTS = 100  # connects to the frontend, 50 ms apart: 5 s at most

HAPROXY_CONFIG = """\
global
    maxconn 256
defaults
    mode tcp
    timeout connect 5s
    timeout client 20s
    timeout server 20s
frontend front
    bind 127.0.0.1:{front}
    default_backend back
backend back
    server s1 127.0.0.1:{back} {sendProxy}
"""


def freePort() -> int:
    """A port free right now on 127.0.0.1 (haproxy needs a concrete one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def findHAProxy() -> str:
    """The haproxy binary; skip without one, or fail when CI=true."""
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        message = "haproxy is not installed (Debian: apt-get install -y haproxy)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            raise AssertionError(f"{message}; CI=true requires it")
        raise SkipTest(message)
    return found


class HAProxyTestCase(ServerTestCase):
    timeout = 30

    async def serve(self, onConnection: Any, *, endpoint: bool, **options: Any) -> Server:
        """Listen on 127.0.0.1: on ``haproxy:tcp:`` or with ``proxyProtocol=True``."""
        if endpoint:
            server = self.makeServer(onConnection, **options)
            server.listen({"endpoint": "haproxy:tcp:0:interface=127.0.0.1"})
        else:
            server = self.makeServer(onConnection, proxyProtocol=True, **options)
            server.listen(0, "127.0.0.1")
        await listening(server)
        return server


class HandWrittenHeaderTests(HAProxyTestCase):
    """PROXY headers written by the test client: no haproxy needed."""

    async def addressesAfterHeader(self, header: bytes, *, endpoint: bool) -> list[Any]:
        """(remote, local) addresses as the Socket reports them at its first 'data'."""
        seen: list[Any] = []

        def onConnection(sock: Socket) -> None:
            def onData(data: bytes) -> None:
                seen.append(
                    (sock.remoteAddress, sock.remotePort, sock.localAddress, sock.localPort)
                )
                sock.write(data)

            sock.on("data", onData)

        server = await self.serve(onConnection, endpoint=endpoint)
        client = await connect(server)
        client.write(header + b"ping")
        self.assertEqual(await client.waitForBytes(4), b"ping")
        client.close()
        await client.lost
        return seen

    @asyncTest
    async def test_haproxy_endpoint_reports_the_v1_client_once_the_header_is_read(self) -> None:
        header = b"PROXY TCP4 203.0.113.7 198.51.100.1 5555 443\r\n"
        seen = await self.addressesAfterHeader(header, endpoint=True)
        self.assertEqual(seen, [("203.0.113.7", 5555, "198.51.100.1", 443)])

    @asyncTest
    async def test_haproxy_endpoint_reports_the_v2_client_once_the_header_is_read(self) -> None:
        seen = await self.addressesAfterHeader(v2Header("203.0.113.7", 5555), endpoint=True)
        self.assertEqual(seen, [("203.0.113.7", 5555, "127.0.0.1", 8000)])

    @asyncTest
    async def test_proxy_protocol_option_reports_the_client(self) -> None:
        header = b"PROXY TCP4 203.0.113.7 198.51.100.1 5555 443\r\n"
        seen = await self.addressesAfterHeader(header, endpoint=False)
        self.assertEqual(seen, [("203.0.113.7", 5555, "198.51.100.1", 443)])

    @asyncTest
    async def test_haproxy_endpoint_connects_before_the_header(self) -> None:
        # Twisted's wrapper connects the Socket at once: 'connection' sees the
        # balancer, and Node-style address caching keeps what was read then.
        # The proxyProtocol option exists for this.
        accepted: Deferred[tuple[Socket, Any]] = Deferred()

        def onConnection(sock: Socket) -> None:
            accepted.callback((sock, (sock.remoteAddress, sock.remotePort)))

        server = await self.serve(onConnection, endpoint=True)
        client = await connect(server)
        sock, inConnection = await accepted
        balancer = ("127.0.0.1", client.transport.getHost().port)  # type: ignore[union-attr]
        self.assertEqual(inConnection, balancer)
        sock.on("data", lambda data: None)
        client.write(b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 8000\r\n")
        await until(lambda: sock.transport.getPeer().host == "203.0.113.7")
        self.assertEqual((sock.remoteAddress, sock.remotePort), balancer)
        client.close()
        await event(sock, "close")

    @asyncTest
    async def test_block_list_refuses_on_the_haproxy_endpoint_without_errors(self) -> None:
        # The blocked address is the balancer's here (the header comes later);
        # before RefuseConnection, Twisted's wrapper wrapped None and crashed.
        failures = self.recordFailures()
        blockList = BlockList()
        blockList.addAddress("127.0.0.1")
        connections: list[Socket] = []
        server = await self.serve(connections.append, endpoint=True, blockList=blockList)
        client = await connect(server)
        await client.lost
        self.assertEqual((connections, failures), ([], []))
        self.assertTrue(server.listening)

    @asyncTest
    async def test_proxy_protocol_relays_the_clients_half_close(self) -> None:
        # The endpoint's wrapper is not half-closeable: the client's FIN closes
        # the connection there.  The option relays it, so a reply still goes out.
        def onConnection(sock: Socket) -> None:
            sock.on("data", lambda data: None)
            sock.on("end", lambda: sock.write(b"reply after end"))

        server = await self.serve(onConnection, endpoint=False)
        client = await connect(server)
        client.write(b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 8000\r\nrequest")
        client.halfClose()
        await client.lost
        self.assertEqual(client.received, b"reply after end")


class RealHAProxyTests(HAProxyTestCase):
    """A real HAProxy on loopback in front of the Server."""

    def setUp(self) -> None:
        self.haproxy = findHAProxy()

    def startHAProxy(self, backPort: int, sendProxy: str) -> tuple[int, str]:
        """Start haproxy in the foreground; return its frontend port and log path."""
        directory = tempfile.mkdtemp(prefix="txns-haproxy-")
        self.addCleanup(shutil.rmtree, directory, True)
        front = freePort()
        config = os.path.join(directory, "haproxy.cfg")
        with open(config, "w") as f:
            f.write(HAPROXY_CONFIG.format(front=front, back=backPort, sendProxy=sendProxy))
        logPath = os.path.join(directory, "haproxy.log")
        with open(logPath, "wb") as log:
            process = subprocess.Popen(
                ["timeout", str(HAPROXY_LIFETIME_SECONDS), self.haproxy, "-db", "-f", config],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.addCleanup(self.stopHAProxy, process)
        return front, logPath

    def stopHAProxy(self, process: subprocess.Popen[bytes]) -> None:
        # SIGTERM to timeout(1), which passes it on to haproxy and exits with it.
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    async def waitUntilReady(self, front: int, logPath: str) -> None:
        """Retry a connect to the frontend (bounded), never a blind sleep."""
        for _ in range(READY_ATTEMPTS):
            try:
                probe = await connect("127.0.0.1", front)
            except Exception:
                await deferLater(reactor, 0.05, lambda: None)
                continue
            probe.close()
            await probe.lost
            return
        with open(logPath) as f:
            self.fail(f"haproxy never accepted connections; its output:\n{f.read()}")

    async def checkClientAddress(self, sendProxy: str, *, endpoint: bool) -> None:
        # Every connection's (address, port) as the server saw it at its first
        # 'data'; haproxy's connections for the readiness probe arrive too, so
        # look for this client's own port.
        seen: list[tuple[Any, Any]] = []

        def onConnection(sock: Socket) -> None:
            sock.on("error", lambda error: None)

            def onData(data: bytes) -> None:
                seen.append((sock.remoteAddress, sock.remotePort))
                sock.write(data)

            sock.on("data", onData)

        server = await self.serve(onConnection, endpoint=endpoint)
        front, logPath = self.startHAProxy(server.address().port, sendProxy)  # type: ignore[union-attr]
        await self.waitUntilReady(front, logPath)
        client: Client = await connect("127.0.0.1", front)
        clientPort = client.transport.getHost().port  # type: ignore[union-attr]
        client.write(b"through haproxy")
        self.assertEqual(await client.waitForBytes(15), b"through haproxy")
        self.assertIn(("127.0.0.1", clientPort), seen)
        self.assertNotIn(("127.0.0.1", server.address().port), seen)  # type: ignore[union-attr]
        client.close()
        await client.lost

    @asyncTest
    async def test_proxy_protocol_option_behind_send_proxy(self) -> None:
        await self.checkClientAddress("send-proxy", endpoint=False)

    @asyncTest
    async def test_proxy_protocol_option_behind_send_proxy_v2(self) -> None:
        await self.checkClientAddress("send-proxy-v2", endpoint=False)

    @asyncTest
    async def test_haproxy_endpoint_behind_send_proxy(self) -> None:
        await self.checkClientAddress("send-proxy", endpoint=True)

    @asyncTest
    async def test_haproxy_endpoint_behind_send_proxy_v2(self) -> None:
        await self.checkClientAddress("send-proxy-v2", endpoint=True)

    @asyncTest
    async def test_proxy_protocol_option_sees_the_client_in_connection(self) -> None:
        # With the option, 'connection' itself already has the client.
        seen: list[tuple[Any, Any]] = []

        def onConnection(sock: Socket) -> None:
            # haproxy resets the backend side of its readiness probes.
            sock.on("error", lambda error: None)
            seen.append((sock.remoteAddress, sock.remotePort))
            sock.pipe(sock)

        server = await self.serve(onConnection, endpoint=False)
        front, logPath = self.startHAProxy(server.address().port, "send-proxy-v2")  # type: ignore[union-attr]
        await self.waitUntilReady(front, logPath)
        client = await connect("127.0.0.1", front)
        clientPort = client.transport.getHost().port  # type: ignore[union-attr]
        client.write(b"hi")
        await client.waitForBytes(2)
        self.assertIn(("127.0.0.1", clientPort), seen)
        client.close()
        await client.lost

    @asyncTest
    async def test_a_client_half_close_travels_through_haproxy(self) -> None:
        def onConnection(sock: Socket) -> None:
            # haproxy resets the backend side of its readiness probes.
            sock.on("error", lambda error: None)
            sock.on("data", lambda data: None)
            sock.on("end", lambda: sock.write(b"reply after end"))

        server = await self.serve(onConnection, endpoint=False)
        front, logPath = self.startHAProxy(server.address().port, "send-proxy")  # type: ignore[union-attr]
        await self.waitUntilReady(front, logPath)
        client = await connect("127.0.0.1", front, halfOpen=True)
        client.write(b"request")
        client.halfClose()
        await client.lost
        self.assertEqual(client.received, b"reply after end")


# The PROXY v2 signature (the protocol's spec, section 2.2).
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"

HOSTILE_STARTS = [
    b"GET / HTTP/1.0\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello
    b"\x00" * 64,
    b"PROXY " + b"9" * 300 + b"\r\n",  # longer than a v1 line may be
    b"PROXY TCP4 2001:db8::1 127.0.0.1 1 2\r\nafter",  # wrong family
    b"PROXY TCP4 203.0.113.7 127.0.0.1 70000 2\r\n",  # port out of range
    b"junk PROXY TCP4 203.0.113.7 127.0.0.1 1 2\r\n",  # bytes before the header
    b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 8000",  # never finished
    V2_SIGNATURE + b"\x21\x11\xff\xff" + b"\x00" * 12,  # claims 64 KiB, sends 12
    V2_SIGNATURE + b"\x31\x11\x00\x0c" + b"\x00" * 12,  # version 3
    V2_SIGNATURE + b"\x21\x51\x00\x0c" + b"\x00" * 12,  # unknown family
    b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 8000\r\nserved",  # valid, then data
    b"PROXY UNKNOWN\r\nserved",
]


class HostileHeaderLoopbackTests(ServerTestCase):
    """A few fuzz cases on real sockets: descriptors and counts back to zero, nothing logged."""

    timeout = 60

    @asyncTest
    async def test_hostile_starts_leave_no_descriptor_count_or_failure(self) -> None:
        failures = self.recordFailures()
        server = self.makeServer(lambda sock: sock.pipe(sock), proxyProtocol=True)
        server.listen(0, "127.0.0.1")
        await listening(server)
        baseline = openFDs()
        served = 0
        for start in HOSTILE_STARTS:
            for pieces in ([start], [start[i : i + 1] for i in range(len(start))]):
                client = await connect(server)
                for piece in pieces:
                    client.write(piece)
                client.halfClose()
                await client.lost
                served += bytes(client.received).endswith(b"served")
        await until(lambda: server._connections == 0 and server._awaitingHeader == 0)
        self.assertEqual(served, 4)  # the two valid ones, whole and byte by byte
        self.assertLessEqual(openFDs(), baseline)
        self.assertEqual(failures, [])
