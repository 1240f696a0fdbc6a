"""
The ``proxyProtocol`` server option: connections behind HAProxy (or any load
balancer speaking the PROXY protocol, v1 or v2).

Twisted's ``haproxy:`` endpoint connects the application's protocol before
the PROXY header has arrived, so a Node-style ``'connection'`` listener would
see the balancer's address.  Here the header is read first; only then does
the connection go through the server's one accept path with the real
client's address, so ``'connection'``, ``maxConnections``/``'drop'`` and
``blockList`` all see the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.protocols.haproxy._exceptions import InvalidProxyHeader
from twisted.protocols.haproxy._v1parser import V1Parser
from twisted.protocols.haproxy._v2parser import V2Parser
from twisted.protocols.haproxy._wrapper import HAProxyProtocolWrapper
from twisted.protocols.policies import WrappingFactory
from twisted.python.failure import Failure
from zope.interface import directlyProvides, implementer, providedBy

if TYPE_CHECKING:
    from txnetserver._server import Server

__all__ = ["ProxyHeaderProtocol"]


@implementer(IHalfCloseableProtocol)
class ProxyHeaderProtocol(HAProxyProtocolWrapper):
    """
    Reads the PROXY header of one accepted connection, then hands the
    connection (with the client's addresses) to the server's accept path.
    Transport calls and half-closes are relayed both ways.
    """

    transport: Any
    wrappedProtocol: Any

    def __init__(self, server: Server) -> None:
        super().__init__(WrappingFactory(server.factory), None)  # type: ignore[arg-type]
        self._server = server
        self._admitted = False

    def makeConnection(self, transport: Any) -> None:
        # Unlike ProtocolWrapper, connect nothing until the header is read;
        # like it, look like the transport we relay to.
        directlyProvides(self, providedBy(transport))
        self.transport = transport
        self.connected = 1

    def dataReceived(self, data: bytes) -> None:
        if self._admitted:
            if self.wrappedProtocol is not None:
                self.wrappedProtocol.dataReceived(data)
            return
        if self._parser is None:
            if len(data) >= 16 and data[:12] == V2Parser.PREFIX:
                self._parser = V2Parser()
            elif len(data) >= 8 and data[:5] == V1Parser.PROXYSTR:
                self._parser = V1Parser()
            else:
                self.transport.loseConnection()  # not a PROXY connection
                return
        try:
            self._proxyInfo, remaining = self._parser.feed(data)
        except InvalidProxyHeader:
            self.transport.loseConnection()
            return
        if self._proxyInfo is None:
            return  # the header is not complete yet
        self._admitted = True
        protocol = self._server._admit(self.getPeer())
        if protocol is None:
            self.transport.loseConnection()  # blocked
            return
        self.wrappedProtocol = protocol
        protocol.makeConnection(self)  # type: ignore[arg-type]
        if remaining and self.wrappedProtocol is not None:
            self.wrappedProtocol.dataReceived(remaining)

    def loseWriteConnection(self) -> None:
        self.transport.loseWriteConnection()

    def readConnectionLost(self) -> None:
        half = getattr(self.wrappedProtocol, "readConnectionLost", None)
        if half is not None:
            half()
        else:
            self.transport.loseConnection()

    def writeConnectionLost(self) -> None:
        half = getattr(self.wrappedProtocol, "writeConnectionLost", None)
        if half is not None:
            half()

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        protocol = self.wrappedProtocol
        self.wrappedProtocol = None
        if protocol is not None:
            protocol.connectionLost(reason)
