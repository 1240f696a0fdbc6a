"""
Server transports: what Node's socket needs from an accepted connection's
Twisted transport beyond what ``tcp.Server`` offers.  The write path (the
per-chunk hot path of every echo) lives here.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import main, tcp, unix
from twisted.python.failure import Failure

from txnetserver._defaults import DEFAULT_HIGH_WATER_MARK
from txnetserver._tick import nextTick

__all__ = ["NodeTCPServerTransport", "NodeUNIXServerTransport"]

# Shared, as Twisted's reactor shares its own for the same reason: a Failure
# per closed connection costs more than the rest of the close.
_CONNECTION_DONE = Failure(main.CONNECTION_DONE)


class _ServerTransportMixin:
    """
    What Node's socket needs from a server transport beyond Twisted's:
    a write limit separate from the read size, ``writableLength``, closing
    without flushing (``destroy()`` sends FIN, not RST), and closing with RST
    (``resetAndDestroy()``).
    """

    _writeHighWaterMark = DEFAULT_HIGH_WATER_MARK
    _resetOnAbort = False

    # Attributes of abstract.FileDescriptor / tcp.Connection, for mypy.
    connected: Any
    _writeDisconnected: bool
    _writeDisconnecting: bool
    disconnecting: Any
    producer: Any
    reactor: Any
    _aborting: bool
    TLS: bool
    socket: Any
    dataBuffer: bytes
    offset: int
    _tempDataLen: int
    _tempDataBuffer: list[bytes]

    def write(self, data: bytes) -> None:
        """
        Write-through (as Node and asyncio do): with nothing already queued,
        hand ``data`` to the kernel now and queue only what it did not take.
        Twisted's default queues every write until the next reactor
        iteration, costing two epoll_ctl calls and a dispatch per echo
        (twisted#5303; docs/performance.md).
        """
        if (
            self._tempDataLen
            or len(self.dataBuffer) > self.offset
            or not self.connected
            or self._writeDisconnected
            or self.TLS
            or type(data) is not bytes
        ):
            super().write(data)  # type: ignore[misc]
            return
        try:
            sent = self.socket.send(data)
        except OSError:
            # EAGAIN, or a dead peer: queue it; the reactor's doWrite retries
            # and reports a lost connection the usual way.
            sent = 0
        if sent < len(data):
            super().write(data[sent:] if sent else data)  # type: ignore[misc]

    def loseConnection(self) -> None:
        """
        With nothing to flush, close on the next tick rather than after a
        round through EPOLLOUT (two ``epoll_ctl`` calls, an empty ``send``
        and a dispatch per connection: a third of the syscalls of a short
        connection).  Otherwise Twisted's path: flush, then close.
        """
        if (
            self.connected
            and not self.disconnecting
            and not self._writeDisconnected
            and not self._writeDisconnecting
            and self.producer is None
            and not self._tempDataLen
            and len(self.dataBuffer) <= self.offset
            and not self.TLS
        ):
            self.stopReading()  # type: ignore[attr-defined]
            self.disconnecting = 1
            nextTick(self.reactor, self._closeIfFlushed)
            return
        super().loseConnection()  # type: ignore[misc]

    def _closeIfFlushed(self) -> None:
        if not self.connected or self._aborting:
            return  # aborted meanwhile: abortConnection reports the loss
        if self._tempDataLen or len(self.dataBuffer) > self.offset:
            return  # written meanwhile: write() started writing; doWrite closes after
        self.stopWriting()  # type: ignore[attr-defined]
        self.connectionLost(_CONNECTION_DONE)  # type: ignore[attr-defined]

    def setWriteHighWaterMark(self, limit: int) -> None:
        self._writeHighWaterMark = limit

    def _isSendBufferFull(self) -> bool:
        # Node's write() returns false once the buffered length reaches the
        # mark (>=); Twisted's default test is "> bufferSize".
        return len(self.dataBuffer) - self.offset + self._tempDataLen >= self._writeHighWaterMark

    @property
    def writableLength(self) -> int:
        return len(self.dataBuffer) - self.offset + self._tempDataLen

    def closeWithoutFlush(self) -> None:
        """Drop queued data and close with FIN (Node's ``destroy()``)."""
        self.dataBuffer = b""
        self.offset = 0
        self._tempDataBuffer = []
        self._tempDataLen = 0
        self.abortConnection()  # type: ignore[attr-defined]

    def resetOnClose(self) -> None:
        """Make the next abort send RST (Node's ``resetAndDestroy()``)."""
        self._resetOnAbort = True

    def _closeSocket(self, orderly: bool) -> None:
        # Twisted's abortConnection always resets; Node's destroy() does not.
        super()._closeSocket(orderly or not self._resetOnAbort)  # type: ignore[misc]


class NodeTCPServerTransport(_ServerTransportMixin, tcp.Server):
    """The transport of an accepted TCP connection."""


class NodeUNIXServerTransport(_ServerTransportMixin, unix.Server):
    """The transport of an accepted UNIX-socket connection."""
