"""
The Twisted seam of ``connect()``: a :class:`~txnetserver._connectargs.ConnectRequest`
becomes a Twisted client endpoint, and what the endpoint does becomes Node's
events and errors on the socket.

The connection work is Twisted's: ``TCP4ClientEndpoint``/``TCP6ClientEndpoint``
for one address, ``HostnameEndpoint`` when a name resolves to several
(its RFC 8305 race: a new attempt every ``autoSelectFamilyAttemptTimeout``
until one connects), ``UNIXClientEndpoint`` for a ``path``, ``clientFromString``
for our ``endpoint`` option.  Node's view of it comes from two thin wrappers:

- the name is resolved here (Node's ``dns.lookup`` or the ``lookup`` option),
  emitting ``'lookup'``; ``HostnameEndpoint`` is then handed those addresses
  through a resolver that answers with them, in Node's interleaved order;
- the endpoints connect through :class:`_AttemptReactor`, which sees every
  ``connectTCP``/``connectUNIX`` (``'connectionAttempt'``, a local bind per
  family), every failure (``'connectionAttemptFailed'``, Node's error), and a
  new attempt started while an older one is pending
  (``'connectionAttemptTimeout'`` for the older one).

Where Twisted and Node differ, Twisted's behaviour stands: an attempt that
timed out keeps racing (Node closes it) and may still win, and the next
attempt after a failure starts at the next attempt tick (Node starts it at
once).  No connect timeout is imposed (Node leaves it to the OS).
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

from twisted.internet import error as twistedError
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import (
    HostnameEndpoint,
    TCP4ClientEndpoint,
    TCP6ClientEndpoint,
    UNIXClientEndpoint,
    clientFromString,
)
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
    IStreamClientEndpoint,
)
from twisted.internet.protocol import Protocol as TwistedProtocol
from twisted.python.failure import Failure
from zope.interface import implementer

from txnetserver._connectargs import ConnectRequest, EndpointConnect, TCPConnect, UNIXConnect
from txnetserver._errors import (
    ERR_INVALID_ADDRESS_FAMILY,
    ERR_INVALID_IP_ADDRESS,
    NodeAggregateError,
)
from txnetserver._netutil import isIP
from txnetserver._resolve import LookupAddress, lookup, lookupError
from txnetserver._syserrors import NodeSystemError, exceptionWithHostPort
from txnetserver._tick import nextTick

__all__ = ["ConnectingSocket", "Connection", "nodeConnectError"]

Family = Literal[4, 6]


class ConnectingSocket(Protocol):
    """What a :class:`Connection` needs of the socket it connects."""

    @property
    def connecting(self) -> bool: ...

    def emit(self, eventName: Any, *args: object) -> bool: ...

    def destroy(self, error: BaseException | None = None) -> object: ...


class Connection:
    """
    One ``connect()`` in progress: resolve, connect through a Twisted endpoint,
    emit Node's events on ``socket``; on success the endpoint hands ``protocol``
    its transport (``makeConnection``); on failure ``socket.destroy(error)``.

    :ivar attemptedAddresses: Node's ``autoSelectFamilyAttemptedAddresses``
        (``'ip:port'`` per attempt) when addresses raced, else ``None``.
    """

    def __init__(
        self,
        reactor: Any,
        request: ConnectRequest,
        socket: ConnectingSocket,
        protocol: IProtocol,
    ) -> None:
        self._reactor = reactor
        self._request = request
        self._socket = socket
        self._factory = _OneProtocolFactory(protocol, lambda: socket.connecting)
        self._attempt: Deferred[IProtocol] | None = None
        self._cancelled = False
        self.attemptedAddresses: list[str] | None = None

    def start(self) -> None:
        """Begin: a lookup starts now (as Node's does), a connection attempt next tick."""
        request = self._request
        if isinstance(request, TCPConnect) and not request.hostFamily:
            self._lookUp(request)
        elif isinstance(request, TCPConnect):
            family: Family = 6 if request.hostFamily == 6 else 4
            nextTick(self._reactor, self._connectOne, request.host, family)
        else:
            nextTick(self._reactor, self._connectOther)

    def cancel(self) -> None:
        """``destroy()`` while connecting: stop the attempt, closing its descriptor."""
        self._cancelled = True
        attempt, self._attempt = self._attempt, None
        if attempt is not None:
            attempt.cancel()

    # -- resolution --------------------------------------------------------------

    def _lookUp(self, request: TCPConnect) -> None:
        options = request.lookupOptions()
        if request.lookup is not None:
            # Called now, as Node does; it may answer at once or later.
            request.lookup(request.host, options, self._lookupAnswered)
            return
        lookedUp = _defaultLookup(
            self._reactor, request.host, options["family"], request.hints, request.lookupAll
        )
        lookedUp.addCallbacks(self._defaultLookupAnswered, self._defaultLookupFailed)

    def _defaultLookupAnswered(self, answer: LookupAddress | list[LookupAddress]) -> None:
        if isinstance(answer, list):
            self._lookupAnswered(None, [{"address": a.address, "family": a.family} for a in answer])
        else:
            self._lookupAnswered(None, answer.address, answer.family)

    def _defaultLookupFailed(self, failure: Failure) -> None:
        self._lookupAnswered(failure.value)

    def _lookupAnswered(self, err: object = None, address: object = None, *rest: object) -> None:
        """``lookup``'s callback: ``(err, address, family)``, or ``(err, [answers])`` with all."""
        request = self._request
        assert isinstance(request, TCPConnect)
        socket = self._socket
        host = request.host
        if not request.lookupAll:
            family = rest[0] if rest else None
            socket.emit("lookup", err, address, family, host)
            if not socket.connecting or self._cancelled:
                return
            if err is not None:
                self._failSoon(err)
            elif not isIP(address):
                self._failSoon(ERR_INVALID_IP_ADDRESS(address))
            elif family not in (4, 6) or isinstance(family, bool):
                self._failSoon(ERR_INVALID_ADDRESS_FAMILY(family, host, request.port))
            else:
                self._connectOne(str(address), 6 if family == 6 else 4)
            return
        if not socket.connecting or self._cancelled:
            return
        if err is not None:
            socket.emit("lookup", err, None, None, host)
            self._failSoon(err)
            return
        answers = [_asAnswer(entry) for entry in address or ()]  # type: ignore[attr-defined]
        for ip, family in answers:
            socket.emit("lookup", err, ip, family, host)
            if not socket.connecting or self._cancelled:
                return
        toAttempt = _interleaved(answers)
        if not toAttempt:
            # Node fails on the first answer when none is usable.
            if answers:
                ip, family = answers[0]
                if not isIP(ip):
                    self._failSoon(ERR_INVALID_IP_ADDRESS(ip))
                else:
                    self._failSoon(ERR_INVALID_ADDRESS_FAMILY(family, host, request.port))
            return
        if len(toAttempt) == 1:
            self._connectOne(*toAttempt[0])
        else:
            self._race(toAttempt)

    def _failSoon(self, error: object) -> None:
        # Node defers the error a tick: connect()'s caller has no listener yet.
        nextTick(self._reactor, self._fail, error)

    def _fail(self, error: object) -> None:
        if self._socket.connecting and not self._cancelled:
            self._socket.destroy(error if isinstance(error, BaseException) else Exception(error))

    # -- connecting --------------------------------------------------------------

    def _connectOne(self, ip: str, family: Family) -> None:
        """Node's ``internalConnect``: one address, one attempt."""
        if not self._socket.connecting or self._cancelled:
            return
        request = self._request
        assert isinstance(request, TCPConnect)
        attempts = _AttemptReactor(self._reactor, self._socket, request, None)
        endpointClass = TCP6ClientEndpoint if family == 6 else TCP4ClientEndpoint
        endpoint = endpointClass(attempts, ip, request.port, timeout=None)  # type: ignore[arg-type]
        self._watch(endpoint.connect(self._factory), attempts)

    def _race(self, addresses: list[tuple[str, Family]]) -> None:
        """Node's ``internalConnectMultiple``, done by ``HostnameEndpoint``."""
        request = self._request
        assert isinstance(request, TCPConnect)
        self.attemptedAddresses = []
        attempts = _AttemptReactor(self._reactor, self._socket, request, self.attemptedAddresses)
        attempts.nameResolver = _FixedAnswers(addresses)
        endpoint = HostnameEndpoint(
            attempts,
            # The resolver ignores the name; an IP literal avoids IDNA checks.
            addresses[0][0],
            request.port,
            timeout=None,  # type: ignore[arg-type]
            attemptDelay=request.autoSelectFamilyAttemptTimeout / 1000,
        )
        self._watch(endpoint.connect(self._factory), attempts)

    def _connectOther(self) -> None:
        """A ``path`` or our ``endpoint`` option."""
        if not self._socket.connecting or self._cancelled:
            return
        request = self._request
        if isinstance(request, UNIXConnect):
            attempts = _AttemptReactor(self._reactor, self._socket, None, None)
            endpoint: IStreamClientEndpoint = UNIXClientEndpoint(
                attempts, request.path, timeout=None
            )
            self._watch(endpoint.connect(self._factory), attempts)
            return
        assert isinstance(request, EndpointConnect)
        target = request.endpoint
        try:
            if isinstance(target, str):
                endpoint = clientFromString(self._reactor, target)
            else:
                endpoint = IStreamClientEndpoint(target)
        except Exception as e:
            self._socket.destroy(e)
            return
        self._watch(endpoint.connect(self._factory), None)

    def _watch(self, attempt: Deferred[IProtocol], attempts: _AttemptReactor | None) -> None:
        self._attempt = attempt

        def failed(failure: Failure) -> None:
            self._attempt = None
            if self._cancelled or failure.check(twistedError.ConnectingCancelledError):
                return
            if not self._socket.connecting:
                return
            errors = attempts.errors if attempts is not None else []
            if len(errors) > 1:
                self._socket.destroy(NodeAggregateError(errors))
            elif errors:
                self._socket.destroy(errors[0])
            else:
                self._socket.destroy(nodeConnectError(failure.value, None, None, None))

        def connected(protocol: IProtocol) -> None:
            self._attempt = None

        attempt.addCallbacks(connected, failed)


def _asAnswer(entry: object) -> tuple[object, object]:
    """One entry of a ``lookup`` answer with ``all``: a mapping or an object."""
    if isinstance(entry, Mapping):
        return entry.get("address"), entry.get("family")
    return getattr(entry, "address", None), getattr(entry, "family", None)


def _interleaved(answers: Sequence[tuple[object, object]]) -> list[tuple[str, Family]]:
    """
    Node's ``lookupAndConnectMultiple`` order: usable answers only, each
    address once, families alternating, the first answer's family first.
    """
    groups: dict[int, list[str]] = {4: [], 6: []}
    first: int | None = None
    for ip, family in answers:
        if isIP(ip) and family in (4, 6) and not isinstance(family, bool):
            familyNumber = 6 if family == 6 else 4
            if first is None:
                first = familyNumber
            if str(ip) not in groups[familyNumber]:
                groups[familyNumber].append(str(ip))
    if first is None:
        return []
    order: tuple[Family, Family] = (6, 4) if first == 6 else (4, 6)
    result: list[tuple[str, Family]] = []
    for i in range(max(len(groups[4]), len(groups[6]))):
        for family in order:
            if i < len(groups[family]):
                result.append((groups[family][i], family))
    return result


def _defaultLookup(reactor: Any, host: str, family: object, hints: int, all: bool) -> Deferred[Any]:
    """
    Node's ``dns.lookup`` (txnetserver._resolve), except that names under
    ``.invalid`` fail at once without a query, as RFC 6761 asks of resolver
    libraries (Node asks getaddrinfo, which reports the same ENOTFOUND).
    """
    familyNumber = family if family in (4, 6) and not isinstance(family, bool) else 0
    if host.rstrip(".").lower().rsplit(".", 1)[-1] == "invalid":
        d: Deferred[Any] = Deferred()
        error = lookupError(socket.gaierror(socket.EAI_NONAME, "Name or service not known"), host)
        nextTick(reactor, d.errback, Failure(error))
        return d
    if all:
        return lookup(reactor, host, int(familyNumber), hints, all=True)
    return lookup(reactor, host, int(familyNumber), hints)


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
class _OneProtocolFactory:
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
class _AttemptReactor:
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
        self.nameResolver: IHostnameResolver = reactor.nameResolver

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
        return self._reactor.connectTCP(host, port, watcher, timeout, local)

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
        reactor: _AttemptReactor,
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
class _FixedAnswers:
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
