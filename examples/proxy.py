"""
A TCP proxy with pipe(): every client is connected to a backend, and bytes
flow both ways with backpressure.

    python examples/proxy.py 8000 127.0.0.1 9000    # listen on 8000, forward to 127.0.0.1:9000

The outbound connection is a Twisted client endpoint whose protocol is a
txnetserver Socket (a Socket with no server), so both ends speak Node.
"""

from __future__ import annotations

import sys
from typing import Any

from twisted.internet.endpoints import HostnameEndpoint, connectProtocol

from txnetserver import Server, Socket, createServer, run


def makeServer(backendHost: str, backendPort: int, reactor: Any = None) -> Server:
    if reactor is None:
        from twisted.internet import reactor as globalReactor

        reactor = globalReactor

    def onConnection(client: Socket) -> None:
        client.pause()  # hold the client's bytes until the backend is there
        client.on("error", lambda error: None)
        endpoint = HostnameEndpoint(reactor, backendHost, backendPort)
        connecting = connectProtocol(endpoint, Socket(reactor=reactor))

        def connected(backend: Socket) -> None:
            backend.on("error", lambda error: client.destroy())
            client.on("close", lambda hadError: backend.destroy())
            backend.on("close", lambda hadError: client.destroy())
            client.pipe(backend)
            backend.pipe(client)

        connecting.addCallbacks(connected, lambda failure: client.destroy())

    return createServer(onConnection, reactor=reactor)


def main(reactor: Any, port: str = "8000", host: str = "127.0.0.1", target: str = "9000") -> None:
    server = makeServer(host, int(target), reactor)
    server.listen(int(port), lambda: print(f"proxy on {server.address()} -> {host}:{target}"))


if __name__ == "__main__":
    run(main, *sys.argv[1:])
