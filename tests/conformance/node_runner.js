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

function run(testCase) {
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
