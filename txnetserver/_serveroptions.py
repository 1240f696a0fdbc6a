"""
Node's ``net.createServer([options][, connectionListener])`` argument
handling, as pure functions: the options become a frozen
:class:`ServerOptions`, validated as Node's ``Server`` constructor does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from txnetserver._defaults import DEFAULT_HIGH_WATER_MARK, PROXY_HEADER_TIMEOUT
from txnetserver._errors import ERR_INVALID_ARG_TYPE
from txnetserver._jsvalues import (
    isFunction,
    isJsNumber,
    jsTruthy,
    mergedOptions,
    toFloat,
    toInt32,
)
from txnetserver._proxytrust import TrustedSources, proxyHeaderTimeout, trustedProxies

__all__ = ["ServerOptions", "keepAliveSeconds", "normalizeServerOptions", "parseCreateServerArgs"]


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
    if isFunction(options):
        return None, options
    if isFunction(connectionListener):
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
    merged = mergedOptions(options, kwargs)
    allowHalfOpen = merged.get("allowHalfOpen")
    return ServerOptions(
        # options.allowHalfOpen || false: a truthy value is kept as given.
        allowHalfOpen=allowHalfOpen if jsTruthy(allowHalfOpen) else False,
        pauseOnConnect=jsTruthy(merged.get("pauseOnConnect")),
        noDelay=jsTruthy(merged.get("noDelay")),
        keepAlive=jsTruthy(merged.get("keepAlive")),
        keepAliveInitialDelay=keepAliveSeconds(merged.get("keepAliveInitialDelay")),
        highWaterMark=_highWaterMark(merged.get("highWaterMark")),
        blockList=_blockList(merged.get("blockList")),
        proxyProtocol=jsTruthy(merged.get("proxyProtocol")),
        trustedProxies=_trustedProxies(merged.get("trustedProxies")),
        proxyHeaderTimeout=proxyHeaderTimeout(merged.get("proxyHeaderTimeout")),
    )


def _trustedProxies(value: object) -> TrustedSources | None:
    """``None`` keeps the default (loopback), which the server builds."""
    return None if value is None else trustedProxies(value)


def keepAliveSeconds(delay: object) -> int:
    """Node: ``validateNumber``, negative → 0, then ``~~(ms / 1000)``."""
    if delay is None:
        return 0
    if not isJsNumber(delay):
        raise ERR_INVALID_ARG_TYPE("options.keepAliveInitialDelay", "number", delay)
    milliseconds = toFloat(delay)
    # NaN and Infinity give 0; beyond 2**31 s Node's ~~ wraps, and so do we.
    return toInt32(max(milliseconds, 0.0) / 1000)


def _highWaterMark(value: object) -> int | float:
    """Node: ``validateNumber``, negative → the default, otherwise kept as is."""
    if value is None:
        return DEFAULT_HIGH_WATER_MARK
    if not isJsNumber(value):
        raise ERR_INVALID_ARG_TYPE("options.highWaterMark", "number", value)
    return DEFAULT_HIGH_WATER_MARK if value < 0 else value


def _blockList(value: object) -> object | None:
    """Node 22 checks a truthy ``blockList`` with ``BlockList.isBlockList``."""
    if not jsTruthy(value):
        return None
    if not callable(getattr(value, "check", None)):
        raise ERR_INVALID_ARG_TYPE("options.blockList", "net.BlockList", value)
    return value
