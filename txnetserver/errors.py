"""
Node's error classes, all importable from here (``from txnetserver.errors import X``).

Every ``ERR_*`` class subclasses :class:`NodeError` and the Python built-in that
matches Node's class (``TypeError``; ``RangeError`` → ``ValueError``; ``Error`` →
``RuntimeError``), so ``except TypeError`` and ``err.code == "ERR_INVALID_ARG_TYPE"``
both work. OS failures are :class:`NodeSystemError`, an :class:`OSError` with
Node's ``code``, ``syscall``, ``address`` and ``port``. :class:`TimeoutError` (the
reason of ``AbortSignal.timeout()``) is a Python :external+python:py:exc:`TimeoutError`, so
``from txnetserver.errors import *`` shadows the built-in with a subclass of it.

The classes are defined beside the code that raises them and named here: each
one's ``__module__`` is ``txnetserver.errors``, which is what tracebacks and
``repr(cls)`` print.
"""

from txnetserver._abort import ERR_ILLEGAL_CONSTRUCTOR, AddEventListenerArgumentTypeWarning
from txnetserver._encoding import ERR_UNKNOWN_ENCODING
from txnetserver._errors import (
    ERR_INVALID_ADDRESS,
    ERR_INVALID_ADDRESS_FAMILY,
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_INVALID_HANDLE_TYPE,
    ERR_INVALID_IP_ADDRESS,
    ERR_MISSING_ARGS,
    ERR_OUT_OF_RANGE,
    ERR_SERVER_ALREADY_LISTEN,
    ERR_SERVER_NOT_RUNNING,
    ERR_SOCKET_BAD_PORT,
    ERR_SOCKET_CLOSED,
    ERR_SOCKET_CLOSED_BEFORE_CONNECTION,
    ERR_STREAM_DESTROYED,
    ERR_STREAM_WRITE_AFTER_END,
    ERR_UNHANDLED_ERROR,
    AbortError,
    NodeAggregateError,
    NodeError,
    TimeoutError,
    determineSpecificType,
)
from txnetserver._maxlisteners import MaxListenersExceededWarning
from txnetserver._syserrors import NodeSystemError

__all__ = [
    "ERR_ILLEGAL_CONSTRUCTOR",
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
    "ERR_UNKNOWN_ENCODING",
    "AbortError",
    "AddEventListenerArgumentTypeWarning",
    "MaxListenersExceededWarning",
    "NodeAggregateError",
    "NodeError",
    "NodeSystemError",
    "TimeoutError",
    "determineSpecificType",
]

# The public name is the one users see: in tracebacks, repr(cls), pickles and the docs.
for _name in __all__:
    _exported = globals()[_name]
    if isinstance(_exported, type):
        _exported.__module__ = __name__
del _name, _exported
