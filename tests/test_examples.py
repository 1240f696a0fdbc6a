"""The examples in examples/ work: in memory, and the .tac under a real twistd."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
from types import ModuleType
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.trial.unittest import SynchronousTestCase

import txnetserver
from txnetserver import Socket
from txnetserver.testing import MemoryNetwork

from ._children import TWISTD, childEnvironment, readUntil, stopChild
from ._loopback import asyncTest, closed, connect, event, listening, until
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
    async def proxyTo(self, onBackendConnection: Any, **backendOptions: Any) -> int:
        """A backend server and the example proxy in front of it: the proxy's port."""
        backend = self.makeServer(backendOptions, onBackendConnection)
        backend.listen(0, "127.0.0.1")
        await listening(backend)
        return await self.proxyToPort(backend.address().port)

    async def proxyToPort(self, port: int) -> int:
        proxy = load("proxy").makeServer("127.0.0.1", port)
        self.addCleanup(self._closeQuietly, proxy)
        proxy.listen(0, "127.0.0.1")
        await listening(proxy)
        return int(proxy.address().port)

    def client(self, port: int, **options: Any) -> Socket:
        socket = txnetserver.connect(port=port, host="127.0.0.1", **options)
        self.addCleanup(socket.destroy)
        return socket

    @asyncTest
    async def test_proxy_forwards_both_ways_to_a_backend(self) -> None:
        port = await self.proxyTo(lambda s: s.pipe(s))
        client = await connect("127.0.0.1", port)
        client.write(b"through the proxy")
        self.assertEqual(await client.waitForBytes(17), b"through the proxy")
        client.close()
        await client.lost

    @asyncTest
    async def test_proxy_passes_half_close_on_both_ways(self) -> None:
        def answerAfterEnd(sock: Socket) -> None:
            request: list[bytes] = []
            sock.on("data", request.append)
            sock.on("end", lambda: sock.end(b"answer to " + b"".join(request)))

        port = await self.proxyTo(answerAfterEnd, allowHalfOpen=True)
        client = self.client(port, allowHalfOpen=True)
        received: list[bytes] = []
        client.on("data", received.append)
        ended = event(client, "end")
        client.end(b"question")  # queued until connected, then our FIN
        await ended
        self.assertEqual(b"".join(received), b"answer to question")
        await event(client, "close")

    @asyncTest
    async def test_a_slow_client_slows_the_backend_down(self) -> None:
        backendSide: Deferred[Socket] = Deferred()
        port = await self.proxyTo(backendSide.callback)
        client = self.client(port)
        client.pause()  # reads nothing: the proxy must stop reading the backend
        await event(client, "connect")
        sender = await backendSide
        chunk = b"x" * 65536
        sent = 0
        while sender.write(chunk):
            sent += len(chunk)
            # Let the bytes move through the proxy until the backpressure reaches us.
            await deferLater(reactor, 0, lambda: None)
        sent += len(chunk)
        self.assertTrue(sender.writableNeedDrain)
        drained = event(sender, "drain")
        received: list[int] = []
        client.on("data", lambda data: received.append(len(data)))
        client.resume()
        await drained
        await until(lambda: sum(received) == sent, iterations=200_000)

    @asyncTest
    async def test_a_slow_backend_slows_the_client_down(self) -> None:
        backendSide: Deferred[Socket] = Deferred()

        def pauseAtOnce(sock: Socket) -> None:
            sock.pause()
            backendSide.callback(sock)

        port = await self.proxyTo(pauseAtOnce)
        client = self.client(port)
        await event(client, "connect")
        reader = await backendSide
        chunk = b"y" * 65536
        sent = 0
        while client.write(chunk):
            sent += len(chunk)
            await deferLater(reactor, 0, lambda: None)
        sent += len(chunk)
        drained = event(client, "drain")
        received: list[int] = []
        reader.on("data", lambda data: received.append(len(data)))
        reader.resume()
        await drained
        await until(lambda: sum(received) == sent, iterations=200_000)

    @asyncTest
    async def test_a_refused_backend_closes_the_client(self) -> None:
        unused = self.makeServer()
        unused.listen(0, "127.0.0.1")
        await listening(unused)
        deadPort = unused.address().port
        await closed(unused)
        port = await self.proxyToPort(deadPort)
        client = self.client(port)
        client.on("error", lambda error: None)
        self.assertEqual(await event(client, "close"), (False,))

    @asyncTest
    async def test_a_client_reset_closes_the_backend_connection(self) -> None:
        backendSide: Deferred[Socket] = Deferred()
        port = await self.proxyTo(backendSide.callback)
        client = self.client(port)
        await event(client, "connect")
        sender = await backendSide
        sender.on("error", lambda error: None)
        backendClosed = event(sender, "close")
        client.resetAndDestroy()
        await backendClosed
