// Differential conformance runner: reads one JSON case per line on stdin and
// answers one JSON outcome per line.  A case is {"call": "listen", "args": [...]}
// with special values {"$": "fn"}, {"$": "NaN"}, {"$": "Infinity"},
// {"$": "-Infinity"}; null is null.  Run it with the cwd in a temporary folder:
// listen(path) creates socket files there (closed right away).
"use strict";
const net = require("net");
const readline = require("readline");

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    if ("$" in value) {
      switch (value.$) {
        case "fn": return function callback() {};
        case "NaN": return NaN;
        case "Infinity": return Infinity;
        case "-Infinity": return -Infinity;
      }
    }
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(v);
    return out;
  }
  return value;
}

// {"call": "emitter", "ops": [["on", name, id], ["emit", name], ...]}: listener
// ids 0-2 are three distinct functions that log "id:name" when called.
function runEmitter(testCase) {
  const EventEmitter = require("events");
  const emitter = new EventEmitter();
  const log = [];
  const fns = [0, 1, 2].map((id) => function (...args) { log.push(`${id}:${args[0]}`); });
  const results = [];
  for (const [op, name, id] of testCase.ops) {
    if (op === "emit") results.push(emitter.emit(name, name));
    else if (op === "removeAllListeners") emitter.removeAllListeners(name);
    else emitter[op](name, fns[id]);
  }
  const names = emitter.eventNames();
  return {
    log, results, eventNames: names,
    counts: names.map((n) => emitter.listenerCount(n)),
    listeners: names.map((n) => emitter.listeners(n).map((f) => fns.indexOf(f))),
  };
}

// JSON has no NaN or Infinity: send them as the same markers the cases use.
function encode(value) {
  if (typeof value === "number" && !Number.isFinite(value)) {
    return { $: Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity" };
  }
  return value;
}

// {"call": "createServer", "options": {...}}: sync errors or the normalised options.
function runCreateServer(testCase) {
  try {
    const s = net.createServer(decode(testCase.options));
    return { throws: false, allowHalfOpen: encode(s.allowHalfOpen),
             pauseOnConnect: s.pauseOnConnect, noDelay: s.noDelay, keepAlive: s.keepAlive,
             keepAliveInitialDelay: encode(s.keepAliveInitialDelay) };
  } catch (err) {
    return { throws: true, code: err.code, name: err.name, message: err.message };
  }
}

// Client-side cases never reach the network: dns.lookup is replaced by a spy that
// runs the real function's argument checks on an empty hostname (answered
// without a query) and records what net.connect() asked for.
const dns = require("dns");
const realLookup = dns.lookup;
process.emitWarning = () => {};  // the empty-hostname warning of the spy
let lookedUp = null;
dns.lookup = function spyLookup(hostname, options, callback) {
  if (hostname && typeof hostname !== "string") return realLookup(hostname, options, callback);
  realLookup("", options, () => {});
  lookedUp = { hostname, family: options.family == null ? undefined : encode(options.family), hints: options.hints,
               all: options.all === true, custom: false };
  return {};
};
function decodeClient(value) {
  if (value && typeof value === "object" && value.$ === "lookupSpy") {
    return function lookup(hostname, options) {
      lookedUp = { hostname, family: options.family == null ? undefined : encode(options.family), hints: encode(options.hints),
                   all: options.all === true, custom: true };
    };
  }
  if (Array.isArray(value)) return value.map(decodeClient);
  if (value && typeof value === "object" && !("$" in value)) {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = decodeClient(v);
    return out;
  }
  return decode(value);
}

// {"call": "connect", "args": [...]}: net.connect's synchronous errors, or the
// socket's state and the lookup it started; the socket is destroyed at once,
// before any connection attempt (those start on the next tick at the earliest).
function runConnect(testCase) {
  lookedUp = null;
  let socket;
  try {
    socket = net.connect(...decodeClient(testCase.args));
  } catch (err) {
    return { throws: true, code: err.code, name: err.name, message: err.message };
  }
  socket.on("error", () => {});
  const outcome = { throws: false, connecting: socket.connecting, pending: socket.pending,
                    readyState: socket.readyState, lookup: lookedUp,
                    connectListeners: socket.listenerCount("connect"),
                    timeout: encode(socket.timeout === undefined ? null : socket.timeout) };
  socket.destroy();
  return outcome;
}

// {"call": "netutil", "op": name, "value": v}: isIP & co., SocketAddress, the defaults.
function runNetutil(testCase) {
  const value = decode(testCase.value);
  try {
    switch (testCase.op) {
      case "isIP": return { result: [net.isIP(value), net.isIPv4(value), net.isIPv6(value)] };
      case "SocketAddress": return { result: new net.SocketAddress(value).toJSON() };
      case "setDefaultAutoSelectFamily": {
        const before = net.getDefaultAutoSelectFamily();
        net.setDefaultAutoSelectFamily(value);
        const result = net.getDefaultAutoSelectFamily();
        net.setDefaultAutoSelectFamily(before);
        return { result };
      }
      case "setDefaultAutoSelectFamilyAttemptTimeout": {
        const before = net.getDefaultAutoSelectFamilyAttemptTimeout();
        net.setDefaultAutoSelectFamilyAttemptTimeout(value);
        const result = net.getDefaultAutoSelectFamilyAttemptTimeout();
        net.setDefaultAutoSelectFamilyAttemptTimeout(before);
        return { result };
      }
    }
  } catch (err) {
    return { throws: true, code: err.code, name: err.name, message: err.message };
  }
  return { crashed: "unknown op" };
}

function run(testCase) {
  if (testCase.call === "emitter") return runEmitter(testCase);
  if (testCase.call === "createServer") return runCreateServer(testCase);
  if (testCase.call === "connect") return runConnect(testCase);
  if (testCase.call === "netutil") return runNetutil(testCase);
  const server = net.createServer();
  server.on("error", () => {});
  const outcome = { throws: false };
  try {
    server.listen(...decode(testCase.args));
  } catch (err) {
    outcome.throws = true;
    outcome.code = err.code;
    outcome.name = err.name;
    outcome.message = err.message;
  }
  outcome.listeningListeners = server.listenerCount("listening");
  try { server.close(); } catch (err) {}
  return outcome;
}

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let answer;
  try { answer = run(JSON.parse(line)); } catch (err) { answer = { crashed: String(err) }; }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
lines.on("close", () => process.exit(0));
