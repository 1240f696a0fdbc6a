"""
Every use of a private Twisted name, and every copy of Twisted code, in one
place.

txnetserver supports Twisted 22.4 to the newest release.  Twisted's public API
serves most of what Node's ``net`` needs; where it does not (the accept loop,
the write buffer of a connection, the reactor's per-event dispatch, the PROXY
header parsers), this module reaches in.  Each touch says what it mirrors and
why the public API does not serve, and ``tests/test_twistedinternals.py``
fails, naming the installed Twisted version, when one of them changes shape.
No other module of the package uses a ``_``-prefixed Twisted name (a test
checks that too).
"""

from __future__ import annotations

import errno
import socket
import sys
from select import EPOLLIN
from typing import Any

from twisted.internet import abstract, tcp
from twisted.internet.epollreactor import EPollReactor
from twisted.internet.main import CONNECTION_DONE, CONNECTION_LOST

# The PROXY protocol's parsers, their result and their error.  Twisted
# exports only ``proxyEndpoint`` from twisted.protocols.haproxy, which
# connects the application before the header has arrived; txnetserver reads
# the header first (see _proxy.py), so it needs the parts.
from twisted.protocols.haproxy._exceptions import InvalidProxyHeader
from twisted.protocols.haproxy._info import ProxyInfo
from twisted.protocols.haproxy._v1parser import V1Parser
from twisted.protocols.haproxy._v2parser import V2Parser
from twisted.python import log
from twisted.python.failure import Failure

from txnetserver._tick import nextTick

__all__ = [
    "UNIX_LOCK_HELD",
    "InvalidProxyHeader",
    "LeanEPollReactor",
    "PortInternals",
    "ProxyInfo",
    "ServerTransportInternals",
    "UNIXPortInternals",
    "V1Parser",
    "V2Parser",
    "closePoller",
    "dropWriteBuffer",
    "exitSignal",
    "reserveSpareDescriptor",
]


# -- listening ports (tcp.Port, unix.Port) ---------------------------------------

# unix.Port (wantPID, the unix: endpoint's lockfile=1) reports PATH.lock held by
# a live process as CannotListenError with this text as its socketError (no
# errno): the path is in use.  Not public; the test pins it.
UNIX_LOCK_HELD = "Cannot acquire lock"

# accept(2) failures that only concern the one connection being accepted.
_ACCEPT_RETRY = frozenset({errno.EPERM, errno.ECONNABORTED, errno.EINTR, errno.EPROTO})


def reserveSpareDescriptor() -> None:
    """
    Open Twisted's spare descriptor for EMFILE recovery now (``tcp._reservedFD``;
    Twisted opens it on the first listen).  A leak check that counts
    descriptors before a first listen calls this so the spare is not counted.
    """
    tcp._reservedFD.reserve()


class PortInternals:
    """
    Mixed into a ``tcp.Port`` subclass: Twisted's accept loop and lifecycle
    hooks with Node's behaviour.

    ``doRead`` is a copy of ``tcp.Port.doRead`` (Twisted offers no hook into
    its accept loop) with two changes: it stops as soon as the port is closed
    (a ``'connection'`` listener may ``close()`` the server mid-loop), and a
    resource error such as EMFILE goes to the factory's ``acceptFailed`` (Node
    emits ``'error'`` with ``accept EMFILE``) while pending connections are
    shed through Twisted's reserved descriptor (``tcp._reservedFD``), so the
    loop cannot spin.  It builds addresses with ``tcp.Port._buildAddr``,
    which ``unix.Port`` overrides for paths.
    """

    numberAccepts = 100
    sessionno = 0
    connected: Any
    disconnecting: Any
    socket: socket.socket
    factory: Any
    reactor: Any
    transport: Any

    # shutdown(2) on a listening socket would also stop every other port
    # sharing its descriptor (listen(otherServer)); close() alone is enough.
    # tcp.Port reads this private flag in its connectionLost.
    _shouldShutdown = False

    def _logConnectionLostMsg(self) -> None:
        """Quiet (tcp.Port logs "(TCP Port N Closed)"): the Server reports its own lifecycle."""

    @classmethod
    def fromListeningDescriptor(cls, reactor: Any, fd: int, *args: Any) -> Any:
        """
        A port around an already listening descriptor, not yet reading.
        Mirrors ``tcp.Port._fromListeningDescriptor(reactor, fd, family,
        factory)`` / ``unix.Port._fromListeningDescriptor(reactor, fd,
        factory)``, which ``reactor.adoptStreamPort`` uses; that public method
        cannot build our subclass.  The descriptor is duplicated.
        """
        return cls._fromListeningDescriptor(reactor, fd, *args)  # type: ignore[attr-defined]

    def doRead(self) -> None:
        listener = self.socket
        limit = self.numberAccepts
        accepted = 0
        buildAddr = self._buildAddr  # type: ignore[attr-defined]
        while accepted < limit and self.connected and not self.disconnecting:
            try:
                skt, addr = listener.accept()
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    break
                if e.errno in _ACCEPT_RETRY:
                    continue
                self._acceptFailed(e)
                break
            accepted += 1
            if isinstance(addr, tuple) and len(addr) == 4:
                # IPv6: keep the scope id in the host, as Twisted does.
                host = socket.getnameinfo(addr, socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)
                addr = (host[0], *addr[1:])
            protocol = self.factory.buildProtocol(buildAddr(addr))
            if protocol is None:
                skt.close()
                continue
            sessionno = self.sessionno
            self.sessionno = sessionno + 1
            transport = self.transport(skt, protocol, addr, self, sessionno, self.reactor)
            protocol.makeConnection(transport)
        # Scale the loop with traffic, as Twisted does.
        self.numberAccepts = limit + 20 if accepted == limit else max(1, accepted)

    def _acceptFailed(self, error: OSError) -> None:
        report = getattr(self.factory, "acceptFailed", None)
        if report is not None:
            report(error)
        reserved = tcp._reservedFD
        if error.errno == errno.EMFILE and reserved.available():
            # Free the spare descriptor, accept and close what is pending.
            with reserved:
                while True:
                    try:
                        skt, _ = self.socket.accept()
                    except OSError:
                        break
                    skt.close()


class UNIXPortInternals(PortInternals):
    """
    Mixed into a ``unix.Port`` subclass.  ``connectionLost`` skips
    ``unix.Port.connectionLost``, which unlinks the bound path (also one it
    did not create, for an adopted descriptor, which Node never does; and on
    Twisted 26.10 it reads the path from the private ``_bindPath``), and runs
    ``tcp.Port.connectionLost`` beneath it.  Unlinking is the subclass's job.
    """

    def connectionLost(self, reason: Failure) -> None:
        tcp.Port.connectionLost(self, reason)  # type: ignore[arg-type]


# -- connection transports (tcp.Server, unix.Server) ------------------------------

# Shared, as Twisted's reactor shares its own for the same reason: a Failure
# per closed connection costs more than the rest of the close.
_CONNECTION_DONE = Failure(CONNECTION_DONE)


def dropWriteBuffer(transport: abstract.FileDescriptor) -> None:
    """
    Forget what ``transport`` (a Twisted ``FileDescriptor``) has queued and not
    sent: Node's ``destroy()`` discards its write queue.  Twisted has no public
    way to; its queue is ``dataBuffer``/``offset`` plus ``_tempDataBuffer``/
    ``_tempDataLen`` (``FileDescriptor.write`` and ``doWrite``).
    """
    transport.dataBuffer = b""
    transport.offset = 0
    transport._tempDataBuffer = []
    transport._tempDataLen = 0


class ServerTransportInternals:
    """
    Mixed into a ``tcp.Server`` subclass: the parts of Node's socket that live
    in Twisted's write path, which exposes no hooks.  They read and reset the
    ``FileDescriptor`` write queue (``dataBuffer``, ``offset``,
    ``_tempDataBuffer``, ``_tempDataLen``), its state flags
    (``_writeDisconnected``, ``_writeDisconnecting``, ``_aborting``), and
    override ``_isSendBufferFull`` (when the producer is paused) and
    ``tcp.Connection._closeSocket`` (FIN or RST).
    """

    _writeHighWaterMark: float
    _resetOnAbort: bool

    # Not _shouldShutdown = False (close(2) alone, as libuv's uv_close): with
    # bytes still unread, close() alone makes the kernel answer with an RST,
    # where Twisted's shutdown(2) first sends the FIN that destroy() owes the
    # peer (seen on the asyncio reactor, which reads later in the iteration).

    # Attributes of abstract.FileDescriptor / tcp.Connection, for mypy.
    connected: Any
    _writeDisconnected: bool
    _writeDisconnecting: bool
    disconnecting: Any
    producer: Any
    reactor: Any
    _aborting: bool
    TLS: bool
    socket: Any
    dataBuffer: bytes
    offset: int
    _tempDataLen: int
    _tempDataBuffer: list[bytes]

    def write(self, data: bytes) -> None:
        """
        Write-through (as Node and asyncio do): with nothing already queued,
        hand ``data`` to the kernel now and queue only what it did not take.
        Twisted's ``FileDescriptor.write`` queues every write until the next
        reactor iteration, costing two epoll_ctl calls and a dispatch per
        echo (twisted#5303; docs/performance.md).
        """
        if (
            self._tempDataLen
            or len(self.dataBuffer) > self.offset
            or not self.connected
            or self._writeDisconnected
            or self.TLS
            or type(data) is not bytes
        ):
            super().write(data)  # type: ignore[misc]
            return
        try:
            sent = self.socket.send(data)
        except OSError:
            # EAGAIN, or a dead peer: queue it; the reactor's doWrite retries
            # and reports a lost connection the usual way.
            sent = 0
        if sent < len(data):
            super().write(data[sent:] if sent else data)  # type: ignore[misc]

    def loseConnection(self) -> None:
        """
        With nothing to flush, close on the next tick rather than
        after a round through EPOLLOUT (two ``epoll_ctl`` calls, an empty
        ``send`` and a dispatch per connection: a third of the syscalls of a
        short connection).  Otherwise Twisted's path: flush, then close.
        """
        if (
            self.connected
            and not self.disconnecting
            and not self._writeDisconnected
            and not self._writeDisconnecting
            and self.producer is None
            and not self._tempDataLen
            and len(self.dataBuffer) <= self.offset
            and not self.TLS
        ):
            self.stopReading()  # type: ignore[attr-defined]
            self.disconnecting = 1
            nextTick(self.reactor, self._closeIfFlushed)
            return
        super().loseConnection()  # type: ignore[misc]

    def _closeIfFlushed(self) -> None:
        if not self.connected or self._aborting:
            return  # aborted meanwhile: abortConnection reports the loss
        if self._tempDataLen or len(self.dataBuffer) > self.offset:
            return  # written meanwhile: write() started writing; doWrite closes after
        self.stopWriting()  # type: ignore[attr-defined]
        self.connectionLost(_CONNECTION_DONE)  # type: ignore[attr-defined]

    def _isSendBufferFull(self) -> bool:
        # Node's write() returns false once the buffered length reaches the
        # mark (>=); Twisted's test is "> bufferSize", and bufferSize is also
        # the read size.
        return len(self.dataBuffer) - self.offset + self._tempDataLen >= self._writeHighWaterMark

    @property
    def writableLength(self) -> int:
        return len(self.dataBuffer) - self.offset + self._tempDataLen

    def closeWithoutFlush(self) -> None:
        """Drop queued data and close with FIN (Node's ``destroy()``)."""
        dropWriteBuffer(self)  # type: ignore[arg-type]
        self.abortConnection()  # type: ignore[attr-defined]

    def _closeSocket(self, orderly: bool) -> None:
        # Twisted's abortConnection always resets; Node's destroy() does not.
        super()._closeSocket(orderly or not self._resetOnAbort)  # type: ignore[misc]


# -- the reactor -------------------------------------------------------------------


class LeanEPollReactor(EPollReactor):
    """
    ``EPollReactor.doPoll`` copied without the logging context around each
    event, and with the read of ``fastReadTypes`` connections inlined.

    Twisted wraps every readiness event in ``log.callWithLogger``; on an echo
    server that is a large share of the per-chunk cost, and the reactor has
    no public hook for dispatch.  This reads the reactor's ``_poller`` and
    ``_selectables`` and calls ``_doReadOrWrite`` and
    ``_disconnectSelectable`` as ``doPoll`` does.  The inlined read is what
    ``tcp.Connection.doRead`` does (``recv(bufferSize)``, EAGAIN ignored, an
    error or empty read disconnects), so only types whose ``doRead`` is
    Twisted's may be listed.
    """

    fastReadTypes: tuple[type, ...] = ()

    def doPoll(self, timeout: float | None) -> None:
        if timeout is None:
            timeout = -1  # wait indefinitely
        try:
            events = self._poller.poll(timeout, len(self._selectables))
        except OSError as e:
            if e.errno == errno.EINTR:
                return
            raise
        selectables = self._selectables
        dispatch = self._doReadOrWrite
        fastTypes = self.fastReadTypes
        why: Any
        for fd, event in events:
            selectable = selectables.get(fd)
            if selectable is None:
                continue
            if event == EPOLLIN and type(selectable) in fastTypes:
                try:
                    data = selectable.socket.recv(selectable.bufferSize)
                except BlockingIOError:
                    continue
                except OSError:
                    why = CONNECTION_LOST
                else:
                    if data:
                        try:
                            selectable.protocol.dataReceived(data)
                            continue
                        except BaseException:
                            why = sys.exc_info()[1]
                            log.err()
                    else:
                        why = CONNECTION_DONE
                self._disconnectSelectable(selectable, why, True)  # type: ignore[no-untyped-call]
                continue
            try:
                dispatch(selectable, fd, event)  # type: ignore[no-untyped-call]
            except BaseException:
                # What callWithLogger would have done: report, keep running.
                log.err(None, f"Unhandled error dispatching an event for {selectable!r}")

    doIteration = doPoll


def closePoller(reactor: Any) -> None:
    """
    Close an epoll reactor's epoll descriptor (``_poller``): a private reactor
    that is thrown away (``LoopbackServer``) must not leak it, and Twisted's
    reactors never close it.
    """
    poller = getattr(reactor, "_poller", None)
    if poller is not None:
        poller.close()


def exitSignal(reactor: Any) -> int | None:
    """
    The signal that stopped ``reactor`` (``ReactorBase._exitSignal``, set by
    Twisted's SIGINT/SIGTERM/SIGBREAK handlers), or ``None``.  Twisted offers
    no public way to learn it; ``twistd`` reads the same attribute to die by
    that signal.
    """
    return getattr(reactor, "_exitSignal", None)
