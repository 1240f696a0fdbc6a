"""
The writing side of :class:`txnetserver.Socket`: ``write()`` with Node's
backpressure (``False`` at ``highWaterMark``, then ``'drain'``), writes queued
while connecting, ``end()`` and ``'finish'``.  The Socket is the streaming
producer its transport pauses when the write buffer fills (IPushProducer).
A mixin of the Socket, which owns the attributes it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from txnetserver._encoding import encodeChunk
from txnetserver._errors import (
    ERR_SOCKET_CLOSED,
    ERR_SOCKET_CLOSED_BEFORE_CONNECTION,
    ERR_STREAM_DESTROYED,
    ERR_STREAM_WRITE_AFTER_END,
)
from txnetserver._events import EventEmitter
from txnetserver._handles import handlesFor
from txnetserver._lifecycle import END, FINISH, Event, SocketState
from txnetserver._syserrors import epipeAfterEnd
from txnetserver._tick import nextTick

__all__ = ["SocketWriting", "WriteCallback"]

WriteCallback = Callable[[BaseException | None], object]


class SocketWriting(EventEmitter):
    """``write``, ``end``, ``'drain'`` and ``'finish'``; the transport's producer."""

    __slots__ = ()

    # Owned by Socket.
    transport: Any
    allowHalfOpen: object
    writableHighWaterMark: int | float
    bytesWritten: int
    _state: SocketState
    _reactor: Any
    _refed: bool
    _timeoutSeconds: float
    _exactBuffer: bool
    _needDrain: bool
    _pausedBytes: int | None
    _pendingWriteCallbacks: list[WriteCallback]
    _connectQueue: list[tuple[bytes, WriteCallback | None]] | None
    _queuedLength: int

    if TYPE_CHECKING:  # the Socket's and its other sides'

        def _move(self, event: Event) -> SocketState: ...
        def _listenerFailed(self, error: BaseException) -> None: ...
        def _touch(self) -> None: ...
        def destroy(self, error: BaseException | None = None) -> Any: ...
        def _cancelConnect(self) -> None: ...
        def _emitClose(self, error: BaseException | None) -> None: ...

    def write(
        self,
        data: str | bytes | bytearray | memoryview,
        encoding: str | WriteCallback | None = None,
        callback: WriteCallback | None = None,
    ) -> bool:
        """
        Node's ``socket.write``: queue ``data``; ``False`` once the buffer
        reaches ``highWaterMark`` (wait for ``'drain'``).  ``callback(err)``
        runs once the data is handed on.
        """
        if type(data) is bytes and encoding is None:
            chunk = data  # the per-chunk case of every echo
        else:
            if callable(encoding):
                callback, encoding = encoding, None
            chunk = encodeChunk(data, encoding)
        if not self._state.sending:
            return self._writeWithoutTransport(chunk, callback)
        self.bytesWritten += len(chunk)
        if self._timeoutSeconds:
            self._touch()
        self.transport.write(chunk)
        if self._pausedBytes is not None:  # paused by a transport of others
            self._pausedBytes += len(chunk)
            if self._pausedBytes >= self.writableHighWaterMark:
                self._needDrain = True
        if callback is not None:
            if self._needDrain or self._pausedBytes is not None:
                self._pendingWriteCallbacks.append(callback)
            else:
                nextTick(self._reactor, callback, None)
        return not self._needDrain

    def _writeWithoutTransport(self, chunk: bytes, callback: WriteCallback | None) -> bool:
        """``write()`` when it cannot go to a transport: queued, or an error."""
        state = self._state
        if not state.writable:
            self._writeAfterEnd(callback)
            return False
        if state.connecting:
            # Node counts bytes queued while connecting as written and buffered.
            if self._connectQueue is None:
                self._connectQueue = []
            self._connectQueue.append((chunk, callback))
            self.bytesWritten += len(chunk)
            self._queuedLength += len(chunk)
            if self._queuedLength >= self.writableHighWaterMark:
                self._needDrain = True
            return not self._needDrain
        # new Socket() with no connect(): Node's ERR_SOCKET_CLOSED (lib/net.js _writeGeneric).
        error = ERR_SOCKET_CLOSED()
        if callback is not None:
            nextTick(self._reactor, callback, error)
        self.destroy(error)
        return False

    def _writeAfterEnd(self, callback: WriteCallback | None) -> None:
        error: BaseException
        state = self._state
        if state.writableEnded and state.readableEnded and not self.allowHalfOpen:
            # Node's writeAfterFIN (lib/net.js): the peer ended a socket that
            # does not allow half-open ones, and our side has ended too.
            error = epipeAfterEnd()
        elif state.destroyed:
            error = ERR_STREAM_DESTROYED("write")
        else:
            error = ERR_STREAM_WRITE_AFTER_END()
        if callback is not None:
            nextTick(self._reactor, callback, error)
        self.destroy(error)

    def end(
        self,
        data: str | bytes | bytearray | memoryview | WriteCallback | None = None,
        encoding: str | WriteCallback | None = None,
        callback: WriteCallback | None = None,
    ) -> Self:
        """Node's ``socket.end([data])``: send FIN after everything queued."""
        if callable(data):
            callback, data = data, None
        elif callable(encoding):
            callback, encoding = encoding, None
        if data is not None and not self._state.writableEnded:
            self.write(data, encoding)
        if callback is not None:
            self.once("finish", callback)
        following = self._state.transitions.get(END)
        if following is None:  # ended already, or destroyed
            return self
        self._state = following
        if self.transport is not None:
            self._sendFin()
        return self

    def _sendFin(self) -> None:
        """Our FIN after everything queued: :meth:`end`, or a connect after an ``end()``."""
        transport = self.transport
        # A paused streaming producer would stop Twisted from finishing the
        # close once the buffer empties; nothing is written after end().
        transport.unregisterProducer()
        if self._state.peerEnded:
            transport.loseConnection()
        else:
            transport.loseWriteConnection()

    def _emitFinish(self) -> None:
        if self._state.writableFinished:
            return
        self._move(FINISH)
        self._flushWriteCallbacks()
        try:
            self.emit("finish")
        except BaseException as e:
            self._listenerFailed(e)

    def _sendQueued(self, queue: list[tuple[bytes, WriteCallback | None]], end: bool) -> None:
        """The writes, then the ``end()``, made while connecting, in order (Node's afterConnect)."""
        self._queuedLength = 0
        if queue and not self._state.destroyed:
            transport = self.transport
            drainDue, self._needDrain = self._needDrain, False
            total = 0
            for chunk, _ in queue:
                transport.write(chunk)
                total += len(chunk)
            if self._pausedBytes is not None:
                self._pausedBytes += total
                if self._pausedBytes >= self.writableHighWaterMark:
                    self._needDrain = True
            callbacks = [callback for _, callback in queue if callback is not None]
            if self._needDrain or self._pausedBytes is not None:
                self._pendingWriteCallbacks.extend(callbacks)
            else:
                for callback in callbacks:
                    nextTick(self._reactor, callback, None)
            if drainDue and not self._needDrain:
                # The transport took it all without pausing us: no resumeProducing follows.
                nextTick(self._reactor, self._emitDrain)
        if end and not self._state.destroyed:
            self._sendFin()

    def _closeWithoutTransport(self, error: BaseException | None) -> None:
        """A destroyed socket that never had a transport: ``'close'`` comes from here."""
        self._cancelConnect()
        queue, self._connectQueue = self._connectQueue, None
        self._queuedLength = 0
        if self._refed:
            handlesFor(self._reactor).release(self)
        nextTick(self._reactor, self._emitClose, error)
        for _, callback in queue or ():
            if callback is not None:
                # Node fails the writes queued while connecting after 'close'.
                nextTick(self._reactor, callback, ERR_SOCKET_CLOSED_BEFORE_CONNECTION())

    @property
    def writableLength(self) -> int:
        """Node's ``writableLength``: bytes queued and not yet sent."""
        if self.transport is None:
            return self._queuedLength  # written while connecting
        if self._exactBuffer:
            return int(self.transport.writableLength)
        return self._pausedBytes or 0  # what a transport of others holds paused

    @property
    def writableNeedDrain(self) -> bool:
        """Node's ``writableNeedDrain``: ``write()`` returned ``False``, no ``'drain'`` yet."""
        return self._needDrain

    @property
    def writable(self) -> bool:
        """Node's ``writable``: ``write()`` would queue data."""
        return self._state.writable

    @property
    def writableEnded(self) -> bool:
        """Node's ``writableEnded``: :meth:`end` was called."""
        return self._state.writableEnded

    @property
    def writableFinished(self) -> bool:
        """Node's ``writableFinished``: ``'finish'`` was emitted."""
        return self._state.writableFinished

    # -- IPushProducer: the transport's write buffer --------------------------

    def pauseProducing(self) -> None:
        """IPushProducer: the transport's buffer reached ``highWaterMark``."""
        if self._exactBuffer:
            self._needDrain = True
        elif self._pausedBytes is None:
            self._pausedBytes = 0

    def resumeProducing(self) -> None:
        """IPushProducer: the transport flushed its buffer: ``'drain'``."""
        self._pausedBytes = None
        self._flushWriteCallbacks()
        if self._needDrain:
            self._needDrain = False
            self._emitDrain()

    def _emitDrain(self) -> None:
        try:
            self.emit("drain")
        except BaseException as e:
            self._listenerFailed(e)

    def _flushWriteCallbacks(self) -> None:
        callbacks = self._pendingWriteCallbacks
        if callbacks:
            self._pendingWriteCallbacks = []
            for callback in callbacks:
                callback(None)

    def stopProducing(self) -> None:
        """IPushProducer: the transport is going away; ``connectionLost`` follows."""
