"""
Tests for the ``twistd netserver`` plugin: option parsing (txnetserver._tap)
and real ``twistd -n netserver`` processes on loopback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile

from twisted.application.service import IService
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from txnetserver import NetServerService
from txnetserver._tap import Options, makeService

from ._children import TWISTD, childEnvironment, readUntil, startTwistd


def parse(*arguments: str) -> Options:
    options = Options()
    options.parseOptions(list(arguments))
    return options


def userHandler(socket: object) -> None:
    """A connection listener for --handler tests."""


class OptionTests(SynchronousTestCase):
    def test_defaults_listen_on_port_8000_with_echo(self) -> None:
        options = parse()
        service = makeService(options)
        self.assertTrue(verifyObject(IService, service))
        assert isinstance(service, NetServerService)
        self.assertEqual(service.listenArgs, ({"port": 8000, "backlog": 511},))
        self.assertEqual(service.server.listenerCount("connection"), 1)

    def test_port_host_and_flags_become_listen_options(self) -> None:
        options = parse(
            "--port",
            "0",
            "--host",
            "::",
            "--ipv6-only",
            "--reuse-port",
            "--backlog",
            "5",
            "--max-connections",
            "3",
            "--no-delay",
            "--keep-alive",
            "--allow-half-open",
            "--pause-on-connect",
            "--proxy-protocol",
            "--graceful-timeout",
            "250",
        )
        service = makeService(options)
        assert isinstance(service, NetServerService)
        self.assertEqual(
            service.listenArgs,
            ({"port": 0, "backlog": 5, "host": "::", "ipv6Only": True, "reusePort": True},),
        )
        server = service.server
        self.assertEqual(
            (
                server.maxConnections,
                server.noDelay,
                server.keepAlive,
                server.allowHalfOpen,
                server.pauseOnConnect,
                service.gracefulTimeout,
                server.proxyProtocol,
            ),
            (3, True, True, True, True, 250, True),
        )

    def test_path_and_endpoint(self) -> None:
        service = makeService(parse("--path", "/tmp/x.sock"))
        assert isinstance(service, NetServerService)
        self.assertEqual(service.listenArgs, ({"path": "/tmp/x.sock", "backlog": 511},))
        service = makeService(parse("--endpoint", "tcp:0"))
        assert isinstance(service, NetServerService)
        self.assertEqual(service.listenArgs, ({"endpoint": "tcp:0"},))

    def test_bad_values_name_the_option(self) -> None:
        for arguments, fragment in (
            (("--port", "http"), "--port"),
            (("--port", "70000"), "--port"),
            (("--backlog", "0"), "--backlog"),
            (("--max-connections", "-1"), "--max-connections"),
            (("--port", "1", "--path", "/x"), "--port and --path"),
            (("--ipv6-only",), "--ipv6-only"),
            (("--handler", "nonsense"), "--handler"),
            (("--handler", "no.such.module:f"), "--handler"),
            (("--handler", "tests.test_tap:missing"), "--handler"),
        ):
            with self.assertRaises(usage.UsageError) as raised:
                parse(*arguments)
            self.assertIn(fragment, str(raised.exception), arguments)

    def test_handler_module_callable_is_the_connection_listener(self) -> None:
        service = makeService(parse("--handler", "tests.test_tap:userHandler"))
        assert isinstance(service, NetServerService)
        self.assertEqual(service.server.listeners("connection"), [userHandler])

    def test_handler_returning_a_server_is_used_as_is(self) -> None:
        from txnetserver import createServer

        made = createServer()
        module = type(sys)("txns_test_factory")
        module.makeServer = lambda: made  # type: ignore[attr-defined]
        sys.modules["txns_test_factory"] = module
        self.addCleanup(sys.modules.pop, "txns_test_factory")
        service = makeService(parse("--handler", "txns_test_factory:makeServer"))
        assert isinstance(service, NetServerService)
        self.assertIs(service.server, made)


class TwistdProcessTests(SynchronousTestCase):
    """Real ``twistd -n netserver`` processes, stopped by PID."""

    def start(self, *arguments: str) -> tuple[subprocess.Popen[str], int]:
        child = startTwistd(*arguments)
        self.addCleanup(self.stop, child)
        match = readUntil(child.stdout, r"txnetserver listening on \S+ port (\d+)")
        return child, int(match.group(1))

    def stop(self, child: subprocess.Popen[str]) -> None:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()

    def roundTrip(self, address: object, family: int = socket.AF_INET) -> bytes:
        with socket.socket(family) as client:
            client.settimeout(10)
            client.connect(address)
            client.sendall(b"hello twistd")
            return client.recv(100)

    def test_echo_on_port_zero_logs_the_real_port(self) -> None:
        _child, port = self.start("--port", "0")
        self.assertGreater(port, 0)
        self.assertEqual(self.roundTrip(("127.0.0.1", port)), b"hello twistd")
        self.assertEqual(self.roundTrip(("::1", port), socket.AF_INET6), b"hello twistd")

    def test_max_connections_drop_is_logged(self) -> None:
        child, port = self.start("--port", "0", "--host", "127.0.0.1", "--max-connections", "1")
        first = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.addCleanup(first.close)
        first.sendall(b"x")
        self.assertEqual(first.recv(10), b"x")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as second:
            self.assertEqual(second.recv(10), b"")
        readUntil(child.stdout, r"dropped a connection from 127\.0\.0\.1 port \d+")

    def test_unix_path(self) -> None:
        directory = tempfile.mkdtemp(prefix="txns-")
        path = os.path.join(directory, "echo.sock")
        self.addCleanup(os.rmdir, directory)
        child = startTwistd("--path", path)
        self.addCleanup(self.stop, child)
        readUntil(child.stdout, "txnetserver listening on " + path)
        self.assertEqual(self.roundTrip(path, socket.AF_UNIX), b"hello twistd")
        child.send_signal(signal.SIGTERM)
        # twistd shuts down cleanly, then re-raises the signal it received.
        self.assertEqual(child.wait(timeout=10), -signal.SIGTERM)
        self.assertFalse(os.path.exists(path))

    def test_endpoint_description(self) -> None:
        _child, port = self.start("--endpoint", "tcp:0:interface=127.0.0.1")
        self.assertEqual(self.roundTrip(("127.0.0.1", port)), b"hello twistd")

    def test_sigterm_stops_gracefully_with_an_open_connection(self) -> None:
        child, port = self.start("--port", "0", "--graceful-timeout", "300")
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.addCleanup(client.close)
        client.sendall(b"ping")
        self.assertEqual(client.recv(10), b"ping")
        child.send_signal(signal.SIGTERM)
        # The connection is destroyed after the grace period; then twistd exits.
        self.assertEqual(client.recv(10), b"")
        self.assertEqual(child.wait(timeout=10), -signal.SIGTERM)
        assert child.stdout is not None
        self.assertIn("Main loop terminated", child.stdout.read())

    def test_bad_option_exits_with_a_usage_message_and_no_traceback(self) -> None:
        result = subprocess.run(
            [TWISTD, "-n", "--pidfile=", "netserver", "--port", "http"],
            capture_output=True,
            text=True,
            timeout=30,
            env=childEnvironment(),
        )
        self.assertNotEqual(result.returncode, 0)
        output = result.stdout + result.stderr
        self.assertIn("--port must be a whole number", output)
        self.assertNotIn("Traceback", output)

    def test_busy_port_exits_non_zero_with_nodes_message(self) -> None:
        busy = socket.socket(socket.AF_INET6)
        busy.bind(("::", 0))
        busy.listen(1)
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        result = subprocess.run(
            [TWISTD, "-n", "--pidfile=", "-l", "-", "netserver", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            env=childEnvironment(),
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(
            f"listen EADDRINUSE: address already in use :::{port}", result.stdout + result.stderr
        )
