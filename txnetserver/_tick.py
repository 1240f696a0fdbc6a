"""
Node's ``process.nextTick`` on a Twisted reactor.

Node queues ``'listening'``, listen errors and ``'close'`` with
``process.nextTick``: they run after the current call returns, in FIFO order.
Twisted's ``callLater(0)`` does not promise FIFO order between calls due at the
same time, so each reactor gets one queue, drained by a single ``callLater(0)``.

An exception escaping a queued callback is what Node calls an uncaught
exception: it is logged through ``twisted.logger`` and reported to the
reactor's handle registry, so :func:`txnetserver.run` can exit with status 1.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from twisted.logger import Logger

from txnetserver._handles import handlesFor

__all__ = ["nextTick", "reportUncaught"]

_log = Logger()


class _TickQueue:
    __slots__ = ("_queue", "_reactor", "_scheduled")

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor
        self._queue: deque[tuple[Callable[..., object], tuple[object, ...]]] = deque()
        self._scheduled = False

    def push(self, fn: Callable[..., object], args: tuple[object, ...]) -> None:
        self._queue.append((fn, args))
        if not self._scheduled:
            self._scheduled = True
            self._reactor.callLater(0, self._drain)

    def _drain(self) -> None:
        # Like Node, callbacks queued while draining run in this same drain.
        queue = self._queue
        try:
            while queue:
                fn, args = queue.popleft()
                try:
                    fn(*args)
                except BaseException as e:
                    reportUncaught(self._reactor, e)
        finally:
            self._scheduled = False
            if queue:
                self._scheduled = True
                self._reactor.callLater(0, self._drain)


_queues: dict[int, tuple[Any, _TickQueue]] = {}


def nextTick(reactor: Any, fn: Callable[..., object], *args: object) -> None:
    """Run ``fn(*args)`` soon, after the current call, in FIFO order."""
    entry = _queues.get(id(reactor))
    if entry is None or entry[0] is not reactor:
        entry = (reactor, _TickQueue(reactor))
        _queues[id(reactor)] = entry
    entry[1].push(fn, args)


def reportUncaught(reactor: Any, error: BaseException) -> None:
    """
    An exception nobody handled (Node: ``uncaughtException``): log it, and tell
    whoever runs the reactor Node-style (:func:`txnetserver.run`).

    ``SystemExit`` under :func:`txnetserver.run` is Node's ``process.exit(n)``
    from a callback: the runner exits with its code at once.  Anywhere else it
    (and ``KeyboardInterrupt``) propagates, as Twisted expects.
    """
    registry = handlesFor(reactor)
    if isinstance(error, SystemExit) and registry.watched:
        registry.uncaught(error)
        return
    if isinstance(error, (KeyboardInterrupt, SystemExit)):
        raise error
    _log.failure("Uncaught exception in txnetserver callback", None)
    registry.uncaught(error)
