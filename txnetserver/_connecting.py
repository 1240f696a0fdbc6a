"""
``socket.connect(...)``: a mixin of :class:`txnetserver.Socket` for the
outgoing side, which owns the attributes it reads.  The argument rules are
:mod:`txnetserver._connectargs`'s, the connection work
:mod:`txnetserver._connector`'s; this module keeps the socket's side of it:
``connecting`` while it runs, ``'connect'`` and ``'ready'`` once a transport
is attached (Node's ``afterConnect``), cancellation by ``destroy()`` or an
``AbortSignal``.
"""

from __future__ import annotations

import errno
from typing import Any, Self

from txnetserver._abort import AbortSignalLike
from txnetserver._connectargs import (
    ConnectArgs,
    ConnectRequest,
    TCPConnect,
    UNIXConnect,
    parseConnectArgs,
    resolveConnectRequest,
)
from txnetserver._connector import Connection
from txnetserver._errors import ERR_SOCKET_CLOSED, AbortError
from txnetserver._events import EventEmitter
from txnetserver._handles import handlesFor
from txnetserver._lifecycle import SocketState
from txnetserver._syserrors import exceptionWithHostPort
from txnetserver._tick import nextTick

__all__ = ["SocketConnect"]


class SocketConnect(EventEmitter):
    """``connect()`` and the connecting phase of a :class:`~txnetserver.Socket`."""

    __slots__ = ()

    # Owned by Socket.
    _reactor: Any
    _state: SocketState
    transport: Any
    _refed: bool
    _connection: Connection | None

    def _startConnecting(self) -> None:
        raise NotImplementedError  # Socket's

    def destroy(self, error: BaseException | None = None) -> Self:
        raise NotImplementedError  # Socket's

    def connect(self, *args: Any, **kwargs: Any) -> Self:
        """
        Node's ``socket.connect(options[, connectListener])``,
        ``socket.connect(path[, connectListener])`` and
        ``socket.connect(port[, host][, connectListener])`` (options may be
        keywords too, the listener ``callback=``): start connecting and return
        the socket, which is ``connecting`` (``readyState`` ``'opening'``)
        until ``'connect'`` and ``'ready'``, or ``'error'`` then ``'close'``.
        Writes and ``end()`` meanwhile are queued.  See :func:`txnetserver.connect`
        for the options and events.

        :raises txnetserver.errors.NodeError: Node's argument errors, raised
            after ``connectListener`` was added (as Node adds it first).
        """
        if len(args) == 1 and not kwargs and isinstance(args[0], ConnectArgs):
            parsed = args[0]
        else:
            parsed = parseConnectArgs(args, kwargs)
        if parsed.callback is not None:
            self.once("connect", parsed.callback)
        request = resolveConnectRequest(parsed.options)
        state = self._state
        if state.destroyed:
            # Node reopens a destroyed socket; ours stay closed (the lifecycle is one-way).
            raise ERR_SOCKET_CLOSED()
        if state.connecting or self.transport is not None:
            # Node's second connect() fails in the kernel: EALREADY, or EISCONN once open.
            code = errno.EALREADY if state.connecting else errno.EISCONN
            host, port = _target(request)
            nextTick(
                self._reactor, self.destroy, exceptionWithHostPort(code, "connect", host, port)
            )
            return self
        self._startConnecting()
        if self._refed:
            # A connecting socket keeps run() alive, as Node's handle does.
            handlesFor(self._reactor).hold(self)
        self._connection = Connection(self._reactor, request, self, self)  # type: ignore[arg-type]
        self._connection.start()
        return self

    @property
    def autoSelectFamilyAttemptedAddresses(self) -> list[str] | None:
        """
        Node's ``socket.autoSelectFamilyAttemptedAddresses``: ``'ip:port'`` of
        each address tried when ``connect()`` raced several, else ``None``.
        """
        connection = self._connection
        return connection.attemptedAddresses if connection is not None else None

    def _afterConnect(self) -> None:
        """Node's ``afterConnect`` (makeConnection applied the TCP options): 'connect', 'ready'."""
        self.emit("connect")
        self.emit("ready")

    def _cancelConnect(self) -> None:
        """``destroy()`` before a transport: stop the attempt (its descriptor is closed)."""
        connection = self._connection
        if connection is not None:
            connection.cancel()

    def _watchSignal(self, signal: AbortSignalLike) -> None:
        """Node's stream ``signal`` option: its abort destroys the socket with ``AbortError``."""

        def aborted(*ignored: object) -> None:
            signal.removeEventListener("abort", aborted)
            if not self._state.destroyed:
                self.destroy(AbortError("The operation was aborted", cause=signal.reason))

        if signal.aborted:
            nextTick(self._reactor, aborted)
            return
        signal.addEventListener("abort", aborted)
        self.once("close", lambda *ignored: signal.removeEventListener("abort", aborted))


def _target(request: ConnectRequest) -> tuple[str | None, int | None]:
    """The address and port a second ``connect()`` names in its error."""
    if isinstance(request, TCPConnect):
        return str(request.host), request.port
    if isinstance(request, UNIXConnect):
        return request.path, None
    return None, None
