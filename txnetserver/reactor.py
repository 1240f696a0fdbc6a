"""
txnetserver's default reactor: epoll with a lean per-event dispatch.

Twisted's epoll reactor wraps every readiness event in ``log.callWithLogger``
(a logging context per event); on an echo server that is a large share of the
per-chunk cost (docs/performance.md).  :class:`NodeReactor` dispatches
events directly and only logs an exception when one escapes, the way Node's
event loop has no per-event context either.  Everything else is Twisted's
``EPollReactor``.

:func:`txnetserver.run` and ``twistd netserver`` install it when no reactor
is installed yet (docs: "Which reactor runs").  To install it yourself, do so
before anything imports ``twisted.internet.reactor``::

    import txnetserver.reactor
    txnetserver.reactor.install()

or with twistd: ``twistd -r txnetserver netserver --port 8000``.
"""

from __future__ import annotations

import errno
import sys
from select import EPOLLIN
from typing import Any

from twisted.internet.epollreactor import EPollReactor
from twisted.internet.main import CONNECTION_DONE, CONNECTION_LOST
from twisted.python import log

from txnetserver._transport import NodeTCPServerTransport

# Connections whose doRead is Twisted's tcp.Connection.doRead unchanged (UNIX
# connections read with recvmsg, for descriptors passed as ancillary data).
_FAST_READ_TYPES = (NodeTCPServerTransport,)

__all__ = ["NodeReactor", "install"]


class NodeReactor(EPollReactor):
    """
    ``EPollReactor`` without a logging context around each event, and with
    the read of txnetserver's own connections inlined.

    A readable event on a connection accepted by a txnetserver ``Server``
    over TCP (the hot path of every echo) goes straight to ``recv`` and the protocol's
    ``dataReceived``, with what ``_doReadOrWrite`` and ``doRead`` would do
    for it: ``EAGAIN`` is ignored, an error or an empty read disconnects
    (as a read), an exception from the protocol is logged and disconnects.
    Every other event takes Twisted's path.
    """

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
        fastTypes = _FAST_READ_TYPES
        why: Any
        for fd, event in events:
            selectable = selectables.get(fd)
            if selectable is None:
                continue
            if event == EPOLLIN and type(selectable) in fastTypes:
                try:
                    data = selectable.socket.recv(selectable.bufferSize)
                except BlockingIOError:
                    continue
                except OSError:
                    why = CONNECTION_LOST
                else:
                    if data:
                        try:
                            selectable.protocol.dataReceived(data)
                            continue
                        except BaseException:
                            why = sys.exc_info()[1]
                            log.err()
                    else:
                        why = CONNECTION_DONE
                self._disconnectSelectable(selectable, why, True)  # type: ignore[no-untyped-call]
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
