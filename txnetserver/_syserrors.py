"""
Node's system errors, in Python terms: :class:`NodeSystemError`, an
:class:`OSError` carrying Node's ``code``, ``syscall``, ``address`` and
``port`` (with Python's positive ``errno``), whose message follows libuv's
format (``listen EADDRINUSE: address already in use :::8000``), and the
helpers that build them as Node's ``lib/internal/errors.js`` does.
"""

from __future__ import annotations

import errno as _errno

__all__ = [
    "NodeSystemError",
    "dnsException",
    "epipeAfterEnd",
    "errnoException",
    "errorCode",
    "exceptionWithHostPort",
    "uvExceptionWithHostPort",
]


# libuv's uv_strerror() texts, which Node puts in system error messages.
_UV_MESSAGES: dict[str, str] = {
    "EACCES": "permission denied",
    "EADDRINUSE": "address already in use",
    "EADDRNOTAVAIL": "address not available",
    "EAFNOSUPPORT": "address family not supported",
    "EAGAIN": "resource temporarily unavailable",
    "EBADF": "bad file descriptor",
    "ECONNABORTED": "software caused connection abort",
    "ECONNREFUSED": "connection refused",
    "ECONNRESET": "connection reset by peer",
    "EEXIST": "file already exists",
    "EHOSTUNREACH": "host is unreachable",
    "EINVAL": "invalid argument",
    "EMFILE": "too many open files",
    "ENAMETOOLONG": "name too long",
    "ENETUNREACH": "network is unreachable",
    "ENFILE": "file table overflow",
    "ENOBUFS": "no buffer space available",
    "ENOENT": "no such file or directory",
    "ENOMEM": "not enough memory",
    "ENOTCONN": "socket is not connected",
    "ENOTSOCK": "socket operation on non-socket",
    "ENOTSUP": "operation not supported on socket",
    "EPERM": "operation not permitted",
    "EPIPE": "broken pipe",
    "EPROTO": "protocol error",
    "ETIMEDOUT": "connection timed out",
}


def errorCode(number: int) -> str:
    """Node's ``code`` for an errno (``98`` → ``'EADDRINUSE'``)."""
    return _errno.errorcode.get(number, f"Unknown system error {number}")


class NodeSystemError(OSError):
    """
    An OS failure in Node's shape: ``code`` (``'EADDRINUSE'``), ``errno``
    (positive, Python's), ``syscall``, and ``address``/``port`` where Node
    sets them (``None`` where Node leaves them undefined).
    """

    def __init__(
        self,
        errnum: int,
        syscall: str,
        message: str,
        *,
        code: str | None = None,
        address: str | None = None,
        port: int | float | None = None,
        hostname: str | None = None,
    ) -> None:
        super().__init__(errnum, message)
        self.code: str = code if code is not None else errorCode(errnum)
        self.syscall: str = syscall
        self.address: str | None = address
        self.port: int | float | None = port
        self.hostname: str | None = hostname
        self.message: str = message
        # Set by connect() failures of an attempt bound to a local address and port.
        self.localAddress: str | None = None
        self.localPort: int | None = None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"Error: {self.message}"


def uvExceptionWithHostPort(
    errnum: int, syscall: str, address: str | None, port: int | None
) -> NodeSystemError:
    """
    Node's ``UVExceptionWithHostPort``, used for listen errors (``lib/internal/errors.js``):
    ``listen EADDRINUSE: address already in use :::8000``.  The port is part of
    the message only when it is positive; ``err.port`` is set only when truthy.
    """
    code = errorCode(errnum)
    uvMessage = _UV_MESSAGES.get(code, _strerror(errnum))
    message = f"{syscall} {code}: {uvMessage}"
    if port is not None and port > 0:
        message += f" {address}:{port}"
    elif address:
        message += f" {address}"
    return NodeSystemError(errnum, syscall, message, address=address, port=port if port else None)


def errnoException(errnum: int, syscall: str, original: str | None = None) -> NodeSystemError:
    """Node's ``ErrnoException``: ``read ECONNRESET``, ``accept EMFILE``."""
    code = errorCode(errnum)
    message = f"{syscall} {code}"
    if original:
        message += f" {original}"
    return NodeSystemError(errnum, syscall, message)


def dnsException(errnum: int, hostname: str, code: str) -> NodeSystemError:
    """A ``dns.lookup`` failure: ``getaddrinfo ENOTFOUND no.such.host``."""
    return NodeSystemError(
        errnum, "getaddrinfo", f"getaddrinfo {code} {hostname}", code=code, hostname=hostname
    )


def _strerror(errnum: int) -> str:
    import os

    return os.strerror(errnum).lower()


def epipeAfterEnd() -> NodeSystemError:
    """The error a write gets after the peer ended a non-half-open socket."""
    return NodeSystemError(
        _errno.EPIPE, "write", "This socket has been ended by the other party", code="EPIPE"
    )


def exceptionWithHostPort(
    errnum: int,
    syscall: str,
    address: str | None,
    port: int | float | None,
    localAddress: str | None = None,
    localPort: int | None = None,
) -> NodeSystemError:
    """
    Node's ``ExceptionWithHostPort``, which ``connect()`` and ``bind()`` failures
    carry: ``connect ECONNREFUSED 127.0.0.1:1`` (no libuv text, unlike
    :func:`uvExceptionWithHostPort`), ``- Local (a:p)`` appended when the
    attempt had a local address and port, which are then set on the error too.
    """
    code = errorCode(errnum)
    details = ""
    if port is not None and port > 0:
        details = f" {address}:{port}"
    elif address:
        details = f" {address}"
    hasLocal = bool(localAddress) and bool(localPort)
    if hasLocal:
        details += f" - Local ({localAddress}:{localPort})"
    error = NodeSystemError(
        errnum, syscall, f"{syscall} {code}{details}", address=address, port=port or None
    )
    if hasLocal:
        error.localAddress = localAddress
        error.localPort = localPort
    return error
