"""
Helpers for integration tests on real loopback sockets: a recording client
protocol, Deferred wrappers around Node-style events, listeners that
record or ignore what they are given; on memory transports, a transport for
a socket made before its transport and a proxyProtocol echo server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, TypeVar

from twisted.internet import reactor as _reactor
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.endpoints import (
    TCP4ClientEndpoint,
    TCP6ClientEndpoint,
    UNIXClientEndpoint,
    connectProtocol,
)
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure
from zope.interface import implementer

from txnetserver import Server, Socket
from txnetserver.testing import MemoryClient, MemoryNetwork, MemoryTransport

reactor: Any = _reactor

T = TypeVar("T")


def recorder(log: list[Any], label: str) -> Callable[..., None]:
    """A listener appending ``(label, *args)`` to ``log``."""

    def listener(*args: object) -> None:
        log.append((label, *args))

    listener.__name__ = label
    return listener


def noop(*args: object) -> None:
    """A listener that does nothing."""


def asyncTest(
    f: Callable[..., Coroutine[Any, Any, T]],
) -> Callable[..., Deferred[T]]:
    """Let a trial test method be ``async def``."""

    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Deferred[T]:
        return ensureDeferred(f(*args, **kwargs))

    return wrapper


def openFDs() -> int:
    """How many descriptors this process has open (leak checks)."""
    return len(os.listdir("/proc/self/fd"))


def event(emitter: Any, name: str) -> Deferred[tuple[Any, ...]]:
    """A Deferred for the next ``name`` event's arguments (no 'error' handling)."""
    d: Deferred[tuple[Any, ...]] = Deferred()
    emitter.once(name, lambda *args: d.callback(args))
    return d


async def until(condition: Callable[[], bool], iterations: int = 2000) -> None:
    """
    Let the reactor run whole iterations until ``condition()`` holds, for
    states Node reports with no event (bounded; no wall-clock sleeping).
    """
    from twisted.internet.task import deferLater

    for _ in range(iterations):
        if condition():
            return
        await deferLater(reactor, 0, lambda: None)
    raise AssertionError(f"condition not reached after {iterations} reactor iterations")


def listening(server: Server) -> Deferred[None]:
    """Fires on 'listening', fails on 'error'."""
    d: Deferred[None] = Deferred()

    def onListening() -> None:
        server.removeListener("error", onError)
        d.callback(None)

    def onError(err: BaseException) -> None:
        server.removeListener("listening", onListening)
        d.errback(Failure(err))

    server.once("listening", onListening)
    server.once("error", onError)
    return d


def listenError(server: Server) -> Deferred[BaseException]:
    """Fires with the next 'error'."""
    d: Deferred[BaseException] = Deferred()
    server.once("error", d.callback)
    return d


def closed(server: Server) -> Deferred[None]:
    """close() the server and fire on its 'close'."""
    d: Deferred[None] = Deferred()
    server.close(lambda err: d.callback(None))
    return d


@implementer(IHalfCloseableProtocol)
class Client(Protocol):
    """A loopback client that records what it receives and how it ended."""

    def __init__(self, halfOpen: bool = False) -> None:
        # Like a Node client (allowHalfOpen false), end our side on the
        # server's FIN unless asked to stay half-open.
        self.halfOpen = halfOpen
        self.received = bytearray()
        self.eof = False
        self.lost: Deferred[BaseException] = Deferred()
        self._waiters: list[tuple[int, Deferred[bytes]]] = []
        self._eofWaiters: list[Deferred[None]] = []
        self.writeClosed = False

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        waiters, self._waiters = self._waiters, []
        for size, d in waiters:
            if len(self.received) >= size:
                d.callback(bytes(self.received))
            else:
                self._waiters.append((size, d))

    def readConnectionLost(self) -> None:
        self.eof = True
        for d in self._eofWaiters:
            d.callback(None)
        self._eofWaiters = []
        if self.writeClosed or not self.halfOpen:
            self.transport.loseConnection()  # type: ignore[union-attr]

    def writeConnectionLost(self) -> None:
        self.writeClosed = True
        if self.eof:
            self.transport.loseConnection()  # type: ignore[union-attr]

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        if not self.eof:
            self.readConnectionLost()
        for _, d in self._waiters:
            d.callback(bytes(self.received))
        self._waiters = []
        self.lost.callback(reason.value)

    def waitForBytes(self, size: int) -> Deferred[bytes]:
        """Fires once ``size`` bytes arrived in total (or the connection ended)."""
        d: Deferred[bytes] = Deferred()
        if len(self.received) >= size:
            d.callback(bytes(self.received))
        else:
            self._waiters.append((size, d))
        return d

    def waitForEOF(self) -> Deferred[None]:
        """Fires when the server's FIN arrived."""
        d: Deferred[None] = Deferred()
        if self.eof:
            d.callback(None)
        else:
            self._eofWaiters.append(d)
        return d

    def write(self, data: bytes) -> None:
        self.transport.write(data)  # type: ignore[union-attr]

    def halfClose(self) -> None:
        """Send FIN, keep reading."""
        self.transport.loseWriteConnection()  # type: ignore[union-attr]

    def close(self) -> None:
        self.transport.loseConnection()  # type: ignore[union-attr]

    def reset(self) -> None:
        """Close with RST (Twisted's abortConnection sets SO_LINGER 0)."""
        self.transport.abortConnection()  # type: ignore[union-attr]


def connect(target: Any, port: int | None = None, *, halfOpen: bool = False) -> Deferred[Client]:
    """
    Connect a :class:`Client` to ``target``: a Server (its address()), a host
    string with ``port``, or a UNIX path.
    """
    if isinstance(target, Server):
        address = target.address()
        if isinstance(address, str):
            target = address
        else:
            assert address is not None
            host = address.address
            if host in ("::", "0.0.0.0"):
                host = "127.0.0.1"
            target, port = host, address.port
    if port is None:
        endpoint: Any = UNIXClientEndpoint(reactor, target)
    elif ":" in target:
        endpoint = TCP6ClientEndpoint(reactor, target, port)
    else:
        endpoint = TCP4ClientEndpoint(reactor, target, port)
    return connectProtocol(endpoint, Client(halfOpen))


async def echoRoundTrip(target: Any, payload: bytes) -> bytes:
    """
    Connect to ``target`` (as :func:`connect`), send ``payload``, wait for as
    many bytes back, close and wait for the close: what came back.
    """
    client = await connect(target)
    client.write(payload)
    received = await client.waitForBytes(len(payload))
    client.close()
    await client.lost
    return received


def attach(network: MemoryNetwork, sock: Socket) -> MemoryClient:
    """Give ``sock`` an in-memory transport, as a client endpoint would on connect."""
    transport = MemoryTransport(
        network, IPv4Address("TCP", "127.0.0.1", 40000), IPv4Address("TCP", "127.0.0.1", 8000)
    )
    transport.protocol = sock
    client = MemoryClient(network, transport)
    transport.client = client
    network.clients.append(client)
    sock.makeConnection(transport)
    network.pump()
    return client


def recordOn(sock: Socket, *names: str) -> list[tuple[str, tuple[Any, ...]]]:
    log: list[tuple[str, tuple[Any, ...]]] = []
    for name in names:
        sock.on(name, lambda *args, name=name: log.append((name, args)))
    return log


# A PROXY v1 header naming the client 203.0.113.7:5555.
V1_HEADER = b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 8000\r\n"


def proxiedServer(network: MemoryNetwork, **options: Any) -> tuple[Any, list[tuple[Any, Any, Any]]]:
    """An echo server with proxyProtocol on; records (address, port, family) per connection."""
    seen: list[tuple[Any, Any, Any]] = []

    def onConnection(sock: Socket) -> None:
        seen.append((sock.remoteAddress, sock.remotePort, sock.remoteFamily))
        sock.pipe(sock)

    server = network.createServer(onConnection, proxyProtocol=True, **options)
    server.listen(8000)
    return server, seen
