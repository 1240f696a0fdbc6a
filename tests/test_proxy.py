"""
The proxyProtocol option (txnetserver._proxy): the PROXY header is read
before the connection reaches the accept path, in memory and behind a real
HAProxy (Debian's haproxy, started by the test on loopback).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from typing import Any

from txnetserver import BlockList, Socket
from txnetserver.testing import MemoryNetwork

from ._loopback import asyncTest, connect, listening
from .test_server import ServerTestCase


def test_memory_proxy_header_gives_the_client_address_before_connection() -> None:
    network = MemoryNetwork()
    seen: list[tuple[Any, Any]] = []

    def onConnection(sock: Socket) -> None:
        seen.append((sock.remoteAddress, sock.remotePort))
        sock.pipe(sock)

    server = network.createServer(onConnection, proxyProtocol=True)
    server.listen(8000)
    client = network.connect(server)
    network.pump()
    assert seen == []  # nothing is accepted before the header
    client.write(b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 8000\r\nhello")
    network.pump()
    assert seen == [("203.0.113.7", 5555)]
    assert client.received == b"hello"


def test_memory_proxy_block_list_and_drop_use_the_client_address() -> None:
    network = MemoryNetwork()
    blocked = BlockList()
    blocked.addAddress("203.0.113.66")
    connections: list[Socket] = []
    guarded = network.createServer(connections.append, proxyProtocol=True, blockList=blocked)
    guarded.listen(8000)
    first = network.connect(guarded)
    first.write(b"PROXY TCP4 203.0.113.66 127.0.0.1 1 8000\r\n")
    network.pump()
    assert first.closed and connections == []  # the client, not the balancer, is blocked
    allowed = network.connect(guarded)
    allowed.write(b"PROXY TCP4 203.0.113.8 127.0.0.1 2 8000\r\n")
    network.pump()
    assert not allowed.closed and len(connections) == 1

    full = network.createServer(proxyProtocol=True)
    full.maxConnections = 0
    drops: list[Any] = []
    full.on("drop", drops.append)
    full.listen(8001)
    second = network.connect(full)
    second.write(b"PROXY TCP4 203.0.113.9 127.0.0.1 3 8001\r\n")
    network.pump()
    assert second.closed
    assert [(d["remoteAddress"], d["remotePort"]) for d in drops] == [("203.0.113.9", 3)]


def test_a_connection_without_a_proxy_header_is_closed() -> None:
    network = MemoryNetwork()
    connections: list[Socket] = []
    server = network.createServer(connections.append, proxyProtocol=True)
    server.listen(8000)
    client = network.connect(server)
    client.write(b"GET / HTTP/1.0\r\n\r\n")
    network.pump()
    assert client.closed and connections == []


HAPROXY_CONFIG = """
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
    server s1 127.0.0.1:{back} {proxy}
"""


def freePort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RealHAProxyTests(ServerTestCase):
    timeout = 30

    def startHAProxy(self, backPort: int, proxy: str) -> int:
        haproxy = shutil.which("haproxy") or (
            "/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None
        )
        if haproxy is None:
            self.fail("haproxy is needed (Debian package haproxy; .ci/run installs it)")
        front = freePort()
        directory = tempfile.mkdtemp(prefix="txns-haproxy-")
        config = os.path.join(directory, "haproxy.cfg")
        with open(config, "w") as f:
            f.write(HAPROXY_CONFIG.format(front=front, back=backPort, proxy=proxy))
        process = subprocess.Popen(
            [haproxy, "-db", "-f", config],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def stop() -> None:
            process.kill()
            process.wait(timeout=10)
            shutil.rmtree(directory, ignore_errors=True)

        self.addCleanup(stop)
        return front

    async def waitForProxy(self, front: int) -> None:
        async def tryOnce() -> bool:
            try:
                client = await connect("127.0.0.1", front)
            except Exception:
                return False
            client.close()
            await client.lost
            return True

        from twisted.internet.task import deferLater

        from ._loopback import reactor

        for _ in range(100):  # bounded: retry a connect while haproxy starts
            if await tryOnce():
                return
            await deferLater(reactor, 0.05, lambda: None)
        self.fail("haproxy never accepted connections")

    async def checkClientAddress(self, proxy: str, viaEndpoint: bool) -> None:
        # Every connection's (address, port) as the server saw it: haproxy's
        # readiness probes arrive too, so look for this client's own port.
        seen: list[tuple[Any, Any]] = []

        def onConnection(sock: Socket) -> None:
            sock.on("error", lambda error: None)
            if viaEndpoint:
                # The endpoint knows the client only once the header is read.
                def onData(data: bytes) -> None:
                    seen.append((sock.remoteAddress, sock.remotePort))
                    sock.write(data)

                sock.on("data", onData)
            else:
                seen.append((sock.remoteAddress, sock.remotePort))
                sock.pipe(sock)

        back = freePort()
        if viaEndpoint:
            server = self.makeServer(onConnection)
            server.listen({"endpoint": f"haproxy:tcp:{back}:interface=127.0.0.1"})
        else:
            server = self.makeServer(onConnection, proxyProtocol=True)
            server.listen(back, "127.0.0.1")
        await listening(server)
        front = self.startHAProxy(back, proxy)
        await self.waitForProxy(front)
        client = await connect("127.0.0.1", front)
        clientPort = client.transport.getHost().port  # type: ignore[union-attr]
        client.write(b"through haproxy")
        self.assertEqual(await client.waitForBytes(15), b"through haproxy")
        self.assertIn(("127.0.0.1", clientPort), seen)
        client.close()
        await client.lost

    @asyncTest
    async def test_proxy_protocol_option_v1(self) -> None:
        await self.checkClientAddress("send-proxy", viaEndpoint=False)

    @asyncTest
    async def test_proxy_protocol_option_v2(self) -> None:
        await self.checkClientAddress("send-proxy-v2", viaEndpoint=False)

    @asyncTest
    async def test_haproxy_endpoint_v2(self) -> None:
        await self.checkClientAddress("send-proxy-v2", viaEndpoint=True)
