"""
``NetServerService``: a :class:`~txnetserver.Server` as a Twisted ``IService``.

It listens when the service starts (in ``privilegedStartService``, so a
privileged port is bound before ``twistd`` drops privileges) and closes
gracefully when it stops: ``stopService`` returns a Deferred that fires on the
server's ``'close'``, which ``twistd`` waits for.  Unlike Twisted's
``StreamServerEndpointService`` (twisted#5071) it can be stopped and started
again, because a Node server can listen again after ``close()``.
"""

from __future__ import annotations

from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from txnetserver._server import Server

__all__ = ["NetServerService"]

_log = Logger()


class NetServerService(Service):
    """
    Listen with ``server.listen(*listenArgs, **listenOptions)`` on start;
    ``close()`` on stop, destroying the sockets still open after
    ``gracefulTimeout`` milliseconds (never, if ``None``).

    >>> service = NetServerService(createServer(echo), 8000)  # doctest: +SKIP
    >>> service.setServiceParent(application)  # doctest: +SKIP
    """

    def __init__(
        self,
        server: Server,
        *listenArgs: Any,
        gracefulTimeout: float | None = None,
        **listenOptions: Any,
    ) -> None:
        self.server = server
        self.listenArgs = listenArgs
        self.listenOptions = listenOptions
        self.gracefulTimeout = gracefulTimeout
        self._listenedFor = False
        #: Stop the reactor when a listen that completes after start fails
        #: (a host lookup or an endpoint): ``twistd netserver`` sets it, so the
        #: process does not run on with nothing bound.
        self.stopReactorOnListenFailure = False

    def privilegedStartService(self) -> None:
        """Listen now, while privileges last; a listen error is raised."""
        self._listen()
        super().privilegedStartService()  # type: ignore[no-untyped-call]

    def startService(self) -> None:
        """Listen (unless :meth:`privilegedStartService` already did)."""
        if not self._listenedFor:
            self._listen()
        super().startService()  # type: ignore[no-untyped-call]

    def _listen(self) -> None:
        self._listenedFor = True
        server = self.server
        server.listen(*self.listenArgs, **self.listenOptions)
        pending = server._pendingListenErrors()
        syncError = pending[0] if pending else None

        def onListening() -> None:
            # Later errors (accept EMFILE, ...) are the application's business.
            server.removeListener("error", onError)

        def onError(error: BaseException) -> None:
            server.removeListener("listening", onListening)
            if error is syncError:
                return  # already raised from the start below
            # A failure after start (host lookup, endpoint): nothing is
            # listening, so say so loudly; under twistd, also end the process.
            _log.critical("{server} could not listen: {error}", server=server, error=error)
            reactor = server._reactor
            if self.stopReactorOnListenFailure and reactor.running:
                reactor.stop()

        server.once("listening", onListening)
        server.once("error", onError)
        if syncError is not None:
            # Raising makes twistd exit non-zero with Node's message, instead
            # of running with nothing bound.
            self._listenedFor = False
            raise syncError

    def stopService(self) -> Deferred[None]:
        """Close the server; fires when every connection is closed."""
        super().stopService()  # type: ignore[no-untyped-call]
        self._listenedFor = False
        server = self.server
        closed: Deferred[None] = Deferred()
        server.close(lambda error: closed.callback(None))
        if self.gracefulTimeout is not None:
            reactor = server._reactor

            def destroyRemaining() -> None:
                for socket in list(server.sockets):
                    socket.destroy()

            timer = reactor.callLater(self.gracefulTimeout / 1000.0, destroyRemaining)

            def cancelTimer(result: None) -> None:
                if timer.active():
                    timer.cancel()
                return result

            closed.addBoth(cancelTimer)
        return closed
