"""Connection listeners for twistd --handler tests (importable by worker processes)."""

import os
from typing import Any


def replyWithPid(socket: Any) -> None:
    """Answer every connection with this process's PID, then end it."""
    socket.on("error", lambda error: None)
    socket.end(str(os.getpid()).encode())


def replyWithReactor(socket: Any) -> None:
    """Answer every connection with the class name of this process's reactor, then end it."""
    from twisted.internet import reactor

    socket.on("error", lambda error: None)
    socket.end(type(reactor).__name__.encode())


def needsTwoArguments(socket: Any, other: Any) -> None:
    """Not a connection listener: twistd netserver refuses it at start."""


def failEveryTime(socket: Any) -> None:
    """A handler with a bug: raises for every connection."""
    raise RuntimeError("handler bug")
