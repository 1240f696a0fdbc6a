"""
Tests for txnetserver.interfaces: every transport a Socket runs on (ours for
TCP and UNIX, the memory transport of txnetserver.testing, an accepted
loopback connection) provides INodeTransport, checked with verifyClass and
verifyObject.
"""

from __future__ import annotations

import queue
import socket

from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyClass, verifyObject

from txnetserver import Socket
from txnetserver._transport import NodeTCPServerTransport, NodeUNIXServerTransport
from txnetserver.interfaces import INodeTransport
from txnetserver.testing import LoopbackServer, MemoryNetwork, MemoryTransport


class NodeTransportInterfaceTests(SynchronousTestCase):
    """Every transport a Socket runs on provides INodeTransport."""

    def test_our_tcp_and_unix_transports_and_the_memory_transport_provide_it(self) -> None:
        for transportClass in (NodeTCPServerTransport, NodeUNIXServerTransport, MemoryTransport):
            self.assertTrue(verifyClass(INodeTransport, transportClass))

    def test_an_accepted_tcp_connection_provides_it(self) -> None:
        with LoopbackServer() as loopback:
            accepted: queue.Queue[Socket] = queue.Queue()
            loopback.call(lambda: loopback.server.on("connection", accepted.put))
            with socket.create_connection((loopback.host, loopback.port), timeout=10):
                sock = accepted.get(timeout=10)
                transport = loopback.call(lambda: sock.transport)
                self.assertIsInstance(transport, NodeTCPServerTransport)
                self.assertTrue(verifyObject(INodeTransport, transport))

    def test_a_memory_connection_provides_it(self) -> None:
        network = MemoryNetwork()
        sockets: list[Socket] = []
        server = network.createServer(sockets.append)
        server.listen(8000)
        network.connect(server)
        network.pump()
        self.assertIsInstance(sockets[0].transport, MemoryTransport)
        self.assertTrue(verifyObject(INodeTransport, sockets[0].transport))
