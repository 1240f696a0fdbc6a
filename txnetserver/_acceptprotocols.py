"""
The Twisted side of a :class:`~txnetserver.Server`'s one accept path: its
factory, which hands every accepted connection to ``Server._accept``, and the
two protocols that close a connection the server does not take (over
``maxConnections``: ``'drop'``; refused by ``blockList`` or as an untrusted
proxy: silently).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IAddress, ITransport
from twisted.internet.protocol import Protocol, ServerFactory

if TYPE_CHECKING:
    from txnetserver._server import Server

__all__ = ["DropConnection", "NodeServerFactory", "RefuseConnection"]


class NodeServerFactory(ServerFactory):
    """The Twisted factory of a :class:`Server`: every connection goes to its accept path."""

    noisy = False

    def __init__(self, server: Server) -> None:
        self.server = server

    def buildProtocol(self, addr: IAddress | None) -> Any:
        return self.server._accept(addr)

    def logPrefix(self) -> str:
        """How Twisted's ports name us in the log ("txnetserver.Server starting on 8000")."""
        return "txnetserver.Server"

    def acceptFailed(self, error: OSError) -> None:
        """accept(2) failed for lack of resources: Node's ``'error'`` (``accept EMFILE``)."""
        self.server._acceptFailed(error)

    # The Server tracks its own ports; Twisted's per-port start/stop counting
    # would log and could drift on failed binds.
    def doStart(self) -> None:
        pass

    def doStop(self) -> None:
        pass


class DropConnection(Protocol):
    """``maxConnections`` reached: ``'drop'`` with the addresses, then FIN."""

    def __init__(self, server: Server) -> None:
        self._server = server

    def makeConnection(self, transport: ITransport) -> None:
        self.transport = transport
        self._server._emitDrop(transport)
        transport.loseConnection()


class RefuseConnection(Protocol):
    """
    ``blockList`` refused the peer: close, no ``'drop'``.  Not ``None`` from
    ``buildProtocol``: wrapping factories (``ssl:``, ``haproxy:``) wrap
    ``None`` blindly and fail (twisted#6640).
    """

    def makeConnection(self, transport: ITransport) -> None:
        self.transport = transport
        transport.loseConnection()
