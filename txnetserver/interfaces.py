"""
txnetserver's public interfaces.

:class:`INodeTransport` is what a :class:`~txnetserver.Socket` needs from its
Twisted transport beyond :class:`~twisted.internet.interfaces.ITCPTransport`.
txnetserver's own TCP and UNIX transports and the memory transport of
:mod:`txnetserver.testing` provide it; any other transport (a Twisted
endpoint's ``tcp.Server``, TLS, a wrapper) gets an adapter from
:func:`txnetserver.nodeTransportFor`.
"""

from __future__ import annotations

from twisted.internet.interfaces import IConsumer, IPushProducer, ITCPTransport
from zope.interface import Attribute

__all__ = ["INodeTransport"]


class INodeTransport(ITCPTransport, IConsumer, IPushProducer):
    """
    A stream transport with the write-side semantics of a Node ``net.Socket``.

    It is also a producer (``pauseProducing``/``resumeProducing`` stop and
    start reading) and a consumer (``registerProducer``: the Socket registers
    itself as a streaming producer, paused when the write buffer is full).
    """

    exactWriteBuffer = Attribute(
        """
        ``True`` when :attr:`writableLength` is exact and the registered
        producer is paused exactly when it reaches the mark set by
        :meth:`setWriteHighWaterMark`.  ``False`` when the transport buffers
        in layers it cannot measure (TLS) and pauses for reasons of its own
        (a handshake): the Socket then counts what is written while it is
        paused, as Node counts its stream's buffer.
        """
    )

    writableLength = Attribute(
        """
        The number of bytes written and not yet handed to the kernel (Node's
        ``socket.writableLength``); ``0`` when ``exactWriteBuffer`` is false.
        """
    )

    def setWriteHighWaterMark(limit: float) -> None:
        """
        Pause the registered streaming producer once :attr:`writableLength`
        reaches ``limit`` (``>=``, as Node's ``write()`` returns ``false``),
        and resume it once the buffer is flushed.  Independent of the read size.
        """

    def closeWithoutFlush() -> None:
        """
        Node's ``destroy()``: discard what is queued and close now with an
        orderly FIN (not RST, unless :meth:`resetOnClose` was called);
        ``connectionLost`` follows.
        """

    def resetOnClose() -> None:
        """
        Node's ``resetAndDestroy()``: make the next :meth:`closeWithoutFlush`
        or ``abortConnection()`` close with a TCP RST.
        """
