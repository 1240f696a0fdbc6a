// Node's own net echo server, the reference.
const net = require("net");
const server = net.createServer((socket) => {
  socket.on("error", () => {});
  socket.pipe(socket);
});
server.listen({ port: 0, host: process.argv[2], backlog: 4096 }, () => {
  console.log("ready", server.address().port);
});
