"""
Node's ``net.createServer()`` and ``server.listen()`` argument handling, as
pure functions (no reactor, no sockets).

``listen()`` is split in two steps so that the :class:`~txnetserver.Server`
can do what Node does in between (``Server.prototype.listen`` in Node's
``lib/net.js``: the already-listening check, then ``once('listening',
callback)`` *before* any validation)::

    parsed = parseListenArgs(args, kwargs)     # never raises
    if self.listeningPort is not None:
        raise ERR_SERVER_ALREADY_LISTEN()
    if parsed.callback is not None:
        self.once("listening", parsed.callback)
    request = resolveListenRequest(parsed)     # raises Node's argument errors

The request is one of five frozen records, chosen in this order (Node's order,
with our endpoint extension slotted in after the handle and the signal):

1. :class:`HandleListen` — another listening ``Server``, an ``IListeningPort``,
   ``{"handle": x}`` or ``{"_handle": x}`` (like Node, the ``signal`` option
   is not looked at for handles);
2. the ``signal`` option is validated;
3. :class:`EndpointListen` — a Twisted ``IStreamServerEndpoint`` or
   ``{"endpoint": endpointOrDescription}`` (our extension);
4. :class:`FDListen` — ``{"fd": n}`` with ``n >= 0``;
5. :class:`TCPListen` — a number or string port;
6. :class:`UNIXListen` — a pipe name;
7. otherwise ``ERR_INVALID_ARG_VALUE``.

Python specifics (see docs/differences.md): options may be keyword arguments,
``callback=`` is the callback, ``None`` stands for both ``null`` and
``undefined``, and a ``bool`` is never a number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeAlias, TypeGuard

from twisted.internet.interfaces import IListeningPort, IStreamServerEndpoint

from txnetserver._abort import AbortSignal, AbortSignalLike
from txnetserver._defaults import DEFAULT_BACKLOG, DEFAULT_HIGH_WATER_MARK, PROXY_HEADER_TIMEOUT
from txnetserver._errors import ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_SOCKET_BAD_PORT
from txnetserver._proxytrust import TrustedSources, proxyHeaderTimeout, trustedProxies

__all__ = [
    "DEFAULT_BACKLOG",
    "DEFAULT_HIGH_WATER_MARK",
    "LISTEN_BACKLOG_SOMAXCONN",
    "AbortSignalLike",
    "EndpointListen",
    "FDListen",
    "HandleListen",
    "ListenArgs",
    "ListenRequest",
    "ServerOptions",
    "TCPListen",
    "UNIXListen",
    "isPipeName",
    "jsNumber",
    "normalizeServerOptions",
    "parseCreateServerArgs",
    "parseListenArgs",
    "resolveListenRequest",
]

# Node hands listen(2) a negative backlog as is and Linux reads it as "somaxconn"
# (it compares it unsigned); CPython's socket.listen() turns negatives into 0,
# so a negative backlog becomes the largest C int, which the kernel also caps.
LISTEN_BACKLOG_SOMAXCONN = 2**31 - 1

# ECMAScript WhiteSpace and LineTerminator: what Number() and String.prototype.trim()
# strip.  Not Python's str.isspace() set (which has \x1c-\x1f and \x85, not \ufeff).
_JS_WHITESPACE = (
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_JS_NON_DECIMAL = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")
_RADIX = {"x": 16, "o": 8, "b": 2}
# What a Python caller passes for JS primitives (no bigint or symbol here).
_JS_PRIMITIVES = (type(None), bool, int, float, complex, str)
_NO_PORT_OR_PATH_REASON = 'must have the property "port" or "path"'
_ABSTRACT_PATH_REASON = (
    # Node's text, typo included (lib/net.js, Server.prototype.listen).
    "can not set readableAll or writableAllt to true when path is abstract unix socket"
)


# -- JavaScript value semantics ---------------------------------------------


def jsNumber(text: str) -> float:
    """
    JavaScript's ``Number(string)``: trims JS whitespace, ``''`` is ``0``,
    decimal and exponent forms, unsigned ``0x``/``0o``/``0b`` literals and
    ``[+-]Infinity``; anything else (``'1_000'``, ``'12px'``, ``'inf'``) is NaN.

    >>> jsNumber(" 0x1F90 ")
    8080.0
    >>> jsNumber("1_000")
    nan
    """
    text = text.strip(_JS_WHITESPACE)
    if not text:
        return 0.0
    if _JS_DECIMAL.fullmatch(text):
        if text.endswith("Infinity"):
            return -math.inf if text.startswith("-") else math.inf
        return float(text)
    if _JS_NON_DECIMAL.fullmatch(text):
        return _toFloat(int(text[2:], _RADIX[text[1].lower()]))
    return math.nan


def _toFloat(value: int | float) -> float:
    """A JavaScript number from a Python one: ints too large become ``±Infinity``."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _isJsNumber(value: object) -> TypeGuard[int | float]:
    """``typeof value === 'number'``: an int or float, but never a ``bool``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _jsToNumber(value: object) -> float:
    """JavaScript's ``Number(value)`` for the values a Python caller can pass."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return _toFloat(value)
    if isinstance(value, str):
        return jsNumber(value)
    if value is None:
        return 0.0  # Number(null); Number(undefined) is NaN, equally falsy where used
    return math.nan  # objects


def _jsTruthy(value: object) -> bool:
    """JavaScript truthiness: objects (even empty containers) are truthy, NaN is not."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, (int, float)):
        return value == value and value != 0  # NaN != NaN
    if isinstance(value, str):
        return value != ""
    return True


def _toInt32(value: float) -> int:
    """ECMAScript ``ToInt32`` (what ``~~x`` and V8's ``Int32Value`` compute)."""
    if not math.isfinite(value):
        return 0
    wrapped = math.trunc(value) % 2**32
    return wrapped - 2**32 if wrapped >= 2**31 else wrapped


def _isFunction(value: object) -> TypeGuard[Callable[..., object]]:
    """``typeof value === 'function'``."""
    return callable(value) and not isinstance(value, Mapping)


def _asOptionsDict(value: object) -> dict[Any, object] | None:
    """
    A copy of ``value`` if ``dict()`` takes it as a mapping: a ``Mapping`` or
    e.g. an ``AddressInfo`` (Node's ``listen(other.address())`` works).
    """
    if isinstance(value, Mapping) or callable(getattr(value, "keys", None)):
        try:
            copied: dict[Any, object] = dict(value)  # type: ignore[call-overload]
        except (TypeError, KeyError, ValueError):
            return None
        return copied
    return None


def isPipeName(value: object) -> bool:
    """
    Node's ``isPipeName``: a string that is not a non-negative number
    (``'abc'``, ``'-1'``, ``'/tmp/x.sock'``), so ``'8000'`` and ``'0x1F90'``
    are ports (Node's ``normalizeArgs``).
    """
    return isinstance(value, str) and not jsNumber(value) >= 0


# -- createServer() ------------------------------------------------------------


@dataclass(frozen=True)
class ServerOptions:
    """
    The normalised options of ``new net.Server(options)``, as the
    server's readable attributes: ``allowHalfOpen`` is kept as given when
    truthy, ``keepAliveInitialDelay`` is in whole **seconds**, ``blockList`` is
    ``None`` or an object with a ``check`` method (Node 22's ``net.BlockList``).
    """

    allowHalfOpen: object = False
    pauseOnConnect: bool = False
    noDelay: bool = False
    keepAlive: bool = False
    keepAliveInitialDelay: int = 0
    highWaterMark: int | float = DEFAULT_HIGH_WATER_MARK
    blockList: object | None = None
    # Ours, not Node's: read a PROXY protocol header (HAProxy) before accepting,
    # from the sources in trustedProxies (None: the default, loopback), within
    # proxyHeaderTimeout ms.
    proxyProtocol: bool = False
    trustedProxies: TrustedSources | None = None
    proxyHeaderTimeout: float = PROXY_HEADER_TIMEOUT * 1000


def parseCreateServerArgs(
    options: object, connectionListener: object = None
) -> tuple[object, Callable[..., object] | None]:
    """
    Node's ``Server(options, connectionListener)`` argument forms: ``(fn)``
    makes ``fn`` the ``'connection'`` listener; otherwise the listener is
    taken only if it is callable (Node ignores anything else silently).

    :return: ``(options, connectionListener)``, options still unvalidated.
    """
    if _isFunction(options):
        return None, options
    if _isFunction(connectionListener):
        return options, connectionListener
    return options, None


def normalizeServerOptions(options: object, kwargs: Mapping[str, object]) -> ServerOptions:
    """
    Validate and normalise ``createServer()`` options as Node's ``Server``
    constructor does (Node 22 for ``highWaterMark`` and ``blockList``).
    ``kwargs`` are merged over ``options``; neither is mutated.

    :raises ERR_INVALID_ARG_TYPE: ``options`` not a mapping (nor ``None``),
        a non-number ``keepAliveInitialDelay``/``highWaterMark``, or a
        ``blockList`` without a ``check`` method.
    """
    if options is None:
        merged: dict[Any, object] = {}
    elif isinstance(options, Mapping):
        merged = dict(options)
    else:
        raise ERR_INVALID_ARG_TYPE("options", "object", options)
    merged.update(kwargs)
    allowHalfOpen = merged.get("allowHalfOpen")
    return ServerOptions(
        # options.allowHalfOpen || false: a truthy value is kept as given.
        allowHalfOpen=allowHalfOpen if _jsTruthy(allowHalfOpen) else False,
        pauseOnConnect=_jsTruthy(merged.get("pauseOnConnect")),
        noDelay=_jsTruthy(merged.get("noDelay")),
        keepAlive=_jsTruthy(merged.get("keepAlive")),
        keepAliveInitialDelay=_keepAliveSeconds(merged.get("keepAliveInitialDelay")),
        highWaterMark=_highWaterMark(merged.get("highWaterMark")),
        blockList=_blockList(merged.get("blockList")),
        proxyProtocol=_jsTruthy(merged.get("proxyProtocol")),
        trustedProxies=_trustedProxies(merged.get("trustedProxies")),
        proxyHeaderTimeout=proxyHeaderTimeout(merged.get("proxyHeaderTimeout")),
    )


def _trustedProxies(value: object) -> TrustedSources | None:
    """``None`` keeps the default (loopback), which the server builds."""
    return None if value is None else trustedProxies(value)


def _keepAliveSeconds(delay: object) -> int:
    """Node: ``validateNumber``, negative → 0, then ``~~(ms / 1000)``."""
    if delay is None:
        return 0
    if not _isJsNumber(delay):
        raise ERR_INVALID_ARG_TYPE("options.keepAliveInitialDelay", "number", delay)
    milliseconds = _toFloat(delay)
    # NaN and Infinity give 0; beyond 2**31 s Node's ~~ wraps, and so do we.
    return _toInt32(max(milliseconds, 0.0) / 1000)


def _highWaterMark(value: object) -> int | float:
    """Node: ``validateNumber``, negative → the default, otherwise kept as is."""
    if value is None:
        return DEFAULT_HIGH_WATER_MARK
    if not _isJsNumber(value):
        raise ERR_INVALID_ARG_TYPE("options.highWaterMark", "number", value)
    return DEFAULT_HIGH_WATER_MARK if value < 0 else value


def _blockList(value: object) -> object | None:
    """Node 22 checks a truthy ``blockList`` with ``BlockList.isBlockList``."""
    if not _jsTruthy(value):
        return None
    if not callable(getattr(value, "check", None)):
        raise ERR_INVALID_ARG_TYPE("options.blockList", "net.BlockList", value)
    return value


# -- listen(): step 1 ------------------------------------------------------------


@dataclass(frozen=True)
class ListenArgs:
    """
    ``server.listen(...)`` after Node's ``normalizeArgs`` and
    ``backlogFromArgs``.

    ``options`` is a fresh read-only mapping (the caller's dict is never
    touched); ``target`` is a non-mapping object given where Node expects the
    options object (another server, an ``IListeningPort``, an endpoint);
    ``backlogFromArgs`` is ``0.0`` when Node's value is falsy;
    ``portDefaultsToZero`` is step 11's "no arguments, or a function first".
    """

    options: Mapping[Any, object]
    target: object | None
    callback: Callable[..., object] | None
    backlogFromArgs: float
    portDefaultsToZero: bool


def parseListenArgs(args: tuple[object, ...], kwargs: Mapping[str, object]) -> ListenArgs:
    """
    Node's ``normalizeArgs`` and ``backlogFromArgs`` for ``server.listen(...)``.
    Never raises: validation is :func:`resolveListenRequest`'s job, because
    Node registers the callback in between (step 3).

    ``callback=`` counts as the last argument.  Other keywords are options:
    merged over an options mapping or over what a port/path first argument
    means (``listen(8000, host="::1")``), or, when there is no such argument,
    standing in for Node's options object (``listen(port=0, host="::1")``).
    """
    keywords = dict(kwargs)
    callback = keywords.pop("callback", None)
    jsArgs = list(args)
    if keywords and (not jsArgs or _isFunction(jsArgs[0])):
        jsArgs.insert(0, keywords)
        keywords = {}
    if callback is not None:
        jsArgs.append(callback)
    options, target = _normalizeFirstArg(jsArgs)
    options.update(keywords)
    last = jsArgs[-1] if jsArgs else None
    return ListenArgs(
        options=MappingProxyType(options),
        target=target,
        callback=last if _isFunction(last) else None,
        backlogFromArgs=_backlogFromArgs(jsArgs),
        portDefaultsToZero=not jsArgs or _isFunction(jsArgs[0]),
    )


def _normalizeFirstArg(jsArgs: list[object]) -> tuple[dict[Any, object], object | None]:
    """What Node's ``normalizeArgs`` makes of ``args[0]`` (and of a string ``args[1]``)."""
    if not jsArgs:
        return {}, None
    first = jsArgs[0]
    asDict = _asOptionsDict(first)
    if asDict is not None:
        return asDict, None
    if not isinstance(first, _JS_PRIMITIVES) and not _isFunction(first):
        return {}, first  # typeof 'object': options to Node, opaque to us
    if isPipeName(first):
        return {"path": first}, None
    options: dict[Any, object] = {"port": first}
    # Node takes a host only in second place and only if it is a string.
    if len(jsArgs) > 1 and isinstance(jsArgs[1], str):
        options["host"] = jsArgs[1]
    return options, None


def _backlogFromArgs(jsArgs: list[object]) -> float:
    """``toNumber(args[1]) || toNumber(args[2])`` with ``toNumber(x) = Number(x) >= 0 ? ...``."""
    for candidate in jsArgs[1:3]:
        number = _jsToNumber(candidate)
        if number > 0:  # NaN, negatives and 0 are all falsy here
            return number
    return 0.0


# -- listen(): the request -------------------------------------------------------


@dataclass(frozen=True)
class TCPListen:
    """
    Listen on TCP ``port``.  ``host`` is ``None`` for Node's
    unspecified address (dual-stack ``::``, synchronous bind); a string host is
    resolved first.  ``ipv6Only``/``reusePort`` are ``True`` only for an exact
    ``True`` option; ``ipv6Only`` is recorded even without a host, where the
    server ignores it as Node does.  ``backlog`` is ready for ``socket.listen``.
    """

    port: int
    host: str | None
    backlog: int
    ipv6Only: bool = False
    reusePort: bool = False
    exclusive: bool = False
    signal: AbortSignalLike | None = None


@dataclass(frozen=True)
class UNIXListen:
    """
    Listen on the UNIX socket ``path``; a leading
    ``'\\0'`` is an abstract name.  ``readableAll``/``writableAll`` are
    ``True`` only for an exact ``True`` option, as Node's ``fchmod`` mode.
    """

    path: str
    backlog: int
    readableAll: bool = False
    writableAll: bool = False
    signal: AbortSignalLike | None = None


@dataclass(frozen=True)
class FDListen:
    """Listen on an inherited, bound socket descriptor (``{fd}``)."""

    fd: int
    backlog: int
    signal: AbortSignalLike | None = None


@dataclass(frozen=True)
class HandleListen:
    """
    Share another listening socket: ``handle`` is as
    given, either an ``IListeningPort`` provider or an object with a non-None
    ``listeningPort`` (a listening ``Server``).  Like Node, the backlog comes
    only from the positional arguments and ``signal`` is not used.
    """

    handle: object
    backlog: int


@dataclass(frozen=True)
class EndpointListen:
    """
    Our extension: listen on a Twisted ``IStreamServerEndpoint``, or
    on an endpoint description string given as ``{"endpoint": "tcp:8000"}``.
    """

    endpoint: Any  # IStreamServerEndpoint | str
    signal: AbortSignalLike | None = None


ListenRequest: TypeAlias = TCPListen | UNIXListen | FDListen | HandleListen | EndpointListen


def resolveListenRequest(parsed: ListenArgs) -> ListenRequest:
    """
    The rest of Node's ``Server.prototype.listen`` argument handling (``lib/net.js``),
    in Node's order; see the module docstring.

    :raises ERR_INVALID_ARG_TYPE: a bad ``signal``, a non-string truthy
        ``host`` (Node's ``dns.lookup`` check) or a bad ``endpoint``.
    :raises ERR_SOCKET_BAD_PORT: a number or string port out of range.
    :raises ERR_INVALID_ARG_VALUE: no usable port, path, fd or handle.
    """
    options, target = _unwrapHandle(parsed.options, parsed.target)
    if target is not None and _isHandle(target):
        return HandleListen(target, _listenBacklog(parsed.backlogFromArgs))
    signal = _validateSignal(options.get("signal"))
    endpoint = _endpointOf(options, target)
    if endpoint is not None:
        return EndpointListen(endpoint, signal)
    if target is not None:
        # Node treats any other object as the options; a Python object has no
        # option keys, e.g. a Server that is not listening.
        raise ERR_INVALID_ARG_VALUE("options", target, _NO_PORT_OR_PATH_REASON)
    fd = options.get("fd")
    if _isJsNumber(fd) and fd >= 0:
        return FDListen(_fdNumber(fd), _listenBacklog(parsed.backlogFromArgs), signal)
    port = options.get("port")
    if parsed.portDefaultsToZero or ("port" in options and port is None):
        port = 0  # step 11: listen(), listen(cb), {port: undefined|null}
    backlog = _listenBacklog(options.get("backlog"), parsed.backlogFromArgs)
    if _isJsNumber(port) or isinstance(port, str):
        return TCPListen(
            port=_validatePort(port),
            host=_hostOf(options.get("host")),
            backlog=backlog,
            ipv6Only=options.get("ipv6Only") is True,
            reusePort=options.get("reusePort") is True,
            exclusive=_jsTruthy(options.get("exclusive")),
            signal=signal,
        )
    path = options.get("path")
    if isinstance(path, str) and path and isPipeName(path):
        return _unixRequest(options, path, backlog, signal)
    if "port" not in options and "path" not in options:
        raise ERR_INVALID_ARG_VALUE("options", dict(options), _NO_PORT_OR_PATH_REASON)
    raise ERR_INVALID_ARG_VALUE("options", dict(options))


def _unwrapHandle(
    options: Mapping[Any, object], target: object | None
) -> tuple[Mapping[Any, object], object | None]:
    """Node's ``options = options._handle || options.handle || options`` (step 5)."""
    if target is not None:
        return options, target
    for key in ("_handle", "handle"):
        inner = options.get(key)
        if _jsTruthy(inner):
            asDict = _asOptionsDict(inner)
            if asDict is not None:
                return MappingProxyType(asDict), None
            return options, inner
    return options, None


def _isHandle(value: object) -> bool:
    """A listening socket to share: an ``IListeningPort`` or a listening ``Server``."""
    return IListeningPort.providedBy(value) or getattr(value, "listeningPort", None) is not None


def _validateSignal(signal: object) -> AbortSignalLike | None:
    """Node's ``validateAbortSignal(options.signal, 'options.signal')`` (step 9)."""
    if signal is None:
        return None
    if _isAbortSignal(signal):
        return signal
    raise ERR_INVALID_ARG_TYPE("options.signal", "AbortSignal", signal)


def _isAbortSignal(value: object) -> TypeGuard[AbortSignalLike]:
    """Our ``AbortSignal`` (txnetserver._abort), or anything shaped like one."""
    if isinstance(value, AbortSignal):
        return True
    # Node accepts any object with an ``aborted`` property; we also need the
    # listener methods the server calls (``reason`` is not read by listen()).
    return all(
        hasattr(value, name) for name in ("aborted", "addEventListener", "removeEventListener")
    )


def _endpointOf(options: Mapping[Any, object], target: object | None) -> object | None:
    """Our ``listen(endpoint)`` / ``{"endpoint": ...}`` extension, or ``None``."""
    if target is not None:
        return target if IStreamServerEndpoint.providedBy(target) else None
    endpoint = options.get("endpoint")
    if endpoint is None or IStreamServerEndpoint.providedBy(endpoint):
        return endpoint
    if not isinstance(endpoint, str):
        raise ERR_INVALID_ARG_TYPE(
            "options.endpoint", ["string", "IStreamServerEndpoint"], endpoint
        )
    if not endpoint.strip():
        raise ERR_INVALID_ARG_VALUE(
            "options.endpoint", endpoint, "must be a non-empty endpoint description"
        )
    return endpoint


def _fdNumber(fd: int | float) -> int:
    """
    ``{fd}``: Node opens any number ``>= 0`` and reports a fractional one as an
    asynchronous ``EINVAL``; Python descriptors are ints, so we refuse it here.
    """
    if isinstance(fd, float) and not fd.is_integer():
        raise ERR_INVALID_ARG_VALUE("options.fd", fd, "must be an integer")
    return int(fd)


def _validatePort(port: int | float | str, name: str = "options.port") -> int:
    """Node's ``validatePort(port, name)`` then ``port | 0``."""
    if isinstance(port, str):
        number = jsNumber(port) if port.strip(_JS_WHITESPACE) else math.nan
    else:
        number = _toFloat(port)
    # +port === (+port >>> 0) && port <= 0xFFFF: an integer in 0..65535.
    if not (0 <= number <= 0xFFFF and number.is_integer()):
        raise ERR_SOCKET_BAD_PORT(name, port)
    return int(number)


def _hostOf(host: object) -> str | None:
    """A truthy host is looked up, and ``dns.lookup`` wants a string."""
    if not _jsTruthy(host):
        return None
    if not isinstance(host, str):
        raise ERR_INVALID_ARG_TYPE("hostname", "string", host)
    return host


def _listenBacklog(*candidates: object) -> int:
    """
    ``handle.listen(backlog || 511)``: the first truthy candidate (Node's
    ``options.backlog || backlogFromArgs``), which V8 turns into an int32.
    """
    chosen: object = DEFAULT_BACKLOG
    for candidate in candidates:
        if _jsTruthy(candidate):
            chosen = candidate
            break
    backlog = _toInt32(_jsToNumber(chosen))
    return LISTEN_BACKLOG_SOMAXCONN if backlog < 0 else backlog


def _unixRequest(
    options: Mapping[Any, object], path: str, backlog: int, signal: AbortSignalLike | None
) -> UNIXListen:
    """Step 13: no ``fchmod`` on abstract sockets, so Node refuses the mode options."""
    readableAll = options.get("readableAll")
    writableAll = options.get("writableAll")
    if path.startswith("\0") and (_jsTruthy(readableAll) or _jsTruthy(writableAll)):
        raise ERR_INVALID_ARG_VALUE("options", dict(options), _ABSTRACT_PATH_REASON)
    return UNIXListen(
        path=path,
        backlog=backlog,
        readableAll=readableAll is True,
        writableAll=writableAll is True,
        signal=signal,
    )
