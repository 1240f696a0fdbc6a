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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeAlias

from twisted.internet.interfaces import IListeningPort, IStreamServerEndpoint

from txnetserver._abort import AbortSignalLike
from txnetserver._defaults import DEFAULT_BACKLOG
from txnetserver._errors import ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE
from txnetserver._jsvalues import (
    JS_PRIMITIVES,
    asOptionsDict,
    isAbortSignal,
    isFunction,
    isJsNumber,
    jsNumber,
    jsToNumber,
    jsTruthy,
    toInt32,
    validatePort,
)

__all__ = [
    "LISTEN_BACKLOG_SOMAXCONN",
    "EndpointListen",
    "FDListen",
    "HandleListen",
    "ListenArgs",
    "ListenRequest",
    "TCPListen",
    "UNIXListen",
    "isPipeName",
    "parseListenArgs",
    "resolveListenRequest",
]

# Node hands listen(2) a negative backlog as is and Linux reads it as "somaxconn"
# (it compares it unsigned); CPython's socket.listen() turns negatives into 0,
# so a negative backlog becomes the largest C int, which the kernel also caps.
LISTEN_BACKLOG_SOMAXCONN = 2**31 - 1

_NO_PORT_OR_PATH_REASON = 'must have the property "port" or "path"'
_ABSTRACT_PATH_REASON = (
    # Node's text, typo included (lib/net.js, Server.prototype.listen).
    "can not set readableAll or writableAllt to true when path is abstract unix socket"
)


# -- JavaScript value semantics ---------------------------------------------


def isPipeName(value: object) -> bool:
    """
    Node's ``isPipeName``: a string that is not a non-negative number
    (``'abc'``, ``'-1'``, ``'/tmp/x.sock'``), so ``'8000'`` and ``'0x1F90'``
    are ports (Node's ``normalizeArgs``).
    """
    return isinstance(value, str) and not jsNumber(value) >= 0


# -- createServer() ------------------------------------------------------------


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
    if keywords and (not jsArgs or isFunction(jsArgs[0])):
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
        callback=last if isFunction(last) else None,
        backlogFromArgs=_backlogFromArgs(jsArgs),
        portDefaultsToZero=not jsArgs or isFunction(jsArgs[0]),
    )


def _normalizeFirstArg(jsArgs: list[object]) -> tuple[dict[Any, object], object | None]:
    """What Node's ``normalizeArgs`` makes of ``args[0]`` (and of a string ``args[1]``)."""
    if not jsArgs:
        return {}, None
    first = jsArgs[0]
    asDict = asOptionsDict(first)
    if asDict is not None:
        return asDict, None
    if not isinstance(first, JS_PRIMITIVES) and not isFunction(first):
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
        number = jsToNumber(candidate)
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
    if isJsNumber(fd) and fd >= 0:
        return FDListen(_fdNumber(fd), _listenBacklog(parsed.backlogFromArgs), signal)
    port = options.get("port")
    if parsed.portDefaultsToZero or ("port" in options and port is None):
        port = 0  # step 11: listen(), listen(cb), {port: undefined|null}
    backlog = _listenBacklog(options.get("backlog"), parsed.backlogFromArgs)
    if isJsNumber(port) or isinstance(port, str):
        return TCPListen(
            port=validatePort(port),
            host=_hostOf(options.get("host")),
            backlog=backlog,
            ipv6Only=options.get("ipv6Only") is True,
            reusePort=options.get("reusePort") is True,
            exclusive=jsTruthy(options.get("exclusive")),
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
        if jsTruthy(inner):
            asDict = asOptionsDict(inner)
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
    if isAbortSignal(signal):
        return signal
    raise ERR_INVALID_ARG_TYPE("options.signal", "AbortSignal", signal)


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


def _hostOf(host: object) -> str | None:
    """A truthy host is looked up, and ``dns.lookup`` wants a string."""
    if not jsTruthy(host):
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
        if jsTruthy(candidate):
            chosen = candidate
            break
    backlog = toInt32(jsToNumber(chosen))
    return LISTEN_BACKLOG_SOMAXCONN if backlog < 0 else backlog


def _unixRequest(
    options: Mapping[Any, object], path: str, backlog: int, signal: AbortSignalLike | None
) -> UNIXListen:
    """Step 13: no ``fchmod`` on abstract sockets, so Node refuses the mode options."""
    readableAll = options.get("readableAll")
    writableAll = options.get("writableAll")
    if path.startswith("\0") and (jsTruthy(readableAll) or jsTruthy(writableAll)):
        raise ERR_INVALID_ARG_VALUE("options", dict(options), _ABSTRACT_PATH_REASON)
    return UNIXListen(
        path=path,
        backlog=backlog,
        readableAll=readableAll is True,
        writableAll=writableAll is True,
        signal=signal,
    )
