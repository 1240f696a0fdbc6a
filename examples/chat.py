"""
Line-based chat: every complete line a client sends is broadcast to the others.

    python examples/chat.py 8000      # then: nc localhost 8000
"""

from __future__ import annotations

import sys
from typing import Any

from txnetserver import Server, Socket, createServer, run


def makeServer(reactor: Any = None) -> Server:
    members: dict[Socket, str] = {}

    def broadcast(sender: Socket, text: str) -> None:
        for member in members:
            if member is not sender:
                member.write(text)

    def onConnection(socket: Socket) -> None:
        name = f"{socket.remoteAddress}:{socket.remotePort}"
        members[socket] = name
        socket.setEncoding("utf8")
        pending = ""

        def onData(chunk: str) -> None:
            nonlocal pending
            *lines, pending = (pending + chunk).split("\n")
            for line in lines:
                broadcast(socket, f"{name}> {line}\n")

        def onClose(hadError: bool) -> None:
            members.pop(socket, None)
            broadcast(socket, f"* {name} left\n")

        socket.on("data", onData)
        socket.on("error", lambda error: None)
        socket.on("close", onClose)
        broadcast(socket, f"* {name} joined\n")

    return createServer(onConnection, reactor=reactor)


def main(reactor: Any, port: str = "8000") -> None:
    server = makeServer(reactor)
    server.listen(int(port), lambda: print(f"chat server on {server.address()}"))


if __name__ == "__main__":
    run(main, *sys.argv[1:])
