"""
txnetserver echo with socket.pipe(socket), started with run().

The reactor is argv[2]: ``default`` installs nothing (what run() picks by
itself), any other name is installed first as ``twistd -r NAME`` would
(``txnetserver``: NodeReactor, ``epoll``: Twisted's stock epoll reactor).
"""

import sys

if sys.argv[2:3] not in ([], ["default"]):
    from twisted.application.reactors import installReactor

    installReactor(sys.argv[2])

from txnetserver import createServer, run


def main(reactor: object) -> None:
    server = createServer(lambda socket: (socket.on("error", lambda e: None), socket.pipe(socket)))
    server.listen(0, sys.argv[1], backlog=4096)
    server.on("listening", lambda: print("ready", server.address().port, flush=True))


run(main)
