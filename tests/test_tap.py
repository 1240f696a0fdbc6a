"""
Tests for txnetserver._tap: the ``twistd netserver`` options and makeService,
in-process.  Real ``twistd`` processes are in test_plugin.py.
"""

from __future__ import annotations

import sys
from typing import Any

from twisted.application.service import IService
from twisted.logger import formatEvent, globalLogPublisher
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from txnetserver import NetServerService, Server, WorkersService, createServer
from txnetserver._tap import Options, _workerArguments, makeService

from ._loopback import asyncTest, connect, echoRoundTrip, listening
from .test_server import ServerTestCase


def parse(*arguments: str) -> Options:
    options = Options()
    options.parseOptions(list(arguments))
    return options


def service(*arguments: str) -> NetServerService:
    made = makeService(parse(*arguments))
    assert isinstance(made, NetServerService)
    return made


def userListener(socket: object) -> None:
    """A connection listener for --handler tests."""


class UserHandler:
    """A class taking the socket is a connection listener too."""

    def __init__(self, socket: object) -> None:
        self.socket = socket


def installModule(test: SynchronousTestCase, name: str, **attributes: Any) -> None:
    module = type(sys)(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module
    test.addCleanup(sys.modules.pop, name)


class OptionTests(SynchronousTestCase):
    def test_defaults_are_an_echo_server_on_port_8000(self) -> None:
        made = service()
        self.assertTrue(verifyObject(IService, made))
        self.assertEqual(made.listenArgs, ({"port": 8000, "backlog": 511},))
        # The echo handler, after twistd's own (timeouts, the accept log).
        self.assertEqual(made.server.listenerCount("connection"), 2)
        # Within systemd's default 90 s stop timeout.
        self.assertEqual(made.gracefulTimeout, 30_000)
        self.assertEqual(made.server.proxyHeaderTimeout, 10_000)
        self.assertTrue(made.stopReactorOnListenFailure)

    def test_port_host_and_flags_become_listen_and_server_options(self) -> None:
        made = service(
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
        self.assertEqual(
            made.listenArgs,
            ({"port": 0, "backlog": 5, "host": "::", "ipv6Only": True, "reusePort": True},),
        )
        server = made.server
        self.assertEqual(
            (
                server.maxConnections,
                server.noDelay,
                server.keepAlive,
                server.allowHalfOpen,
                server.pauseOnConnect,
                made.gracefulTimeout,
                server.proxyProtocol,
            ),
            (3, True, True, True, True, 250, True),
        )

    def test_a_host_alone_keeps_the_default_port(self) -> None:
        self.assertEqual(
            service("--host", "127.0.0.1").listenArgs,
            ({"port": 8000, "backlog": 511, "host": "127.0.0.1"},),
        )

    def test_path(self) -> None:
        self.assertEqual(
            service("--path", "/tmp/x.sock", "--backlog", "7").listenArgs,
            ({"path": "/tmp/x.sock", "backlog": 7},),
        )

    def test_endpoint(self) -> None:
        self.assertEqual(
            service("--endpoint", "tcp:0:interface=127.0.0.1").listenArgs,
            ({"endpoint": "tcp:0:interface=127.0.0.1"},),
        )

    def test_bad_values_are_usage_errors_naming_the_option(self) -> None:
        for arguments, fragment in (
            (("--port", "http"), "--port must be a whole number"),
            (("--port", "-1"), "--port must be at least 0"),
            (("--port", "70000"), "--port must be at most 65535"),
            (("--backlog", "0"), "--backlog must be at least 1"),
            (("--max-connections", "many"), "--max-connections must be a whole number"),
            (("--graceful-timeout", "-5"), "--graceful-timeout must be at least 0"),
            (("--port", "1", "--path", "/x"), "--port and --path"),
            (("--path", "/x", "--endpoint", "tcp:0"), "--path and --endpoint"),
            (("--path", "/x", "--host", "::1"), "--host goes with --port"),
            (("--endpoint", "tcp:0", "--reuse-port"), "--reuse-port goes with --port"),
            (("--endpoint", "tcp:0", "--backlog", "9"), "--backlog goes with --port"),
            (("--ipv6-only",), "--ipv6-only needs --host"),
            (("--endpoint", "nonsense:1"), "--endpoint 'nonsense:1'"),
            (("--endpoint", "tcp:port=x"), "--endpoint 'tcp:port=x'"),
            (("--handler", "nonsense"), "--handler must be echo, discard"),
            (("--handler", "no.such.module:f"), "--handler: cannot import"),
            (("--handler", "tests.test_tap:missing"), "--handler: 'tests.test_tap' has no"),
            (("--handler", "tests.test_tap:__doc__"), "is not callable"),
        ):
            with self.assertRaises(usage.UsageError, msg=repr(arguments)) as raised:
                parse(*arguments)
            self.assertIn(fragment, str(raised.exception), arguments)

    def test_no_short_h_option_shadows_help(self) -> None:
        shorts = [p[1] for p in Options.optParameters + Options.optFlags if p[1]]
        self.assertNotIn("h", shorts)


class WorkerArgumentTests(SynchronousTestCase):
    def test_workers_get_every_option_but_where_to_listen(self) -> None:
        options = Options()
        options.parseOptions(
            [
                "--workers", "2", "--port", "0", "--host", "127.0.0.1", "--backlog", "64",
                "--ipv6-only", "--reuse-port", "--max-connections", "5",
                "--graceful-timeout", "100", "--allow-half-open", "--pause-on-connect",
                "--no-delay", "--keep-alive", "--proxy-protocol",
            ]
        )  # fmt: skip
        self.assertEqual(
            _workerArguments(options),
            [
                "--handler", "echo", "--max-connections", "5", "--graceful-timeout", "100",
                "--tls-handshake-timeout", "10000", "--proxy-header-timeout", "10000",
                "--allow-half-open", "--pause-on-connect", "--no-delay", "--keep-alive",
                "--proxy-protocol",
            ],
        )  # fmt: skip

    def test_a_workers_service_is_made_for_its_inherited_descriptor(self) -> None:
        made = makeService(parse("--max-connections", "5"), listen={"fd": 3})
        assert isinstance(made, NetServerService)
        self.assertEqual(made.listenArgs, ({"fd": 3},))
        self.assertEqual(made.server.maxConnections, 5)

    def test_workers_make_a_parent_that_exits_on_a_failed_bind(self) -> None:
        made = makeService(parse("--workers", "2"))
        assert isinstance(made, WorkersService)
        self.assertEqual(made.listen, {"port": 8000, "backlog": 511})
        self.assertTrue(made.exitOnListenFailure)

    def test_workers_get_the_trusted_proxies_and_believe_the_same_sources(self) -> None:
        options = parse(
            *("--workers", "2", "--proxy-protocol", "--trusted-proxy", "10.0.0.1"),
            *("--trusted-proxy", "10.1.0.0/16,::1"),
        )
        arguments = _workerArguments(options)
        index = arguments.index("--trusted-proxy")
        self.assertEqual(arguments[index + 1], "10.0.0.1,10.1.0.0/16,::1")
        trusted = parse(*arguments)["trustedProxies"]
        self.assertEqual(
            [
                trusted.check(a, "ipv6" if ":" in a else "ipv4")
                for a in ("10.1.2.3", "::1", "127.0.0.1")
            ],
            [True, True, False],
        )

    def test_trusted_proxy_goes_with_proxy_protocol(self) -> None:
        with self.assertRaises(usage.UsageError) as raised:
            parse("--trusted-proxy", "10.0.0.1")
        self.assertIn("--trusted-proxy goes with --proxy-protocol", str(raised.exception))


class HandlerTests(SynchronousTestCase):
    def test_a_callable_taking_the_socket_is_the_connection_listener(self) -> None:
        made = service("--handler", "tests.test_tap:userListener")
        self.assertEqual(made.server.listeners("connection")[1:], [userListener])

    def test_a_class_taking_the_socket_is_the_connection_listener(self) -> None:
        made = service("--handler", "tests.test_tap:UserHandler")
        self.assertEqual(made.server.listeners("connection")[1:], [UserHandler])

    def test_a_factory_returning_a_server_is_used_with_the_given_options(self) -> None:
        made = createServer()
        calls: list[None] = []

        def makeServer() -> Server:
            calls.append(None)
            return made

        installModule(self, "txns_factory", makeServer=makeServer)
        result = service(
            "--handler", "txns_factory:makeServer", "--no-delay", "--max-connections", "2"
        )
        self.assertIs(result.server, made)
        self.assertEqual((calls, made.noDelay, made.maxConnections), ([None], True, 2))
        self.assertFalse(made.keepAlive)  # flags not given leave the user's choice

    def test_a_factory_returning_a_listener_is_called_once(self) -> None:
        calls: list[None] = []

        def makeListener() -> Any:
            calls.append(None)
            return userListener

        installModule(self, "txns_factory", makeListener=makeListener)
        made = service("--handler", "txns_factory:makeListener", "--pause-on-connect")
        self.assertEqual(made.server.listeners("connection")[1:], [userListener])
        self.assertEqual((calls, made.server.pauseOnConnect), ([None], True))

    def test_a_factory_returning_anything_else_names_the_handler(self) -> None:
        installModule(self, "txns_factory", makeNothing=lambda: None)
        with self.assertRaises(SystemExit) as raised:
            service("--handler", "txns_factory:makeNothing")
        self.assertIn("--handler txns_factory:makeNothing", str(raised.exception))


class RunningServiceTests(ServerTestCase):
    """The service makeService builds, on loopback: handlers and log lines."""

    def start(self, *arguments: str) -> tuple[Server, list[str]]:
        messages: list[str] = []

        def observe(event: dict[str, Any]) -> None:
            if event.get("log_namespace") == "txnetserver":
                messages.append(formatEvent(event))

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)
        made = service("--port", "0", "--host", "127.0.0.1", *arguments)
        made.privilegedStartService()
        made.startService()
        self.addCleanup(made.stopService)
        return made.server, messages

    @asyncTest
    async def test_echo_logs_the_real_port(self) -> None:
        server, messages = self.start()
        await listening(server)
        address = server.address()
        assert address is not None and not isinstance(address, str)
        self.assertEqual(messages, [f"txnetserver listening on 127.0.0.1 port {address.port}"])
        self.assertEqual(await echoRoundTrip(server, b"echo me"), b"echo me")

    @asyncTest
    async def test_discard_reads_and_answers_nothing(self) -> None:
        server, _ = self.start("--handler", "discard")
        await listening(server)
        client = await connect(server)
        client.write(b"into the void")
        client.halfClose()
        await client.lost  # the server ended its side at our FIN, having sent nothing
        self.assertEqual(bytes(client.received), b"")

    @asyncTest
    async def test_each_drop_is_logged(self) -> None:
        server, messages = self.start("--max-connections", "1")
        await listening(server)
        first = await connect(server)
        first.write(b"x")
        await first.waitForBytes(1)
        second = await connect(server)
        ourPort = second.transport.getHost().port  # type: ignore[union-attr]
        await second.lost
        self.assertEqual(
            messages[-1],
            f"txnetserver dropped a connection from 127.0.0.1 port {ourPort} "
            "(maxConnections 1 reached)",
        )
        first.close()
        await first.lost
