"""
An opt-in epoll reactor with a lean per-event dispatch.

Twisted's epoll reactor wraps every readiness event in ``log.callWithLogger``
(a logging context per event); on an echo server that is a large share of the
per-chunk cost (../shared/perf-baseline.md).  :class:`NodeReactor` dispatches
events directly and only logs an exception when one escapes, the way Node's
event loop has no per-event context either.  Everything else is Twisted's
``EPollReactor``.

Install it before anything imports ``twisted.internet.reactor``::

    import txnetserver.reactor
    txnetserver.reactor.install()

or with twistd: ``twistd -r txnetserver netserver --port 8000``.
"""

from __future__ import annotations

import errno
from typing import Any

from twisted.internet.epollreactor import EPollReactor
from twisted.python import log

__all__ = ["NodeReactor", "install"]


class NodeReactor(EPollReactor):
    """``EPollReactor`` without a logging context around each event."""

    def doPoll(self, timeout: float | None) -> None:
        if timeout is None:
            timeout = -1  # wait indefinitely
        try:
            events = self._poller.poll(timeout, len(self._selectables))
        except OSError as e:
            if e.errno == errno.EINTR:
                return
            raise
        selectables = self._selectables
        dispatch = self._doReadOrWrite
        for fd, event in events:
            selectable = selectables.get(fd)
            if selectable is None:
                continue
            try:
                dispatch(selectable, fd, event)  # type: ignore[no-untyped-call]
            except BaseException:
                # What callWithLogger would have done: report, keep running.
                log.err(None, f"Unhandled error dispatching an event for {selectable!r}")

    doIteration = doPoll


def install() -> Any:
    """Install :class:`NodeReactor` as Twisted's global reactor and return it."""
    from twisted.internet.main import installReactor

    reactor = NodeReactor()  # type: ignore[no-untyped-call]
    installReactor(reactor)
    return reactor
