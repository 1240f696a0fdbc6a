// Client scenarios for the differential tests: `node client_scenarios.js NAME`
// runs one scenario against servers of its own on 127.0.0.1 and prints the
// client socket's events as JSON (tests/conformance/client_scenarios.py is the
// same scenario in txnetserver).  Nothing leaves the machine: names are
// answered by a `lookup` option or are refused before any connection.
"use strict";
const net = require("net");

const log = [];
let serverPort = null;

function render(value) {
  if (value instanceof Error) {
    const out = { name: value.name, code: value.code === undefined ? null : value.code,
                  message: render(value.message) };
    for (const key of ["syscall", "address", "port", "hostname"]) {
      if (value[key] !== undefined) out[key] = render(value[key]);
    }
    if (Array.isArray(value.errors)) out.errors = value.errors.map(render);
    return out;
  }
  if (value === undefined) return null;
  if (serverPort !== null && value === serverPort) return "PORT";
  if (typeof value === "string" && serverPort !== null) {
    return value.split(`:${serverPort}`).join(":PORT");
  }
  return value;
}

function record(socket) {
  for (const name of ["lookup", "connectionAttempt", "connectionAttemptFailed",
                      "connectionAttemptTimeout", "connect", "ready", "data", "end", "finish",
                      "timeout", "error", "close"]) {
    socket.on(name, (...args) => {
      log.push([name, ...args.map((a) => (Buffer.isBuffer(a) ? a.toString() : render(a)))]);
    });
  }
}

function done(extra) {
  process.stdout.write(JSON.stringify({ events: log, ...extra }) + "\n");
  process.exit(0);
}

function later(fn) { setTimeout(fn, 5); }
// Long enough that a refused attempt is seen before the next one starts, on a busy machine too.
const RACE = { autoSelectFamilyAttemptTimeout: 1000 };
const never = () => {};

function withServer(onConnection, options, then) {
  const server = net.createServer(options, onConnection);
  server.listen(0, "127.0.0.1", () => { serverPort = server.address().port; then(server); });
  return server;
}

const scenarios = {
  refused() {
    const socket = net.connect(1, "127.0.0.1");
    record(socket);
    socket.on("close", () => done({}));
  },
  missingPath() {
    const socket = net.connect("no-such-dir-txns/missing.sock");
    record(socket);
    socket.on("close", () => done({}));
  },
  unresolvable() {
    const lookup = (hostname, options, callback) => later(() => {
      const err = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      Object.assign(err, { errno: -3008, code: "ENOTFOUND", syscall: "getaddrinfo", hostname });
      callback(err);
    });
    const socket = net.connect({ port: 80, host: "nothing.invalid", lookup });
    record(socket);
    socket.on("close", () => done({}));
  },
  customLookup() {
    withServer((s) => s.end(), {}, (server) => {
      const lookup = (hostname, options, callback) => later(() => callback(null, [
        { address: "::1", family: 6 }, { address: "127.0.0.1", family: 4 }]));
      const socket = net.connect({ port: serverPort, host: "backend.test", lookup, ...RACE });
      record(socket);
      socket.on("close", () => {
        server.close();
        done({ attempted: socket.autoSelectFamilyAttemptedAddresses.map(render) });
      });
    });
  },
  allFamiliesRefused() {
    const lookup = (hostname, options, callback) => later(() => callback(null, [
      { address: "::1", family: 6 }, { address: "127.0.0.1", family: 4 }]));
    const socket = net.connect({ port: 1, host: "backend.test", lookup, ...RACE });
    record(socket);
    socket.on("close", () => done({ attempted: socket.autoSelectFamilyAttemptedAddresses }));
  },
  abort() {
    const controller = new AbortController();
    const socket = net.connect({ port: 80, host: "backend.test", lookup: never,
                                 signal: controller.signal });
    record(socket);
    later(() => controller.abort());
    socket.on("close", () => done({}));
  },
  timeoutWhileConnecting() {
    // Node's process would end here: nothing ref'd waits for a lookup that never answers.
    const keepAlive = setTimeout(() => {}, 10000);
    const socket = net.connect({ port: 80, host: "backend.test", lookup: never, timeout: 20 });
    record(socket);
    socket.on("timeout", () => {
      const state = [socket.connecting, socket.destroyed, socket.readyState];
      socket.destroy();
      socket.on("close", () => { clearTimeout(keepAlive); done({ state }); });
    });
  },
  writeBeforeConnect() {
    let received = "";
    withServer((s) => {
      s.on("data", (d) => { received += d; });
      s.on("end", () => s.end("bye"));
    }, {}, (server) => {
      const socket = net.connect(serverPort, "127.0.0.1");
      record(socket);
      const state = [socket.connecting, socket.pending, socket.readyState];
      socket.write("hello ");
      socket.end("world");
      socket.on("close", () => { server.close(); done({ state, received }); });
    });
  },
  halfCloseBothWays() {
    withServer((s) => {
      s.on("end", () => { s.write("late"); s.end(); });
    }, { allowHalfOpen: true }, (server) => {
      const socket = net.connect({ port: serverPort, host: "127.0.0.1", allowHalfOpen: true });
      record(socket);
      socket.on("connect", () => socket.end());
      socket.on("end", () => log.push(["state", socket.readyState, socket.writable]));
      socket.on("close", () => { server.close(); done({}); });
    });
  },
  destroyDuringConnect() {
    withServer(() => {}, {}, (server) => {
      const socket = net.connect(serverPort, "127.0.0.1");
      record(socket);
      let writeError = "not called";
      socket.write("x", (err) => { writeError = err ? err.code : null; });
      socket.destroy();
      const state = [socket.connecting, socket.destroyed, socket.readyState, socket.pending];
      socket.on("close", () => later(() => { server.close(); done({ state, writeError }); }));
    });
  },
};

scenarios[process.argv[2]]();
