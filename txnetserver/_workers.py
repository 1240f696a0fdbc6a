"""
Several processes serving one port: ``twistd netserver --workers N``.

The parent binds the listening socket once, through the same code as
``listen()`` (:meth:`Server.listenNow <txnetserver.Server.listenNow>`: Node's
errors, dual-stack default, backlog), accepts nothing on it, and runs N worker
processes (:mod:`txnetserver._worker`) that each listen on it as their fd 3 and
accept from it.  The parent supervises: a worker that dies is started again,
after a delay that doubles while it keeps dying at once; stopping the parent
(SIGTERM) stops every worker gracefully and waits for them.  A worker ends when
its parent does, however the parent died (see :mod:`txnetserver._worker`).
Node's ``cluster`` does the same with a primary process; here the parent never
accepts connections itself.

The supervision is ours, not ``twisted.runner.procmon.ProcessMonitor``'s: that
spawns children with the default descriptors only (no way to hand them the
shared socket), its ``stopService`` returns before the processes have ended,
and it SIGKILLs them after a fixed ``killTime``, cutting a worker's graceful
stop short.  Its backoff (the delay doubles while a process dies at once) is
:func:`restartDelay` here.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.interfaces import IDelayedCall
from twisted.internet.protocol import ProcessProtocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from txnetserver._address import AddressInfo
from txnetserver._defaults import (
    WORKER_QUICK_EXIT,
    WORKER_RESTART_DELAY,
    WORKER_RESTART_DELAY_MAX,
)
from txnetserver._ports import portFileno, stopAccepting
from txnetserver._reactorchoice import globalReactor
from txnetserver._resolve import isIPLiteral, lookupNow
from txnetserver._server import Server
from txnetserver._syserrors import NodeSystemError

__all__ = ["WorkersService", "restartDelay"]

_log = Logger(namespace="txnetserver")

# The descriptor number each worker finds the shared listening socket at.
WORKER_LISTEN_FD = 3


def restartDelay(lastDelay: float | None, lived: float) -> float:
    """
    Seconds to wait before starting again a worker that ended after running
    ``lived`` seconds, whose last restart waited ``lastDelay``: the base
    delay, doubled (up to a maximum) each time the worker ends at once again.
    """
    if lastDelay is None or lived >= WORKER_QUICK_EXIT:
        return WORKER_RESTART_DELAY
    return min(lastDelay * 2, WORKER_RESTART_DELAY_MAX)


class _Worker(ProcessProtocol):
    def __init__(self, service: WorkersService, index: int, started: float) -> None:
        self.service = service
        self.index = index
        self.started = started
        self.ended: Deferred[None] = Deferred()
        self._partial = b""

    def outReceived(self, data: bytes) -> None:
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            _log.info(
                "[worker {index}] {line}", index=self.index, line=line.decode(errors="replace")
            )

    errReceived = outReceived

    def processEnded(self, reason: Failure) -> None:
        if self._partial:
            self.outReceived(b"\n")
        self.service._workerEnded(self, reason)
        self.ended.callback(None)


# Not procmon.ProcessMonitor: no childFDs (the shared socket), no wait on stop, SIGKILL at killTime.
class WorkersService(Service):
    """
    Run ``count`` worker processes on one shared listening socket and keep
    them running until stopped.  ``listen`` is ``server.listen()``'s options
    dict (``port``, ``host``, ``path``, ``backlog``, ...); ``tapArguments``
    are the worker's ``twistd netserver`` options (handler, limits, socket
    options)::

        WorkersService(4, {"port": 8000}, ["--handler", "echo"]).setServiceParent(application)

    The start binds, or raises Node's error (``listen EADDRINUSE: address
    already in use :::8000``); :attr:`server` is then the parent's
    :class:`~txnetserver.Server`, listening but accepting nothing.
    """

    #: Turn a failed bind into ``SystemExit`` with Node's message: one line
    #: and exit status 1 from ``twistd``, instead of a traceback.
    exitOnListenFailure = False

    if TYPE_CHECKING:
        # Twisted's Service.setServiceParent is unannotated: declared here so a
        # user's strict type check accepts ``service.setServiceParent(application)``.
        def setServiceParent(self, parent: Any) -> None: ...

    def __init__(
        self, count: int, listen: dict[str, Any], tapArguments: list[str], reactor: Any = None
    ) -> None:
        self.count = count
        self.listen = listen
        self.tapArguments = tapArguments
        self._reactor = reactor
        #: The parent's :class:`~txnetserver.Server` once started: listening, accepting nothing.
        self.server: Server | None = None
        self.workers: dict[int, _Worker] = {}
        self.pids: dict[int, int] = {}
        self._restartDelays: dict[int, float] = {}
        self._restarts: dict[int, IDelayedCall] = {}
        self._stopping = False

    @property
    def reactor(self) -> Any:
        if self._reactor is None:
            self._reactor = globalReactor()
        return self._reactor

    def privilegedStartService(self) -> None:
        """Bind the shared socket now, while privileges last."""
        try:
            self.server = self._bind()
        except NodeSystemError as e:
            if self.exitOnListenFailure:
                raise SystemExit(str(e)) from None
            raise
        address = self.server.address()
        where = (
            address
            if not isinstance(address, AddressInfo)
            else f"{address.address} port {address.port}"
        )
        _log.info(
            "txnetserver listening on {where} ({count} workers)", where=where, count=self.count
        )
        super().privilegedStartService()  # type: ignore[no-untyped-call]

    def _bind(self) -> Server:
        listen = dict(self.listen)
        host = listen.get("host")
        if isinstance(host, str) and not isIPLiteral(host):
            # The workers start from this socket, so it is bound before the
            # start returns, even when the reactor already runs.
            listen["host"] = lookupNow(host).address
        server = Server(reactor=self.reactor)
        server.listenNow(listen)
        assert server.listeningPort is not None
        stopAccepting(server.listeningPort)
        return server

    def startService(self) -> None:
        if self.server is None:
            self.privilegedStartService()
        super().startService()  # type: ignore[no-untyped-call]
        self._stopping = False
        for index in range(self.count):
            self._spawn(index)

    def _spawn(self, index: int) -> None:
        assert self.server is not None
        fd = portFileno(self.server.listeningPort)
        assert fd is not None
        worker = _Worker(self, index, self.reactor.seconds())
        arguments = [
            sys.executable,
            "-m",
            "txnetserver._worker",
            json.dumps(self.tapArguments),
            str(os.getpid()),
        ]
        from txnetserver.reactor import NodeReactor

        if isinstance(self.reactor, NodeReactor):
            arguments.append("lean")  # workers run the reactor the parent runs
        # fd 0 is a pipe the parent never writes to: its end of file tells the
        # worker that the parent is gone.
        process = self.reactor.spawnProcess(
            worker,
            sys.executable,
            arguments,
            env=os.environ.copy(),
            childFDs={0: "w", 1: "r", 2: "r", WORKER_LISTEN_FD: fd},
        )
        self.workers[index] = worker
        self.pids[index] = process.pid

    def _workerEnded(self, worker: _Worker, reason: Failure) -> None:
        index = worker.index
        if self.workers.get(index) is worker:
            del self.workers[index]
            self.pids.pop(index, None)
        if self._stopping or not self.running:
            return
        lived = self.reactor.seconds() - worker.started
        delay = self._restartDelays[index] = restartDelay(self._restartDelays.get(index), lived)
        _log.warn(
            "txnetserver worker {index} ended ({reason}); starting it again in {delay} s",
            index=index,
            reason=reason.value,
            delay=delay,
        )
        self._restarts[index] = self.reactor.callLater(delay, self._respawn, index)

    def _respawn(self, index: int) -> None:
        self._restarts.pop(index, None)
        if not self._stopping and self.running and index not in self.workers:
            self._spawn(index)

    def stopService(self) -> Deferred[None]:
        """SIGTERM every worker (each closes gracefully); fire once all have exited."""
        super().stopService()  # type: ignore[no-untyped-call]
        self._stopping = True
        for restart in self._restarts.values():
            if restart.active():
                restart.cancel()
        self._restarts.clear()
        ended = [worker.ended for worker in self.workers.values()]
        for pid in list(self.pids.values()):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

        def closeServer(result: object) -> None:
            if self.server is not None:
                self.server.close()  # a UNIX path the parent bound is removed
                self.server = None

        done: Deferred[None] = gatherResults(ended).addBoth(closeServer)
        return done
