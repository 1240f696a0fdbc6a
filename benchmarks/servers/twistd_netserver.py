"""
``twistd -n netserver`` exactly as a newcomer runs it (no ``-r``: the default
reactor; the built-in echo handler), in this process so that its CPU is
measured.  Prints ``ready PORT`` once twistd logs where it listens.
"""

import os
import re
import sys

from twisted.logger import formatEvent, globalLogPublisher
from twisted.scripts.twistd import run


def announce(event: dict[str, object]) -> None:
    match = re.search(r"txnetserver listening on \S+ port (\d+)", formatEvent(event))
    if match:
        # twistd sends sys.stdout to its log: write to the descriptor itself.
        os.write(1, f"ready {match.group(1)}\n".encode())


globalLogPublisher.addObserver(announce)
sys.argv = [
    "twistd",
    "-n",
    "--pidfile=",
    "--logfile=/dev/null",
    "netserver",
    "--port",
    "0",
    "--host",
    sys.argv[1],
    "--backlog",
    "4096",
]
run()
