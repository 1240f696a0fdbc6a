"""
Server transports: what Node's socket needs from an accepted connection's
Twisted transport beyond what ``tcp.Server`` offers.  The write path (the
per-chunk hot path of every echo) lives here.
"""

from __future__ import annotations

from twisted.internet import tcp, unix

__all__ = ["NodeTCPServerTransport", "NodeUNIXServerTransport"]


class _ServerTransportMixin:
    """
    What Node's socket needs from a server transport beyond Twisted's:
    a write limit separate from the read size, ``writableLength``, closing
    without flushing (``destroy()`` sends FIN, not RST), and closing with RST
    (``resetAndDestroy()``).
    """

    _writeHighWaterMark = 65536
    _resetOnAbort = False

    # Attributes of abstract.FileDescriptor / tcp.Connection, for mypy.
    dataBuffer: bytes
    offset: int
    _tempDataLen: int
    _tempDataBuffer: list[bytes]

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
