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

function run(testCase) {
  if (testCase.call === "emitter") return runEmitter(testCase);
  if (testCase.call === "createServer") return runCreateServer(testCase);
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
