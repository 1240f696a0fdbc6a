"""
The reading side of :class:`txnetserver.Socket`: ``'data'`` in flowing or
paused mode with Node's read-ahead up to ``highWaterMark``, ``setEncoding``,
``pipe()``, and ``'end'`` once the peer's FIN and every buffered chunk have
been consumed.  A mixin of the Socket, which owns the attributes it reads;
``Socket.dataReceived`` is the per-chunk entry point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from txnetserver._encoding import decoderFor, normalizeEncoding
from txnetserver._events import EventEmitter
from txnetserver._lifecycle import EMIT_END, SocketState
from txnetserver._pipe import Pipe
from txnetserver._tick import nextTick
from txnetserver._typing import Destination

if TYPE_CHECKING:
    from txnetserver._socketwriting import WriteCallback

__all__ = ["SocketReading"]


class SocketReading(EventEmitter):
    """``'data'``, ``pause``/``resume``, ``setEncoding``, ``pipe`` and ``'end'``."""

    __slots__ = ()

    # Owned by Socket.
    transport: Any
    allowHalfOpen: object
    readableHighWaterMark: int | float
    _state: SocketState
    _reactor: Any
    _flowing: bool | None
    _readBuffer: list[bytes]
    _readBufferLength: int
    _readPaused: bool
    _decoder: Any
    _echoListener: Callable[..., object] | None

    if TYPE_CHECKING:  # the Socket's and its other sides'

        def _listenerFailed(self, error: BaseException) -> None: ...
        def end(
            self,
            data: str | bytes | bytearray | memoryview | WriteCallback | None = None,
            encoding: str | WriteCallback | None = None,
            callback: WriteCallback | None = None,
        ) -> Self: ...
        def write(
            self,
            data: str | bytes | bytearray | memoryview,
            encoding: str | WriteCallback | None = None,
            callback: WriteCallback | None = None,
        ) -> bool: ...

    def on(self, eventName: Any, listener: Callable[..., object]) -> Self:
        """Node's ``readable.on``: a ``'data'`` listener starts the flow unless paused."""
        self._addListener(eventName, listener, False)
        if eventName == "data" and self._flowing is not False:
            self.resume()
        return self

    addListener = on

    def once(self, eventName: Any, listener: Callable[..., object]) -> Self:
        """Node's ``readable.once``: as :meth:`on`, for one event."""
        super().once(eventName, listener)
        if eventName == "data" and self._flowing is not False:
            self.resume()
        return self

    def pause(self) -> Self:
        """Node's ``socket.pause()``: stop ``'data'`` and stop reading."""
        self._flowing = False
        self._updateReading()
        return self

    def resume(self) -> Self:
        """Node's ``socket.resume()``: (re)start ``'data'``; buffered data first."""
        self._flowing = True
        if self._readBuffer or (self._state.peerEnded and not self._state.readableEnded):
            nextTick(self._reactor, self._flow)
        self._updateReading()
        return self

    def isPaused(self) -> bool:
        """Node's ``readable.isPaused()``."""
        return self._flowing is False

    @property
    def readableFlowing(self) -> bool | None:
        """Node's ``readable.readableFlowing``."""
        return self._flowing

    def setEncoding(self, encoding: str = "utf8") -> Self:
        """Node's ``setEncoding``: ``'data'`` becomes ``str``, never splitting a character."""
        self._decoder = decoderFor(normalizeEncoding(encoding))
        return self

    @property
    def readable(self) -> bool:
        """Node's ``readable``."""
        return self._state.readable

    @property
    def readableEnded(self) -> bool:
        """Node's ``readableEnded``: ``'end'`` was emitted."""
        return self._state.readableEnded

    def _flow(self) -> None:
        """Deliver buffered data while flowing, then a pending ``'end'``."""
        try:
            while self._flowing and self._readBuffer and not self._state.destroyed:
                chunk = self._readBuffer.pop(0)
                self._readBufferLength -= len(chunk)
                if self._decoder is None:
                    self.emit("data", chunk)
                else:
                    text = self._decoder.decode(chunk)
                    if text:
                        self.emit("data", text)
        except BaseException as e:
            self._listenerFailed(e)
            return
        if self._state.peerEnded and not self._readBuffer:
            self._emitEnd()
        else:
            self._updateReading()

    def _updateReading(self) -> None:
        # Read while someone may consume and the buffer is under the mark
        # (Node reads ahead up to highWaterMark, then stops the handle).
        state = self._state
        want = (
            self._flowing is not False
            and self._readBufferLength < self.readableHighWaterMark
            and not state.peerEnded
            and not state.destroyed
        )
        transport = self.transport
        if transport is None:
            return
        if want and self._readPaused:
            self._readPaused = False
            transport.resumeProducing()
        elif not want and not self._readPaused:
            self._readPaused = True
            transport.pauseProducing()

    def _emitEnd(self) -> None:
        following = self._state.transitions.get(EMIT_END)
        if following is None:  # emitted already, or destroyed
            return
        self._state = following
        try:
            self.emit("end")
        except BaseException as e:
            self._listenerFailed(e)
            return
        if not self.allowHalfOpen:
            # Node ends our side right after the 'end' listeners ran (writes in
            # them still go out); later writes get EPIPE.
            self.end()
        state = self._state
        if state.writableFinished and not state.destroyed and self.transport is not None:
            # Our FIN went out earlier: both directions are done now.
            self.transport.loseConnection()

    # -- piping -----------------------------------------------------------------

    def pipe(self, destination: Destination, end: bool = True) -> Destination:
        """
        Node's ``readable.pipe(destination)``: write every chunk to
        ``destination``, pausing while it asks for ``'drain'``; end it on
        ``'end'``.  ``socket.pipe(socket)`` is an echo server.  Returns
        ``destination`` (typed as what was given, for chaining).
        """
        piped = Pipe(self, destination)
        destination.on("drain", piped.onDrain)
        destination.on("close", piped.cleanup)
        if end:
            self.on("end", piped.onEnd)
        onData = piped.onData
        self.on("data", onData)
        if destination is self:
            self._echoListener = onData  # used while it is the only 'data' listener
        destination.emit("pipe", self)
        if self._flowing is not True:
            self.resume()
        return destination
