"""
txnetserver's default reactor: epoll with a lean per-event dispatch.

Twisted's epoll reactor wraps every readiness event in ``log.callWithLogger``
(a logging context per event); on an echo server that is a large share of the
per-chunk cost (docs/performance.md).  :class:`NodeReactor` dispatches
events directly and only logs an exception when one escapes, the way Node's
event loop has no per-event context either.  Everything else is Twisted's
``EPollReactor``.

:func:`txnetserver.run`, ``twistd netserver`` and a ``Server`` or ``Socket``
created without ``reactor=`` install it when no reactor is installed yet
(docs: "Which reactor runs").  To install it yourself, do so before anything
imports ``twisted.internet.reactor``::

    import txnetserver.reactor
    txnetserver.reactor.install()

or with twistd: ``twistd -r txnetserver netserver --port 8000``.
"""

from __future__ import annotations

from typing import Any

from txnetserver._transport import NodeTCPServerTransport
from txnetserver._twistedinternals import LeanEPollReactor

__all__ = ["NodeReactor", "install"]


class NodeReactor(LeanEPollReactor):
    """
    ``EPollReactor`` without a logging context around each event, and with
    the read of txnetserver's own connections inlined.

    A readable event on a connection accepted by a txnetserver ``Server``
    over TCP (the hot path of every echo) goes straight to ``recv`` and the protocol's
    ``dataReceived``, with what Twisted's dispatch and ``doRead`` would do
    for it: ``EAGAIN`` is ignored, an error or an empty read disconnects
    (as a read), an exception from the protocol is logged and disconnects.
    Every other event takes Twisted's path.
    """

    # Connections whose doRead is Twisted's tcp.Connection.doRead unchanged
    # (UNIX connections read with recvmsg, for descriptors passed as
    # ancillary data).
    fastReadTypes = (NodeTCPServerTransport,)


def install() -> Any:
    """Install :class:`NodeReactor` as Twisted's global reactor and return it."""
    from twisted.internet.main import installReactor

    reactor = NodeReactor()  # type: ignore[no-untyped-call]
    installReactor(reactor)
    return reactor
