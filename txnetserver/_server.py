"""
``txnetserver.Server``: Node's ``net.Server`` on a Twisted reactor.

The server wraps a Twisted :class:`~twisted.internet.protocol.ServerFactory`
(``server.factory``) and the current :class:`IListeningPort`
(``server.listeningPort``, Node's ``_handle``).  Argument handling is the pure
:mod:`txnetserver._listen`; socket options and OS quirks are
:mod:`txnetserver._ports`; this module is the state: listening, the one
accept path, connection accounting and ``close()``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Unpack, overload

from twisted.internet.interfaces import IAddress, IListeningPort, ITransport
from twisted.internet.protocol import Protocol, ServerFactory
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from txnetserver._acceptprotocols import DropConnection, NodeServerFactory, RefuseConnection
from txnetserver._address import AddressInfo, addressInfoFromTwisted
from txnetserver._errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_SERVER_NOT_RUNNING,
)
from txnetserver._handles import handlesFor
from txnetserver._ports import (
    closePort,
)
from txnetserver._proxytrust import TrustedSources, isTrustedPeer, trustedProxies
from txnetserver._reactorchoice import globalReactor
from txnetserver._serverlisten import ServerListening
from txnetserver._serveroptions import normalizeServerOptions, parseCreateServerArgs
from txnetserver._socket import Socket
from txnetserver._socketowner import ISocketOwner, logSocketFailure
from txnetserver._syserrors import errnoException
from txnetserver._tick import nextTick
from txnetserver._typing import (
    ConnectionListener,
    ListenOptions,
    ServerEventMethod,
    ServerOptions,
    StreamServerEndpointLike,
)

__all__ = ["Server", "createServer"]

_log = Logger()


@implementer(ISocketOwner)
class Server(ServerListening):
    """
    Node's ``net.Server``: ``listen()``, ``address()``, ``close()``,
    ``getConnections()``, ``maxConnections`` and ``'drop'``, ``ref()`` /
    ``unref()``; events ``'listening'``, ``'connection'(socket)``,
    ``'close'``, ``'error'(err)``, ``'drop'(info)``.

    >>> server = createServer(lambda socket: socket.pipe(socket))  # doctest: +SKIP
    >>> server.listen(8000)  # doctest: +SKIP
    """

    if TYPE_CHECKING:
        # For type checkers only: each known event's listener type (the
        # methods are EventEmitter's, untouched at run time).
        on: ServerEventMethod
        addListener: ServerEventMethod
        once: ServerEventMethod
        prependListener: ServerEventMethod
        prependOnceListener: ServerEventMethod

    def __init__(
        self,
        options: object = None,
        connectionListener: Callable[..., object] | None = None,
        /,
        *,
        reactor: Any = None,
        **kwargs: object,
    ) -> None:
        super().__init__()
        options, connectionListener = parseCreateServerArgs(options, connectionListener)
        normalized = normalizeServerOptions(options, kwargs)
        self.allowHalfOpen: object = normalized.allowHalfOpen
        self.pauseOnConnect: bool = normalized.pauseOnConnect
        self.noDelay: bool = normalized.noDelay
        self.keepAlive: bool = normalized.keepAlive
        self.keepAliveInitialDelay: int = normalized.keepAliveInitialDelay
        self.highWaterMark: int | float = normalized.highWaterMark
        self.blockList: Any = normalized.blockList
        self.proxyProtocol: bool = normalized.proxyProtocol
        trusted = normalized.trustedProxies
        self.trustedProxies: TrustedSources = trustedProxies(None) if trusted is None else trusted
        self.proxyHeaderTimeout: float = normalized.proxyHeaderTimeout
        self.maxConnections: int | float | None = None
        if reactor is None:
            reactor = globalReactor()  # NodeReactor, unless one was chosen already
        self._reactor: Any = reactor
        self.factory: ServerFactory = NodeServerFactory(self)
        self.listeningPort: IListeningPort | None = None
        self._pipeName: str | None = None
        self._connections = 0
        self._awaitingHeader = 0  # accepted, PROXY header not read yet
        self._sockets: set[Socket] = set()
        self._listeningId = 1
        self._lookupPending = False
        self._endpointPath: str | None = None
        self._failuresNow: list[BaseException] | None = None
        self._unref = False
        self._held = False
        # Receives (socket, message, failure) for failures of application code
        # on accepted sockets, instead of the log (twistd netserver rate-limits).
        self._failureObserver: Callable[[Socket, str, Failure], object] | None = None
        # Told the address of each peer refused for not being a trusted proxy.
        self._untrustedObserver: Callable[[IAddress | None], object] | None = None
        if connectionListener is not None:
            self.on("connection", connectionListener)

    def __repr__(self) -> str:
        where = self.address()
        return f"<Server {'listening on ' + repr(where) if self.listening else 'not listening'}>"

    # -- listen -------------------------------------------------------------

    @property
    def listening(self) -> bool:
        """Node's ``server.listening``: a listening socket exists."""
        return self.listeningPort is not None

    # The overloads say which argument lists Node takes; the callback may end any of them.
    @overload
    def listen(self, callback: Callable[[], object] | None = None, /) -> Server: ...
    @overload
    def listen(
        self,
        port: int | str | None,
        host: str | None = None,
        backlog: int | None = None,
        callback: Callable[[], object] | None = None,
        /,
    ) -> Server: ...
    @overload
    def listen(
        self,
        port: int | str | None,
        host: str | None,
        callback: Callable[[], object] | None,
        /,
    ) -> Server: ...
    @overload
    def listen(
        self, portOrPath: int | str | None, callback: Callable[[], object] | None, /
    ) -> Server: ...
    @overload
    def listen(
        self,
        path: str,
        backlog: int | None,
        callback: Callable[[], object] | None = None,
        /,
    ) -> Server: ...
    @overload
    def listen(
        self,
        handle: Server | IListeningPort,
        backlog: int | None = None,
        callback: Callable[[], object] | None = None,
        /,
    ) -> Server: ...
    @overload
    def listen(
        self, handle: Server | IListeningPort, callback: Callable[[], object] | None, /
    ) -> Server: ...
    @overload
    def listen(
        self,
        options: ListenOptions | Mapping[str, object],
        callback: Callable[[], object] | None = None,
        /,
        **kwargs: Unpack[ListenOptions],
    ) -> Server: ...
    @overload
    def listen(
        self, *, callback: Callable[[], object] | None = None, **options: Unpack[ListenOptions]
    ) -> Server: ...
    @overload
    def listen(
        self,
        endpoint: StreamServerEndpointLike,
        callback: Callable[[], object] | None = None,
        /,
    ) -> Server: ...
    def listen(self, *args: Any, **kwargs: Any) -> Server:
        """
        Node's ``server.listen()`` in every overload (``port[, host][, backlog]``,
        a UNIX path, ``{fd}``, another server, an options dict or keywords, a
        Twisted endpoint) with an optional trailing callback.  OS errors are
        emitted as ``'error'``; bad arguments raise Node's errors.
        """
        self._startListening(args, kwargs)
        return self

    def listenNow(self, *args: Any, **kwargs: Any) -> bool:
        """
        :meth:`listen`, with the bind done before returning wherever it can be,
        and its failure raised instead of emitted: for code that must know at
        once whether the server listens, such as a service that ``twistd``
        starts before it runs the reactor and drops privileges.

        An IP address is bound at once.  Before the reactor runs, a host name
        is looked up on the spot (blocking); while it runs, the lookup stays
        asynchronous, as are endpoints that answer later.  ``'listening'``
        still comes on the next tick, as after :meth:`listen`.

        :returns: ``True`` if the server is listening now; ``False`` if the
            bind waits for a lookup or an endpoint, whose outcome is emitted
            as ``'listening'`` or ``'error'`` as after :meth:`listen`.
        :raises NodeSystemError: the bind (or the lookup) failed now, with the
            error :meth:`listen` would emit (``listen EADDRINUSE: address
            already in use :::8000``); no ``'error'`` is emitted for it.
        """
        failures: list[BaseException] = []
        self._failuresNow = failures
        try:
            self._startListening(args, kwargs)
        finally:
            self._failuresNow = None
        if failures:
            raise failures[0]
        return self.listening

    @property
    def reactor(self) -> Any:
        """The Twisted reactor this server listens and schedules its events on."""
        return self._reactor

    # -- the one accept path ------------------------------------------------------

    def _accept(self, addr: IAddress | None) -> Protocol | Socket | None:
        """
        Twisted's ``buildProtocol``: behind a PROXY-protocol balancer, read
        the header first (:mod:`txnetserver._proxy`), then :meth:`_admit`.
        """
        if self.proxyProtocol:
            return self._acceptProxied(addr)
        return self._admit(addr)

    def _acceptProxied(self, addr: IAddress | None) -> Protocol | Socket | None:
        """
        The real peer of a ``proxyProtocol`` server: ``maxConnections`` (a
        connection waiting for its header holds a slot) → ``'drop'``;
        ``blockList`` → close; not in ``trustedProxies`` → close; otherwise
        read the header, then :meth:`_admit` the client it names.
        """
        maxConnections = self.maxConnections
        held = self._connections + self._awaitingHeader
        if maxConnections is not None and held >= maxConnections:
            return DropConnection(self)
        host = getattr(addr, "host", None)
        if self.blockList is not None and host is not None and self.blockList.checkPeer(host):
            return RefuseConnection()
        if not isTrustedPeer(self.trustedProxies, addr):
            observer = self._untrustedObserver
            if observer is not None:
                observer(addr)
            return RefuseConnection()
        from txnetserver._proxy import ProxyHeaderProtocol

        return ProxyHeaderProtocol(self)

    def _admit(self, addr: IAddress | None) -> Protocol | Socket | None:
        """
        Every accepted connection comes here first, in Node's order:
        ``maxConnections`` → close and ``'drop'``; ``blockList`` → close
        silently; otherwise a :class:`Socket`, counted and announced with
        ``'connection'`` once its transport exists (:meth:`socketConnected`).
        """
        maxConnections = self.maxConnections
        # Node 22 rule: any non-null limit counts, so 0 refuses everything.
        # Connections still waiting for a PROXY header hold slots too.
        held = self._connections + self._awaitingHeader
        if maxConnections is not None and held >= maxConnections:
            return DropConnection(self)
        blockList = self.blockList
        if blockList is not None:
            host = getattr(addr, "host", None)
            if host is not None and blockList.checkPeer(host):
                return RefuseConnection()
        return Socket._accepted(
            self,
            self,
            reactor=self._reactor,
            allowHalfOpen=self.allowHalfOpen,
            pauseOnConnect=self.pauseOnConnect,
            highWaterMark=self.highWaterMark,
            noDelay=self.noDelay,
            keepAlive=self.keepAlive,
            keepAliveInitialDelay=self.keepAliveInitialDelay,
        )

    def _acceptFailed(self, error: OSError) -> None:
        # The server keeps listening; Node reports the failure as 'error'.
        nextTick(self._reactor, self._emitError, errnoException(error.errno or 0, "accept"))

    # -- ISocketOwner: the sockets it accepted report here -------------------------

    def socketConnected(self, socket: Socket) -> None:
        """An accepted socket has its transport and TCP options: count it, ``'connection'``."""
        self._connections += 1
        self._sockets.add(socket)
        try:
            self.emit("connection", socket)
        except BaseException as e:
            socket._listenerFailed(e)

    def socketFailed(self, socket: Socket, message: str, failure: Failure) -> None:
        """A listener of an accepted socket failed: to the failure observer, or logged."""
        observer = self._failureObserver
        if observer is not None:
            observer(socket, message, failure)
        else:
            logSocketFailure(socket, message, failure)

    def socketClosed(self, socket: Socket) -> None:
        """An accepted socket is destroyed: count it out; ``'close'`` if it was the last."""
        self._connections -= 1
        self._sockets.discard(socket)
        self._emitCloseIfDrained()

    def _emitDrop(self, transport: ITransport) -> None:
        peer = addressInfoFromTwisted(transport.getPeer())
        local = addressInfoFromTwisted(transport.getHost())
        try:
            if peer is None or local is None:
                self.emit("drop")  # UNIX servers: no argument, as in Node
            else:
                self.emit(
                    "drop",
                    {
                        "localAddress": local.address,
                        "localPort": local.port,
                        "localFamily": local.family,
                        "remoteAddress": peer.address,
                        "remotePort": peer.port,
                        "remoteFamily": peer.family,
                    },
                )
        except BaseException as e:
            _log.failure("Exception in a 'drop' listener", Failure(e))

    def _onAsyncListenerFailure(
        self, eventName: Any, args: tuple[Any, ...], error: BaseException
    ) -> None:
        # Node's captureRejection for servers: a failed async 'connection'
        # listener destroys that socket; any other event emits 'error'.
        if eventName == "connection" and args and isinstance(args[0], Socket):
            args[0].destroy(error)
        else:
            self.emit("error", error)

    # -- close ------------------------------------------------------------------

    def close(self, callback: Callable[[BaseException | None], object] | None = None) -> Server:
        """
        Node's ``server.close([callback])``: stop accepting now; ``'close'``
        (and ``callback(None)``) once every accepted socket has closed.  Not
        listening → ``callback(ERR_SERVER_NOT_RUNNING)``, ``'close'`` all the same.
        """
        self._listeningId += 1
        self._lookupPending = False
        if callable(callback):
            if self.listeningPort is None:
                self.once("close", lambda *_: callback(ERR_SERVER_NOT_RUNNING()))
            else:
                self.once("close", lambda *_: callback(None))
        listeningPort = self.listeningPort
        if listeningPort is not None:
            self.listeningPort = None
            self._endpointPath = None
            closePort(listeningPort)
        self._updateHold()
        self._emitCloseIfDrained()
        return self

    def _emitCloseIfDrained(self) -> None:
        if self.listeningPort is None and self._connections == 0:
            nextTick(self._reactor, self.emit, "close")

    # -- state ------------------------------------------------------------------

    def address(self) -> AddressInfo | str | None:
        """
        Node's ``server.address()``: ``AddressInfo`` for TCP, the path for a
        UNIX server (even after close, as Node), ``None`` otherwise.
        """
        listeningPort = self.listeningPort
        if listeningPort is not None:
            host = listeningPort.getHost()
            info = addressInfoFromTwisted(host)
            if info is not None:
                return info
            if self._pipeName is not None:
                return self._pipeName
            return self._endpointPath
        return self._pipeName

    def tcpAddress(self) -> AddressInfo:
        """
        Ours: :meth:`address` for a server listening on TCP, typed as
        :class:`AddressInfo` so that ``server.tcpAddress().port`` needs no
        narrowing. Raises :class:`~txnetserver.errors.ERR_SERVER_NOT_RUNNING`
        when the server is not listening, and :class:`ValueError` when it
        listens on something other than TCP (a UNIX socket).
        """
        address = self.address()
        if isinstance(address, AddressInfo) and self.listening:
            return address
        if not self.listening:
            raise ERR_SERVER_NOT_RUNNING()
        raise ValueError(f"the server listens on {address!r}, not on TCP")

    def getConnections(
        self, callback: Callable[[BaseException | None, int], object] | None = None
    ) -> Server:
        """
        Node's ``server.getConnections(cb)``: ``cb(None, count)`` on the next tick.

        :raises ERR_INVALID_ARG_TYPE: ``callback`` missing or not callable.
        """
        if not callable(callback):
            raise ERR_INVALID_ARG_TYPE("callback", "function", callback)
        nextTick(self._reactor, callback, None, self._connections)
        return self

    @property
    def connections(self) -> int:
        """Deprecated in Node (DEP0020): use :meth:`getConnections`."""
        warnings.warn(
            "Server.connections is deprecated. Please use Server.getConnections instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._connections

    @property
    def sockets(self) -> frozenset[Socket]:
        """The accepted sockets still open (for graceful shutdown)."""
        return frozenset(self._sockets)

    def ref(self) -> Server:
        """Node's ``server.ref()``: a listening server keeps :func:`run` alive."""
        self._unref = False
        self._updateHold()
        return self

    def unref(self) -> Server:
        """Node's ``server.unref()``: this server alone does not keep the process alive."""
        self._unref = True
        self._updateHold()
        return self

    def _updateHold(self) -> None:
        # A pending lookup holds the process even when the server is unref'd:
        # Node's getaddrinfo request is a ref'd handle of its own.
        hold = (self.listeningPort is not None and not self._unref) or self._lookupPending
        if hold != self._held:
            self._held = hold
            registry = handlesFor(self._reactor)
            if hold:
                registry.hold(self)
            else:
                registry.release(self)


@overload
def createServer(
    connectionListener: ConnectionListener | None = None,
    /,
    *,
    reactor: Any = None,
    **options: Unpack[ServerOptions],
) -> Server: ...
@overload
def createServer(
    options: ServerOptions | Mapping[str, object] | None,
    connectionListener: ConnectionListener | None = None,
    /,
    *,
    reactor: Any = None,
    **kwargs: Unpack[ServerOptions],
) -> Server: ...
def createServer(
    options: object = None,
    connectionListener: Callable[..., object] | None = None,
    /,
    *,
    reactor: Any = None,
    **kwargs: object,
) -> Server:
    """
    Node's ``net.createServer([options][, connectionListener])``.

    Options (a dict or keywords): ``allowHalfOpen``, ``pauseOnConnect``,
    ``noDelay``, ``keepAlive``, ``keepAliveInitialDelay``, ``highWaterMark``,
    ``blockList``.
    """
    return Server(options, connectionListener, reactor=reactor, **kwargs)
