"""
Node's error classes (``txnetserver.errors``); see :mod:`txnetserver._errors`.
"""

from txnetserver._errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_INVALID_HANDLE_TYPE,
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
    NodeError,
    NodeSystemError,
    TimeoutError,
    determineSpecificType,
)

__all__ = [
    "ERR_INVALID_ARG_TYPE",
    "ERR_INVALID_ARG_VALUE",
    "ERR_INVALID_HANDLE_TYPE",
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
    "NodeError",
    "NodeSystemError",
    "TimeoutError",
    "determineSpecificType",
]
