"""txnetserver echo with socket.pipe(socket)."""

import os
import sys

if os.environ.get("TXNETSERVER_REACTOR", "lean") == "lean":
    import txnetserver.reactor

    txnetserver.reactor.install()

from txnetserver import createServer, run


def main(reactor: object) -> None:
    server = createServer(lambda socket: (socket.on("error", lambda e: None), socket.pipe(socket)))
    server.listen(0, sys.argv[1], backlog=4096)
    server.on("listening", lambda: print("ready", server.address().port, flush=True))


run(main)
