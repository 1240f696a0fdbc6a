"""
``txnetserver.Socket``: a TCP or UNIX connection with Node's ``net.Socket`` API.

One object per connection is both the Twisted protocol (``dataReceived``,
``readConnectionLost``, ``connectionLost``) and the Node stream (``'data'``,
``'end'``, ``'close'``), and the streaming producer the transport pauses when
its write buffer passes ``highWaterMark`` (``write()`` → ``False``, then
``'drain'``).  The bridge from Twisted callbacks to Node events lives here and
nowhere else; the state it moves is :mod:`txnetserver._lifecycle`'s.

The class is assembled from one mixin per concept, each owning a module:
:mod:`~txnetserver._socketreading` (``'data'``, pause/resume, pipe,
``'end'``), :mod:`~txnetserver._socketwriting` (write, backpressure, end,
``'finish'``), :mod:`~txnetserver._timeouts` (``setTimeout``) and
:mod:`~txnetserver._socketinfo` (addresses, ``readyState``, TCP options).
This module keeps construction, the Twisted protocol callbacks, closing and
process lifetime.
"""

from __future__ import annotations

import errno
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
from twisted.python.failure import Failure
from zope.interface import implementer

from txnetserver._address import AddressInfo
from txnetserver._connecting import SocketConnect
from txnetserver._handles import handlesFor
from txnetserver._lifecycle import (
    ATTACH,
    CONNECT,
    DESTROY,
    INITIAL,
    PEER_EOF,
    Event,
    SocketState,
)
from txnetserver._reactorchoice import globalReactor
from txnetserver._socketinfo import _UNSET, SocketInfo
from txnetserver._socketoptions import normalizeSocketOptions
from txnetserver._socketowner import ISocketOwner, logSocketFailure
from txnetserver._socketreading import SocketReading
from txnetserver._socketwriting import SocketWriting, WriteCallback
from txnetserver._syserrors import errnoException
from txnetserver._tick import nextTick
from txnetserver._timeouts import SocketTimeouts
from txnetserver._transport import nodeTransportFor

if TYPE_CHECKING:
    from txnetserver._connector import Connection
    from txnetserver._server import Server
    from txnetserver._typing import SocketEventMethod

__all__ = ["Socket"]


@implementer(IProtocol, IHalfCloseableProtocol, IPushProducer, IHandshakeListener)
class Socket(SocketInfo, SocketReading, SocketWriting, SocketTimeouts, SocketConnect):
    """
    Node's ``net.Socket``: a connection a :class:`~txnetserver.Server`
    accepted, or one made with ``Socket([options])`` whose transport comes
    later (Twisted's ``makeConnection``, as a client endpoint gives it).

    Events: ``'data'`` (``bytes``, or ``str`` after :meth:`setEncoding`),
    ``'end'`` (the peer sent FIN), ``'finish'`` (our FIN went out after every
    queued byte), ``'close'(hadError)``, ``'error'(err)``, ``'timeout'``,
    ``'drain'``; over TLS, ``'secure'`` once the handshake is done (as
    Node's ``TLSSocket``).  ``socket.transport`` is the Twisted transport.
    """

    __slots__ = (
        "_connectQueue",
        "_connection",
        "_decoder",
        "_destroyError",
        "_echoListener",
        "_endCallbacks",
        "_exactBuffer",
        "_flowing",
        "_keepAlive",
        "_keepAliveInitialDelay",
        "_lastActive",
        "_local",
        "_needDrain",
        "_noDelay",
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

    if TYPE_CHECKING:
        # For type checkers only: each known event's listener type (the
        # methods are SocketReading's and EventEmitter's, untouched at run time).
        on: SocketEventMethod
        addListener: SocketEventMethod
        once: SocketEventMethod
        prependListener: SocketEventMethod
        prependOnceListener: SocketEventMethod

    def __init__(self, options: object = None, /, *, reactor: Any = None, **kwargs: object) -> None:
        """
        Node's ``new net.Socket([options])``: a socket with no connection yet
        (``pending``) until ``connect()``, or a Twisted client endpoint through
        :meth:`makeConnection`, gives it a transport.  ``options`` (a mapping,
        or keyword arguments): ``allowHalfOpen``, ``highWaterMark`` (or
        ``readableHighWaterMark``/``writableHighWaterMark``), ``noDelay``,
        ``keepAlive``, ``keepAliveInitialDelay`` (ms), ``signal``, ``fd``.
        """
        super().__init__()
        normalized = normalizeSocketOptions(options, kwargs)
        self._setUp(
            reactor,
            None,
            None,
            allowHalfOpen=normalized.allowHalfOpen,
            pauseOnConnect=False,
            readableHighWaterMark=normalized.readableHighWaterMark,
            writableHighWaterMark=normalized.writableHighWaterMark,
            noDelay=normalized.noDelay,
            keepAlive=normalized.keepAlive,
            keepAliveInitialDelay=normalized.keepAliveInitialDelay,
        )
        if normalized.signal is not None:
            self._watchSignal(normalized.signal)

    @classmethod
    def _accepted(
        cls,
        owner: ISocketOwner,
        server: Server | None,
        *,
        reactor: Any,
        allowHalfOpen: object,
        pauseOnConnect: bool,
        highWaterMark: int | float,
        noDelay: bool,
        keepAlive: bool,
        keepAliveInitialDelay: int,
    ) -> Socket:
        """A socket for an accepted connection, with its server's (validated) options."""
        sock = cls.__new__(cls)
        super(Socket, sock).__init__()
        sock._setUp(
            reactor,
            owner,
            server,
            allowHalfOpen=allowHalfOpen,
            pauseOnConnect=pauseOnConnect,
            readableHighWaterMark=highWaterMark,
            writableHighWaterMark=highWaterMark,
            noDelay=noDelay,
            keepAlive=keepAlive,
            keepAliveInitialDelay=keepAliveInitialDelay,
        )
        return sock

    def _setUp(
        self,
        reactor: Any,
        owner: ISocketOwner | None,
        server: Server | None,
        *,
        allowHalfOpen: object,
        pauseOnConnect: bool,
        readableHighWaterMark: int | float,
        writableHighWaterMark: int | float,
        noDelay: bool,
        keepAlive: bool,
        keepAliveInitialDelay: int,
    ) -> None:
        if reactor is None:
            reactor = globalReactor()  # NodeReactor, unless one was chosen already
        self._reactor = reactor
        self._owner = owner
        self.server: Server | None = server
        self.transport: Any = None
        self.allowHalfOpen: object = allowHalfOpen
        self.readableHighWaterMark: int | float = readableHighWaterMark
        self.writableHighWaterMark: int | float = writableHighWaterMark
        # TCP options set before there is a transport (Node's kSetNoDelay,
        # kSetKeepAlive): applied by makeConnection.
        self._noDelay = noDelay
        self._keepAlive = keepAlive
        self._keepAliveInitialDelay = keepAliveInitialDelay
        self.bytesRead: int = 0
        self.bytesWritten: int = 0
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
        self._connectQueue: list[tuple[bytes, WriteCallback | None]] | None = None
        # The connect() under way or done (outgoing sockets only).
        self._connection: Connection | None = None
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
        # end()'s callbacks: called before 'finish', or with the error of a destroy().
        self._endCallbacks: list[Callable[..., object]] = []
        self._destroyError: BaseException | None = None
        self._timeoutSeconds = 0.0
        self._timeoutCall: Any = None
        self._lastActive = 0.0
        self._refed = True
        self._tracked = False
        self._remote: AddressInfo | Any | None = _UNSET
        self._local: AddressInfo | Any | None = _UNSET

    # -- the lifecycle (txnetserver._lifecycle) -----------------------------------

    def _move(self, event: Event) -> SocketState:
        """Take one transition of the lifecycle table (a bug raises ``LifecycleError``)."""
        state = self._state
        following = state.transitions.get(event)
        if following is None:
            return state.after(event)  # raises, naming the event and the state
        self._state = following
        return following

    def _startConnecting(self) -> None:
        """
        ``connect()`` began (Node's ``connecting``, ``readyState`` ``'opening'``):
        writes and ``end()`` are queued until :meth:`makeConnection`.
        """
        self._move(CONNECT)

    def _markDestroyed(self, error: BaseException | None = None) -> None:
        """The one way into ``destroyed``: no more I/O, no idle timer, no longer counted."""
        self._move(DESTROY)
        # end()'s callbacks fail next tick, or after the writes queued while connecting.
        if self._endCallbacks and self._connectQueue is None:
            nextTick(self._reactor, self._failEndCallbacks, error)
        self._cancelTimer()
        # Node counts the socket out synchronously, before its 'close'.
        self._untrack()

    # -- Twisted protocol side ------------------------------------------------

    def makeConnection(self, transport: ITransport) -> None:
        """
        IProtocol: the transport is ready; hand the socket to its owner, then
        send what was written (and ``end()``) while connecting.
        """
        if self._state.destroyed:
            # destroy() came between the endpoint building this protocol and connecting
            # it: the late connection is closed unseen (its connectionLost is ignored).
            transport.loseConnection()
            return
        endQueued = self._state.writableEnded
        wasConnecting = self._state.connecting
        self._move(ATTACH)
        node = nodeTransportFor(transport)
        self.transport = node
        node.registerProducer(self, True)
        node.setWriteHighWaterMark(self.writableHighWaterMark)
        self._exactBuffer = node.exactWriteBuffer
        if self._flowing is False:
            # pauseOnConnect: the kernel buffers what arrives until resume().
            self._readPaused = True
            node.pauseProducing()
        if self._noDelay:
            self.setNoDelay(True)
        if self._keepAlive:
            self.setKeepAlive(True, self._keepAliveInitialDelay * 1000)
        if self._refed:
            handlesFor(self._reactor).hold(self)
        queue, self._connectQueue = self._connectQueue, None
        if queue is not None:
            # Handed on before 'connect'; their callbacks wait for it (_awaitConnection).
            self._sendQueued(queue)
        owner = self._owner
        if owner is not None:
            self._tracked = True
            owner.socketConnected(self)
        elif wasConnecting:
            # connect() is done (Node's afterConnect): 'connect', then 'ready'.
            self._afterConnect()
        if endQueued and not self._state.destroyed:
            self._sendFin()

    def connectionMade(self) -> None:
        """IProtocol: :meth:`makeConnection` does the work (an outgoing socket's ``'connect'``)."""

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
        self._move(PEER_EOF)
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
        if self.transport is None:
            return  # a connection that arrived after destroy() (makeConnection)
        self._cancelTimer()
        error = self._destroyError
        # destroy() (or a failed listener) came first: Node's stream emits no 'finish' then.
        destroyedFirst = self._state.destroyed
        if error is None and not destroyedFirst:
            error = _errorFromReason(reason)
            if error is None and self._state.writableEnded:
                # Our end() came first (TLS): our side finished before the
                # peer's close reached us.
                self._emitFinish()
            if error is None and not self._state.peerEnded:
                # A clean close with no half-close first (TLS, transports
                # without IHalfCloseableTransport) is the peer's FIN: Node
                # emits 'end' before 'close'.
                self._move(PEER_EOF)
                if not self._readBuffer:
                    self._emitEnd()
        if not self._state.destroyed:
            self._markDestroyed(error)
        if error is None and self._state.writableEnded and not destroyedFirst:
            self._emitFinish()  # the end() that the peer's 'end' made (allowHalfOpen off)
        if self._refed:
            handlesFor(self._reactor).release(self)
        # Queued after the server's own 'close', as in Node: the server
        # closes before its last socket does.
        nextTick(self._reactor, self._emitClose, error)

    # -- closing ------------------------------------------------------------------

    def destroy(self, error: BaseException | None = None) -> Socket:
        """
        Node's ``socket.destroy([err])``: close now, dropping queued data;
        ``'error'(err)`` if given, then ``'close'(hadError)``.
        """
        if self._state.destroyed:
            return self
        self._destroyError = error
        self._markDestroyed(error)
        transport = self.transport
        if transport is None:
            self._closeWithoutTransport(error)
            return self
        transport.closeWithoutFlush()
        return self

    def resetAndDestroy(self) -> Socket:
        """Node's ``socket.resetAndDestroy()``: close with a TCP RST."""
        transport = self.transport
        if transport is not None and not self._state.destroyed:
            transport.resetOnClose()
            self._markDestroyed()
            transport.closeWithoutFlush()
            return self
        return self.destroy()

    def _emitClose(self, error: BaseException | None) -> None:
        if error is not None:
            try:
                self.emit("error", error)
            except BaseException as e:
                # Deliberate divergence (docs/differences.md): an unhandled socket
                # error is logged, not fatal; the server keeps serving.
                self._logFailure("Unhandled 'error' on {socket}", Failure(e))
        try:
            self.emit("close", error is not None)
        except BaseException as e:
            self._logFailure("Exception in a 'close' listener of {socket}", Failure(e))

    def _logFailure(self, message: str, failure: Failure) -> None:
        """
        A failure of this socket's application code: its owner's to report
        (``twistd netserver`` rate-limits them), or logged.
        """
        owner = self._owner
        if owner is not None:
            owner.socketFailed(self, message, failure)
        else:
            logSocketFailure(self, message, failure)

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
