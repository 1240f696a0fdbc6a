"""
Connection load on loopback (issue 9): 10 000 concurrent connections accepted,
echoed and closed; afterwards descriptors and Socket objects are back to the
baseline and the server still serves.  Bounded: a few seconds of load.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

from txnetserver import Socket

from ._loopback import asyncTest, echoRoundTrip, listening, openFDs, reactor, until
from .test_server import ServerTestCase

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))

import run as benchmarks

CONNECTIONS = 10_000


class _Collect(ProcessProtocol):
    def __init__(self) -> None:
        self.output = b""
        self.ended: Deferred[bytes] = Deferred()

    def outReceived(self, data: bytes) -> None:
        self.output += data

    def processEnded(self, reason: Failure) -> None:
        self.ended.callback(self.output)


def liveSockets() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Socket))


class LoadTests(ServerTestCase):
    timeout = 120

    @asyncTest
    async def test_ten_thousand_connections_echoed_closed_and_nothing_leaked(self) -> None:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        count = min(CONNECTIONS, hard - 1000)
        self.assertEqual(count, CONNECTIONS, f"RLIMIT_NOFILE hard limit {hard} is too low")
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        loadgen = benchmarks.buildLoadgen()

        accepted = [0]

        def onConnection(sock: Socket) -> None:
            sock.on("error", lambda error: None)
            sock.pipe(sock)
            accepted[0] += 1

        server = self.makeServer(onConnection)
        server.listen(0, "127.0.0.1", backlog=4096)
        await listening(server)
        baselineFDs = openFDs()
        baselineSockets = liveSockets()

        collector = _Collect()
        # "once": every client makes one round trip and stays open until all
        # have, however slow the machine (60 s is only a safety limit).
        port = str(server.address().port)
        args = [str(loadgen), "once", "127.0.0.1", port, str(count), "64", "60"]
        reactor.spawnProcess(collector, args[0], args, env=os.environ)
        report: Any = json.loads((await collector.ended).decode().strip().splitlines()[-1])

        self.assertEqual(report["held"], count)
        self.assertEqual(report["failures"], 0)
        self.assertEqual(report["operations"], count)
        # Every connection was accepted once, each echoed, all open together.
        self.assertEqual(accepted[0], count)
        # The generator has exited: every connection closes on our side too.
        await until(lambda: server._connections == 0, iterations=20_000)
        self.assertLessEqual(openFDs(), baselineFDs)
        # 'close' is emitted a tick after the count drops: once the queued
        # events ran, no Socket may remain.
        await until(lambda: liveSockets() <= baselineSockets, iterations=200)
        self.assertEqual(await echoRoundTrip(server, b"after the load"), b"after the load")
