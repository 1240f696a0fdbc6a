"""
Server transports: Twisted's ``tcp.Server``/``unix.Server`` with what Node's
socket needs beyond them (:class:`~txnetserver.interfaces.INodeTransport`),
and :func:`nodeTransportFor`, the adapter that gives any other transport
(a Twisted endpoint's, TLS, a wrapper) the same semantics.  The parts that
live in Twisted's write path are in ``_twistedinternals``.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

from twisted.internet import abstract, tcp, unix
from twisted.internet.interfaces import ITCPTransport, ITransport
from zope.interface import directlyProvides, implementer, providedBy

from txnetserver._defaults import DEFAULT_HIGH_WATER_MARK, READ_SIZE
from txnetserver._twistedinternals import ServerTransportInternals, dropWriteBuffer
from txnetserver.interfaces import INodeTransport

__all__ = ["NodeTCPServerTransport", "NodeUNIXServerTransport", "isTLS", "nodeTransportFor"]


class _NodeTransportMixin(ServerTransportInternals):
    """:class:`INodeTransport` on a Twisted ``tcp.Connection``."""

    _writeHighWaterMark: float = DEFAULT_HIGH_WATER_MARK
    _resetOnAbort = False
    exactWriteBuffer = True

    def setWriteHighWaterMark(self, limit: float) -> None:
        self._writeHighWaterMark = limit

    def resetOnClose(self) -> None:
        """Make the next abort send RST (Node's ``resetAndDestroy()``)."""
        self._resetOnAbort = True


@implementer(INodeTransport)
class NodeTCPServerTransport(_NodeTransportMixin, tcp.Server):
    """The transport of an accepted TCP connection."""

    bufferSize = READ_SIZE  # FileDescriptor.bufferSize: the most one read asks for


@implementer(INodeTransport)
class NodeUNIXServerTransport(_NodeTransportMixin, unix.Server):
    """The transport of an accepted UNIX-socket connection."""

    def setTcpNoDelay(self, enabled: bool) -> None:
        """
        Nothing (Node's ``setNoDelay()`` on a pipe is a no-op).  Twisted's
        ``unix.Server`` inherits ``tcp.Server``'s before 24.11, whose
        ``setsockopt`` raises EOPNOTSUPP on a UNIX socket.
        """

    def getTcpNoDelay(self) -> bool:
        return False


@implementer(INodeTransport)
class _ForeignTransport:
    """
    Node's semantics on a transport that is not ours (a Twisted endpoint's
    ``tcp.Server``, TLS, a protocol wrapper): every ``ITCPTransport`` call is
    relayed; ``destroy()`` closes with FIN at once (Twisted's
    ``abortConnection`` resets), only ``resetAndDestroy()`` resets.  The
    buffer is not measurable here: ``exactWriteBuffer`` is false.
    """

    exactWriteBuffer = False
    writableLength = 0

    def __init__(self, transport: Any) -> None:
        self.wrapped = transport
        self._reset = False
        # Look like the transport (ISSLTransport, ISystemHandle, ...).
        directlyProvides(self, providedBy(transport), INodeTransport)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)

    def __repr__(self) -> str:
        return f"<nodeTransportFor {self.wrapped!r}>"

    # ITransport
    def write(self, data: bytes) -> None:
        self.wrapped.write(data)

    def writeSequence(self, data: Any) -> None:
        self.wrapped.writeSequence(data)

    def loseConnection(self) -> None:
        self.wrapped.loseConnection()

    def abortConnection(self) -> None:
        if self._reset:
            self.wrapped.abortConnection()
        else:
            self.closeWithoutFlush()

    def getPeer(self) -> Any:
        return self.wrapped.getPeer()

    def getHost(self) -> Any:
        return self.wrapped.getHost()

    # IHalfCloseableTransport
    def loseWriteConnection(self) -> None:
        if isTLS(self.wrapped):
            # TLS has no half-close of its own: its loseConnection sends
            # close_notify after the queued data and closes once the peer
            # answers (Twisted forwards loseWriteConnection to the TCP
            # below, skipping both).
            self.wrapped.loseConnection()
        else:
            self.wrapped.loseWriteConnection()

    # ITCPTransport: the options of the socket beneath, where there is one
    # (Node's setNoDelay/setKeepAlive on a pipe or a socketless stream do nothing).
    def getTcpNoDelay(self) -> bool:
        option = getattr(self.wrapped, "getTcpNoDelay", None)
        return bool(option()) if option is not None and not _isUNIX(self.wrapped) else False

    def setTcpNoDelay(self, enabled: bool) -> None:
        option = getattr(self.wrapped, "setTcpNoDelay", None)
        if option is not None and not _isUNIX(self.wrapped):  # EOPNOTSUPP before Twisted 24.11
            option(enabled)

    def getTcpKeepAlive(self) -> bool:
        option = getattr(self.wrapped, "getTcpKeepAlive", None)
        return bool(option()) if option is not None else False

    def setTcpKeepAlive(self, enabled: bool) -> None:
        option = getattr(self.wrapped, "setTcpKeepAlive", None)
        if option is not None:
            option(enabled)

    # ISystemHandle (if the transport provides it): the socket, below TLS too.
    def getHandle(self) -> Any:
        bottom = _socketTransport(self.wrapped)
        return (bottom if bottom is not None else self.wrapped).getHandle()

    # IConsumer / IPushProducer
    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self.wrapped.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        self.wrapped.unregisterProducer()

    def pauseProducing(self) -> None:
        self.wrapped.pauseProducing()

    def resumeProducing(self) -> None:
        self.wrapped.resumeProducing()

    def stopProducing(self) -> None:
        self.wrapped.stopProducing()

    # INodeTransport
    def setWriteHighWaterMark(self, limit: float) -> None:
        """Nothing: this transport pauses its producer by its own rules."""

    def resetOnClose(self) -> None:
        self._reset = True

    def closeWithoutFlush(self) -> None:
        if self._reset:
            self.wrapped.abortConnection()  # Twisted's abort is a reset
            return
        bottom = _socketTransport(self.wrapped)
        if bottom is None:
            # No socket below that we know how to close: the best the
            # public API offers is an orderly close after the queue.
            self.wrapped.unregisterProducer()
            self.wrapped.loseConnection()
            return
        if INodeTransport.providedBy(bottom):
            bottom.closeWithoutFlush()
            return
        # A Twisted connection: drop its queue, close with FIN.  Through the
        # bottom transport, so that TLS does not wait for the peer's
        # close_notify (Node's destroy() does not either); the loss reaches
        # the layers above as connectionLost.
        bottom.unregisterProducer()
        dropWriteBuffer(bottom)
        bottom.loseConnection()


def isTLS(transport: object) -> bool:
    """
    Whether ``transport`` is Twisted's TLS layer (only if it was imported),
    itself or behind :func:`nodeTransportFor`'s adapter.
    """
    if isinstance(transport, _ForeignTransport):
        transport = transport.wrapped
    tls = sys.modules.get("twisted.protocols.tls")
    return tls is not None and isinstance(transport, tls.TLSMemoryBIOProtocol)


def _isUNIX(transport: object) -> bool:
    handle = _socketTransport(transport)
    sock = getattr(handle, "socket", None)
    return isinstance(sock, socket.socket) and sock.family == socket.AF_UNIX


def _socketTransport(transport: Any) -> Any:
    """
    The transport that owns the socket beneath ``transport``: wrappers (TLS,
    ``ProtocolWrapper``s, a PROXY header reader) keep theirs in ``.transport``.
    """
    seen = 0
    while not isinstance(transport, abstract.FileDescriptor) and not INodeTransport.providedBy(
        transport
    ):
        transport = getattr(transport, "transport", None)
        seen += 1
        if transport is None or seen > 16 or not ITransport.providedBy(transport):
            return None
    return transport


def nodeTransportFor(transport: ITCPTransport | ITransport) -> INodeTransport:
    """
    ``transport`` with Node's socket semantics: itself if it provides
    :class:`~txnetserver.interfaces.INodeTransport` (txnetserver's own
    transports, the memory transport of :mod:`txnetserver.testing`),
    otherwise an adapter that relays to it.
    """
    if INodeTransport.providedBy(transport):
        return transport
    return _ForeignTransport(transport)
