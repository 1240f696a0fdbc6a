"""
``NetServerService``: a :class:`~txnetserver.Server` as a Twisted ``IService``.

It listens when the service starts and closes gracefully when it stops:
``stopService`` returns a Deferred that fires on the server's ``'close'``,
which ``twistd`` waits for.  Unlike Twisted's ``StreamServerEndpointService``
(twisted#5071) it can be stopped and started again, because a Node server can
listen again after ``close()``.

Started before the reactor runs (``twistd``, a ``.tac`` file), the bind is
completed on the spot: ``twistd`` calls ``privilegedStartService``, drops
privileges, then runs the reactor, so a port below 1024 must be bound right
there, and a failure must be raised right there for ``twistd`` to exit non-zero
instead of running with nothing bound (a failure Twisted's own service only
logs).  :meth:`Server.listenNow <txnetserver.Server.listenNow>` does exactly
that: before the reactor runs it looks a host name up on the spot (blocking,
once, at start-up) and binds, raising Node's error if it cannot;
``'listening'`` still comes on the next tick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from txnetserver._server import Server

__all__ = ["NetServerService"]

_log = Logger()


class NetServerService(Service):
    """
    A Twisted ``IService`` that runs ``server`` (compare Twisted's
    ``StreamServerEndpointService``): on start, ``server.listen(*listenArgs,
    **listenOptions)`` (any of Node's ``listen()`` forms, endpoints included);
    on stop, Node's ``server.close()``, destroying the sockets still open after
    ``gracefulTimeout`` milliseconds (``None``: wait for them however long)::

        server = createServer(lambda socket: socket.pipe(socket))
        NetServerService(server, 8000, gracefulTimeout=5000).setServiceParent(application)

    A listen that fails while the service starts raises the server's error
    (Node's message, e.g. ``listen EADDRINUSE: address already in use
    :::8000``).  One that fails later (a host lookup after the reactor started)
    is logged as critical; with :attr:`stopReactorOnListenFailure` the reactor
    is also stopped.
    """

    #: Stop the reactor when a listen completing after the start fails, so a
    #: process (``twistd netserver``) does not run on with nothing bound.
    stopReactorOnListenFailure = False

    if TYPE_CHECKING:
        # Twisted's Service.setServiceParent is unannotated: declared here so a
        # user's strict type check accepts ``service.setServiceParent(application)``.
        def setServiceParent(self, parent: Any) -> None: ...

    def __init__(
        self,
        server: Server,
        *listenArgs: Any,
        gracefulTimeout: float | None = None,
        **listenOptions: Any,
    ) -> None:
        if gracefulTimeout is not None and not gracefulTimeout >= 0:
            raise ValueError(f"gracefulTimeout must be None or >= 0 ms, not {gracefulTimeout!r}")
        self.server = server
        self.listenArgs = listenArgs
        self.listenOptions = listenOptions
        self.gracefulTimeout = gracefulTimeout
        self._listened = False
        self._outcome: _ListenOutcome | None = None

    def privilegedStartService(self) -> None:
        """Listen now, while privileges last; a listen error is raised."""
        self._listen()
        super().privilegedStartService()  # type: ignore[no-untyped-call]

    def startService(self) -> None:
        """Listen (unless :meth:`privilegedStartService` already did); a listen error is raised."""
        if not self._listened:
            self._listen()
        super().startService()  # type: ignore[no-untyped-call]

    def _listen(self) -> None:
        server = self.server
        outcome = self._outcome = _ListenOutcome(self)
        try:
            server.listenNow(*self.listenArgs, **self.listenOptions)
        except BaseException:
            outcome.cancel()  # nothing will be emitted for a raised error
            raise
        self._listened = True

    def _listenFailedLate(self, error: BaseException) -> None:
        # Nothing is listening, and no start can report it any more: say so
        # loudly, and end a process that exists only to serve.
        _log.critical("txnetserver could not listen: {error}", error=error)
        reactor = self.server.reactor
        if self.stopReactorOnListenFailure and reactor.running:
            reactor.stop()

    def stopService(self) -> Deferred[None]:
        """
        Node's ``server.close()``: stop accepting now; the Deferred fires on
        ``'close'``, once every accepted connection has closed (or was
        destroyed ``gracefulTimeout`` ms after the stop).
        """
        super().stopService()  # type: ignore[no-untyped-call]
        self._listened = False
        if self._outcome is not None:
            self._outcome.cancel()
            self._outcome = None
        server = self.server
        described = repr(server)  # before close(): where it listened
        open = len(server.sockets)
        if open:
            _log.info(
                "{server} closing: no new connections, waiting for {open} open",
                server=described,
                open=open,
            )
        closed: Deferred[None] = Deferred()
        # Not listening (a failed listen) still gives 'close', with an error
        # for the callback that is of no interest here.
        server.close(lambda error: closed.callback(None))
        if self.gracefulTimeout is not None:
            timer = server.reactor.callLater(self.gracefulTimeout / 1000.0, self._destroyRemaining)

            def cancelTimer(result: None) -> None:
                if timer.active():
                    timer.cancel()
                return result

            closed.addBoth(cancelTimer)
        if open:
            closed.addCallback(lambda _: _log.info("{server} closed", server=described))
        return closed

    def _destroyRemaining(self) -> None:
        remaining = list(self.server.sockets)
        _log.info(
            "destroying {count} connection(s) still open {ms} ms after the stop",
            count=len(remaining),
            ms=self.gracefulTimeout,
        )
        for sock in remaining:
            sock.destroy()


class _ListenOutcome:
    """
    Waits for one ``listen()`` to end in ``'listening'`` or ``'error'``; while
    it waits, its ``'error'`` listener keeps a listen error from becoming an
    uncaught exception (the service reports it instead).
    """

    __slots__ = ("_service", "_settled")

    def __init__(self, service: NetServerService) -> None:
        self._service = service
        self._settled = False
        service.server.once("listening", self._listening)
        service.server.once("error", self._failed)

    def _listening(self) -> None:
        # Later errors (accept EMFILE, ...) are the application's business.
        self._settled = True
        self._service.server.removeListener("error", self._failed)

    def _failed(self, error: BaseException) -> None:
        self._settled = True
        self._service.server.removeListener("listening", self._listening)
        self._service._listenFailedLate(error)

    def cancel(self) -> None:
        """The service stops: whatever this listen does now is no news."""
        if self._settled:
            return
        server = self._service.server
        server.removeListener("listening", self._listening)
        server.removeListener("error", self._failed)
