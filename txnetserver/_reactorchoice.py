"""
Which reactor txnetserver runs on when nobody chose one.

Twisted installs its platform default (the stock epoll reactor on Linux) the
first time anything imports ``twisted.internet.reactor``.  txnetserver's
default is :class:`txnetserver.reactor.NodeReactor` instead: the same epoll
reactor with a lean per-event dispatch, about twice as fast on small echoes
(docs/performance.md).  :func:`globalReactor` is what :func:`txnetserver.run`,
``twistd netserver`` (without ``-r``) and a ``Server`` or ``Socket`` made
without a ``reactor=`` use:

- if a reactor is already installed (``twistd -r NAME``, an application that
  installed one, or anything that imported ``twisted.internet.reactor``), it
  is used as it is: an explicit choice always wins;
- otherwise :class:`~txnetserver.reactor.NodeReactor` is installed, where
  epoll exists (elsewhere Twisted's own default).

The choice, and why, is logged once (namespace ``txnetserver``).
"""

from __future__ import annotations

import select
import sys
from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

if TYPE_CHECKING:
    from twisted.internet.epollreactor import EPollReactor

__all__ = ["describeReactor", "globalReactor", "privateReactor"]

_log = Logger(namespace="txnetserver")

CHOSEN_BEFORE = "installed before txnetserver chose one (twistd -r, or by the application)"
TXNETSERVER_DEFAULT = "txnetserver's default: no reactor was installed"
NO_EPOLL = "Twisted's default: txnetserver.reactor.NodeReactor needs epoll"

_choice: list[str] = []  # why the global reactor is the one it is, once decided


def globalReactor() -> Any:
    """Twisted's global reactor, installing NodeReactor first if none is installed yet."""
    if _choice:
        from twisted.internet import reactor

        return reactor
    if "twisted.internet.reactor" in sys.modules:
        why = CHOSEN_BEFORE
    elif not hasattr(select, "epoll"):
        why = NO_EPOLL
    else:
        import txnetserver.reactor

        txnetserver.reactor.install()
        why = TXNETSERVER_DEFAULT
    from twisted.internet import reactor

    _choice.append(why)
    _log.info(
        "txnetserver runs on {reactorClass} ({why})", reactorClass=describeReactor(reactor), why=why
    )
    return reactor


def describeReactor(reactor: object) -> str:
    """The reactor's class, qualified: ``txnetserver.reactor.NodeReactor``."""
    kind = type(reactor)
    return f"{kind.__module__}.{kind.__qualname__}"


def privateReactor() -> EPollReactor:
    """
    A new reactor of the kind the global one is, for a background thread
    (``txnetserver.testing.LoopbackServer``): the global reactor's class when
    it is an epoll reactor, else txnetserver's default.
    """
    from twisted.internet.epollreactor import EPollReactor

    from txnetserver.reactor import NodeReactor

    installed = sys.modules.get("twisted.internet.reactor")
    if isinstance(installed, EPollReactor):
        return type(installed)()
    return NodeReactor()  # type: ignore[no-untyped-call]
