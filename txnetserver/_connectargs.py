"""
Node's ``net.connect()`` / ``net.createConnection()`` / ``socket.connect()``
argument handling, as pure functions (no reactor, no sockets).

``connect(...)`` runs these steps in Node's order (``lib/net.js``: ``connect``,
``Socket``, ``Socket.prototype.connect``, ``lookupAndConnect``, then
``dns.lookup``'s own checks when no ``lookup`` option replaces it)::

    parsed = parseConnectArgs(args, kwargs)            # normalizeArgs: never raises
    socket = Socket(parsed.options)                    # new Socket(options)
    # connect() applies options["timeout"] with setTimeout (if truthy);
    # socket.connect() registers parsed.callback on 'connect', then:
    request = resolveConnectRequest(parsed.options)    # raises Node's argument errors

The request is one of three frozen records: :class:`TCPConnect`,
:class:`UNIXConnect`, or :class:`EndpointConnect` (our ``endpoint`` option:
a Twisted ``IStreamClientEndpoint`` or a client endpoint description).

Python specifics, as for ``listen()``: options may be keyword arguments,
``callback=`` is the connect listener, a ``bool`` is never a number.  A key
present with the value ``None`` is JavaScript's ``null`` where Node tells
``null`` from ``undefined`` (``{"port": None}`` is a bad port, not a missing
one); ``keepAliveInitialDelay=None`` and ``signal=None`` mean "not given".
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from twisted.internet.interfaces import IStreamClientEndpoint

from txnetserver._defaults import DEFAULT_CONNECT_HOST, MIN_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT
from txnetserver._errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_INVALID_IP_ADDRESS,
    ERR_MISSING_ARGS,
)
from txnetserver._jsvalues import (
    JS_PRIMITIVES,
    asOptionsDict,
    isFunction,
    isJsNumber,
    jsTruthy,
    toInt32,
    validatePort,
)
from txnetserver._listen import isPipeName
from txnetserver._netutil import (
    getDefaultAutoSelectFamily,
    getDefaultAutoSelectFamilyAttemptTimeout,
    isIP,
    validateInt32,
)

__all__ = [
    "ConnectArgs",
    "ConnectRequest",
    "EndpointConnect",
    "LookupFunction",
    "TCPConnect",
    "UNIXConnect",
    "parseConnectArgs",
    "resolveConnectRequest",
]

LookupFunction: TypeAlias = Callable[[Any, dict[str, object], Callable[..., object]], object]
"""``lookup(hostname, options, callback)``, shaped like Node's ``dns.lookup``."""

# getaddrinfo's flags that Node's dns.lookup accepts (lib/dns.js validateHints):
# dns.ADDRCONFIG, dns.ALL and dns.V4MAPPED are these very numbers.
_VALID_HINTS = int(socket.AI_ADDRCONFIG | socket.AI_ALL | socket.AI_V4MAPPED)
_ADDRCONFIG = int(socket.AI_ADDRCONFIG)


# -- normalizeArgs ------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectArgs:
    """``connect(...)``'s arguments after Node's ``normalizeArgs``: the options and the callback."""

    options: Mapping[Any, object]
    callback: Callable[..., object] | None


def parseConnectArgs(args: tuple[object, ...], kwargs: Mapping[str, object]) -> ConnectArgs:
    """
    Node's ``normalizeArgs`` for ``connect(options[, cb])``, ``connect(path[,
    cb])`` and ``connect(port[, host][, cb])``; never raises.

    ``callback=`` counts as the last argument; other keywords are options,
    merged over whatever the positional arguments mean
    (``connect(8000, host="::1")``, ``connect(port=8000)``).
    """
    keywords = dict(kwargs)
    callback = keywords.pop("callback", None)
    jsArgs = list(args)
    if callback is not None:
        jsArgs.append(callback)
    options: dict[Any, object] = {}
    if jsArgs:
        first = jsArgs[0]
        asDict = asOptionsDict(first)
        if asDict is not None:
            options = asDict
        elif not isinstance(first, JS_PRIMITIVES) and not isFunction(first):
            pass  # typeof 'object' (a list, say): options without port or path
        elif isPipeName(first):
            options["path"] = first
        else:
            options["port"] = first
            # Node takes a host only in second place and only if it is a string.
            if len(jsArgs) > 1 and isinstance(jsArgs[1], str):
                options["host"] = jsArgs[1]
    options.update(keywords)
    last = jsArgs[-1] if jsArgs else None
    return ConnectArgs(
        options=MappingProxyType(options), callback=last if isFunction(last) else None
    )


# -- socket.connect(): the request ------------------------------------------------------


@dataclass(frozen=True)
class TCPConnect:
    """
    Connect over TCP (``lookupAndConnect``).  ``host`` is Node's
    ``options.host || 'localhost'``, as given (a custom ``lookup`` receives it
    unchanged); ``hostFamily`` is ``isIP(host)``: 4 or 6 for an address,
    which is connected to without a lookup, 0 for a name.  ``family`` and
    ``hints`` are the lookup's options as Node passes them (``family``
    ``None`` when not given, as Node's ``undefined``); ``getaddrinfoFlags``
    are the hints as the default lookup uses them (``hints >>> 0``);
    ``lookupAll`` is Node's decision to race every address
    (``autoSelectFamily`` for a name without a family or a ``localAddress``).
    ``lookup`` is ``None`` for the default resolver.
    ``autoSelectFamilyAttemptTimeout`` is in milliseconds.
    """

    host: Any
    port: int
    hostFamily: Literal[0, 4, 6]
    localAddress: str | None = None
    localPort: int | float | None = None
    family: object = None
    hints: object = 0
    getaddrinfoFlags: int = 0
    lookup: LookupFunction | None = None
    lookupAll: bool = False
    autoSelectFamily: bool = True
    autoSelectFamilyAttemptTimeout: int = 250

    def lookupOptions(self) -> dict[str, object]:
        """The ``options`` dict Node gives ``lookup(hostname, options, callback)``."""
        options: dict[str, object] = {"family": self.family, "hints": self.hints}
        if self.lookupAll:
            options["all"] = True
        return options


@dataclass(frozen=True)
class UNIXConnect:
    """Connect to the UNIX socket ``path`` (a leading ``'\\0'`` is an abstract name)."""

    path: str


@dataclass(frozen=True)
class EndpointConnect:
    """Our ``endpoint`` option: a Twisted ``IStreamClientEndpoint`` or its description."""

    endpoint: object


ConnectRequest: TypeAlias = TCPConnect | UNIXConnect | EndpointConnect


def resolveConnectRequest(options: Mapping[Any, object]) -> ConnectRequest:
    """
    ``socket.connect()``'s validation after the callback is registered, in
    Node's order: ``port``/``path`` presence, ``path`` type, then for TCP
    ``localAddress``, ``localPort``, ``port``, ``autoSelectFamily``,
    ``autoSelectFamilyAttemptTimeout``, ``lookup``, and with the default
    resolver ``dns.lookup``'s checks of ``host``, ``hints`` and ``family``.

    :raises ERR_MISSING_ARGS: neither ``port`` nor ``path`` (nor ``endpoint``).
    :raises ERR_INVALID_ARG_TYPE: a wrong-typed ``path``, ``localPort``, ``port``,
        ``autoSelectFamily``, ``autoSelectFamilyAttemptTimeout``, ``lookup``,
        ``host``, ``hints`` or ``endpoint``.
    :raises ERR_INVALID_IP_ADDRESS: a ``localAddress`` that is not an IP address.
    :raises ERR_SOCKET_BAD_PORT: ``port`` outside 0-65535.
    :raises ERR_OUT_OF_RANGE: ``autoSelectFamilyAttemptTimeout`` not an integer >= 1.
    :raises ERR_INVALID_ARG_VALUE: ``hints`` or ``family`` that ``dns.lookup`` refuses.
    """
    if "endpoint" in options and options["endpoint"] is not None:
        return EndpointConnect(_validateEndpoint(options["endpoint"]))
    path = options.get("path")
    if "port" not in options and path is None:
        raise ERR_MISSING_ARGS(["options", "port", "path"])
    if jsTruthy(path):
        if not isinstance(path, str):
            raise ERR_INVALID_ARG_TYPE("options.path", "string", path)
        return UNIXConnect(path)
    return _tcpRequest(options)


def _validateEndpoint(endpoint: object) -> object:
    if IStreamClientEndpoint.providedBy(endpoint):
        return endpoint
    if not isinstance(endpoint, str):
        raise ERR_INVALID_ARG_TYPE(
            "options.endpoint", ["string", "IStreamClientEndpoint"], endpoint
        )
    if not endpoint.strip():
        raise ERR_INVALID_ARG_VALUE(
            "options.endpoint", endpoint, "must be a non-empty endpoint description"
        )
    return endpoint


def _tcpRequest(options: Mapping[Any, object]) -> TCPConnect:
    """``lookupAndConnect``'s checks, then ``dns.lookup``'s for the default resolver."""
    localAddress = options.get("localAddress")
    if jsTruthy(localAddress) and not isIP(localAddress):
        raise ERR_INVALID_IP_ADDRESS(localAddress)
    localPort = options.get("localPort")
    if jsTruthy(localPort) and not isJsNumber(localPort):
        raise ERR_INVALID_ARG_TYPE("options.localPort", "number", localPort)
    port = 0
    if "port" in options:
        given = options["port"]
        if isinstance(given, bool) or not isinstance(given, (int, float, str)):
            raise ERR_INVALID_ARG_TYPE("options.port", ["number", "string"], given)
        port = validatePort(given, "Port")
    autoSelectFamily = options.get("autoSelectFamily")
    if autoSelectFamily is None:
        autoSelectFamily = getDefaultAutoSelectFamily()
    elif not isinstance(autoSelectFamily, bool):
        raise ERR_INVALID_ARG_TYPE("options.autoSelectFamily", "boolean", autoSelectFamily)
    attemptTimeout = options.get("autoSelectFamilyAttemptTimeout")
    if attemptTimeout is None:
        attemptTimeoutMs = getDefaultAutoSelectFamilyAttemptTimeout()
    else:
        attemptTimeoutMs = max(
            validateInt32(attemptTimeout, "options.autoSelectFamilyAttemptTimeout", 1),
            MIN_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT,
        )
    host = options.get("host")
    if not jsTruthy(host):
        host = DEFAULT_CONNECT_HOST
    hostFamily = isIP(host)
    common: dict[str, Any] = {
        "port": port,
        "localAddress": str(localAddress) if jsTruthy(localAddress) else None,
        "localPort": localPort if jsTruthy(localPort) else None,
        "autoSelectFamily": autoSelectFamily,
        "autoSelectFamilyAttemptTimeout": attemptTimeoutMs,
    }
    if hostFamily:
        return TCPConnect(host=str(host), hostFamily=hostFamily, **common)
    lookup = options.get("lookup")
    if lookup is not None and not isFunction(lookup):
        raise ERR_INVALID_ARG_TYPE("options.lookup", "function", lookup)
    # socketToDnsFamily: Node's 'IPv4'/'IPv6' spellings become 4/6.
    family = options.get("family")
    family = {"IPv4": 4, "IPv6": 6}.get(family, family) if isinstance(family, str) else family
    hintsGiven = options.get("hints")
    hints: Any = hintsGiven if jsTruthy(hintsGiven) else 0
    racing = family not in (4, 6) or isinstance(family, bool)
    if racing and hints == 0:
        hints = _ADDRCONFIG  # Node's default outside Windows
    flags = _validateDnsLookup(host, family, hints) if lookup is None else 0
    return TCPConnect(
        host=host,
        hostFamily=0,
        family=family,
        hints=hints,
        getaddrinfoFlags=flags,
        lookup=lookup,
        lookupAll=racing and not common["localAddress"] and autoSelectFamily,
        **common,
    )


def _validateDnsLookup(host: object, family: object, hints: object) -> int:
    """``dns.lookup(host, {family, hints}, cb)``'s synchronous checks; the hints as a uint32."""
    if not isinstance(host, str):
        raise ERR_INVALID_ARG_TYPE("hostname", "string", host)
    flags = 0
    if hints is not None:
        if not isJsNumber(hints):
            raise ERR_INVALID_ARG_TYPE("options.hints", "number", hints)
        flags = toInt32(float(hints)) % 2**32  # hints >>> 0
        if flags & ~_VALID_HINTS:
            raise ERR_INVALID_ARG_VALUE("hints", flags)
    if family is not None and (isinstance(family, bool) or family not in (0, 4, 6)):
        raise ERR_INVALID_ARG_VALUE("options.family", family, "must be one of: 0, 4, 6")
    return flags
