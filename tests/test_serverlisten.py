"""
Tests for txnetserver._serverlisten, how a Server gets its listening socket:
on a Twisted endpoint (an object or a description, systemd's inherited
sockets included), listenNow() binding before returning and raising, an
asynchronous host lookup (superseded, closed before it answers, failing),
another server's or a descriptor's socket, and an AbortSignal.
"""

from __future__ import annotations

import os
import socket
import tempfile

from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from txnetserver import AddressInfo, Server, errors

from ._loopback import asyncTest, closed, connect, event, listenError, listening, reactor
from .test_server import ServerTestCase, busyMemoryReactor, busyPort, event_tick


class EndpointTests(ServerTestCase):
    """listen(endpoint) and {"endpoint": ...}: any Twisted server endpoint."""

    @asyncTest
    async def test_listen_on_an_endpoint_object(self) -> None:
        from twisted.internet.endpoints import TCP4ServerEndpoint

        server = self.makeServer(lambda s: s.end(b"ep"))
        server.listen(TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"))
        await listening(server)
        client = await connect(server)
        self.assertEqual(await client.waitForBytes(2), b"ep")

    @asyncTest
    async def test_listen_on_an_endpoint_description(self) -> None:
        path = self.tempPath()
        server = self.makeServer(lambda s: s.end(b"unix-ep"))
        server.listen({"endpoint": f"unix:{path}:lockfile=0"})
        await listening(server)
        self.assertEqual(server.address(), path)
        client = await connect(path)
        self.assertEqual(await client.waitForBytes(7), b"unix-ep")

    @asyncTest
    async def test_endpoint_listen_failure_is_an_error_event(self) -> None:
        busy = busyPort()
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        server = self.makeServer()
        server.listen({"endpoint": f"tcp:{port}:interface=127.0.0.1"})
        error = await listenError(server)
        self.assertEqual(getattr(error, "code", None), "EADDRINUSE")

    def test_an_unparseable_endpoint_description_raises_invalid_arg_value(self) -> None:
        server = self.makeServer()
        for description in ("nosuchkind:1", "systemd:domain=INET:index=99"):
            with self.assertRaises(errors.ERR_INVALID_ARG_VALUE):
                server.listen({"endpoint": description})
            self.assertFalse(server.listening)


class SystemdEndpointTests(ServerTestCase):
    """listen({"endpoint": "systemd:..."}) on a descriptor inherited like systemd passes it."""

    def test_systemd_endpoint_serves_an_inherited_socket(self) -> None:
        import subprocess
        import sys

        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        self.addCleanup(listener.close)
        port = listener.getsockname()[1]
        # What systemd does before exec: the socket on fd 3 and LISTEN_* set
        # for this very pid (done in the child, before Twisted reads them).
        script = """
import os
os.dup2(int(os.environ["INHERITED_FD"]), 3)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="1", LISTEN_FDNAMES="web")
from twisted.internet import reactor
from txnetserver import createServer
def serve(sock):
    sock.on("close", lambda hadError: reactor.stop())
    sock.end(b"from systemd")
server = createServer(serve)
server.on("listening", lambda: print("port", server.address().port, flush=True))
server.listen({"endpoint": "systemd:domain=INET:index=0"})
reactor.callLater(10, reactor.stop)  # bound: never outlive the test
reactor.run()
"""
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        fd = listener.fileno()
        child = subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            text=True,
            pass_fds=(fd,),
            env={**os.environ, "PYTHONPATH": root, "INHERITED_FD": str(fd)},
        )
        self.addCleanup(child.kill)
        assert child.stdout is not None
        self.assertEqual(child.stdout.readline().split(), ["port", str(port)])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            data = b""
            while len(data) < 12:
                chunk = client.recv(100)
                if not chunk:
                    break
                data += chunk
        self.assertEqual(data, b"from systemd")
        self.assertEqual(child.wait(timeout=10), 0)


class ListenNowTests(SynchronousTestCase):
    """``Server.listenNow``: listen() that binds before returning and raises instead of emitting."""

    def test_a_bind_failure_is_raised_and_not_emitted(self) -> None:
        memory = busyMemoryReactor()
        server = Server(reactor=memory)
        emitted: list[BaseException] = []
        server.on("error", emitted.append)
        with self.assertRaises(errors.NodeSystemError) as raised:
            server.listenNow(8000, "127.0.0.1")
        self.assertEqual(
            str(raised.exception), "listen EADDRINUSE: address already in use 127.0.0.1:8000"
        )
        memory.advance(0)
        self.assertFalse(server.listening)
        self.assertEqual(emitted, [])

    def test_before_the_reactor_runs_a_host_name_is_bound_before_returning(self) -> None:
        memory = MemoryReactorClock()
        server = Server(reactor=memory)
        heard: list[str] = []
        server.on("listening", lambda: heard.append("listening"))
        self.assertTrue(server.listenNow(8000, "localhost"))
        self.assertEqual(memory.tcpServers[0][0], 8000)
        self.assertIn(memory.tcpServers[0][3], ("127.0.0.1", "::1"))
        self.assertEqual(heard, [])  # 'listening' keeps Node's next tick
        memory.advance(0)
        self.assertEqual(heard, ["listening"])

    def test_an_unknown_host_is_raised_before_the_reactor_runs(self) -> None:
        server = Server(reactor=MemoryReactorClock())
        with self.assertRaises(errors.NodeSystemError) as raised:
            server.listenNow(8000, "no.such.host.invalid")
        self.assertEqual(raised.exception.syscall, "getaddrinfo")

    def test_while_the_reactor_runs_a_host_lookup_stays_asynchronous(self) -> None:
        memory = MemoryReactorClock()
        memory.running = True
        server = Server(reactor=memory)
        self.assertFalse(server.listenNow(8000, "localhost"))
        self.assertEqual(memory.tcpServers, [])
        memory.advance(0)
        self.assertTrue(server.listening)

    def test_while_the_reactor_runs_an_address_is_still_bound_before_returning(self) -> None:
        memory = MemoryReactorClock()
        memory.running = True
        server = Server(reactor=memory)
        self.assertTrue(server.listenNow(8000, "127.0.0.1"))
        self.assertEqual(memory.tcpServers[0][0::3], (8000, "127.0.0.1"))


class LookupTests(ServerTestCase):
    @asyncTest
    async def test_second_listen_while_lookup_pending_supersedes_the_first(self) -> None:
        server = self.makeServer()
        calls: list[str] = []
        server.listen(0, "127.0.0.1", lambda: calls.append("cb1"))
        server.listen(0, "127.0.0.1", lambda: calls.append("cb2"))
        await event(server, "listening")
        self.assertEqual(calls, ["cb1", "cb2"])
        self.assertTrue(server.listening)

    @asyncTest
    async def test_close_before_lookup_completes_never_listens(self) -> None:
        server = self.makeServer()
        listened: list[bool] = []
        server.on("listening", lambda: listened.append(True))
        server.listen(0, "127.0.0.1")
        results: list[BaseException | None] = []
        server.close(results.append)
        await event(server, "close")
        self.assertIsInstance(results[0], errors.ERR_SERVER_NOT_RUNNING)
        # A later tick must not bind the stale lookup result.
        await event_tick()
        self.assertEqual(listened, [])
        self.assertFalse(server.listening)

    @asyncTest
    async def test_lookup_failure_is_emitted_with_the_dns_code(self) -> None:
        server = self.makeServer()
        server.listen(0, "no.such.host.invalid")
        error = await listenError(server)
        assert isinstance(error, errors.NodeSystemError)
        self.assertEqual(error.syscall, "getaddrinfo")
        self.assertIn(error.code, ("ENOTFOUND", "EAI_AGAIN"))
        self.assertEqual(error.hostname, "no.such.host.invalid")
        self.assertFalse(server.listening)

    @asyncTest
    async def test_unref_before_a_host_lookup_sticks_once_listening(self) -> None:
        from txnetserver._handles import handlesFor

        refs = handlesFor(reactor).refs
        server = self.makeServer()
        server.unref()
        server.listen(0, "localhost")
        # The pending lookup is a handle of its own (Node's getaddrinfo
        # request is ref'd), then the unref'd server holds nothing.
        self.assertIn(server, refs)
        await listening(server)
        self.assertNotIn(server, refs)


class HandleTests(ServerTestCase):
    @asyncTest
    async def test_listen_on_another_server_shares_its_socket(self) -> None:
        first = self.makeServer()
        first.listen(0, "127.0.0.1")
        await listening(first)
        second = self.makeServer()
        second.listen(first)
        await listening(second)
        self.assertEqual(second.address(), first.address())
        for form in ({"handle": first}, {"_handle": first}, first.listeningPort):
            third = self.makeServer()
            third.listen(form)
            await listening(third)
            self.assertEqual(third.address(), first.address())
            await closed(third)
        # Either server accepts connections arriving on the shared socket.
        seen: list[str] = []
        first.on("connection", lambda s: (seen.append("first"), s.end()))
        second.on("connection", lambda s: (seen.append("second"), s.end()))
        await closed(first)
        client = await connect("127.0.0.1", second.address().port)  # type: ignore[union-attr]
        await client.lost
        self.assertEqual(seen, ["second"])

    @asyncTest
    async def test_listen_on_a_bound_fd_stays_the_callers(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.addCleanup(sock.close)
        server = self.makeServer(lambda s: s.end(b"hi"))
        server.listen({"fd": sock.fileno()})
        self.assertTrue(server.listening)
        address = server.address()
        assert isinstance(address, AddressInfo)
        self.assertEqual(address.port, sock.getsockname()[1])
        await listening(server)
        client = await connect("127.0.0.1", address.port)
        self.assertEqual(await client.waitForBytes(2), b"hi")
        await closed(server)
        sock.getsockname()  # still open: the caller's to close

    @asyncTest
    async def test_listen_on_a_regular_file_fd_is_einval(self) -> None:
        with tempfile.TemporaryFile() as f:
            server = self.makeServer()
            server.listen({"fd": f.fileno()})
            error = await listenError(server)
        assert isinstance(error, errors.NodeSystemError)
        self.assertEqual((error.code, error.syscall, error.address), ("EINVAL", "listen", None))
        self.assertEqual(str(error), "listen EINVAL: invalid argument")
        self.assertIsNone(error.port)


class SignalTests(ServerTestCase):
    @asyncTest
    async def test_abort_signal_closes_the_server(self) -> None:
        from txnetserver import AbortController

        controller = AbortController()
        server = self.makeServer()
        server.listen({"port": 0, "signal": controller.signal})
        await listening(server)
        controller.abort()
        self.assertFalse(server.listening)
        await event(server, "close")

    @asyncTest
    async def test_already_aborted_signal_closes_before_listening(self) -> None:
        from txnetserver import AbortSignal

        server = self.makeServer()
        listened: list[bool] = []
        server.on("listening", lambda: listened.append(True))
        server.listen({"port": 0, "signal": AbortSignal.abort()})
        self.assertTrue(server.listening)
        await event(server, "close")
        self.assertEqual(listened, [])
        self.assertFalse(server.listening)
