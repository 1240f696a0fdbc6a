"""
What a :class:`~txnetserver.Socket` reports to whoever counts it among its
connections (the :class:`~txnetserver.Server` that accepted it), so that the
socket knows nothing of its owner but this interface.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import Interface

if TYPE_CHECKING:
    from txnetserver._socket import Socket

__all__ = ["ISocketOwner", "logSocketFailure"]

_log = Logger()


class ISocketOwner(Interface):
    """
    Whoever counts a socket among its connections: the :class:`~txnetserver.Server`
    that accepted it.  The socket reports to its owner and knows nothing
    else of it; an outgoing socket has none.
    """

    def socketConnected(socket: Socket) -> None:
        """``socket`` has its transport: count it and announce it (``'connection'``)."""

    def socketClosed(socket: Socket) -> None:
        """``socket`` is destroyed: count it out, before its ``'close'`` is emitted."""

    def socketFailed(socket: Socket, message: str, failure: Failure) -> None:
        """
        A listener of ``socket`` failed (``message`` is a log format naming
        ``{socket}``): report it, e.g. with :func:`logSocketFailure`.
        """


def logSocketFailure(socket: Socket, message: str, failure: Failure) -> None:
    """Log a failure of ``socket``'s application code through ``twisted.logger``."""
    _log.failure(message, failure, socket=socket)
