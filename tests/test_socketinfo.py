"""
Tests for txnetserver._socketinfo: what a socket reports about itself
(addresses, readyState, the counters) once accepted, the chaining setters,
and the TCP options (noDelay, keepAlive) applied on accept and remembered
until a transport exists.
"""

from __future__ import annotations

from txnetserver import Socket
from txnetserver.testing import MemoryNetwork

from ._loopback import asyncTest, attach
from .test_socket import SocketTestCase


class PropertyTests(SocketTestCase):
    @asyncTest
    async def test_accepted_socket_properties(self) -> None:
        server, client, sock = await self.serve()
        port = server.address().port
        clientAddress = client.transport.getHost()  # type: ignore[union-attr]
        self.assertEqual(
            (
                sock.remoteAddress,
                sock.remoteFamily,
                sock.remotePort,
                sock.localPort,
                sock.readyState,
                sock.pending,
                sock.bytesRead,
                sock.bytesWritten,
                sock.allowHalfOpen,
                sock.writableHighWaterMark,
                sock.timeout,
                sock.server,
            ),
            (
                "127.0.0.1",
                "IPv4",
                clientAddress.port,
                port,
                "open",
                False,
                0,
                0,
                False,
                65536,
                None,
                server,
            ),
        )
        address = sock.address()
        self.assertEqual(
            (address["address"], address["family"], address["port"]),
            ("127.0.0.1", "IPv4", port),
        )
        client.close()

    @asyncTest
    async def test_setters_chain(self) -> None:
        _, client, sock = await self.serve()
        self.assertIs(sock.setNoDelay(), sock)
        self.assertIs(sock.setNoDelay(False), sock)
        self.assertIs(sock.setKeepAlive(True, 1000), sock)
        self.assertIs(sock.ref(), sock)
        self.assertIs(sock.unref(), sock)
        client.close()

    @asyncTest
    async def test_no_delay_and_keep_alive_server_options_apply_on_accept(self) -> None:
        import socket as socketModule

        _, client, sock = await self.serve(noDelay=True, keepAlive=True, keepAliveInitialDelay=3000)
        handle = sock.transport.getHandle()
        self.assertEqual(handle.getsockopt(socketModule.IPPROTO_TCP, socketModule.TCP_NODELAY), 1)
        self.assertEqual(handle.getsockopt(socketModule.SOL_SOCKET, socketModule.SO_KEEPALIVE), 1)
        self.assertEqual(handle.getsockopt(socketModule.IPPROTO_TCP, socketModule.TCP_KEEPIDLE), 3)
        client.close()


def test_tcp_options_given_before_the_connection_apply_once_it_exists(
    memoryNetwork: MemoryNetwork,
) -> None:
    # Node remembers noDelay/keepAlive from the options or from calls made
    # while pending, and sets them on the handle it connects.
    sock = Socket({"noDelay": True}, reactor=memoryNetwork.reactor)
    other = Socket(reactor=memoryNetwork.reactor).setKeepAlive(True).setNoDelay(False)
    first, second = attach(memoryNetwork, sock), attach(memoryNetwork, other)
    assert first.transport is not None and second.transport is not None
    assert (first.transport.noDelay, first.transport.keepAlive) == (True, False)
    assert (second.transport.noDelay, second.transport.keepAlive) == (False, True)
