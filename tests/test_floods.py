"""
Floods and limits on loopback: far more clients than maxConnections, and
accept(2) failing with EMFILE in a child whose descriptor limit is low.
"""

from __future__ import annotations

import socket
import subprocess
from typing import Any

from twisted.internet.defer import gatherResults
from twisted.trial.unittest import SynchronousTestCase

from ._children import readUntil, startPython
from ._loopback import asyncTest, connect, listening, until
from .test_server import ServerTestCase


class ConnectFloodTests(ServerTestCase):
    timeout = 30

    @asyncTest
    async def test_a_flood_above_max_connections_is_dropped_and_the_rest_served(self) -> None:
        sockets: list[Any] = []
        server = self.makeServer(sockets.append)
        server.maxConnections = 10
        drops: list[Any] = []
        server.on("drop", drops.append)
        server.listen(0, "127.0.0.1", backlog=1024)
        await listening(server)
        clients = await gatherResults([connect(server) for _ in range(200)])
        # Every client is either held (one of 10) or dropped (FIN, no data).
        await until(lambda: len(drops) + len(sockets) >= 200)
        await until(lambda: sum(client.eof for client in clients) >= 190)
        self.assertEqual(len(sockets), 10)
        self.assertEqual(len(drops), 190)
        # The held ones are served, and the server still answers afterwards.
        for sock in sockets:
            sock.pipe(sock)
        held = [c for c in clients if not c.eof]
        self.assertEqual(len(held), 10)
        held[0].write(b"still here")
        self.assertEqual(await held[0].waitForBytes(10), b"still here")
        for client in clients:
            client.close()


EMFILE_CHILD = """
import resource
from txnetserver import createServer, run

def main(reactor):
    server = createServer(lambda s: (s.on("error", lambda e: None), s.pipe(s)))
    def onError(err):
        print("error", err.code, err.syscall, str(err), flush=True)
    server.on("error", onError)
    def ready():
        # Few descriptors from now on: accept(2) runs out quickly.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        import os
        used = len(os.listdir("/proc/self/fd"))
        resource.setrlimit(resource.RLIMIT_NOFILE, (used + 5, hard))
        print("ready", server.address().port, flush=True)
    server.listen(0, "127.0.0.1", ready)

run(main)
"""


class AcceptErrorTests(SynchronousTestCase):
    def test_emfile_becomes_an_error_event_and_the_server_recovers(self) -> None:
        child = startPython(EMFILE_CHILD)

        def stop() -> None:
            if child.poll() is None:
                child.kill()
            child.communicate(timeout=10)

        self.addCleanup(stop)
        port = int(readUntil(child.stdout, r"ready (\d+)").group(1))
        clients = []
        try:
            for _ in range(12):
                clients.append(socket.create_connection(("127.0.0.1", port), timeout=10))
            match = readUntil(child.stdout, r"error (\S+) (\S+) (.*)")
            self.assertEqual(match.groups(), ("EMFILE", "accept", "accept EMFILE"))
            self.assertIsNone(child.poll())
        finally:
            for client in clients:
                client.close()
        # Descriptors are free again: a new client is accepted and served.
        for _ in range(20):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
                    client.sendall(b"recovered")
                    data = client.recv(20)
                if data == b"recovered":
                    break
            except OSError:
                continue
        else:
            self.fail("the server never recovered from EMFILE")
        self.assertIsNone(child.poll())
        self.assertIsInstance(child, subprocess.Popen)
