"""txnetserver echo with a 'data' listener calling write()."""

import os
import sys

if os.environ.get("TXNETSERVER_REACTOR", "lean") == "lean":
    import txnetserver.reactor

    txnetserver.reactor.install()

from txnetserver import createServer, run


def onConnection(socket: object) -> None:
    socket.on("error", lambda e: None)  # type: ignore[attr-defined]
    socket.on("data", socket.write)  # type: ignore[attr-defined]


def main(reactor: object) -> None:
    server = createServer(onConnection)
    server.listen(0, sys.argv[1], backlog=4096)
    server.on("listening", lambda: print("ready", server.address().port, flush=True))


run(main)
