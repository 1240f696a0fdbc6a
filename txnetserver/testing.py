"""
Helpers for testing code that uses txnetserver, without real sockets.

:class:`MemoryNetwork` runs your real :class:`~txnetserver.Server` on a
:class:`~twisted.internet.testing.MemoryReactorClock` and connects in-memory
clients to it through the server's one accept path, so ``maxConnections``,
``'drop'``, ``blockList``, half-close, resets, backpressure and
``setTimeout`` all behave as on loopback, deterministically::

    network = MemoryNetwork()
    server = network.createServer(lambda socket: socket.pipe(socket))
    server.listen(8000)
    client = network.connect(server)
    client.write(b"ping")
    network.pump()
    assert client.received == b"ping"
    network.advance(5000)          # milliseconds, for socket.setTimeout()

Nothing here needs pytest: use it from trial ``TestCase``s as well.  The
pytest plugin (entry point ``txnetserver``) adds the ``memoryNetwork`` and
``loopbackServer`` fixtures.
"""

from __future__ import annotations

import os
from typing import Any

from twisted.internet import error as twistedError
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.epollreactor import EPollReactor
from twisted.internet.interfaces import IProducer, IProtocol, IPushProducer
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from zope.interface import implementer

from txnetserver._defaults import DEFAULT_HIGH_WATER_MARK
from txnetserver._server import Server, createServer
from txnetserver._twistedinternals import closePoller, reserveSpareDescriptor
from txnetserver.interfaces import INodeTransport

__all__ = [
    "LoopbackServer",
    "MemoryClient",
    "MemoryNetwork",
    "MemoryTransport",
    "openDescriptors",
]

_MAX_PUMP_ROUNDS = 10_000  # a pump that never settles is a bug in the test


# Not twisted.test.iosim.FakeTransport or twisted.internet.testing.StringTransport: they have
# no half-close (loseWriteConnection is a no-op), no RST abort, no read pausing and no write
# backpressure, which Node's socket semantics rest on.
@implementer(INodeTransport)
class MemoryTransport:
    """
    The server side of an in-memory connection: a Twisted TCP transport whose
    bytes, FIN and RST reach a :class:`MemoryClient` when the network pumps.
    Writes buffer until the client reads, so backpressure is real: past the
    write high-water mark the registered producer (the Socket) is paused.
    """

    disconnecting = False
    exactWriteBuffer = True

    def __init__(
        self,
        network: MemoryNetwork,
        host: IPv4Address | IPv6Address,
        peer: IPv4Address | IPv6Address,
    ) -> None:
        self._network = network
        self._host = host
        self._peer = peer
        self.protocol: IProtocol | None = None
        self.client: MemoryClient | None = None
        self.outgoing: list[bytes] = []
        self.outgoingLength: int = 0
        self._writeHighWaterMark: float = DEFAULT_HIGH_WATER_MARK
        self.producer: IPushProducer | None = None
        self._producerPaused = False
        self.readingPaused: bool = False
        self.writeClosing: bool = False  # FIN queued after outgoing data
        self.writeClosed: bool = False
        self.closing: bool = False  # close after outgoing data
        self.aborted: bool = False
        self.reset: bool = False  # the abort is a reset (resetAndDestroy)
        self.closed: bool = False
        self.noDelay: bool = False
        self.keepAlive: bool = False

    # ITransport
    def write(self, data: bytes) -> None:
        if self.closed or self.writeClosing or self.closing or self.aborted:
            return
        self.outgoing.append(data)
        self.outgoingLength += len(data)
        if (
            self.producer is not None
            and not self._producerPaused
            and self.outgoingLength >= self._writeHighWaterMark
        ):
            self._producerPaused = True
            self.producer.pauseProducing()

    def writeSequence(self, data: Any) -> None:
        for chunk in data:
            self.write(chunk)

    def loseConnection(self) -> None:
        self.closing = True

    def abortConnection(self) -> None:
        self.aborted = True
        self.outgoing = []
        self.outgoingLength = 0

    def getPeer(self) -> IPv4Address | IPv6Address:
        return self._peer

    def getHost(self) -> IPv4Address | IPv6Address:
        return self._host

    # IHalfCloseableTransport / ITCPTransport
    def loseWriteConnection(self) -> None:
        self.writeClosing = True

    def getTcpNoDelay(self) -> bool:
        return self.noDelay

    def setTcpNoDelay(self, enabled: bool) -> None:
        self.noDelay = enabled

    def getTcpKeepAlive(self) -> bool:
        return self.keepAlive

    def setTcpKeepAlive(self, enabled: bool) -> None:
        self.keepAlive = enabled

    # INodeTransport: what txnetserver's own transports add.
    def setWriteHighWaterMark(self, limit: float) -> None:
        self._writeHighWaterMark = limit

    def closeWithoutFlush(self) -> None:
        """Drop what the client has not read, then FIN (or RST after :meth:`resetOnClose`)."""
        self.outgoing = []
        self.outgoingLength = 0
        if self.reset:
            self.abortConnection()
        else:
            self.closing = True

    def resetOnClose(self) -> None:
        self.reset = True

    @property
    def writableLength(self) -> int:
        return self.outgoingLength

    # IConsumer
    def registerProducer(self, producer: IProducer, streaming: bool) -> None:
        self.producer = producer  # type: ignore[assignment]  # the Socket: streaming

    def unregisterProducer(self) -> None:
        self.producer = None

    # IPushProducer (reading), as Twisted's transports provide.
    def pauseProducing(self) -> None:
        self.readingPaused = True

    def resumeProducing(self) -> None:
        self.readingPaused = False

    def stopProducing(self) -> None:
        self.loseConnection()

    def _flushed(self) -> None:
        """The client took everything: resume a paused producer ('drain')."""
        producer = self.producer
        if producer is not None and self._producerPaused:
            self._producerPaused = False
            producer.resumeProducing()


class MemoryClient:
    """
    A client connected to a server on a :class:`MemoryNetwork`.  What the
    server sends collects in :attr:`received`; :attr:`ended` turns true on
    the server's FIN and :attr:`closed` when the connection is gone.
    """

    def __init__(self, network: MemoryNetwork, transport: MemoryTransport | None) -> None:
        self._network = network
        #: The client side's transport; ``None`` when the server refused the connection.
        self.transport = transport
        #: Every byte the server sent so far (see :meth:`takeReceived`).
        self.received: bytearray = bytearray()
        #: Whether the server sent its FIN (``end()``).
        self.ended: bool = False
        #: Whether the connection is gone (or was refused by the accept path).
        self.closed: bool = transport is None
        #: Whether the client reads what the server sends (see :meth:`pause`).
        self.reading: bool = True
        self._toServer: list[bytes] = []
        self._finQueued = False
        self._finSent = False
        self._resetQueued = False
        self._closeQueued = False

    def write(self, data: bytes) -> None:
        """Send ``data`` to the server (delivered by :meth:`MemoryNetwork.pump`)."""
        if self._finQueued or self.closed:
            raise RuntimeError("write after end() or after the connection closed")
        self._toServer.append(bytes(data))

    def end(self, data: bytes | None = None) -> None:
        """Send ``data``, then FIN: the server socket sees ``'end'``."""
        if data:
            self.write(data)
        self._finQueued = True

    def close(self) -> None:
        """
        Close cleanly without a half-close first (as TLS and some transports
        report it): the server socket sees ``'end'``, then ``'close'(False)``.
        """
        self._closeQueued = True

    def reset(self) -> None:
        """Close with RST: the server socket sees ``'error'`` ECONNRESET, then ``'close'``."""
        self._resetQueued = True

    def pause(self) -> None:
        """Stop reading: the server's writes pile up and ``write()`` returns False."""
        self.reading = False

    def resume(self) -> None:
        """Read again: buffered server writes arrive and the server gets ``'drain'``."""
        self.reading = True

    def takeReceived(self) -> bytes:
        """Return and clear what arrived so far."""
        data = bytes(self.received)
        self.received.clear()
        return data

    def _step(self) -> bool:
        """Move one round of bytes and closes; whether anything happened."""
        transport = self.transport
        if transport is None or self.closed:
            return False
        protocol = transport.protocol
        assert protocol is not None
        moved = False
        if self._closeQueued and not self._toServer:
            self._closeQueued = False
            self._close(Failure(twistedError.ConnectionDone()))
            return True
        if self._resetQueued:
            self._resetQueued = False
            self._close(Failure(twistedError.ConnectionLost("Connection reset by peer")))
            return True
        if self._toServer and not transport.readingPaused and not transport.closed:
            chunk = b"".join(self._toServer)
            self._toServer = []
            protocol.dataReceived(chunk)
            moved = True
        if (
            self._finQueued
            and not self._finSent
            and not self._toServer
            and not transport.readingPaused  # a paused reader does not see EOF yet
        ):
            self._finSent = True
            half = getattr(protocol, "readConnectionLost", None)
            if half is None:
                self._close(Failure(twistedError.ConnectionDone()))
                return True
            half()
            moved = True
        if transport.aborted:
            self._close(Failure(twistedError.ConnectionAborted()))
            return True
        if transport.outgoing and self.reading:
            self.received += b"".join(transport.outgoing)
            transport.outgoing = []
            transport.outgoingLength = 0
            transport._flushed()
            moved = True
        if not transport.outgoing:
            if transport.writeClosing and not transport.writeClosed:
                transport.writeClosed = True
                self.ended = True
                half = getattr(protocol, "writeConnectionLost", None)
                if half is not None:
                    half()
                moved = True
            if transport.closing:
                self.ended = True
                self._close(Failure(twistedError.ConnectionDone()))
                return True
        # Like a Node client (allowHalfOpen false): end our side on the server's FIN.
        if self.ended and not self._finQueued:
            self._finQueued = True
            moved = True
        return moved

    def _close(self, reason: Failure) -> None:
        transport = self.transport
        assert transport is not None and transport.protocol is not None
        self.closed = True
        transport.closed = True
        transport.protocol.connectionLost(reason)


class MemoryNetwork:
    """
    A memory reactor plus in-memory connections: run a real Server with no
    sockets, step by step.  All times are milliseconds, as in Node.
    """

    def __init__(self) -> None:
        self.reactor: MemoryReactorClock = MemoryReactorClock()
        self.clients: list[MemoryClient] = []
        self._nextPort = 40000

    def createServer(self, *args: Any, **kwargs: Any) -> Server:
        """``txnetserver.createServer`` on this network's reactor."""
        return createServer(*args, reactor=self.reactor, **kwargs)

    def connect(
        self, server: Server, host: str = "127.0.0.1", port: int | None = None
    ) -> MemoryClient:
        """
        Connect a client from ``host:port`` (a fresh port if ``None``) to
        ``server``, through its accept path, and pump until things settle.
        """
        if port is None:
            self._nextPort += 1
            port = self._nextPort
        address = server.address()
        listening = address.port if address is not None and not isinstance(address, str) else 0
        addressType = IPv6Address if ":" in host else IPv4Address
        peer = addressType("TCP", host, port)
        local = addressType("TCP", "::1" if ":" in host else "127.0.0.1", listening)
        protocol = server.factory.buildProtocol(peer)
        if protocol is None:
            client = MemoryClient(self, None)  # closed at accept (blockList)
        else:
            transport = MemoryTransport(self, local, peer)
            transport.protocol = protocol
            client = MemoryClient(self, transport)
            transport.client = client
            protocol.makeConnection(transport)
        self.clients.append(client)
        self.pump()
        return client

    def pump(self) -> None:
        """Run due callbacks (Node's ticks) and move bytes until nothing changes."""
        # iosim.IOPump's loop, for many clients and with what MemoryTransport adds.
        for _ in range(_MAX_PUMP_ROUNDS):
            self.reactor.advance(0)
            moved = False
            for client in self.clients:
                if client._step():
                    moved = True
            if not moved and not self._dueCalls():
                return
        raise AssertionError("the in-memory network never settled")

    def advance(self, milliseconds: float) -> None:
        """Let ``milliseconds`` pass on the clock (timeouts), then :meth:`pump`."""
        self.reactor.advance(milliseconds / 1000.0)
        self.pump()

    def _dueCalls(self) -> bool:
        now = self.reactor.seconds()
        return any(call.getTime() <= now for call in self.reactor.getDelayedCalls())


def openDescriptors() -> set[int]:
    """This process's open file descriptors (Linux ``/proc``; empty elsewhere)."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return set()
    descriptors = set()
    for name in names:
        # The listing's own directory descriptor is closed by now: skip it.
        try:
            os.fstat(int(name))
        except OSError:
            continue
        descriptors.add(int(name))
    return descriptors


class LoopbackServer:
    """
    A real Server on ``127.0.0.1`` (port 0), run by a private reactor in a
    background thread (of the global reactor's class when that is an epoll
    reactor, else txnetserver's default NodeReactor), so a plain test function can talk to it with
    ordinary blocking sockets.  :meth:`close` closes the server, waits for
    ``'close'``, stops the reactor and returns the descriptors it leaked.

    >>> with LoopbackServer(lambda socket: socket.pipe(socket)) as loopback:  # doctest: +SKIP
    ...     client = socket.create_connection(("127.0.0.1", loopback.port))
    """

    def __init__(
        self, connectionListener: Any = None, host: str = "127.0.0.1", **options: Any
    ) -> None:
        import threading

        from txnetserver._reactorchoice import privateReactor

        # Twisted keeps one spare descriptor per process for EMFILE recovery,
        # opened on first listen: open it now so it is not counted as a leak.
        reserveSpareDescriptor()
        self._leaked: set[int] | None = None
        self._before = openDescriptors()
        self.reactor: EPollReactor = privateReactor()
        self._thread = threading.Thread(
            target=self.reactor.run, kwargs={"installSignalHandlers": False}, daemon=True
        )
        self._thread.start()
        self.server: Server = self.call(
            lambda: createServer(options, connectionListener, reactor=self.reactor)
        )
        listening = threading.Event()
        failure: list[BaseException] = []

        def onError(error: BaseException) -> None:
            failure.append(error)
            listening.set()

        def listen() -> None:
            self.server.once("listening", listening.set)
            self.server.once("error", onError)
            self.server.listen(0, host)

        self.reactor.callFromThread(listen)
        if not listening.wait(10) or failure:
            self.close()
            raise RuntimeError(f"the loopback server did not listen: {failure}")
        address = self.server.address()
        assert address is not None and not isinstance(address, str)
        self.host: str = address.address
        self.port: int = address.port

    def call(self, function: Any, timeout: float = 10) -> Any:
        """Run ``function()`` in the reactor thread and return its result."""
        from twisted.internet.threads import blockingCallFromThread

        return blockingCallFromThread(self.reactor, function)

    def close(self, timeout: float = 10) -> set[int]:
        """
        Close the server (destroying open sockets), stop the reactor; return
        leaked fds.  Closing again returns the same set.
        """
        import threading

        if self._leaked is not None:
            return self._leaked

        closed = threading.Event()

        def shutDown() -> None:
            server = getattr(self, "server", None)
            if server is None:
                closed.set()
                return
            for socket in list(server.sockets):
                socket.destroy()
            server.close(lambda error: closed.set())

        if self._thread.is_alive():
            self.reactor.callFromThread(shutDown)
            closed.wait(timeout)
            self.reactor.callFromThread(self.reactor.stop)
            self._thread.join(timeout)
        # A private reactor is never garbage: close its epoll and waker fds
        # (once: Twisted 22.4's waker cannot be closed twice).
        closePoller(self.reactor)
        waker = getattr(self.reactor, "waker", None)
        if waker is not None:
            waker.connectionLost(None)
        self._leaked = openDescriptors() - self._before
        return self._leaked

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
