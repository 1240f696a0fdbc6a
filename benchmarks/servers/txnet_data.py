"""
txnetserver echo with a 'data' listener calling write(), started with run().

The reactor is argv[2], as in txnet_pipe.py.
"""

import sys

if sys.argv[2:3] not in ([], ["default"]):
    from twisted.application.reactors import installReactor

    installReactor(sys.argv[2])

from txnetserver import createServer, run


def onConnection(socket: object) -> None:
    socket.on("error", lambda e: None)  # type: ignore[attr-defined]
    socket.on("data", socket.write)  # type: ignore[attr-defined]


def main(reactor: object) -> None:
    server = createServer(onConnection)
    server.listen(0, sys.argv[1], backlog=4096)
    server.on("listening", lambda: print("ready", server.address().port, flush=True))


run(main)
