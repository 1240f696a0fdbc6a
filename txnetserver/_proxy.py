"""
The ``proxyProtocol`` server option: connections behind HAProxy (or any load
balancer speaking the PROXY protocol, v1 or v2).

Twisted's ``haproxy:`` endpoint connects the application's protocol before
the PROXY header has arrived, so a Node-style ``'connection'`` listener would
see the balancer's address.  Here the header is read first; only then does
the connection go through the server's one accept path with the real
client's address, so ``'connection'``, ``maxConnections``/``'drop'`` and
``blockList`` all see the client.

The parsers are Twisted's (``twisted.protocols.haproxy``, whose modules are
private: Twisted exports only ``proxyEndpoint``; they come through
``_twistedinternals``).
"""

from __future__ import annotations

import enum
import socket
from typing import TYPE_CHECKING, Any, Final, Literal

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IAddress, IHalfCloseableProtocol
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory
from twisted.python.failure import Failure
from zope.interface import directlyProvides, implementer, providedBy

from txnetserver._twistedinternals import InvalidProxyHeader, ProxyInfo, V1Parser, V2Parser

if TYPE_CHECKING:
    from txnetserver._server import Server

__all__ = [
    "UNDECIDED",
    "ProxyHeaderProtocol",
    "canonicalAddress",
    "parserFor",
]

# A balancer sends the header with the connection; a peer that sends none is
# not a balancer (or a scanner holding descriptors): it is closed after the
# server's proxyHeaderTimeout.  Such connections are not yet sockets, so no
# Node timeout applies; they hold a maxConnections slot meanwhile.

# A v2 header's fixed part: the 12-byte signature, version and command,
# family and protocol, and the length of the rest.  Twisted's V2Parser
# rejects fewer bytes, so wait for all of them (TCP may split the header).
_V2_FIXED_LENGTH: Final = 16
_V2_VERSION: Final = 0x20
_V1_START: Final = V1Parser.PROXYSTR + b" "


class Undecided(enum.Enum):
    """Too few bytes yet to tell whether (and which) PROXY header they start."""

    UNDECIDED = "undecided"


UNDECIDED: Final = Undecided.UNDECIDED


class _V1Parser(V1Parser):
    """Twisted's v1 parser, plus the spec's short ``PROXY UNKNOWN`` line it rejects."""

    @classmethod
    def parse(cls, line: bytes) -> ProxyInfo:
        if line == b"PROXY UNKNOWN":
            return ProxyInfo(line, None, None)
        return super().parse(line)


def parserFor(start: bytes) -> V1Parser | V2Parser | Literal[Undecided.UNDECIDED] | None:
    """
    The parser for a connection whose first bytes are ``start``: a
    :class:`V2Parser`, a :class:`V1Parser`, ``None`` when ``start`` cannot
    begin a PROXY header, or :data:`UNDECIDED` while ``start`` is too short
    to tell (TCP may deliver the header in pieces).
    """
    prefix = V2Parser.PREFIX
    if start[: len(prefix)] == prefix[: len(start)]:
        if len(start) < _V2_FIXED_LENGTH:
            return UNDECIDED
        return V2Parser() if start[len(prefix)] & 0xF0 == _V2_VERSION else None
    if start[: len(_V1_START)] == _V1_START[: len(start)]:
        return _V1Parser() if len(start) >= len(_V1_START) else UNDECIDED
    return None


def canonicalAddress(address: IAddress | None) -> IAddress | None:
    """
    ``address`` from a PROXY header as Node would report it (``inet_ntop``:
    ``2001:db8::7``, not Twisted's v2 ``2001:db8:0:0:0:0:0:7``).  Twisted's
    parsers check the header's shape only.

    :raises ValueError: not an address of the header's family, or a port
        outside 0-65535.
    """
    if isinstance(address, (IPv4Address, IPv6Address)):
        family = socket.AF_INET if isinstance(address, IPv4Address) else socket.AF_INET6
        try:
            host = socket.inet_ntop(family, socket.inet_pton(family, address.host))
        except OSError:
            raise ValueError(f"not an {address.__class__.__name__}: {address.host!r}") from None
        if not 0 <= address.port <= 65535:
            raise ValueError(f"port out of range: {address.port}")
        return type(address)(address.type, host, address.port)
    return address  # none (LOCAL, UNKNOWN) or a UNIX one


@implementer(IHalfCloseableProtocol)
class ProxyHeaderProtocol(ProtocolWrapper):
    """
    Reads the PROXY header of one accepted connection, then hands the
    connection (with the client's addresses) to the server's accept path.
    Transport calls and half-closes are relayed both ways; ``getPeer`` and
    ``getHost`` report the header's addresses (as Twisted's
    ``HAProxyProtocolWrapper`` does).
    """

    transport: Any
    wrappedProtocol: Any

    def __init__(self, server: Server) -> None:
        super().__init__(WrappingFactory(server.factory), None)  # type: ignore[arg-type]
        self._server = server
        self._headerParser: V1Parser | V2Parser | None = None
        self._headerInfo: ProxyInfo | None = None
        self._headerDone = False
        self._start = b""
        self._headerTimer: Any = None
        self._holdsSlot = False

    def makeConnection(self, transport: Any) -> None:
        # Unlike ProtocolWrapper, connect nothing until the header is read;
        # like it, look like the transport we relay to.
        directlyProvides(self, providedBy(transport))
        self.transport = transport
        self.connected = 1
        self._holdsSlot = True
        self._server._awaitingHeader += 1
        timeout = self._server.proxyHeaderTimeout
        if timeout > 0:
            self._headerTimer = self._server._reactor.callLater(
                timeout / 1000, self._headerTimedOut
            )

    def _releaseSlot(self) -> None:
        """The header arrived or never will: the ``maxConnections`` slot is free."""
        if self._holdsSlot:
            self._holdsSlot = False
            self._server._awaitingHeader -= 1

    def dataReceived(self, data: bytes) -> None:
        if self._headerDone:
            if self.wrappedProtocol is not None:
                self.wrappedProtocol.dataReceived(data)
            return
        if self._headerParser is None:
            data = self._start + data
            parser = parserFor(data)
            if parser is UNDECIDED:
                self._start = data
                return
            self._start = b""
            if parser is None:
                self._refuse()  # not a PROXY connection
                return
            self._headerParser = parser
        try:
            info, remaining = self._headerParser.feed(data)
        except (InvalidProxyHeader, ValueError):  # v1 ports go through int()
            self._refuse()
            return
        if info is not None:
            self._headerReceived(info, remaining or b"")

    def _headerReceived(self, info: ProxyInfo, remaining: bytes) -> None:
        try:
            source = canonicalAddress(info.source)
            destination = canonicalAddress(info.destination)
        except ValueError:
            self._refuse()
            return
        if not isinstance(source, (IPv4Address, IPv6Address)):
            # No IP client (v2 LOCAL, v1 UNKNOWN, or a client on the
            # balancer's UNIX socket): the balancer's addresses stay.
            source = destination = None
        self._cancelHeaderTimer()
        self._releaseSlot()
        self._headerInfo = ProxyInfo(info.header, source, destination)
        self._headerDone = True
        if not self._server.listening:
            # close() ran while the header was on its way: Node would not
            # accept this connection any more.
            self.transport.loseConnection()
            return
        protocol = self._server._admit(self.getPeer())
        if protocol is None:
            self.transport.loseConnection()
            return
        self.wrappedProtocol = protocol
        protocol.makeConnection(self)  # type: ignore[arg-type]  # provides it at runtime
        if remaining and self.wrappedProtocol is not None:
            self.wrappedProtocol.dataReceived(remaining)

    def getPeer(self) -> IAddress:
        info = self._headerInfo
        if info is not None and info.source is not None:
            return info.source
        return self.transport.getPeer()  # type: ignore[no-any-return]

    def getHost(self) -> IAddress:
        info = self._headerInfo
        if info is not None and info.destination is not None:
            return info.destination
        return self.transport.getHost()  # type: ignore[no-any-return]

    def _refuse(self) -> None:
        self._cancelHeaderTimer()
        self._releaseSlot()
        self._headerDone = True  # nothing more is parsed or relayed
        self.transport.loseConnection()

    def _headerTimedOut(self) -> None:
        self._headerTimer = None
        self._refuse()

    def _cancelHeaderTimer(self) -> None:
        timer, self._headerTimer = self._headerTimer, None
        if timer is not None and timer.active():
            timer.cancel()

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
        self._cancelHeaderTimer()
        self._releaseSlot()
        protocol = self.wrappedProtocol
        self.wrappedProtocol = None
        if protocol is not None:
            protocol.connectionLost(reason)
