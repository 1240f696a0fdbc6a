"""
Where a short connection's server CPU goes: accept, 64-byte echo, close, as
``loadgen connect`` drives it (50 clients), counted without a clock.

    python benchmarks/connprofile.py --kind pipe              # cProfile, per connection
    python benchmarks/connprofile.py --kind pipe --callgrind  # instructions per connection
    python benchmarks/connprofile.py --kind floor --callgrind

The server (``--kind``: ``pipe`` / ``data`` are txnetserver's echoes on the
default reactor, ``transport`` a plain Twisted Protocol echo on txnetserver's
port and transport (no Node layer), ``twisted`` the same on Twisted's own,
``floor`` the python floor's loop) runs in a child process that stops after
``--connections`` connections.  With ``--callgrind`` it runs under valgrind
twice, with N and 2N connections, and the difference divided by N is the
instruction count of one connection, start-up excluded: a figure the
machine's load cannot move.  ``--workload rr`` does the same per round trip
of rr C=100 (a run of ``--seconds`` and one twice as long;
``CONNPROFILE_RR_CONNECTIONS=1000`` for rr C=1000).
Without it, cProfile lists each function's calls and own time per connection
(the times are inflated by profiling; the call counts are exact).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as benchmarks  # noqa: E402

HOST = "127.0.0.1"
RR_CONNECTIONS = int(os.environ.get("CONNPROFILE_RR_CONNECTIONS", "100"))
KINDS = ("pipe", "data", "transport", "twisted", "floor")


def ready(port: int) -> None:
    """Announce the port, then start profiling: start-up and imports stay out."""
    print("ready", port, flush=True)
    if PROFILER is not None:
        PROFILER.enable()


PROFILER: cProfile.Profile | None = None


def serveTxnetserver(kind: str, count: int) -> None:
    from txnetserver import createServer, run

    accepted = 0

    def ignore(error: object) -> None:
        pass

    def onConnection(socket: object) -> None:
        nonlocal accepted
        socket.on("error", ignore)  # type: ignore[attr-defined]
        if kind == "pipe":
            socket.pipe(socket)  # type: ignore[attr-defined]
        else:
            socket.on("data", socket.write)  # type: ignore[attr-defined]
        accepted += 1
        if accepted == count:
            server.close()  # run() returns once the last socket has closed

    server: Any = None

    def main(reactor: object) -> None:
        nonlocal server
        server = createServer(onConnection)
        server.listen(0, HOST, backlog=4096)
        server.on("listening", lambda: ready(server.address().port))

    try:
        run(main)
    except SystemExit:
        pass


def serveTwisted(count: int, ours: bool) -> None:
    from twisted.internet import protocol

    from txnetserver._reactorchoice import globalReactor

    reactor = globalReactor()
    state = {"accepted": 0, "closed": 0}

    class Echo(protocol.Protocol):
        def connectionMade(self) -> None:
            state["accepted"] += 1
            if state["accepted"] == count:
                port.stopListening()

        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)  # type: ignore[union-attr]

        def connectionLost(self, reason: object = None) -> None:
            state["closed"] += 1
            if state["closed"] == count:
                reactor.stop()

    factory = protocol.Factory.forProtocol(Echo)
    factory.noisy = False
    if ours:
        from txnetserver._ports import listenTCP

        port = listenTCP(reactor, factory, 0, HOST, 4096, ipv6Only=None, reusePort=False)
    else:
        port = reactor.listenTCP(0, factory, backlog=4096, interface=HOST)
    ready(port.getHost().port)
    reactor.run()


def serveFloor(count: int) -> None:
    """python_floor.py's loop, stopping after ``count`` connections have closed."""
    import select
    import socket

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, 0))
    listener.listen(4096)
    listener.setblocking(False)
    poller = select.epoll()
    listenerFD = listener.fileno()
    poller.register(listenerFD, select.EPOLLIN)
    connections: dict[int, socket.socket] = {}
    buffer = bytearray(262144)
    view = memoryview(buffer)
    closed = 0
    ready(listener.getsockname()[1])
    while closed < count:
        for fd, _event in poller.poll():
            if fd == listenerFD:
                while True:
                    try:
                        client, _ = listener.accept()
                    except BlockingIOError:
                        break
                    client.setblocking(False)
                    connections[client.fileno()] = client
                    poller.register(client.fileno(), select.EPOLLIN)
                continue
            client = connections[fd]
            try:
                n = client.recv_into(buffer)
            except BlockingIOError:
                continue
            except OSError:
                n = 0
            if n == 0:
                poller.unregister(fd)
                del connections[fd]
                client.close()
                closed += 1
                continue
            client.send(view[:n])


def serve(kind: str, count: int, profileTo: str | None) -> None:
    global PROFILER
    PROFILER = profiler = cProfile.Profile() if profileTo else None
    if kind == "floor":
        serveFloor(count)
    elif kind in ("twisted", "transport"):
        serveTwisted(count, ours=kind == "transport")
    else:
        serveTxnetserver(kind, count)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profileTo)


def drive(command: list[str], workload: str = "connect", seconds: float = 4.0) -> int:
    """
    Start the server child and load it until it exits: ``connect`` runs loadgen
    connect C=50 until the server has had its connections; ``rr`` runs loadgen
    rr C=100 for ``seconds`` (the server stops once those 100 have closed).
    Returns the operations loadgen counted (rr only; 0 for connect).
    """
    loadgen = benchmarks.buildLoadgen()
    server = subprocess.Popen(
        benchmarks.pinned(1, command),
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline().split()
        if len(line) != 2 or line[0] != "ready":
            raise RuntimeError(f"the server did not start: {line}")
        if workload == "rr":
            report = subprocess.run(
                benchmarks.pinned(
                    0, [str(loadgen), "rr", HOST, line[1], str(RR_CONNECTIONS), "64", str(seconds)]
                ),
                capture_output=True,
                text=True,
                timeout=seconds + 120,
                check=True,
            )
            server.wait(timeout=600)
            return int(json.loads(report.stdout.strip().splitlines()[-1])["operations"])
        client = subprocess.Popen(
            benchmarks.pinned(0, [str(loadgen), "connect", HOST, line[1], "50", "64", "600"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            server.wait(timeout=600)
        finally:
            client.kill()
            client.wait()
        return 0
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()


def callgrindInstructions(
    kind: str, count: int, workload: str = "connect", seconds: float = 4.0
) -> tuple[int, int]:
    """Instructions the server ran in all, and loadgen's operations (rr)."""
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "callgrind.out"
        operations = drive(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--serve",
                kind,
                "--connections",
                str(count),
            ],
            workload,
            seconds,
        )
        match = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
        assert match is not None, "no totals in the callgrind output"
        return int(match.group(1)), operations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kind", choices=KINDS, default="pipe")
    parser.add_argument("--workload", choices=("connect", "rr"), default="connect")
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="rr: the shorter run's length (the other: 2x)"
    )
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.serve:
        serve(arguments.serve, arguments.connections, arguments.profile_to)
        return 0
    count = arguments.connections
    rr = arguments.workload == "rr"
    if rr:
        count = RR_CONNECTIONS
    if arguments.callgrind:
        if shutil.which("valgrind") is None:
            parser.error("--callgrind needs valgrind")
        if rr:
            # Two runs of different lengths: the difference is round trips only.
            once, opsOnce = callgrindInstructions(arguments.kind, count, "rr", arguments.seconds)
            twice, opsTwice = callgrindInstructions(
                arguments.kind, count, "rr", 2 * arguments.seconds
            )
            perOp = (twice - once) / max(opsTwice - opsOnce, 1)
            print(
                f"{arguments.kind}: {perOp:,.0f} instructions per round trip "
                f"(rr C={RR_CONNECTIONS})"
            )
            return 0
        once, _ = callgrindInstructions(arguments.kind, count)
        twice, _ = callgrindInstructions(arguments.kind, 2 * count)
        print(f"{arguments.kind}: {(twice - once) / count:,.0f} instructions per connection")
        return 0
    with tempfile.TemporaryDirectory() as directory:
        stats = Path(directory) / "stats"
        operations = drive(
            [
                sys.executable,
                __file__,
                "--serve",
                arguments.kind,
                "--connections",
                str(count),
                "--profile-to",
                str(stats),
            ],
            arguments.workload,
            arguments.seconds,
        )
        unit = "round trip" if rr else "connection"
        if rr:
            count = max(operations, 1)
        report = pstats.Stats(str(stats))
        rows = []
        for (filename, line, name), (_cc, calls, own, _cum, _) in report.stats.items():  # type: ignore[attr-defined]
            where = f"{Path(filename).name}:{line}({name})" if line else name
            rows.append((own, calls, where))
        rows.sort(reverse=True)
        total = sum(own for own, _, _ in rows)
        print(f"{arguments.kind}: {total / count * 1e6:.1f} µs per {unit} under cProfile")
        print(f"{'calls/op':>10} {'own µs/op':>11}  function")
        for own, calls, where in rows[: arguments.top]:
            print(f"{calls / count:10.2f} {own / count * 1e6:11.2f}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
