"""
Tests for txnetserver._connecting, the socket.connect() mixin, on real
loopback sockets: the connecting phase cancelled by destroy() (no descriptor
leaked) or by an AbortSignal, a second connect() (EALREADY) or one on a
destroyed socket, and a connecting socket keeping run() alive unless unref'd.
"""

from __future__ import annotations

import txnetserver
from txnetserver import errors

from ._children import runPython
from ._loopback import asyncTest, event, openFDs, reactor, until
from .test_client import ClientTestCase


class ConnectingTests(ClientTestCase):
    @asyncTest
    async def test_destroy_during_the_attempt_leaks_no_descriptor(self) -> None:
        port = await self.echoServer()
        before = openFDs()
        for _ in range(20):
            socket = self.connect(port, "127.0.0.1")
            socket.on("connectionAttempt", lambda *args, s=socket: s.destroy())
            self.assertEqual(await event(socket, "close"), (False,))
        await until(lambda: openFDs() <= before)

    @asyncTest
    async def test_an_abort_signal_destroys_the_connecting_socket(self) -> None:
        controller = txnetserver.AbortController()
        socket = self.connect(
            port=80, host="backend.test", lookup=lambda h, o, cb: None, signal=controller.signal
        )
        log = self.record(socket, "error", "close")
        reactor.callLater(0, controller.abort)
        await event(socket, "close")
        self.assertIsInstance(log[0][1], errors.AbortError)
        self.assertEqual(log[1], ("close", True))


class ProcessLifetimeTests(ClientTestCase):
    CHILD = """
        import txnetserver
        def main(reactor):
            server = txnetserver.createServer(lambda s: s.end(b"hi")).listen(0)
            server.unref()
            def lookup(hostname, options, callback):
                reactor.callLater(0.2, callback, None, "127.0.0.1", 4)
            socket = txnetserver.connect(
                port=server.address().port, host="slow.test", family=4, lookup=lookup
            )
            socket.on("connect", lambda: print("connected", flush=True))
            socket.resume()  # reads the server's answer and FIN, then closes
            {setup}
        txnetserver.run(main)
        """

    def test_a_connecting_socket_keeps_run_alive_until_it_closes(self) -> None:
        result = runPython(self.CHILD.format(setup=""))
        self.assertEqual(
            (result.returncode, result.stdout.strip()), (0, "connected"), result.stderr
        )

    def test_ref_after_unref_while_connecting_keeps_run_alive_again(self) -> None:
        result = runPython(self.CHILD.format(setup="socket.unref().ref()"))
        self.assertEqual(
            (result.returncode, result.stdout.strip()), (0, "connected"), result.stderr
        )

    def test_an_unrefd_connecting_socket_lets_the_process_exit(self) -> None:
        result = runPython(self.CHILD.format(setup="socket.unref()"))
        self.assertEqual((result.returncode, result.stdout.strip()), (0, ""), result.stderr)


class ReconnectTests(ClientTestCase):
    @asyncTest
    async def test_a_second_connect_while_connecting_fails_with_ealready(self) -> None:
        port = await self.echoServer()
        socket = self.connect(port, "127.0.0.1")
        self.assertIs(socket.connect(port, "127.0.0.1"), socket)
        log = self.record(socket, "error", "close")
        await event(socket, "close")
        self.assertEqual(log[0][1].code, "EALREADY")
        self.assertEqual(str(log[0][1]), f"connect EALREADY 127.0.0.1:{port}")
        self.assertEqual(log[1], ("close", True))

    @asyncTest
    async def test_connect_on_a_destroyed_socket_raises_socket_closed(self) -> None:
        socket = self.connect(1, "127.0.0.1")
        socket.on("error", lambda error: None)
        await event(socket, "close")
        with self.assertRaises(errors.ERR_SOCKET_CLOSED):
            socket.connect(1, "127.0.0.1")
