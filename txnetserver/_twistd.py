"""
What ``twistd netserver`` puts around a :class:`~txnetserver.Server`, for a
process that serves unattended: start-up failures as one line and a non-zero
exit, a log that a hostile or broken peer cannot flood, timeouts for peers that
hold connections, and a stop that says what it did.

Imported by :func:`txnetserver._tap.makeService` only (the plugin module stays
import-light).  ``txnetserver.NetServerService`` stays a plain service for
``.tac`` files; this is the command line's policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure

from txnetserver._defaults import LOG_BURST, LOG_INTERVAL
from txnetserver._errors import NodeError
from txnetserver._server import Server
from txnetserver._service import NetServerService
from txnetserver._socket import Socket
from txnetserver._transport import isTLS

__all__ = ["AcceptEpisodes", "RateLimitedLog", "TwistdService", "watch"]

_log = Logger(namespace="txnetserver")

# accept(2) failing for lack of descriptors or memory: the server cannot take
# connections until some close; clients wait in the backlog meanwhile.
_RESOURCE_ERRORS = frozenset({"EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"})


@dataclass
class _Window:
    start: float
    logged: int = 0
    suppressed: int = 0
    timer: Any = None


@dataclass
class RateLimitedLog:
    """
    At most ``burst`` lines of one kind per ``interval`` seconds; past that,
    lines are only counted, and one line at the end of the interval says how
    many were not written.  A flood of N events costs at most
    ``burst + 1`` lines per interval.
    """

    clock: Any
    log: Logger = field(default_factory=lambda: _log)
    burst: int = LOG_BURST
    interval: float = LOG_INTERVAL
    _windows: dict[str, _Window] = field(default_factory=dict)

    def emit(
        self,
        kind: str,
        level: LogLevel,
        format: str,
        failure: Failure | None = None,
        **fields: object,
    ) -> None:
        """Log ``format`` (a twisted.logger format) as a line of ``kind``, within the limit."""
        now = self.clock.seconds()
        window = self._windows.get(kind)
        if window is None or (window.timer is None and now >= window.start + self.interval):
            window = self._windows[kind] = _Window(now)
        if window.logged < self.burst:
            window.logged += 1
            if failure is not None:
                self.log.failure(format, failure, level, **fields)
            else:
                self.log.emit(level, format, **fields)
            return
        window.suppressed += 1
        if window.timer is None:
            delay = max(0.0, window.start + self.interval - now)
            window.timer = self.clock.callLater(delay, self._flush, kind)

    def _flush(self, kind: str) -> None:
        window = self._windows.pop(kind)
        self.log.warn(
            "txnetserver: {count} more {kind} line(s) in {interval:g} s not logged",
            count=window.suppressed,
            kind=kind,
            interval=self.interval,
        )

    def stop(self) -> None:
        """Write the pending counts now (the process is stopping)."""
        for kind, window in list(self._windows.items()):
            if window.timer is not None and window.timer.active():
                window.timer.cancel()
                self._flush(kind)


@dataclass
class AcceptEpisodes:
    """
    accept(2) failing for lack of resources (``accept EMFILE``) fails again
    for every waiting client until descriptors free up: one warning when an
    episode starts, one line when a connection is accepted again.
    """

    clock: Any
    log: Logger = field(default_factory=lambda: _log)
    failures: int = 0
    since: float = 0.0
    code: str = ""

    def failed(self, error: BaseException) -> None:
        if self.failures == 0:
            self.since = self.clock.seconds()
            self.code = str(getattr(error, "code", ""))
            self.log.warn(
                "txnetserver cannot accept connections: {error}; new clients wait in the "
                "backlog until descriptors are free (one line per episode)",
                error=error,
            )
        self.failures += 1

    def accepted(self) -> None:
        if self.failures:
            self.log.info(
                "txnetserver accepting again: {count} accept(2) call(s) failed with {code} "
                "over {seconds:.1f} s",
                count=self.failures,
                code=self.code,
                seconds=self.clock.seconds() - self.since,
            )
            self.failures = 0


def isAcceptResourceError(error: BaseException) -> bool:
    """``accept EMFILE`` and its kin (Node emits them as the server's ``'error'``)."""
    return getattr(error, "syscall", None) == "accept" and getattr(error, "code", None) in (
        _RESOURCE_ERRORS
    )


@dataclass
class Timeouts:
    """Per-connection timeouts in ms (``None``: none)."""

    idle: float | None = None
    tlsHandshake: float | None = None


def watch(server: Server, timeouts: Timeouts) -> RateLimitedLog:
    """
    Log what ``server`` does, without letting any peer flood the log:
    where it listens; ``'drop'``s and failures of application code
    (rate-limited, with counts of what was left out); ``accept EMFILE``
    episodes (one warning, one recovery line); other ``'error'``s
    (rate-limited).  Apply ``timeouts`` to each accepted socket.
    """
    reactor = server.reactor
    limited = RateLimitedLog(reactor)
    episodes = AcceptEpisodes(reactor)

    def onListening() -> None:
        address = server.address()
        if address is None or isinstance(address, str):
            _log.info("txnetserver listening on {path}", path=address)
        else:
            _log.info(
                "txnetserver listening on {address} port {port}",
                address=address.address,
                port=address.port,
            )

    def onDrop(info: dict[str, Any] | None = None) -> None:
        episodes.accepted()
        # UNIX servers emit 'drop' without a payload (Node does the same).
        peer = "" if info is None else f" from {info['remoteAddress']} port {info['remotePort']}"
        limited.emit(
            "dropped-connection",
            LogLevel.info,
            "txnetserver dropped a connection{peer} (maxConnections {limit} reached)",
            peer=peer,
            limit=server.maxConnections,
        )

    def onError(error: BaseException) -> None:
        if isAcceptResourceError(error):
            episodes.failed(error)
        elif getattr(error, "syscall", None) not in ("listen", "getaddrinfo"):
            # Listen failures are the service's to report (and end the process).
            limited.emit("server-error", LogLevel.error, "txnetserver error: {error}", error=error)

    def onConnection(socket: Socket) -> None:
        episodes.accepted()
        if timeouts.tlsHandshake and isTLS(socket.transport):
            _handshakeDeadline(reactor, socket, timeouts.tlsHandshake)
        if timeouts.idle:
            socket.setTimeout(timeouts.idle, socket.destroy)

    def onFailure(socket: Socket, message: str, failure: Failure) -> None:
        limited.emit("handler-failure", LogLevel.critical, message, failure=failure, socket=socket)

    def onUntrusted(peer: Any) -> None:
        limited.emit(
            "untrusted-proxy",
            LogLevel.warn,
            "txnetserver refused a connection from {host}: not a trusted proxy "
            "(--trusted-proxy names the balancers whose PROXY header is believed)",
            host=getattr(peer, "host", peer),
        )

    server.on("listening", onListening)
    server.on("drop", onDrop)
    server.on("error", onError)
    # Before the application's listener, so a timeout it sets wins.
    server.prependListener("connection", onConnection)
    server._failureObserver = onFailure
    server._untrustedObserver = onUntrusted
    return limited


def _handshakeDeadline(reactor: Any, socket: Socket, ms: float) -> None:
    """Destroy ``socket`` unless its TLS handshake finishes within ``ms``."""
    timer = reactor.callLater(ms / 1000, socket.destroy)

    def cancel(*_: object) -> None:
        if timer.active():
            timer.cancel()

    socket.once("secure", cancel)
    socket.once("close", cancel)


class TwistdService(NetServerService):
    """
    :class:`NetServerService` for the command line: a listen that fails at
    start is one line in the log and exit status 1, not a traceback; the stop
    is logged with how many connections finished and how many were destroyed.
    """

    def __init__(
        self,
        server: Server,
        listenOptions: dict[str, Any],
        *,
        gracefulTimeout: float | None,
        limited: RateLimitedLog,
    ) -> None:
        super().__init__(server, listenOptions, gracefulTimeout=gracefulTimeout)
        self.stopReactorOnListenFailure = True
        self._limited = limited
        self._destroyed = 0

    def privilegedStartService(self) -> None:
        try:
            super().privilegedStartService()
        except Exception as e:  # Node's errors, and whatever an endpoint raises
            self._cannotListen(e)

    def startService(self) -> None:
        # twistd binds in privilegedStartService; a worker of --workers calls
        # this alone.
        try:
            super().startService()
        except Exception as e:
            self._cannotListen(e)

    def _cannotListen(self, error: BaseException) -> None:
        message = str(error)
        if not isinstance(error, (OSError, NodeError)):
            message = f"{error.__class__.__name__}: {message}"
        port = getattr(error, "port", None)
        if getattr(error, "code", None) == "EACCES" and isinstance(port, int) and 0 < port < 1024:
            message += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
        _log.critical("txnetserver cannot listen: {message}", message=message)
        raise SystemExit(1)

    def stopService(self) -> Deferred[None]:
        server = self.server
        open = len(server.sockets)
        self._destroyed = 0
        closed = super().stopService()

        def stopped(result: None) -> None:
            self._limited.stop()
            _log.info(
                "txnetserver stopped: {finished} connection(s) finished, {destroyed} destroyed",
                finished=open - self._destroyed,
                destroyed=self._destroyed,
            )
            return result

        closed.addCallback(stopped)
        return closed

    def _destroyRemaining(self) -> None:
        self._destroyed = len(self.server.sockets)
        super()._destroyRemaining()
