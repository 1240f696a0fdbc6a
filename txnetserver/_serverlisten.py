"""
How a :class:`~txnetserver.Server` gets its listening socket: the work behind
``listen()`` once its arguments are a request (:mod:`txnetserver._listen`),
bound synchronously as Node does, after an asynchronous lookup for a host
name (:mod:`txnetserver._resolve`), on a Twisted endpoint, or on another
server's socket; failures become ``'error'`` on the next tick (or are raised
by ``listenNow()``).  Socket options and OS quirks are :mod:`txnetserver._ports`.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet import error as twistedError
from twisted.internet.address import UNIXAddress
from twisted.internet.interfaces import IListeningPort
from twisted.internet.protocol import ServerFactory
from twisted.python.failure import Failure

from txnetserver._errors import ERR_INVALID_ARG_VALUE, ERR_SERVER_ALREADY_LISTEN
from txnetserver._events import EventEmitter
from txnetserver._listen import (
    EndpointListen,
    FDListen,
    HandleListen,
    TCPListen,
    UNIXListen,
    parseListenArgs,
    resolveListenRequest,
)
from txnetserver._ports import (
    closePort,
    listenDefaultTCP,
    listenFD,
    listenTCP,
    listenUNIX,
    portFileno,
    releaseFailedUNIXLock,
)
from txnetserver._resolve import LookupAddress, isIPLiteral, lookup, lookupNow
from txnetserver._syserrors import NodeSystemError, uvExceptionWithHostPort
from txnetserver._tick import nextTick
from txnetserver._twistedinternals import UNIX_LOCK_HELD

__all__ = ["ServerListening"]


class ServerListening(EventEmitter):
    """
    The listening half of :class:`~txnetserver.Server`: from a ``listen()``
    call to ``'listening'`` or ``'error'``.
    """

    # The Server's state this half reads and writes (set in Server.__init__).
    _reactor: Any
    factory: ServerFactory
    listeningPort: IListeningPort | None
    _pipeName: str | None
    _listeningId: int
    _lookupPending: bool
    _endpointPath: str | None
    _failuresNow: list[BaseException] | None

    if TYPE_CHECKING:  # Server's, called from here

        def _updateHold(self) -> None: ...

        def close(
            self, callback: Callable[[BaseException | None], object] | None = None
        ) -> Any: ...

    def _startListening(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        parsed = parseListenArgs(args, kwargs)
        if self.listeningPort is not None:
            raise ERR_SERVER_ALREADY_LISTEN()
        if parsed.callback is not None:
            # Node registers the callback before validating (lib/net.js, Server.prototype.listen).
            self.once("listening", parsed.callback)
        request = resolveListenRequest(parsed)
        # A pending lookup or endpoint of an earlier call is superseded.
        self._listeningId += 1
        listenId = self._listeningId
        signal = getattr(request, "signal", None)
        if signal is not None:
            self._wireSignal(signal)
        if isinstance(request, TCPListen):
            if request.host is None:
                self._bindNow(
                    lambda: listenDefaultTCP(
                        self._reactor,
                        self.factory,
                        request.port,
                        request.backlog,
                        request.reusePort,
                    )
                )
            else:
                self._lookupAndListen(request, listenId)
        elif isinstance(request, UNIXListen):
            self._pipeName = request.path
            self._bindNow(
                lambda: listenUNIX(
                    self._reactor,
                    self.factory,
                    request.path,
                    request.backlog,
                    readableAll=request.readableAll,
                    writableAll=request.writableAll,
                )
            )
        elif isinstance(request, FDListen):
            self._bindNow(
                lambda: listenFD(self._reactor, self.factory, request.fd, request.backlog)[0]
            )
        elif isinstance(request, HandleListen):
            self._bindNow(lambda: self._shareHandle(request))
        elif isinstance(request, EndpointListen):
            self._listenOnEndpoint(request, listenId)

    def _bindNow(self, bind: Callable[[], IListeningPort]) -> None:
        """Bind synchronously; an OS error becomes ``'error'`` next tick, as in Node."""
        try:
            listeningPort = bind()
        except NodeSystemError as e:
            self._listenFailed(e)
            return
        self._bound(listeningPort)

    def _listenFailed(self, error: BaseException) -> None:
        """Node emits a listen failure on the next tick; :meth:`listenNow` raises it instead."""
        if self._failuresNow is not None:
            self._failuresNow.append(error)
        else:
            nextTick(self._reactor, self._emitError, error)

    def _bound(self, listeningPort: IListeningPort) -> None:
        self.listeningPort = listeningPort
        self._updateHold()
        nextTick(self._reactor, self._emitListening, self._listeningId)

    def _emitListening(self, listenId: int) -> None:
        # Suppressed when the server was closed before the tick, as in Node.
        if self.listeningPort is not None and listenId == self._listeningId:
            self.emit("listening")

    def _emitError(self, error: BaseException) -> None:
        self.emit("error", error)

    def _shareHandle(self, request: HandleListen) -> IListeningPort:
        # listen(otherServer) / {handle}: accept from the same socket, through
        # a descriptor of our own, so each server closes independently.
        handle = request.handle
        listeningPort = getattr(handle, "listeningPort", handle)
        fd = portFileno(listeningPort)
        if fd is None:
            raise uvExceptionWithHostPort(22, "listen", None, None)
        return listenFD(self._reactor, self.factory, fd, request.backlog)[0]

    def _lookupAndListen(self, request: TCPListen, listenId: int) -> None:
        """Node's ``lookupAndListen`` (lib/net.js): resolve without blocking, then bind."""
        host = request.host
        assert host is not None
        if self._failuresNow is not None and (isIPLiteral(host) or not self._reactor.running):
            # listenNow(): an address needs no lookup, and before the reactor
            # runs a blocking lookup holds up nothing else.
            try:
                answer = lookupNow(host)
            except NodeSystemError as e:
                self._listenFailed(e)
                return
            self._bindResolved(listenId, request, answer)
            return
        self._lookupPending = True
        self._updateHold()
        lookup(self._reactor, host).addCallbacks(
            lambda answer: self._bindResolved(listenId, request, answer),
            lambda failure: self._lookupFailed(listenId, failure),
        )

    def _bindResolved(self, listenId: int, request: TCPListen, answer: LookupAddress) -> None:
        if listenId != self._listeningId:
            return  # a close() or another listen() superseded this call
        self._lookupPending = False
        self._updateHold()
        self._bindNow(
            lambda: listenTCP(
                self._reactor,
                self.factory,
                request.port,
                answer.address,
                request.backlog,
                ipv6Only=request.ipv6Only,
                reusePort=request.reusePort,
            )
        )

    def _lookupFailed(self, listenId: int, failure: Failure) -> None:
        if listenId != self._listeningId:
            return
        self._lookupPending = False
        self._updateHold()
        error = failure.value
        assert error is not None  # a Failure always holds its exception
        self._listenFailed(error)

    def _listenOnEndpoint(self, request: EndpointListen, listenId: int) -> None:
        endpoint = request.endpoint
        if isinstance(endpoint, str):
            from twisted.internet.endpoints import serverFromString

            try:
                endpoint = serverFromString(self._reactor, endpoint)
            except Exception as e:  # any parse failure is a bad argument, raised now
                raise ERR_INVALID_ARG_VALUE("options.endpoint", request.endpoint, str(e)) from e
        self._lookupPending = True
        self._updateHold()
        d = endpoint.listen(self.factory)
        d.addCallbacks(
            lambda listeningPort: self._endpointListening(listenId, listeningPort),
            lambda failure: self._endpointFailed(listenId, failure),
        )

    def _endpointListening(self, listenId: int, listeningPort: IListeningPort) -> None:
        if listenId != self._listeningId:
            closePort(listeningPort)
            return
        self._lookupPending = False
        host = listeningPort.getHost()
        if isinstance(host, UNIXAddress) and host.name is not None:
            name = host.name
            self._endpointPath = name.decode() if isinstance(name, bytes) else name
        self._bound(listeningPort)

    def _endpointFailed(self, listenId: int, failure: Failure) -> None:
        if listenId != self._listeningId:
            return
        self._lookupPending = False
        self._updateHold()
        error = failure.value
        assert error is not None
        if isinstance(error, twistedError.CannotListenError):
            socketError = error.socketError
            errnum = getattr(socketError, "errno", None)
            where = error.port
            if isinstance(where, bytes):
                where = os.fsdecode(where)
            if isinstance(where, str):  # a UNIX path
                releaseFailedUNIXLock(where)
                address, port = where, -1
                if socketError == UNIX_LOCK_HELD:
                    # PATH.lock names a live process: the path is in use.
                    errnum = errno.EADDRINUSE
            else:
                address, port = error.interface, where
            error = uvExceptionWithHostPort(errnum or errno.EINVAL, "listen", address, port)
        self._listenFailed(error)

    def _wireSignal(self, signal: Any) -> None:
        """Node's ``signal`` option: aborting closes the server."""
        if signal.aborted:
            nextTick(self._reactor, self.close)
            return

        def onAbort(*_: object) -> None:
            self.close()

        signal.addEventListener("abort", onAbort)
        self.once("close", lambda *_: signal.removeEventListener("abort", onAbort))
