"""
``new net.Socket([options])``'s options, validated and normalised as Node's
``Socket`` constructor does (lib/net.js, and lib/internal/streams/state.js
for the high-water marks): a pure function from the call to a frozen record.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from txnetserver._abort import AbortSignalLike
from txnetserver._defaults import DEFAULT_HIGH_WATER_MARK
from txnetserver._errors import ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE
from txnetserver._jsvalues import isAbortSignal, isJsNumber, jsTruthy
from txnetserver._serveroptions import keepAliveSeconds

__all__ = ["SocketOptions", "normalizeSocketOptions"]

_INT32_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True)
class SocketOptions:
    """The options of one ``Socket(...)`` call, as Node keeps them."""

    allowHalfOpen: bool = False
    readableHighWaterMark: int = DEFAULT_HIGH_WATER_MARK
    writableHighWaterMark: int = DEFAULT_HIGH_WATER_MARK
    noDelay: bool = False
    keepAlive: bool = False
    keepAliveInitialDelay: int = 0
    """Seconds, as Node keeps it (``~~(ms / 1000)``)."""
    # Validated here, applied by the client side (connect()): an inherited
    # descriptor to wrap, and a signal whose abort destroys the socket.
    fd: int | None = None
    signal: AbortSignalLike | None = None


def normalizeSocketOptions(options: object, kwargs: Mapping[str, object]) -> SocketOptions:
    """
    Validate ``Socket(options, **kwargs)`` as Node's constructor does;
    ``kwargs`` are merged over ``options`` and neither is mutated.  Node
    ignores an options value that is not an object, except a number, which
    is the legacy ``{fd: n}`` form.  ``readable``/``writable`` (Node's
    one-way sockets) are not supported and ignored.

    :raises ERR_INVALID_ARG_VALUE: a truthy ``objectMode``, ``readableObjectMode``
        or ``writableObjectMode``.
    :raises ERR_INVALID_ARG_TYPE: a non-number ``keepAliveInitialDelay`` or
        ``fd``, a truthy ``signal`` that is not an ``AbortSignal``.
    :raises ERR_INVALID_ARG_VALUE: a high-water mark that is not an integer >= 0.
    :raises ERR_OUT_OF_RANGE: an ``fd`` outside 0..2**31-1 or not an integer.
    """
    if isinstance(options, Mapping):
        merged: dict[Any, object] = dict(options)
    elif isJsNumber(options):
        merged = {"fd": options}
    else:
        merged = {}
    merged.update(kwargs)
    # Node's order: the object modes and keepAliveInitialDelay (net.Socket),
    # then the high-water marks and the signal (the stream constructor), then fd.
    _refuseObjectModes(merged)
    keepAliveInitialDelay = keepAliveSeconds(merged.get("keepAliveInitialDelay"))
    readable, writable = _highWaterMarks(merged)
    signal = merged.get("signal")
    if jsTruthy(signal) and not isAbortSignal(signal):
        raise ERR_INVALID_ARG_TYPE("signal", "AbortSignal", signal)
    return SocketOptions(
        allowHalfOpen=jsTruthy(merged.get("allowHalfOpen")),
        readableHighWaterMark=readable,
        writableHighWaterMark=writable,
        noDelay=jsTruthy(merged.get("noDelay")),
        keepAlive=jsTruthy(merged.get("keepAlive")),
        keepAliveInitialDelay=keepAliveInitialDelay,
        fd=_fd(merged.get("fd")),
        signal=signal if jsTruthy(signal) else None,  # type: ignore[arg-type]
    )


def _refuseObjectModes(options: Mapping[Any, object]) -> None:
    """A socket is a byte stream: Node refuses ``objectMode`` and its one-sided forms."""
    if jsTruthy(options.get("objectMode")):
        raise ERR_INVALID_ARG_VALUE("options.objectMode", options["objectMode"], "is not supported")
    readableMode = options.get("readableObjectMode")
    writableMode = options.get("writableObjectMode")
    if jsTruthy(readableMode):
        raise ERR_INVALID_ARG_VALUE("options.readableObjectMode", readableMode, "is not supported")
    if jsTruthy(writableMode):
        raise ERR_INVALID_ARG_VALUE("options.writableObjectMode", writableMode, "is not supported")


def _highWaterMarks(options: Mapping[Any, object]) -> tuple[int, int]:
    """Node's ``getHighWaterMark`` for each side: ``highWaterMark`` wins over the side's own."""
    marks = []
    for side in ("readableHighWaterMark", "writableHighWaterMark"):
        value = options.get("highWaterMark")
        if value is None:
            value = options.get(side)
        if value is None:
            marks.append(DEFAULT_HIGH_WATER_MARK)
            continue
        if not (isJsNumber(value) and math.isfinite(value) and value == int(value) and value >= 0):
            # Node names the side even when highWaterMark was given.
            raise ERR_INVALID_ARG_VALUE(f"options.{side}", value)
        marks.append(int(value))
    return marks[0], marks[1]


def _fd(value: object) -> int | None:
    """Node's ``validateInt32(fd, 'fd', 0)``."""
    if value is None:
        return None
    if not isJsNumber(value):
        raise ERR_INVALID_ARG_TYPE("fd", "number", value)
    if not (math.isfinite(value) and value == int(value)):
        raise ERR_OUT_OF_RANGE("fd", "an integer", value)
    if not 0 <= value <= _INT32_MAX:
        raise ERR_OUT_OF_RANGE("fd", f">= 0 && <= {_INT32_MAX}", value)
    return int(value)
