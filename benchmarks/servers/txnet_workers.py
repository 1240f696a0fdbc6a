"""txnetserver echo under twistd (default reactor), N worker processes on one socket, unpinned."""

import os
import re
import subprocess
import sys

host, workers = sys.argv[1], sys.argv[2]
twistd = os.path.join(os.path.dirname(sys.executable), "twistd")
process = subprocess.Popen(
    [
        twistd,
        "-n",
        "--pidfile=",
        "-l",
        "-",
        "netserver",
        "--workers",
        workers,
        "--port",
        "0",
        "--host",
        host,
        "--backlog",
        "4096",
    ],
    stdout=subprocess.PIPE,
    text=True,
)
assert process.stdout is not None
port = None
ready = 0
expected = int(workers) if int(workers) > 1 else 0  # one worker is a plain process
for line in process.stdout:
    match = re.search(r"txnetserver listening on \S+ port (\d+)", line)
    if match and port is None:
        port = match.group(1)
    if "[worker" in line and "listening on" in line:
        ready += 1
    if port and ready >= expected:
        break
print("ready", port, flush=True)
process.wait()  # the benchmark kills this whole process group when done
