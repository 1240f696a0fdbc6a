"""Plain Twisted Protocol echo on the default (epoll) reactor."""

import sys

from twisted.internet import protocol, reactor


class Echo(protocol.Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)  # type: ignore[union-attr]


factory = protocol.Factory.forProtocol(Echo)
factory.noisy = False
port = reactor.listenTCP(0, factory, backlog=4096, interface=sys.argv[1])  # type: ignore[attr-defined]
print("ready", port.getHost().port, flush=True)
reactor.run()  # type: ignore[attr-defined]
