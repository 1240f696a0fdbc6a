"""
Several processes serving one port: ``twistd netserver --workers N``.

The parent binds the listening socket once (so ``--port 0`` and UNIX paths
work, and every worker shares exactly one socket), then runs N worker
processes that each ``listen({"fd": 3})`` on it and accept from it.  The
parent supervises: a worker that dies is started again; stopping the parent
(SIGTERM) stops every worker gracefully and waits for them.  Node's
``cluster`` does the same with a primary process; here the parent never
accepts connections itself.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.protocol import ProcessProtocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from txnetserver._defaults import DEFAULT_BACKLOG, WORKER_RESTART_DELAY

__all__ = ["WorkersService", "bindListeningSocket"]

_log = Logger(namespace="txnetserver")


def bindListeningSocket(listen: dict[str, Any]) -> socket.socket:
    """
    The socket workers share, bound and listening: Node's default dual-stack
    ``::`` (or ``0.0.0.0`` without IPv6), a given host, or a UNIX path.
    """
    backlog = int(listen.get("backlog", DEFAULT_BACKLOG))
    if "path" in listen:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(listen["path"])
    else:
        host = listen.get("host") or "::"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            sock = socket.socket(family)
        except OSError:
            family, host = socket.AF_INET, "0.0.0.0"
            sock = socket.socket(family)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(
                socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(bool(listen.get("ipv6Only")))
            )
        sock.bind((host, int(listen["port"])))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


class _Worker(ProcessProtocol):
    def __init__(self, service: WorkersService, index: int) -> None:
        self.service = service
        self.index = index
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
        self.service._workerEnded(self, reason)
        self.ended.callback(None)


class WorkersService(Service):
    """
    Run ``count`` worker processes on one shared listening socket and keep
    them running until stopped.  ``tapArguments`` are the worker's
    ``twistd netserver`` options (handler, limits, socket options).
    """

    def __init__(
        self, count: int, listen: dict[str, Any], tapArguments: list[str], reactor: Any = None
    ) -> None:
        self.count = count
        self.listen = listen
        self.tapArguments = tapArguments
        self._reactor = reactor
        self.socket: socket.socket | None = None
        self.workers: dict[int, _Worker] = {}
        self.pids: dict[int, int] = {}
        self._stopping = False

    @property
    def reactor(self) -> Any:
        if self._reactor is None:
            from twisted.internet import reactor

            self._reactor = reactor
        return self._reactor

    def privilegedStartService(self) -> None:
        """Bind the shared socket now, while privileges last."""
        self.socket = bindListeningSocket(self.listen)
        address = self.socket.getsockname()
        where = address if isinstance(address, str) else f"{address[0]} port {address[1]}"
        _log.info(
            "txnetserver listening on {where} ({count} workers)", where=where, count=self.count
        )
        super().privilegedStartService()  # type: ignore[no-untyped-call]

    def startService(self) -> None:
        if self.socket is None:
            self.privilegedStartService()
        super().startService()  # type: ignore[no-untyped-call]
        self._stopping = False
        for index in range(self.count):
            self._spawn(index)

    def _spawn(self, index: int) -> None:
        assert self.socket is not None
        worker = _Worker(self, index)
        arguments = [sys.executable, "-m", "txnetserver._worker", json.dumps(self.tapArguments)]
        from txnetserver.reactor import NodeReactor

        if isinstance(self.reactor, NodeReactor):
            arguments.append("lean")  # workers run the reactor the parent runs
        process = self.reactor.spawnProcess(
            worker,
            sys.executable,
            arguments,
            env=os.environ.copy(),
            childFDs={0: "w", 1: "r", 2: "r", 3: self.socket.fileno()},
        )
        self.workers[index] = worker
        self.pids[index] = process.pid

    def _workerEnded(self, worker: _Worker, reason: Failure) -> None:
        if self.workers.get(worker.index) is worker:
            del self.workers[worker.index]
            self.pids.pop(worker.index, None)
        if not self._stopping and self.running:
            _log.warn(
                "txnetserver worker {index} ended ({reason}); starting it again",
                index=worker.index,
                reason=reason.value,
            )
            self.reactor.callLater(WORKER_RESTART_DELAY, self._respawn, worker.index)

    def _respawn(self, index: int) -> None:
        if not self._stopping and self.running and index not in self.workers:
            self._spawn(index)

    def stopService(self) -> Deferred[None]:
        """SIGTERM every worker (each closes gracefully); fire once all have exited."""
        super().stopService()  # type: ignore[no-untyped-call]
        self._stopping = True
        ended = [worker.ended for worker in self.workers.values()]
        for pid in list(self.pids.values()):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

        def closeSocket(result: object) -> None:
            if self.socket is not None:
                if self.socket.family == socket.AF_UNIX:
                    path = self.socket.getsockname()
                    if path and not path.startswith("\0"):
                        try:
                            os.unlink(path)
                        except OSError:
                            pass
                self.socket.close()
                self.socket = None

        done: Deferred[None] = gatherResults(ended).addBoth(closeSocket)
        return done
