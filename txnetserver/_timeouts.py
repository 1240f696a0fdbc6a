"""
Node's ``socket.setTimeout``: a mixin of :class:`txnetserver.Socket`, which
owns the attributes it reads.  Activity only records a time (one clock read
per chunk); the timer re-arms itself lazily when it fires early.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Self

from txnetserver._errors import ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE
from txnetserver._events import EventEmitter
from txnetserver._lifecycle import SocketState

__all__ = ["SocketTimeouts"]


# Not twisted.protocols.policies.TimeoutMixin: it never re-arms after its first
# timeout (Node's does on the next read or write) and resets a DelayedCall per chunk.
class SocketTimeouts(EventEmitter):
    """``setTimeout`` and the idle timer of a :class:`~txnetserver.Socket`."""

    __slots__ = ()

    # Owned by Socket.
    _state: SocketState
    timeout: float | None
    _reactor: Any
    _timeoutCall: Any
    _timeoutSeconds: float
    _lastActive: float

    def _listenerFailed(self, error: BaseException) -> None:
        raise NotImplementedError  # Socket's

    def setTimeout(self, msecs: float, callback: Callable[[], object] | None = None) -> Self:
        """
        Node's ``socket.setTimeout(ms[, cb])``: ``'timeout'`` after ``ms`` of
        inactivity (the socket stays open); ``0`` disarms.
        """
        if isinstance(msecs, bool) or not isinstance(msecs, (int, float)):
            raise ERR_INVALID_ARG_TYPE("msecs", "number", msecs)
        if msecs < 0 or not math.isfinite(msecs):
            raise ERR_OUT_OF_RANGE("msecs", "a non-negative finite number", msecs)
        if self._state.destroyed:
            return self
        self.timeout = msecs
        self._cancelTimer()
        self._timeoutSeconds = msecs / 1000.0
        if msecs == 0:
            if callback is not None:
                self.removeListener("timeout", callback)
            return self
        if callback is not None:
            self.once("timeout", callback)
        self._lastActive = self._reactor.seconds()
        self._timeoutCall = self._reactor.callLater(self._timeoutSeconds, self._onTimer)
        return self

    def _touch(self) -> None:
        self._lastActive = self._reactor.seconds()
        if self._timeoutCall is None and not self._state.destroyed:
            self._timeoutCall = self._reactor.callLater(self._timeoutSeconds, self._onTimer)

    def _onTimer(self) -> None:
        # Activity only records a time; the timer re-arms itself lazily, which
        # keeps the per-chunk cost to one clock read.
        self._timeoutCall = None
        idle = self._reactor.seconds() - self._lastActive
        remaining = self._timeoutSeconds - idle
        if remaining > 0.0005:
            self._timeoutCall = self._reactor.callLater(remaining, self._onTimer)
            return
        try:
            self.emit("timeout")
        except BaseException as e:
            self._listenerFailed(e)

    def _cancelTimer(self) -> None:
        call = self._timeoutCall
        if call is not None:
            self._timeoutCall = None
            if call.active():
                call.cancel()
