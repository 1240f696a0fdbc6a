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
- the endpoints connect through :class:`~txnetserver._attempts.AttemptReactor`
  (:mod:`txnetserver._attempts`), which turns each attempt into Node's
  ``'connectionAttempt'``, ``'connectionAttemptFailed'`` and
  ``'connectionAttemptTimeout'`` events and errors.

Where Twisted and Node differ, Twisted's behaviour stands: an attempt that
timed out keeps racing (Node closes it) and may still win, and the next
attempt after a failure starts at the next attempt tick (Node starts it at
once).  No connect timeout is imposed (Node leaves it to the OS).
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from twisted.internet import error as twistedError
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import (
    HostnameEndpoint,
    TCP4ClientEndpoint,
    TCP6ClientEndpoint,
    UNIXClientEndpoint,
    clientFromString,
)
from twisted.internet.interfaces import IHalfCloseableProtocol, IProtocol, IStreamClientEndpoint
from twisted.python.failure import Failure
from zope.interface import alsoProvides

from txnetserver._attempts import (
    AttemptReactor,
    ConnectingSocket,
    FixedAnswers,
    OneProtocolFactory,
    nodeConnectError,
)
from txnetserver._connectargs import ConnectRequest, EndpointConnect, TCPConnect, UNIXConnect
from txnetserver._errors import (
    ERR_INVALID_ADDRESS_FAMILY,
    ERR_INVALID_IP_ADDRESS,
    NodeAggregateError,
)
from txnetserver._netutil import isIP
from txnetserver._resolve import LookupAddress, lookup, lookupError
from txnetserver._tick import nextTick

__all__ = ["ConnectingSocket", "Connection"]

Family = Literal[4, 6]


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
        self._factory = OneProtocolFactory(protocol, lambda: socket.connecting)
        self._attempt: Deferred[IProtocol] | None = None
        self._cancelled = False
        self._answered = False
        self.attemptedAddresses: list[str] | None = None

    def start(self) -> None:
        """
        Begin as Node does (lib/net.js): a lookup, or the attempt on a ``path``,
        starts now; the attempt on an IP address, next tick.
        """
        request = self._request
        if isinstance(request, TCPConnect) and not request.hostFamily:
            self._lookUp(request)
        elif isinstance(request, TCPConnect):
            family: Family = 6 if request.hostFamily == 6 else 4
            nextTick(self._reactor, self._connectOne, request.host, family)
        elif isinstance(request, UNIXConnect):
            self._connectOther()
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
            self._reactor,
            request.host,
            options["family"],
            request.getaddrinfoFlags,
            request.lookupAll,
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
        if self._answered:
            return  # a lookup that calls back twice: only its first answer counts
        self._answered = True
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
        attempts = AttemptReactor(self._reactor, self._socket, request, None)
        endpointClass = TCP6ClientEndpoint if family == 6 else TCP4ClientEndpoint
        endpoint = endpointClass(attempts, ip, request.port, timeout=None)  # type: ignore[arg-type]
        self._watch(endpoint.connect(self._factory), attempts)

    def _race(self, addresses: list[tuple[str, Family]]) -> None:
        """Node's ``internalConnectMultiple``, done by ``HostnameEndpoint``."""
        request = self._request
        assert isinstance(request, TCPConnect)
        self.attemptedAddresses = []
        attempts = AttemptReactor(self._reactor, self._socket, request, self.attemptedAddresses)
        attempts.nameResolver = FixedAnswers(addresses)
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
            attempts = AttemptReactor(self._reactor, self._socket, None, None)
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

    def _watch(self, attempt: Deferred[IProtocol], attempts: AttemptReactor | None) -> None:
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
            _keepHalfClose(
                getattr(getattr(protocol, "transport", None), "protocol", None), protocol
            )

        attempt.addCallbacks(connected, failed)


def _keepHalfClose(wrapper: object, protocol: IProtocol) -> None:
    """
    Twisted's client endpoints wrap our protocol in one that should provide
    the interfaces ours does, but it declares each with ``directlyProvides``
    in turn, so only the last (``IHandshakeListener``) stays, and our
    ``writeConnectionLost`` ('finish' after our FIN) is never called.  The
    wrapper forwards the method; declaring the interface again is enough.
    """
    if (
        wrapper is not None
        and wrapper is not protocol
        and IHalfCloseableProtocol.providedBy(protocol)
        and not IHalfCloseableProtocol.providedBy(wrapper)
        and callable(getattr(wrapper, "writeConnectionLost", None))
    ):
        alsoProvides(wrapper, IHalfCloseableProtocol)


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
