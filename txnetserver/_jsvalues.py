"""
JavaScript value semantics and Node's argument validators that more than one
API shares (``listen()``, ``connect()``, ``new net.Socket()``): what
``Number()``, truthiness, ``typeof`` and ``validatePort`` mean when a Python
caller passes the values.  Pure functions; ``None`` stands for both ``null``
and ``undefined``, and a ``bool`` is never a number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from txnetserver._abort import AbortSignal, AbortSignalLike
from txnetserver._errors import ERR_INVALID_ARG_TYPE, ERR_SOCKET_BAD_PORT

__all__ = [
    "JS_PRIMITIVES",
    "JS_WHITESPACE",
    "asOptionsDict",
    "isAbortSignal",
    "isFunction",
    "isJsNumber",
    "jsNumber",
    "jsToNumber",
    "jsTruthy",
    "mergedOptions",
    "toFloat",
    "toInt32",
    "validatePort",
]


# ECMAScript WhiteSpace and LineTerminator: what Number() and String.prototype.trim()
# strip.  Not Python's str.isspace() set (which has \x1c-\x1f and \x85, not \ufeff).
JS_WHITESPACE = (
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


_JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")


_JS_NON_DECIMAL = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")


_RADIX = {"x": 16, "o": 8, "b": 2}


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
    text = text.strip(JS_WHITESPACE)
    if not text:
        return 0.0
    if _JS_DECIMAL.fullmatch(text):
        if text.endswith("Infinity"):
            return -math.inf if text.startswith("-") else math.inf
        return float(text)
    if _JS_NON_DECIMAL.fullmatch(text):
        return toFloat(int(text[2:], _RADIX[text[1].lower()]))
    return math.nan


def toFloat(value: int | float) -> float:
    """A JavaScript number from a Python one: ints too large become ``±Infinity``."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def isJsNumber(value: object) -> TypeGuard[int | float]:
    """``typeof value === 'number'``: an int or float, but never a ``bool``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def jsToNumber(value: object) -> float:
    """JavaScript's ``Number(value)`` for the values a Python caller can pass."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return toFloat(value)
    if isinstance(value, str):
        return jsNumber(value)
    if value is None:
        return 0.0  # Number(null); Number(undefined) is NaN, equally falsy where used
    return math.nan  # objects


def jsTruthy(value: object) -> bool:
    """JavaScript truthiness: objects (even empty containers) are truthy, NaN is not."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, (int, float)):
        return value == value and value != 0  # NaN != NaN
    if isinstance(value, str):
        return value != ""
    return True


def toInt32(value: float) -> int:
    """ECMAScript ``ToInt32`` (what ``~~x`` and V8's ``Int32Value`` compute)."""
    if not math.isfinite(value):
        return 0
    wrapped = math.trunc(value) % 2**32
    return wrapped - 2**32 if wrapped >= 2**31 else wrapped


def isFunction(value: object) -> TypeGuard[Callable[..., object]]:
    """``typeof value === 'function'``."""
    return callable(value) and not isinstance(value, Mapping)


def asOptionsDict(value: object) -> dict[Any, object] | None:
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


def isAbortSignal(value: object) -> TypeGuard[AbortSignalLike]:
    """Our ``AbortSignal`` (txnetserver._abort), or anything shaped like one."""
    if isinstance(value, AbortSignal):
        return True
    # Node accepts any object with an ``aborted`` property; we also need the
    # listener methods the server calls (``reason`` is not read by listen()).
    return all(
        hasattr(value, name) for name in ("aborted", "addEventListener", "removeEventListener")
    )


def validatePort(port: int | float | str, name: str = "options.port") -> int:
    """Node's ``validatePort(port, name)`` then ``port | 0``."""
    if isinstance(port, str):
        number = jsNumber(port) if port.strip(JS_WHITESPACE) else math.nan
    else:
        number = toFloat(port)
    # +port === (+port >>> 0) && port <= 0xFFFF: an integer in 0..65535.
    if not (0 <= number <= 0xFFFF and number.is_integer()):
        raise ERR_SOCKET_BAD_PORT(name, port)
    return int(number)


# What a Python caller passes for JS primitives (no bigint or symbol here).
JS_PRIMITIVES = (type(None), bool, int, float, complex, str)


def mergedOptions(options: object, kwargs: Mapping[str, object]) -> dict[Any, object]:
    """
    An ``options`` object (a mapping, or ``None`` for none) with the Python
    keyword arguments merged over it; neither is changed.

    :raises ERR_INVALID_ARG_TYPE: ``options`` is neither (Node's
        ``validateObject(options, 'options')``).
    """
    if options is None:
        merged: dict[Any, object] = {}
    elif isinstance(options, Mapping):
        merged = dict(options)
    else:
        raise ERR_INVALID_ARG_TYPE("options", "object", options)
    merged.update(kwargs)
    return merged
