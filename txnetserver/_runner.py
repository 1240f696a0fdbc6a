"""
``txnetserver.run``: Node's process lifetime on a Twisted reactor.

Node exits when its event loop has nothing ref'd left; an uncaught exception
exits with status 1.  :func:`run` is :func:`twisted.internet.task.react` with
that rule: it stops the reactor once ``main`` is done *and* no ref'd handle
(listening Server, open Socket, pending lookup) remains in the reactor's
:class:`~txnetserver._handles.HandleRegistry`.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

from twisted.internet.defer import Deferred, ensureDeferred, maybeDeferred
from twisted.python.failure import Failure

from txnetserver._handles import handlesFor

__all__ = ["run"]


class _Run:
    """The state of one :func:`run`: when to stop and with which status."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self.registry = handlesFor(reactor)
        self.status = 0
        self.mainDone = False
        self.stopping = False

    def maybeStop(self) -> None:
        if self.mainDone and not self.registry.refs and not self.stopping:
            # Check again a tick later: a 'close' callback may open a new handle.
            self.reactor.callLater(0, self._stopIfIdle)

    def _stopIfIdle(self) -> None:
        if self.mainDone and not self.registry.refs and not self.stopping:
            self.stop()

    def stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            self.reactor.stop()

    def uncaught(self, error: BaseException) -> None:
        """Node's uncaught exception: print it, exit 1 without waiting for handles."""
        _printError(error)
        self.status = 1
        self.stop()

    def mainFinished(self, result: object) -> None:
        if isinstance(result, Failure):
            if result.check(SystemExit):
                code = result.value.code  # type: ignore[union-attr]
                self.status = code if isinstance(code, int) else 1
            else:
                _printError(result.value)  # type: ignore[arg-type]
                self.status = 1
            self.stop()
            return
        self.mainDone = True
        self.maybeStop()


def _printError(error: BaseException) -> None:
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    sys.stderr.flush()


def run(main: Callable[..., object], *args: object, reactor: Any = None) -> NoReturn:
    """
    Run ``main(reactor, *args)`` Node-style, then exit the process.

    The reactor keeps running while ``main``'s result (a coroutine or
    Deferred is awaited) is pending or any ref'd handle is alive; then the
    process exits with status 0.  If ``main`` fails, or an exception goes
    unhandled (an ``'error'`` event nobody listens to), the traceback is
    printed and the status is 1.  ``SystemExit(n)`` from ``main`` exits ``n``.

    >>> def main(reactor):  # doctest: +SKIP
    ...     createServer(lambda s: s.pipe(s)).listen(8000)
    >>> run(main)  # doctest: +SKIP
    """
    if reactor is None:
        from twisted.internet import reactor as globalReactor

        reactor = globalReactor
    if reactor.running:
        raise RuntimeError(
            "txnetserver.run() owns the reactor: it cannot be called while the reactor is running"
        )
    state = _Run(reactor)
    state.registry.watch(state.maybeStop, state.uncaught)

    def start() -> None:
        result: Deferred[object] = maybeDeferred(main, reactor, *args)
        result.addCallback(_awaitIfCoroutine)
        result.addBoth(state.mainFinished)

    reactor.callWhenRunning(start)
    try:
        reactor.run()
    finally:
        state.registry.watch(None, None)
    sys.exit(state.status)


def _awaitIfCoroutine(result: object) -> object:
    if hasattr(result, "__await__") and not isinstance(result, Deferred):
        return ensureDeferred(result)  # type: ignore[arg-type]
    return result
