"""
``txnetserver.run``: Node's process lifetime on a Twisted reactor.

Node exits when its event loop has nothing ref'd left, and with status 1 on an
uncaught exception.  :func:`run` is :func:`twisted.internet.task.react` with
that rule: it stops the reactor once ``main`` is done *and* no ref'd handle
(listening Server, open Socket, pending lookup) remains in the reactor's
:class:`~txnetserver._handles.HandleRegistry`.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from twisted.internet.defer import Deferred, ensureDeferred, maybeDeferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from txnetserver._handles import HandleRegistry, handlesFor
from txnetserver._reactorchoice import globalReactor
from txnetserver._twistedinternals import exitSignal

__all__ = ["run"]

_log = Logger()


class _Run:
    """One :func:`run`: when to stop the reactor, and the exit status."""

    def __init__(self, reactor: Any, registry: HandleRegistry) -> None:
        self.reactor = reactor
        self.registry = registry
        #: What ``sys.exit`` gets: 0, an int, or (from ``SystemExit("why")``) a message.
        self.exitCode: int | str | None = 0
        self.mainDone = False
        #: Set once the reactor is shutting down, whoever stopped it.
        self.stopping = False
        self.stoppedByUs = False

    def start(self, main: Callable[..., object], args: tuple[object, ...]) -> None:
        # Like react: a signal or someone else's reactor.stop() must not make
        # us call stop() again (ReactorNotRunning).
        self.reactor.addSystemEventTrigger("before", "shutdown", self._shuttingDown)
        result: Deferred[object] = maybeDeferred(main, self.reactor, *args)
        result.addCallback(_awaited)
        result.addBoth(self.mainFinished)

    def _shuttingDown(self) -> None:
        self.stopping = True

    def mainFinished(self, result: object) -> None:
        if isinstance(result, Failure):
            if result.check(SystemExit):
                # Node's process.exit(n): exit now, whatever is still open.
                systemExit = result.value
                assert isinstance(systemExit, SystemExit)
                self.exitCode = systemExit.code
            else:
                _log.failure("main function encountered error", result)
                self.exitCode = 1
            self.stop()
            return
        self.mainDone = True
        self.handlesChanged()

    def handlesChanged(self) -> None:
        """The last ref'd handle went away (or main finished): maybe exit."""
        if self.mainDone and not self.registry.refs and not self.stopping:
            # Decide a tick later: a 'close' callback queued by the handle that
            # just went away runs first, and may open a new handle.
            self.reactor.callLater(0, self._stopIfIdle)

    def _stopIfIdle(self) -> None:
        if self.mainDone and not self.registry.refs:
            self.stop()

    def uncaught(self, error: BaseException) -> None:
        """
        Node's uncaught exception (already logged by the reporter): exit 1 at
        once, without waiting for handles; ``SystemExit(n)`` exits ``n``.
        """
        self.exitCode = error.code if isinstance(error, SystemExit) else 1
        self.stop()

    def stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            self.stoppedByUs = True
            self.reactor.stop()


def _awaited(result: object) -> object:
    """``main``'s result, awaited if it is awaitable (a coroutine is already a Deferred)."""
    if isinstance(result, Deferred) or not hasattr(result, "__await__"):
        return result
    awaitable: Awaitable[object] = result

    async def wait() -> object:
        return await awaitable

    return ensureDeferred(wait())


def run(main: Callable[..., object], *args: object, reactor: Any = None) -> NoReturn:
    """
    Run ``main(reactor, *args)`` with Node's process lifetime, then exit.

    Modelled on :func:`twisted.internet.task.react`: ``main`` is called once
    the reactor runs, and its result is awaited if it is a ``Deferred``,
    coroutine or other awaitable.  The process then lives on while any ref'd
    handle does (a listening :class:`~txnetserver.Server` or open
    :class:`~txnetserver.Socket` that was not ``unref()``'d), as in Node, and
    exits with status 0 once none is left.

    If ``main`` fails, or an exception goes uncaught (an ``'error'`` event with
    no listener, a raising ``'listening'`` callback), the traceback is logged
    through ``twisted.logger`` (printed on stderr unless logging was started)
    and the process exits with status 1 at once.  ``SystemExit(n)`` from
    ``main`` or from such a callback is Node's ``process.exit(n)``.  A signal
    that stops the reactor (SIGINT, SIGTERM) ends the process by that signal,
    as in Node and ``twistd``.

    Only for a reactor that nothing else runs: under ``twistd`` or a plain
    ``reactor.run()``, ``ref()``/``unref()`` never stop the reactor.

    >>> def main(reactor):  # doctest: +SKIP
    ...     createServer(lambda socket: socket.pipe(socket)).listen(8000)
    >>> run(main)  # doctest: +SKIP

    Without ``reactor``, it runs Twisted's global reactor; when nothing has
    installed one yet, that is txnetserver's fast
    :class:`~txnetserver.reactor.NodeReactor`, and the choice is logged
    (docs: "Which reactor runs").

    :param main: called as ``main(reactor, *args)``.
    :param reactor: the reactor to run; the global one by default.
    :raises RuntimeError: the reactor is already running.
    """
    if reactor is None:
        reactor = globalReactor()
    if reactor.running:
        raise RuntimeError(
            "txnetserver.run() owns the reactor: it cannot be called while the reactor is "
            "already running (use ref()/unref() and the reactor's own lifetime instead)"
        )
    registry = handlesFor(reactor)
    state = _Run(reactor, registry)
    registry.watch(state.handlesChanged, state.uncaught)
    reactor.callWhenRunning(state.start, main, args)
    try:
        reactor.run()
    finally:
        registry.watch(None, None)
    signalNumber = exitSignal(reactor)
    if signalNumber is not None and not state.stoppedByUs:
        _exitWithSignal(signalNumber)
    sys.exit(state.exitCode)


def _exitWithSignal(signalNumber: int) -> None:
    """Die by ``signalNumber`` (what twistd does too), so the parent sees the signal."""
    signal.signal(signalNumber, signal.SIG_DFL)
    os.kill(os.getpid(), signalNumber)
