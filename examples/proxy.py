"""
A TCP proxy on connect() and pipe(): each client gets its own connection to
the backend, and bytes flow both ways with backpressure.

    python examples/proxy.py 8000 127.0.0.1 9000    # listen on 8000, forward to 127.0.0.1:9000

- Backpressure both ways: pipe() pauses the reading side while the other
  side's buffer is full, so a slow reader slows the writer down instead of
  filling the proxy's memory (bytes sent before the backend connects are
  queued by the socket and count against the same limit).
- Half-close is passed on: both sides allow half-open connections, and
  pipe() ends the other side when one side's FIN arrives, so a client can
  send its request, shut down writing, and still read the whole answer.
- An error on either side (refused, reset) closes the other one.
"""

from __future__ import annotations

import sys
from typing import Any

from txnetserver import Server, Socket, connect, createServer, run


def makeServer(backendHost: str, backendPort: int, reactor: Any = None) -> Server:
    def onConnection(client: Socket) -> None:
        backend = connect(port=backendPort, host=backendHost, allowHalfOpen=True, reactor=reactor)
        client.pipe(backend)
        backend.pipe(client)
        # Whichever side fails or closes, the other goes with it (a FIN, not a reset).
        client.on("error", lambda error: backend.destroy())
        backend.on("error", lambda error: client.destroy())
        client.on("close", lambda hadError: backend.destroy())
        backend.on("close", lambda hadError: client.destroy())

    return createServer({"allowHalfOpen": True}, onConnection, reactor=reactor)


def main(reactor: Any, port: str = "8000", host: str = "127.0.0.1", target: str = "9000") -> None:
    server = makeServer(host, int(target), reactor)
    server.listen(int(port), lambda: print(f"proxy on {server.address()} -> {host}:{target}"))


if __name__ == "__main__":
    run(main, *sys.argv[1:])
