"""
Node's error classes and messages, in Python terms.

Every ``ERR_*`` class subclasses :class:`NodeError` *and* the Python built-in
that matches Node's class (``TypeError``, ``RangeError`` → ``ValueError``,
``Error`` → ``RuntimeError``), so both ``except TypeError`` and
``err.code == "ERR_INVALID_ARG_TYPE"`` work.  Messages are Node's text, with
Python reprs where Node shows JavaScript values (``Received type int (-1)``).

OS failures are :class:`~txnetserver._syserrors.NodeSystemError` (in ``_syserrors``).
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterable, Sequence
from typing import ClassVar

__all__ = [
    "ERR_INVALID_ADDRESS",
    "ERR_INVALID_ADDRESS_FAMILY",
    "ERR_INVALID_ARG_TYPE",
    "ERR_INVALID_ARG_VALUE",
    "ERR_INVALID_HANDLE_TYPE",
    "ERR_INVALID_IP_ADDRESS",
    "ERR_MISSING_ARGS",
    "ERR_OUT_OF_RANGE",
    "ERR_SERVER_ALREADY_LISTEN",
    "ERR_SERVER_NOT_RUNNING",
    "ERR_SOCKET_BAD_PORT",
    "ERR_SOCKET_CLOSED",
    "ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
    "ERR_STREAM_DESTROYED",
    "ERR_STREAM_WRITE_AFTER_END",
    "ERR_UNHANDLED_ERROR",
    "AbortError",
    "NodeAggregateError",
    "NodeError",
    "TimeoutError",
    "determineSpecificType",
    "inspect",
]


def inspect(value: object) -> str:
    """
    Render ``value`` the way Node's ``util.inspect`` appears in messages:
    Python's ``repr``, which already quotes strings with single quotes.
    """
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return repr(value)


def determineSpecificType(value: object) -> str:
    """
    The "Received ..." suffix of Node's argument errors (``determineSpecificType``
    in ``lib/internal/errors.js``), in Python terms.

    >>> determineSpecificType(-1)
    'type int (-1)'
    >>> determineSpecificType(None)
    'None'
    """
    if value is None:
        return "None"
    if isinstance(value, (bool, int, float, complex, str, bytes)):
        inspected = inspect(value)
        # Node cuts long primitives to 25 characters plus an ellipsis.
        if len(inspected) > 28:
            inspected = inspected[:25] + "..."
        return f"type {type(value).__name__} ({inspected})"
    if callable(value) and hasattr(value, "__name__") and not isinstance(value, type):
        return f"function {value.__name__}"
    if isinstance(value, type):
        return f"class {value.__name__}"
    return f"an instance of {type(value).__name__}"


class NodeError(Exception):
    """
    Base of every ``ERR_*`` error: ``str(err)`` and ``err.message`` are Node's
    message, ``err.code`` its code, ``err.name`` Node's class name.
    """

    code: ClassVar[str] = "ERR_GENERIC"
    name: ClassVar[str] = "Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{self.name} [{self.code}]: {self.message}"


_PRIMITIVES = ("string", "function", "number", "object", "boolean", "bigint", "symbol")


def _formatList(items: Sequence[str], last: str = "and") -> str:
    if len(items) <= 2:
        return f" {last} ".join(items)
    return f"{', '.join(items[:-1])}, {last} {items[-1]}"


def _expectedTypes(expected: Iterable[str]) -> str:
    """Node's ``ERR_INVALID_ARG_TYPE`` wording for the expected types."""
    types: list[str] = []
    instances: list[str] = []
    other: list[str] = []
    for value in expected:
        if value in _PRIMITIVES:
            types.append(value)
        elif value[:1].isupper():
            instances.append(value)
        else:
            other.append(value)
    parts: list[str] = []
    if types:
        noun = "of type" if len(types) == 1 else "one of type"
        parts.append(f"{noun} {_formatList(types, 'or')}")
    if instances:
        parts.append(f"an instance of {_formatList(instances, 'or')}")
    if other:
        parts.append(_formatList(other, "or"))
    return " or ".join(parts)


class ERR_INVALID_ARG_TYPE(NodeError, TypeError):
    """An argument of the wrong type (Node's ``TypeError [ERR_INVALID_ARG_TYPE]``)."""

    code = "ERR_INVALID_ARG_TYPE"
    name = "TypeError"

    def __init__(self, argName: str, expected: str | Sequence[str], actual: object) -> None:
        if isinstance(expected, str):
            expected = [expected]
        if argName.endswith(" argument"):
            subject = f"The {argName}"
        else:
            kind = "property" if "." in argName else "argument"
            subject = f'The "{argName}" {kind}'
        super().__init__(
            f"{subject} must be {_expectedTypes(expected)}. "
            f"Received {determineSpecificType(actual)}"
        )


class ERR_INVALID_ARG_VALUE(NodeError, TypeError):
    """An argument of the right type but an invalid value."""

    code = "ERR_INVALID_ARG_VALUE"
    name = "TypeError"

    def __init__(self, argName: str, value: object, reason: str = "is invalid") -> None:
        kind = "property" if "." in argName else "argument"
        inspected = inspect(value)
        if len(inspected) > 128:
            inspected = inspected[:128] + "..."
        super().__init__(f"The {kind} '{argName}' {reason}. Received {inspected}")


def _addNumericalSeparator(text: str) -> str:
    sign = "-" if text.startswith("-") else ""
    digits = text.lstrip("-")
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return sign + "_".join(groups)


class ERR_OUT_OF_RANGE(NodeError, ValueError):
    """Node's ``RangeError [ERR_OUT_OF_RANGE]``."""

    code = "ERR_OUT_OF_RANGE"
    name = "RangeError"

    def __init__(self, what: str, rangeText: str, received: object) -> None:
        if isinstance(received, int) and not isinstance(received, bool):
            shown = str(received)
            if abs(received) > 2**32:
                shown = _addNumericalSeparator(shown)
        else:
            shown = inspect(received)
        super().__init__(
            f'The value of "{what}" is out of range. It must be {rangeText}. Received {shown}'
        )


class ERR_SOCKET_BAD_PORT(NodeError, ValueError):
    """A port outside ``0 <= port < 65536`` (Node's ``validatePort``)."""

    code = "ERR_SOCKET_BAD_PORT"
    name = "RangeError"

    def __init__(self, name: str, port: object, allowZero: bool = True) -> None:
        operator = ">=" if allowZero else ">"
        super().__init__(
            f"{name} should be {operator} 0 and < 65536. Received {determineSpecificType(port)}."
        )


class ERR_SERVER_ALREADY_LISTEN(NodeError, RuntimeError):
    """``listen()`` on a server that already has a listening socket."""

    code = "ERR_SERVER_ALREADY_LISTEN"

    def __init__(self) -> None:
        super().__init__("Listen method has been called more than once without closing.")


class ERR_SERVER_NOT_RUNNING(NodeError, RuntimeError):
    """Given to ``close(callback)`` when the server was not listening."""

    code = "ERR_SERVER_NOT_RUNNING"

    def __init__(self) -> None:
        super().__init__("Server is not running.")


class ERR_UNHANDLED_ERROR(NodeError, RuntimeError):
    """``emit('error', x)`` with no listener, where ``x`` is not an exception."""

    code = "ERR_UNHANDLED_ERROR"

    def __init__(self, context: object = None) -> None:
        super().__init__(f"Unhandled error. ({inspect(context)})")
        self.context = context


class ERR_STREAM_WRITE_AFTER_END(NodeError, RuntimeError):
    """``write()`` after ``end()``."""

    code = "ERR_STREAM_WRITE_AFTER_END"

    def __init__(self) -> None:
        super().__init__("write after end")


class ERR_STREAM_DESTROYED(NodeError, RuntimeError):
    """A stream method called after ``destroy()``."""

    code = "ERR_STREAM_DESTROYED"

    def __init__(self, method: str) -> None:
        super().__init__(f"Cannot call {method} after a stream was destroyed")


class ERR_SOCKET_CLOSED(NodeError, RuntimeError):
    """An operation on a closed socket."""

    code = "ERR_SOCKET_CLOSED"

    def __init__(self) -> None:
        super().__init__("Socket is closed")


class ERR_SOCKET_CLOSED_BEFORE_CONNECTION(NodeError, RuntimeError):
    """A write queued while connecting, when the socket closed before it connected."""

    code = "ERR_SOCKET_CLOSED_BEFORE_CONNECTION"

    def __init__(self) -> None:
        super().__init__("Socket closed before the connection was established")


class ERR_INVALID_HANDLE_TYPE(NodeError, TypeError):
    """``listen()`` given a handle it cannot listen on."""

    code = "ERR_INVALID_HANDLE_TYPE"
    name = "TypeError"

    def __init__(self) -> None:
        super().__init__("This handle type cannot be sent")


class ERR_MISSING_ARGS(NodeError, TypeError):
    """A required argument is missing (``connect()`` with neither ``port`` nor ``path``)."""

    code = "ERR_MISSING_ARGS"
    name = "TypeError"

    def __init__(self, *names: str | Sequence[str]) -> None:
        wrapped = [
            " or ".join(f'"{n}"' for n in name) if not isinstance(name, str) else f'"{name}"'
            for name in names
        ]
        plural = "s" if len(names) > 1 else ""
        super().__init__(f"The {_formatList(wrapped)} argument{plural} must be specified")


class ERR_INVALID_IP_ADDRESS(NodeError, TypeError):
    """A string that had to be an IP address (``localAddress``, a lookup's answer)."""

    code = "ERR_INVALID_IP_ADDRESS"
    name = "TypeError"

    def __init__(self, address: object) -> None:
        super().__init__(f"Invalid IP address: {address}")


class ERR_INVALID_ADDRESS_FAMILY(NodeError, ValueError):
    """A ``lookup`` answered a family other than 4 or 6."""

    code = "ERR_INVALID_ADDRESS_FAMILY"
    name = "RangeError"

    def __init__(self, addressType: object, host: object, port: object) -> None:
        super().__init__(f"Invalid address family: {addressType} {host}:{port}")
        self.host = host
        self.port = port


class ERR_INVALID_ADDRESS(NodeError, RuntimeError):
    """``SocketAddress`` given an address that does not parse for its family."""

    code = "ERR_INVALID_ADDRESS"

    def __init__(self) -> None:
        super().__init__("Invalid socket address")


class NodeAggregateError(ExceptionGroup[Exception]):
    """
    Node's ``AggregateError`` from ``connect()`` when every address of a
    family race failed: ``errors`` lists each attempt's error in order,
    ``code`` is the first one's, ``message`` is empty as in Node.  It is an
    :class:`ExceptionGroup`, so ``except*`` and tracebacks show every attempt.
    """

    name = "AggregateError"

    def __new__(cls, errors: Sequence[Exception]) -> NodeAggregateError:
        return super().__new__(cls, "", list(errors))

    def __init__(self, errors: Sequence[Exception]) -> None:
        super().__init__("", list(errors))
        self.errors: list[Exception] = list(errors)
        self.code: str | None = getattr(errors[0], "code", None) if errors else None

    def derive(self, excs: Sequence[Exception]) -> NodeAggregateError:  # type: ignore[override]
        return NodeAggregateError(excs)


class AbortError(NodeError):
    """Node's ``AbortError``: an operation cancelled by an ``AbortSignal``."""

    code = "ABORT_ERR"
    name = "AbortError"

    def __init__(self, message: str = "This operation was aborted", cause: object = None) -> None:
        super().__init__(message)
        self.cause = cause


class TimeoutError(NodeError, builtins.TimeoutError):
    """
    The reason of ``AbortSignal.timeout(ms)`` once it fires: Node's
    ``DOMException`` named ``TimeoutError``, and a Python :class:`TimeoutError`.
    """

    code = "ABORT_ERR"
    name = "TimeoutError"

    def __init__(self, message: str = "The operation was aborted due to timeout") -> None:
        super().__init__(message)
