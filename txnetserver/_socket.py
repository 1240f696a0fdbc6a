"""
``txnetserver.Socket``: an accepted connection with Node's ``net.Socket`` API.

One object per connection is both the Twisted protocol (``dataReceived``,
``readConnectionLost``, ``connectionLost``) and the Node stream (``'data'``,
``'end'``, ``'close'``), and the streaming producer the transport pauses when
its write buffer passes ``highWaterMark`` (``write()`` → ``False``, then
``'drain'``).  The bridge from Twisted callbacks to Node events lives here and
nowhere else.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet import error as _twistedError
from twisted.internet.interfaces import (
    IHalfCloseableProtocol,
    IHandshakeListener,
    IProtocol,
    IPushProducer,
    ITransport,
)
from twisted.internet.protocol import connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import Interface, implementer

from txnetserver._address import AddressInfo
from txnetserver._defaults import DEFAULT_HIGH_WATER_MARK
from txnetserver._encoding import decoderFor, encodeChunk, normalizeEncoding
from txnetserver._errors import (
    ERR_SOCKET_CLOSED,
    ERR_SOCKET_CLOSED_BEFORE_CONNECTION,
    ERR_STREAM_DESTROYED,
    ERR_STREAM_WRITE_AFTER_END,
    epipeAfterEnd,
    errnoException,
)
from txnetserver._handles import handlesFor
from txnetserver._lifecycle import INITIAL, Event, Reading, SocketState
from txnetserver._pipe import Pipe
from txnetserver._socketinfo import _UNSET, SocketInfo
from txnetserver._tick import nextTick
from txnetserver._timeouts import SocketTimeouts

if TYPE_CHECKING:
    from txnetserver._server import Server

__all__ = ["ISocketOwner", "Socket"]

_log = Logger()

WriteCallback = Callable[[BaseException | None], object]


class ISocketOwner(Interface):
    """
    Whoever counts a socket among its connections: the :class:`~txnetserver.Server`
    that accepted it.  The socket reports to its owner and knows nothing
    else of it; an outgoing socket has none.
    """

    def socketConnected(socket: Socket) -> None:
        """``socket`` has its transport: count it and announce it (``'connection'``)."""

    def socketClosed(socket: Socket) -> None:
        """``socket`` is destroyed: count it out, before its ``'close'`` is emitted."""


@implementer(IProtocol, IHalfCloseableProtocol, IPushProducer, IHandshakeListener)
class Socket(SocketInfo, SocketTimeouts):
    """
    An accepted connection, as Node's ``net.Socket`` (server side).

    Events: ``'data'`` (``bytes``, or ``str`` after :meth:`setEncoding`),
    ``'end'`` (the peer sent FIN), ``'finish'`` (our FIN went out after every
    queued byte), ``'close'(hadError)``, ``'error'(err)``, ``'timeout'``,
    ``'drain'``; over TLS, ``'secure'`` once the handshake is done (as
    Node's ``TLSSocket``).  ``socket.transport`` is the Twisted transport.
    """

    __slots__ = (
        "_connectQueue",
        "_decoder",
        "_destroyError",
        "_echoListener",
        "_exactBuffer",
        "_flowing",
        "_lastActive",
        "_local",
        "_needDrain",
        "_owner",
        "_pausedBytes",
        "_pendingWriteCallbacks",
        "_queuedLength",
        "_reactor",
        "_readBuffer",
        "_readBufferLength",
        "_readPaused",
        "_refed",
        "_remote",
        "_state",
        "_timeoutCall",
        "_timeoutSeconds",
        "_tracked",
        "allowHalfOpen",
        "bytesRead",
        "bytesWritten",
        "readableHighWaterMark",
        "server",
        "timeout",
        "transport",
        "writableHighWaterMark",
    )

    def __init__(
        self,
        server: Server | None = None,
        *,
        owner: ISocketOwner | None = None,
        allowHalfOpen: object = False,
        pauseOnConnect: bool = False,
        highWaterMark: int | float = DEFAULT_HIGH_WATER_MARK,
        reactor: Any = None,
    ) -> None:
        super().__init__()
        if reactor is None:
            from twisted.internet import reactor as _globalReactor

            reactor = _globalReactor
        self._reactor = reactor
        self.server = server
        self._owner = owner
        self.transport: Any = None
        self.allowHalfOpen = allowHalfOpen
        self.readableHighWaterMark = highWaterMark
        self.writableHighWaterMark = highWaterMark
        self.bytesRead = 0
        self.bytesWritten = 0
        # Where the connection, reading and writing sides are (_lifecycle.py):
        # every flag Node reports is read from it.
        self._state: SocketState = INITIAL
        self.timeout: float | None = None
        # Node's readableFlowing: None (no consumer yet), True, False (paused).
        self._flowing: bool | None = False if pauseOnConnect else None
        self._readBuffer: list[bytes] = []
        self._readBufferLength = 0
        self._readPaused = False
        self._decoder: Any = None
        self._needDrain = False
        # Writes (chunk, callback) made while connecting, sent once connected.
        self._connectQueue: list[tuple[bytes, WriteCallback | None]] = []
        self._queuedLength = 0
        # Our transports pause us exactly when their buffer reaches
        # highWaterMark.  Others (TLS) pause for reasons of their own (a
        # handshake in progress, a full buffer below them): then bytes written
        # while paused are counted, as Node counts its stream's buffer.
        self._exactBuffer = True
        self._pausedBytes: int | None = None
        # The 'data' listener of socket.pipe(socket), while it is the only one.
        self._echoListener: Callable[..., object] | None = None
        self._pendingWriteCallbacks: list[WriteCallback] = []
        self._destroyError: BaseException | None = None
        self._timeoutSeconds = 0.0
        self._timeoutCall: Any = None
        self._lastActive = 0.0
        self._refed = True
        self._tracked = False
        self._remote: AddressInfo | Any | None = _UNSET
        self._local: AddressInfo | Any | None = _UNSET

    def __repr__(self) -> str:
        return f"<Socket {self.readyState} remote={self._peerText()}>"

    def _peerText(self) -> str:
        peer = self._remote if self._remote is not _UNSET else None
        return f"{peer.address}:{peer.port}" if isinstance(peer, AddressInfo) else "-"

    # -- the lifecycle (txnetserver._lifecycle) -----------------------------------

    def _move(self, event: Event) -> SocketState:
        """Take one transition of the lifecycle table (a bug raises ``LifecycleError``)."""
        state = self._state = self._state.after(event)
        return state

    def _startConnecting(self) -> None:
        """
        ``connect()`` began (Node's ``connecting``, ``readyState`` ``'opening'``):
        writes and ``end()`` are queued until :meth:`makeConnection`.
        """
        self._move(Event.CONNECT)

    def _markDestroyed(self) -> None:
        """The one way into ``destroyed``: no more I/O, no idle timer, no longer counted."""
        self._move(Event.DESTROY)
        self._cancelTimer()
        # Node counts the socket out synchronously, before its 'close'.
        self._untrack()

    def _closeWithoutTransport(self, error: BaseException | None) -> None:
        """A destroyed socket that never had a transport: ``'close'`` comes from here."""
        queue, self._connectQueue = self._connectQueue, []
        self._queuedLength = 0
        if self._refed:
            handlesFor(self._reactor).release(self)
        nextTick(self._reactor, self._emitClose, error)
        for _, callback in queue:
            if callback is not None:
                # Node fails the writes queued while connecting after 'close'.
                nextTick(self._reactor, callback, ERR_SOCKET_CLOSED_BEFORE_CONNECTION())

    @property
    def destroyed(self) -> bool:
        """Node's ``socket.destroyed``: :meth:`destroy` ran or the connection closed."""
        return self._state.destroyed

    # -- Twisted protocol side ------------------------------------------------

    def makeConnection(self, transport: ITransport) -> None:
        """
        IProtocol: the transport is ready; hand the socket to its owner, then
        send what was written (and ``end()``) while connecting.
        """
        endQueued = self._state.writableEnded
        self._move(Event.ATTACH)
        self.transport = transport
        transport.registerProducer(self, True)  # type: ignore[attr-defined]
        setLimit = getattr(transport, "setWriteHighWaterMark", None)
        if setLimit is not None:
            setLimit(self.writableHighWaterMark)
        else:
            self._exactBuffer = False
        if self._flowing is False:
            # pauseOnConnect: the kernel buffers what arrives until resume().
            self._readPaused = True
            transport.pauseProducing()  # type: ignore[attr-defined]
        if self._refed:
            handlesFor(self._reactor).hold(self)
        queue, self._connectQueue = self._connectQueue, []
        owner = self._owner
        if owner is not None:
            self._tracked = True
            owner.socketConnected(self)
        else:
            self.connectionMade()
        if queue or endQueued:
            self._sendQueued(queue, endQueued)

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

    def connectionMade(self) -> None:
        """IProtocol: nothing to do; :meth:`makeConnection` did it."""

    def dataReceived(self, data: bytes) -> None:
        """IProtocol: bytes from the peer become ``'data'`` (or are buffered)."""
        self.bytesRead += len(data)
        if self._timeoutSeconds:
            self._touch()
        if self._flowing and not self._readBuffer:
            try:
                if self._decoder is None:
                    listener = self._events.get("data")
                    if (
                        listener is self._echoListener
                        and listener is not None
                        and self._state.sending
                        and not self._timeoutSeconds
                        and self._exactBuffer
                    ):
                        # socket.pipe(socket) and nothing else reading: what
                        # emit → pipe → write would do, without the calls.
                        self.bytesWritten += len(data)
                        self.transport.write(data)
                        if self._needDrain:
                            self.pause()
                        return
                    self.emit("data", data)
                else:
                    text = self._decoder.decode(data)
                    if text:
                        self.emit("data", text)
            except BaseException as e:
                self._listenerFailed(e)
        else:
            self._readBuffer.append(data)
            self._readBufferLength += len(data)
            if self._readBufferLength >= self.readableHighWaterMark:
                self._updateReading()

    def readConnectionLost(self) -> None:
        """IHalfCloseableProtocol: the peer sent FIN."""
        self._move(Event.PEER_EOF)
        if not self._readBuffer:
            self._emitEnd()

    def writeConnectionLost(self) -> None:
        """IHalfCloseableProtocol: our FIN went out after all queued data."""
        self._emitFinish()
        if self._state.peerEnded:
            # Both directions are done; Twisted never calls connectionLost on
            # its own after two half-closes, so close the descriptor.
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        """IProtocol: the descriptor is closed; ``'error'`` then ``'close'``."""
        self._cancelTimer()
        error = self._destroyError
        if error is None and not self._state.destroyed:
            error = _errorFromReason(reason)
            if error is None and self._state.writableEnded:
                # Our end() came first (TLS): our side finished before the
                # peer's close reached us.
                self._emitFinish()
            if error is None and not self._state.peerEnded:
                # A clean close with no half-close first (TLS, transports
                # without IHalfCloseableTransport) is the peer's FIN: Node
                # emits 'end' before 'close'.
                self._move(Event.PEER_EOF)
                if not self._readBuffer:
                    self._emitEnd()
        if not self._state.destroyed:
            self._markDestroyed()
        if error is None and self._state.writableEnded:
            self._emitFinish()
        if self._refed:
            handlesFor(self._reactor).release(self)
        # Queued after the server's own 'close', as in Node: the server
        # closes before its last socket does.
        nextTick(self._reactor, self._emitClose, error)

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

    # -- reading ----------------------------------------------------------------

    def on(self, eventName: Any, listener: Callable[..., object]) -> Socket:
        """Node's ``readable.on``: a ``'data'`` listener starts the flow unless paused."""
        self._addListener(eventName, listener, False)
        if eventName == "data" and self._flowing is not False:
            self.resume()
        return self

    addListener = on

    def once(self, eventName: Any, listener: Callable[..., object]) -> Socket:
        """Node's ``readable.once``: as :meth:`on`, for one event."""
        super().once(eventName, listener)
        if eventName == "data" and self._flowing is not False:
            self.resume()
        return self

    def pause(self) -> Socket:
        """Node's ``socket.pause()``: stop ``'data'`` and stop reading."""
        self._flowing = False
        self._updateReading()
        return self

    def resume(self) -> Socket:
        """Node's ``socket.resume()``: (re)start ``'data'``; buffered data first."""
        self._flowing = True
        if self._readBuffer or self._state.reading is Reading.PEER_ENDED:
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

    def setEncoding(self, encoding: str = "utf8") -> Socket:
        """Node's ``setEncoding``: ``'data'`` becomes ``str``, never splitting a character."""
        self._decoder = decoderFor(normalizeEncoding(encoding))
        return self

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
            and state.reading is Reading.READING
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
        if not self._state.allows(Event.EMIT_END):  # emitted already, or destroyed
            return
        self._move(Event.EMIT_END)
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

    # -- writing ----------------------------------------------------------------

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
    ) -> Socket:
        """Node's ``socket.end([data])``: send FIN after everything queued."""
        if callable(data):
            callback, data = data, None
        elif callable(encoding):
            callback, encoding = encoding, None
        if data is not None and not self._state.writableEnded:
            self.write(data, encoding)
        if callback is not None:
            self.once("finish", callback)
        if not self._state.allows(Event.END):  # ended already, or destroyed
            return self
        self._move(Event.END)
        if self.transport is not None:
            self._sendFin()
        return self

    def _sendFin(self) -> None:
        """Our FIN after everything queued: :meth:`end`, or a connect after an ``end()``."""
        transport = self.transport
        # A paused streaming producer would stop Twisted from finishing the
        # close once the buffer empties; nothing is written after end().
        transport.unregisterProducer()
        if self._state.peerEnded or _isTLS(transport):
            # TLS has no half-close of its own: its loseConnection sends
            # close_notify after the queued data and closes once the peer
            # answers (Twisted forwards loseWriteConnection to the TCP
            # below, skipping both).
            transport.loseConnection()
        else:
            transport.loseWriteConnection()

    def _emitFinish(self) -> None:
        if self._state.writableFinished:
            return
        self._move(Event.FINISH)
        self._flushWriteCallbacks()
        try:
            self.emit("finish")
        except BaseException as e:
            self._listenerFailed(e)

    @property
    def writableLength(self) -> int:
        """Node's ``writableLength``: bytes queued and not yet sent."""
        if self.transport is None:
            return self._queuedLength  # written while connecting
        length = getattr(self.transport, "writableLength", None)
        if length is not None:
            return int(length)
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

    @property
    def readable(self) -> bool:
        """Node's ``readable``."""
        return self._state.readable

    @property
    def readableEnded(self) -> bool:
        """Node's ``readableEnded``: ``'end'`` was emitted."""
        return self._state.readableEnded

    # -- piping -----------------------------------------------------------------

    def pipe(self, destination: Any, end: bool = True) -> Any:
        """
        Node's ``readable.pipe(destination)``: write every chunk to
        ``destination``, pausing while it asks for ``'drain'``; end it on
        ``'end'``.  ``socket.pipe(socket)`` is an echo server.
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

    # -- closing ------------------------------------------------------------------

    def destroy(self, error: BaseException | None = None) -> Socket:
        """
        Node's ``socket.destroy([err])``: close now, dropping queued data;
        ``'error'(err)`` if given, then ``'close'(hadError)``.
        """
        if self._state.destroyed:
            return self
        self._destroyError = error
        self._markDestroyed()
        transport = self.transport
        if transport is None:
            self._closeWithoutTransport(error)
            return self
        closeNow = getattr(transport, "closeWithoutFlush", None)
        if closeNow is not None:
            closeNow()
        else:
            transport.abortConnection()
        return self

    def resetAndDestroy(self) -> Socket:
        """Node's ``socket.resetAndDestroy()``: close with a TCP RST."""
        transport = self.transport
        if transport is not None and not self._state.destroyed:
            reset = getattr(transport, "resetOnClose", None)
            if reset is not None:
                reset()
            self._markDestroyed()
            transport.abortConnection()
            return self
        return self.destroy()

    def _emitClose(self, error: BaseException | None) -> None:
        if error is not None:
            try:
                self.emit("error", error)
            except BaseException as e:
                # Deliberate divergence (docs/differences.md): an unhandled socket error is
                # logged, not fatal; the server keeps serving.
                self._logFailure("Unhandled 'error' on {socket}", Failure(e))
        try:
            self.emit("close", error is not None)
        except BaseException as e:
            self._logFailure("Exception in a 'close' listener of {socket}", Failure(e))

    def _logFailure(self, message: str, failure: Failure) -> None:
        """
        Log a failure of this socket's application code, or hand it to its
        owner's ``_failureObserver`` (``twistd netserver`` rate-limits them).
        """
        observer = getattr(self._owner, "_failureObserver", None)
        if observer is not None:
            observer(self, message, failure)
        else:
            _log.failure(message, failure, socket=self)

    def handshakeCompleted(self) -> None:
        """Twisted's ``IHandshakeListener``: the TLS handshake is done; ``'secure'``."""
        try:
            self.emit("secure")
        except BaseException as e:
            self._listenerFailed(e)

    def _untrack(self) -> None:
        if self._tracked:
            self._tracked = False
            owner = self._owner
            if owner is not None:
                owner.socketClosed(self)

    def _listenerFailed(self, error: BaseException) -> None:
        """A listener raised inside a reactor callback: log it, destroy this socket."""
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise error
        self._logFailure("Exception in a listener of {socket}", Failure(error))
        if not self._state.destroyed:
            self._markDestroyed()
            if self.transport is not None:
                self.transport.abortConnection()
            else:
                self._closeWithoutTransport(None)

    def _onAsyncListenerFailure(
        self, eventName: Any, args: tuple[Any, ...], error: BaseException
    ) -> None:
        # An async listener of this socket failed: the socket dies with it.
        self.destroy(error)

    # -- process lifetime ---------------------------------------------------------

    def ref(self) -> Socket:
        """Node's ``socket.ref()``: this socket keeps a :func:`run` process alive."""
        if not self._refed:
            self._refed = True
            if self.transport is not None and not self._state.destroyed:
                handlesFor(self._reactor).hold(self)
        return self

    def unref(self) -> Socket:
        """Node's ``socket.unref()``: this socket alone does not keep the process alive."""
        if self._refed:
            self._refed = False
            handlesFor(self._reactor).release(self)
        return self


def _isTLS(transport: object) -> bool:
    """Whether ``transport`` is Twisted's TLS layer (only if it was imported)."""
    tls = sys.modules.get("twisted.protocols.tls")
    return tls is not None and isinstance(transport, tls.TLSMemoryBIOProtocol)


_CLEAN_CLOSE = (_twistedError.ConnectionDone, _twistedError.ConnectionAborted)


def _errorFromReason(reason: Failure) -> BaseException | None:
    """Node's error for a connection Twisted lost (``None`` for a clean close)."""
    value = reason.value
    if isinstance(value, _CLEAN_CLOSE):  # Failure.check, without its per-call class walk
        return None
    errnum = getattr(value, "errno", None)
    if isinstance(errnum, int) and errnum:
        return errnoException(errnum, "read")
    # Twisted reports a peer's RST as ConnectionLost without the errno.
    return errnoException(errno.ECONNRESET, "read")
