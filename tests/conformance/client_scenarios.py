"""
The client scenarios of tests/conformance/client_scenarios.js, run with
txnetserver: ``python client_scenarios.py NAME`` prints the client socket's
events as JSON, rendered as the Node script renders them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import txnetserver as net
from txnetserver.errors import NodeError

log: list[list[Any]] = []
serverPort: int | None = None
reactor: Any = None
finished: Any = None


def render(value: Any) -> Any:
    if isinstance(value, BaseException):
        name = getattr(value, "name", None) or "Error"
        out: dict[str, Any] = {
            "name": name,
            "code": getattr(value, "code", None),
            "message": render(getattr(value, "message", str(value))),
        }
        for key in ("syscall", "address", "port", "hostname"):
            if getattr(value, key, None) is not None:
                out[key] = render(getattr(value, key))
        if isinstance(getattr(value, "errors", None), list):
            out["errors"] = [render(e) for e in value.errors]  # type: ignore[attr-defined]
        return out
    if isinstance(value, bytes):
        return value.decode()
    if value is not None and value == serverPort and isinstance(value, int):
        return "PORT"
    if isinstance(value, str) and serverPort is not None:
        return value.replace(f":{serverPort}", ":PORT")
    return value


def record(socket: net.Socket) -> None:
    for name in (
        "lookup",
        "connectionAttempt",
        "connectionAttemptFailed",
        "connectionAttemptTimeout",
        "connect",
        "ready",
        "data",
        "end",
        "finish",
        "timeout",
        "error",
        "close",
    ):
        socket.on(name, lambda *args, name=name: log.append([name, *map(render, args)]))


def done(**extra: Any) -> None:
    sys.stdout.write(json.dumps({"events": log, **extra}) + "\n")
    sys.stdout.flush()
    finished.callback(None)


# Long enough that a refused attempt is seen before the next one starts, on a busy machine too.
RACE = {"autoSelectFamilyAttemptTimeout": 1000}


def later(fn: Callable[[], object]) -> None:
    reactor.callLater(0.005, fn)


def never(hostname: object, options: object, callback: object) -> None:
    pass


def withServer(onConnection: Any, options: dict[str, Any], then: Callable[[Any], None]) -> None:
    server = net.createServer(options, onConnection)

    def listening() -> None:
        global serverPort
        serverPort = server.address().port
        then(server)

    server.listen(0, "127.0.0.1", listening)


def refused() -> None:
    socket = net.connect(1, "127.0.0.1")
    record(socket)
    socket.on("close", lambda hadError: done())


def missingPath() -> None:
    socket = net.connect("no-such-dir-txns/missing.sock")
    record(socket)
    socket.on("close", lambda hadError: done())


def unresolvable() -> None:
    socket = net.connect({"port": 80, "host": "nothing.invalid"})
    record(socket)
    socket.on("close", lambda hadError: done())


def twoFamilies(hostname: object, options: object, callback: Any) -> None:
    later(
        lambda: callback(
            None, [{"address": "::1", "family": 6}, {"address": "127.0.0.1", "family": 4}]
        )
    )


def customLookup() -> None:
    def ready(server: Any) -> None:
        socket = net.connect(port=serverPort, host="backend.test", lookup=twoFamilies, **RACE)
        record(socket)

        def closed(hadError: bool) -> None:
            server.close()
            done(attempted=[render(a) for a in socket.autoSelectFamilyAttemptedAddresses or []])

        socket.on("close", closed)

    withServer(lambda s: s.end(), {}, ready)


def allFamiliesRefused() -> None:
    socket = net.connect(port=1, host="backend.test", lookup=twoFamilies, **RACE)
    record(socket)
    socket.on("close", lambda hadError: done(attempted=socket.autoSelectFamilyAttemptedAddresses))


def abort() -> None:
    controller = net.AbortController()
    socket = net.connect(port=80, host="backend.test", lookup=never, signal=controller.signal)
    record(socket)
    later(controller.abort)
    socket.on("close", lambda hadError: done())


def timeoutWhileConnecting() -> None:
    socket = net.connect(port=80, host="backend.test", lookup=never, timeout=20)
    record(socket)

    def onTimeout() -> None:
        state = [socket.connecting, socket.destroyed, socket.readyState]
        socket.destroy()
        socket.on("close", lambda hadError: done(state=state))

    socket.on("timeout", onTimeout)


def writeBeforeConnect() -> None:
    received: list[str] = []

    def onConnection(s: Any) -> None:
        s.on("data", lambda d: received.append(d.decode()))
        s.on("end", lambda: s.end(b"bye"))

    def ready(server: Any) -> None:
        socket = net.connect(serverPort, "127.0.0.1")
        record(socket)
        state = [socket.connecting, socket.pending, socket.readyState]
        socket.write(b"hello ")
        socket.end(b"world")

        def closed(hadError: bool) -> None:
            server.close()
            done(state=state, received="".join(received))

        socket.on("close", closed)

    withServer(onConnection, {}, ready)


def halfCloseBothWays() -> None:
    def onConnection(s: Any) -> None:
        s.on("end", lambda: (s.write(b"late"), s.end()))

    def ready(server: Any) -> None:
        socket = net.connect(port=serverPort, host="127.0.0.1", allowHalfOpen=True)
        record(socket)
        socket.on("connect", lambda: socket.end())
        socket.on("end", lambda: log.append(["state", socket.readyState, socket.writable]))

        def closed(hadError: bool) -> None:
            server.close()
            done()

        socket.on("close", closed)

    withServer(onConnection, {"allowHalfOpen": True}, ready)


def destroyDuringConnect() -> None:
    def ready(server: Any) -> None:
        socket = net.connect(serverPort, "127.0.0.1")
        record(socket)
        writeError: list[Any] = ["not called"]

        def written(err: Any) -> None:
            writeError[0] = err.code if err is not None else None

        socket.write(b"x", written)
        socket.destroy()
        state = [socket.connecting, socket.destroyed, socket.readyState, socket.pending]

        def closed(hadError: bool) -> None:
            def finish() -> None:
                server.close()
                done(state=state, writeError=writeError[0])

            later(finish)

        socket.on("close", closed)

    withServer(lambda s: None, {}, ready)


def main(theReactor: Any, name: str) -> Any:
    global reactor, finished
    from twisted.internet.defer import Deferred

    reactor = theReactor
    finished = Deferred()
    try:
        globals()[name]()
    except NodeError as e:
        done(raised=e.code)
    return finished


if __name__ == "__main__":
    net.run(main, sys.argv[1])
