"""
Per-chunk CPU cost of each layer of an echo, in one process, without a load
generator: what Python adds on top of the ``recv``/``send`` an echo needs.

    python benchmarks/microbench.py [--iterations N] [--size BYTES]

The server side of each case is driven the way the reactor drives it on
EPOLLIN (``doRead()``), over a fake socket whose ``recv`` returns the message
and whose ``send`` takes it whole, so that the kernel's share (tens of
microseconds of noise) does not hide the sub-microsecond Python costs being
compared.  ``floor`` is the same fake ``recv``/``send`` called from a plain
loop; every other row is reported above it.  The ``emit only`` rows isolate
the Node layer: ``Socket.dataReceived`` on a transport whose ``write`` does
nothing (the ``'data'`` emit, the listener, ``Socket.write``'s bookkeeping).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from twisted.internet import protocol, tcp
from twisted.internet.epollreactor import EPollReactor
from zope.interface import implementer

from txnetserver import Socket
from txnetserver._transport import NodeTCPServerTransport
from txnetserver.interfaces import INodeTransport


class FakeSocket:
    """A connected socket that always has ``message`` to read and room to send."""

    def __init__(self, message: bytes) -> None:
        self.message = message
        self.real = socket.socket()

    def recv(self, size: int) -> bytes:
        return self.message

    def recv_into(self, buffer: Any, size: int = 0) -> int:
        n = len(self.message)
        buffer[:n] = self.message
        return n

    def send(self, data: bytes) -> int:
        return len(data)

    def fileno(self) -> int:
        return self.real.fileno()

    def setblocking(self, flag: bool) -> None:
        pass

    def close(self) -> None:
        self.real.close()


class _PlainEcho(protocol.Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)  # type: ignore[union-attr]


@implementer(INodeTransport)
class _NullTransport:
    """
    Just enough transport for Socket.dataReceived → write to run, declared an
    INodeTransport so that the Socket uses it as is (not through the adapter
    for foreign transports) and the rows measure the Node layer alone.
    """

    exactWriteBuffer = True
    writableLength = 0

    def write(self, data: bytes) -> None:
        pass

    def registerProducer(self, producer: object, streaming: bool) -> None:
        pass

    def setWriteHighWaterMark(self, limit: int) -> None:
        pass


def timeLoop(step: Callable[[], object], iterations: int) -> float:
    """Nanoseconds per call of ``step``, best of five runs."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter_ns()
        for _ in range(iterations):
            step()
        best = min(best, (time.perf_counter_ns() - start) / iterations)
    return best


def floor(message: bytes, iterations: int) -> float:
    fake = FakeSocket(message)
    recv, send = fake.recv, fake.send

    def step() -> None:
        send(recv(65536))

    try:
        return timeLoop(step, iterations)
    finally:
        fake.close()


def transportEcho(
    reactor: Any,
    transportClass: type,
    makeProtocol: Callable[[], Any],
    message: bytes,
    iterations: int,
) -> float:
    fake = FakeSocket(message)
    proto = makeProtocol()
    transport = transportClass(fake, proto, ("127.0.0.1", 1), None, 0, reactor)
    proto.makeConnection(transport)
    doRead, doWrite = transport.doRead, transport.doWrite

    def step() -> None:
        doRead()
        if transport._tempDataLen:
            # Twisted's own transport queues until the reactor's EPOLLOUT.
            doWrite()

    try:
        return timeLoop(step, iterations)
    finally:
        transport.stopReading()
        transport.stopWriting()
        fake.close()


def nodeSocket(reactor: Any, handler: str) -> Socket:
    sock = Socket(reactor=reactor)
    if handler == "pipe":
        sock.pipe(sock)
    else:
        sock.on("data", sock.write)
    return sock


def emitOnly(reactor: Any, handler: str, message: bytes, iterations: int) -> float:
    sock = nodeSocket(reactor, handler)
    sock.makeConnection(_NullTransport())  # type: ignore[arg-type]
    return timeLoop(lambda: sock.dataReceived(message), iterations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=100000)
    parser.add_argument("--size", type=int, default=64)
    arguments = parser.parse_args(argv)
    message = b"x" * arguments.size
    n = arguments.iterations
    reactor = EPollReactor()  # type: ignore[no-untyped-call]
    base = floor(message, n)

    def echo(transportClass: type, makeProtocol: Callable[[], Any]) -> float:
        return transportEcho(reactor, transportClass, makeProtocol, message, n)

    rows = [
        ("floor: fake recv + send", base, False),
        ("twisted tcp.Server + Protocol echo", echo(tcp.Server, _PlainEcho), True),
        ("NodeTCPServerTransport + Protocol echo", echo(NodeTCPServerTransport, _PlainEcho), True),
        (
            "NodeTCPServerTransport + Socket pipe",
            echo(NodeTCPServerTransport, lambda: nodeSocket(reactor, "pipe")),
            True,
        ),
        (
            "NodeTCPServerTransport + Socket data->write",
            echo(NodeTCPServerTransport, lambda: nodeSocket(reactor, "data")),
            True,
        ),
        ("emit only: Socket pipe", emitOnly(reactor, "pipe", message, n), False),
        ("emit only: Socket data->write", emitOnly(reactor, "data", message, n), False),
    ]
    print(f"{'case':45} {'ns/echo':>9} {'above floor':>12}")
    for name, value, relative in rows:
        extra = f"{value - base:12.0f}" if relative else ""
        print(f"{name:45} {value:9.0f} {extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
