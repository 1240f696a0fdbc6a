"""
Echo server: every byte a client sends comes back, with backpressure.

    python examples/echo.py 8000
"""

from __future__ import annotations

import sys
from typing import Any

from txnetserver import Server, Socket, createServer, run


def makeServer(reactor: Any = None) -> Server:
    def onConnection(socket: Socket) -> None:
        socket.on("error", lambda error: None)  # a client's reset is routine
        socket.pipe(socket)

    return createServer(onConnection, reactor=reactor)


def main(reactor: Any, port: str = "8000") -> None:
    server = makeServer(reactor)
    server.listen(int(port), lambda: print(f"echo server on {server.address()}"))


if __name__ == "__main__":
    run(main, *sys.argv[1:])
