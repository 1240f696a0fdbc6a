# A Twisted application with a txnetserver echo server in it.
#     twistd -ny examples/application.tac
from twisted.application.service import Application, MultiService

from txnetserver import NetServerService, createServer

application = Application("echo")
services = MultiService()
services.setServiceParent(application)

server = createServer(lambda socket: socket.pipe(socket))
server.maxConnections = 1000
NetServerService(server, 0, "127.0.0.1", gracefulTimeout=5000).setServiceParent(services)
server.on("listening", lambda: print("tac echo listening on", server.address().port, flush=True))
