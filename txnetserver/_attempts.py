"""
One ``connect()``'s connection attempts as Node reports them: the reactor the
Twisted endpoints of :mod:`txnetserver._connector` connect through, which
sees each ``connectTCP``/``connectUNIX`` (``'connectionAttempt'``, a local
bind per family), each failure (``'connectionAttemptFailed'`` and Node's
error), and a new attempt started while an older one is pending
(``'connectionAttemptTimeout'`` for the older one); the resolver that hands
``HostnameEndpoint`` addresses already looked up; and the factory that gives
the socket to one connection only.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

from twisted.internet import error as twistedError
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import (
    IAddress,
    IHostnameResolver,
    IHostResolution,
    IProtocol,
    IProtocolFactory,
    IReactorPluggableNameResolver,
    IReactorTCP,
    IReactorTime,
    IReactorUNIX,
    IResolutionReceiver,
)
from twisted.internet.protocol import Protocol as TwistedProtocol
from twisted.python.failure import Failure
from zope.interface import implementer

from txnetserver._connectargs import TCPConnect
from txnetserver._netutil import isIP
from txnetserver._syserrors import NodeSystemError, exceptionWithHostPort

__all__ = [
    "AttemptReactor",
    "ConnectingSocket",
    "FixedAnswers",
    "OneProtocolFactory",
    "nodeConnectError",
]

Family = Literal[4, 6]


class ConnectingSocket(Protocol):
    """What a :class:`Connection` needs of the socket it connects."""

    @property
    def connecting(self) -> bool: ...

    def emit(self, eventName: Any, *args: object) -> bool: ...

    def destroy(self, error: BaseException | None = None) -> object: ...


# -- Twisted failures as Node's errors ---------------------------------------------

_ERRNO_OF: dict[type[BaseException], int] = {
    twistedError.ConnectionRefusedError: errno.ECONNREFUSED,
    twistedError.TimeoutError: errno.ETIMEDOUT,
    twistedError.TCPTimedOutError: errno.ETIMEDOUT,
    twistedError.NoRouteError: errno.EHOSTUNREACH,
}


def nodeConnectError(
    error: BaseException | None,
    address: str | None,
    port: int | None,
    local: tuple[str, int] | None,
) -> BaseException:
    """
    A Twisted connection failure as Node's ``connect ECONNREFUSED 127.0.0.1:1``
    (``ExceptionWithHostPort``); a failed local bind is Node's ``bind`` error.
    Errors that carry no errno (another endpoint's) are returned unchanged.
    """
    if error is None:
        error = twistedError.ConnectError()
    if isinstance(error, NodeSystemError):
        return error
    number = getattr(error, "osError", None)
    if not isinstance(number, int):
        number = next((n for cls, n in _ERRNO_OF.items() if isinstance(error, cls)), None)
    if number is None:
        number = error.errno if isinstance(error, OSError) and error.errno else None
    if number is None:
        return error
    if isinstance(error, twistedError.ConnectBindError) and local is not None:
        return exceptionWithHostPort(number, "bind", local[0], local[1])
    if local is not None and local[1]:
        return exceptionWithHostPort(number, "connect", address, port, local[0], local[1])
    return exceptionWithHostPort(number, "connect", address, port)


# -- the endpoints' reactor: Node's per-attempt events ------------------------------


@implementer(IProtocolFactory)
class OneProtocolFactory:
    """
    Builds the socket, once.  A second connection (two racing attempts that
    both succeeded) gets a protocol that closes it, as Node closes an attempt
    that connected after it was given up.
    """

    def doStart(self) -> None:
        pass

    def doStop(self) -> None:
        pass

    def __init__(self, protocol: IProtocol, wanted: Callable[[], bool]) -> None:
        self._protocol: IProtocol | None = protocol
        self._wanted = wanted

    def buildProtocol(self, addr: IAddress) -> IProtocol | None:
        protocol, self._protocol = self._protocol, None
        if protocol is None or not self._wanted():
            # Connected after destroy() could stop it, or a second racing winner.
            return _CloseAtOnce()
        return protocol


class _CloseAtOnce(TwistedProtocol):
    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.loseConnection()


@implementer(IReactorTCP, IReactorUNIX, IReactorTime, IReactorPluggableNameResolver)
class AttemptReactor:
    """
    The reactor the endpoints of one ``connect()`` see: the real one, with
    ``connectTCP``/``connectUNIX`` reporting each attempt to the socket.

    :ivar errors: each failed attempt's Node error, in order.
    """

    def __init__(
        self,
        reactor: Any,
        socket: ConnectingSocket,
        request: TCPConnect | None,
        attempted: list[str] | None,
    ) -> None:
        self._reactor = reactor
        self._socket = socket
        self._request = request
        self._attempted = attempted
        self._pending: list[tuple[str, int, Family]] = []
        self.errors: list[Exception] = []
        # Only HostnameEndpoint asks, and it is always given FixedAnswers;
        # a reactor without one (a memory reactor before Twisted 23) is fine.
        self.nameResolver: IHostnameResolver = getattr(reactor, "nameResolver", None) or (
            FixedAnswers([])
        )

    def __getattr__(self, name: str) -> Any:
        # Anything else an endpoint may look up (callLater, seconds, ...).
        return getattr(self._reactor, name)

    def callLater(
        self, delay: float, callable: Callable[..., object], *args: Any, **kw: Any
    ) -> Any:
        return self._reactor.callLater(delay, callable, *args, **kw)

    def seconds(self) -> float:
        return float(self._reactor.seconds())

    def getDelayedCalls(self) -> Any:
        return self._reactor.getDelayedCalls()

    def installNameResolver(self, resolver: IHostnameResolver) -> IHostnameResolver:
        previous, self.nameResolver = self.nameResolver, resolver
        return previous

    def connectTCP(
        self,
        host: str,
        port: int,
        factory: Any,
        timeout: float | None = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> Any:
        request = self._request
        assert request is not None
        family: Family = 6 if isIP(host) == 6 else 4
        local = _localBinding(request, family)
        if self._pending:
            # The previous attempt had its attemptDelay: Node's attempt timeout.
            self._socket.emit("connectionAttemptTimeout", *self._pending[-1])
        self._socket.emit("connectionAttempt", host, port, family)
        attempt = (host, port, family)
        if self._attempted is not None:
            self._attempted.append(f"{host}:{port}")
        self._pending.append(attempt)
        watcher = _AttemptFactory(factory, self, attempt, local)
        try:
            return self._reactor.connectTCP(host, port, watcher, timeout, local)
        except OverflowError:
            # socket.bind() refuses a localPort outside 0-65535 before the
            # kernel sees it; Node hands it to libuv, which fails the bind.
            self._pending.remove(attempt)
            assert local is not None and request.localPort is not None
            given = request.localPort
            shown = int(given) if float(given).is_integer() else given
            self.errors.append(exceptionWithHostPort(errno.EINVAL, "bind", local[0], shown))
            raise twistedError.ConnectBindError(errno.EINVAL, "bind") from None

    def connectUNIX(
        self, address: str, factory: Any, timeout: float | None = 30, checkPID: bool = False
    ) -> Any:
        self._socket.emit("connectionAttempt", address, None, None)
        attempt: tuple[Any, Any, Any] = (address, None, None)
        self._pending.append(attempt)
        watcher = _AttemptFactory(factory, self, attempt, None)
        return self._reactor.connectUNIX(address, watcher, timeout, checkPID)

    def _attemptFailed(
        self, attempt: tuple[Any, Any, Any], reason: Failure, local: tuple[str, int] | None
    ) -> None:
        if attempt in self._pending:
            self._pending.remove(attempt)
        if reason.check(twistedError.UserError, twistedError.ConnectingCancelledError):
            return  # cancelled: another attempt won, or destroy()
        error = nodeConnectError(reason.value, attempt[0], attempt[1], local)
        self.errors.append(error if isinstance(error, Exception) else Exception(error))
        # Node reports a failed bind without 'connectionAttemptFailed'.
        if self._socket.connecting and not reason.check(twistedError.ConnectBindError):
            self._socket.emit("connectionAttemptFailed", *attempt, error)

    def _attemptSucceeded(self, attempt: tuple[Any, Any, Any]) -> None:
        if attempt in self._pending:
            self._pending.remove(attempt)


def _localBinding(request: TCPConnect, family: Family) -> tuple[str, int] | None:
    """Node binds first when ``localAddress`` or ``localPort`` is given, per family."""
    if not request.localAddress and not request.localPort:
        return None
    address = request.localAddress or ("::" if family == 6 else "0.0.0.0")
    port = request.localPort or 0
    return (address, int(port) if 0 <= port <= 0xFFFF and float(port).is_integer() else -1)


class _AttemptFactory:
    """Wraps one attempt's client factory to see how it ends."""

    def __init__(
        self,
        wrapped: Any,
        reactor: AttemptReactor,
        attempt: tuple[Any, Any, Any],
        local: tuple[str, int] | None,
    ) -> None:
        self._wrapped = wrapped
        self._reactor = reactor
        self._attempt = attempt
        self._local = local

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)

    def buildProtocol(self, addr: IAddress) -> Any:
        self._reactor._attemptSucceeded(self._attempt)
        return self._wrapped.buildProtocol(addr)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self._reactor._attemptFailed(self._attempt, reason, self._local)
        self._wrapped.clientConnectionFailed(connector, reason)


@implementer(IHostnameResolver)
class FixedAnswers:
    """A resolver that answers ``HostnameEndpoint`` with addresses already looked up."""

    def __init__(self, addresses: list[tuple[str, Family]]) -> None:
        self._addresses = addresses

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        for ip, family in self._addresses:
            addressClass = IPv6Address if family == 6 else IPv4Address
            resolutionReceiver.addressResolved(addressClass("TCP", ip, portNumber))
        resolutionReceiver.resolutionComplete()
        return resolution


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        pass
