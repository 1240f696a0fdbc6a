"""The examples in examples/ work: in memory, and the .tac under a real twistd."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
from types import ModuleType

from twisted.trial.unittest import SynchronousTestCase

from txnetserver.testing import MemoryNetwork

from ._children import TWISTD, childEnvironment, readUntil, stopChild
from ._loopback import asyncTest, connect, listening
from .test_server import ServerTestCase

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ExampleTests(SynchronousTestCase):
    def test_echo(self) -> None:
        network = MemoryNetwork()
        server = load("echo").makeServer(network.reactor)
        server.listen(8000)
        client = network.connect(server)
        client.write(b"hello")
        network.pump()
        self.assertEqual(client.received, b"hello")

    def test_chat_broadcasts_complete_lines_to_the_others(self) -> None:
        network = MemoryNetwork()
        server = load("chat").makeServer(network.reactor)
        server.listen(8000)
        alice = network.connect(server, "10.0.0.1", 1111)
        bob = network.connect(server, "10.0.0.2", 2222)
        self.assertEqual(alice.takeReceived(), b"* 10.0.0.2:2222 joined\n")
        alice.write(b"hi b")
        network.pump()
        self.assertEqual(bob.received, b"")
        alice.write(b"ob\nsecond line\n")
        network.pump()
        self.assertEqual(bob.takeReceived(), b"10.0.0.1:1111> hi bob\n10.0.0.1:1111> second line\n")
        self.assertEqual(alice.received, b"")
        alice.end()
        network.pump()
        self.assertEqual(bob.takeReceived(), b"* 10.0.0.1:1111 left\n")

    def test_asyncio_app_serves_from_an_asyncio_program_and_exits(self) -> None:
        result = subprocess.run(
            [sys.executable, os.path.join(EXAMPLES, "asyncio_app.py")],
            capture_output=True,
            text=True,
            timeout=60,
            env=childEnvironment(),
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertRegex(lines[0], r"^listening on 127\.0\.0\.1:\d+$")
        self.assertEqual(lines[1:], ["HELLO FROM ASYNCIO", "closed"])
        self.assertEqual(result.stderr, "")

    def test_application_tac_runs_under_twistd(self) -> None:
        child = subprocess.Popen(
            [
                TWISTD,
                "-n",
                "--pidfile=",
                "-l",
                "-",
                "-y",
                os.path.join(EXAMPLES, "application.tac"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=childEnvironment(),
        )
        self.addCleanup(stopChild, child)
        port = int(readUntil(child.stdout, r"tac echo listening on (\d+)").group(1))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"tac")
            self.assertEqual(client.recv(10), b"tac")
        child.send_signal(signal.SIGTERM)
        self.assertEqual(child.wait(timeout=10), -signal.SIGTERM)


class ProxyExampleTests(ServerTestCase):
    @asyncTest
    async def test_proxy_forwards_both_ways_to_a_backend(self) -> None:
        backend = self.makeServer(lambda s: s.pipe(s))
        backend.listen(0, "127.0.0.1")
        await listening(backend)
        proxy = load("proxy").makeServer("127.0.0.1", backend.address().port)
        self.addCleanup(self._closeQuietly, proxy)
        proxy.listen(0, "127.0.0.1")
        await listening(proxy)
        client = await connect(proxy)
        client.write(b"through the proxy")
        self.assertEqual(await client.waitForBytes(17), b"through the proxy")
        client.close()
        await client.lost
