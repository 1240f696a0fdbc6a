"""
Tests for txnetserver.run: Node's process lifetime (§1.12, §4 scenarios 62-66),
each scenario in a real child process.

"Kept alive" is proven by a round trip served after ``main`` returned: run()
checks for an exit on the reactor iteration after main is done, so a process
that should have exited would never answer.
"""

from __future__ import annotations

import socket
import subprocess

from twisted.trial.unittest import SynchronousTestCase

from ._children import readUntil, runPython, startPython

ECHO_CHILD = """
import sys
from txnetserver import createServer, run

def main(reactor):
    server = createServer(lambda s: (s.on("error", lambda e: None), s.pipe(s)))
    {setup}
    server.listen(0, "127.0.0.1", lambda: print("ready", server.address().port, flush=True))

run(main)
"""


class RunTests(SynchronousTestCase):
    def startChild(self, setup: str) -> tuple[subprocess.Popen[str], int]:
        child = startPython(ECHO_CHILD.format(setup=setup))
        self.addCleanup(self._stop, child)
        port = int(readUntil(child.stdout, r"ready (\d+)").group(1))
        return child, port

    def _stop(self, child: subprocess.Popen[str]) -> None:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=10)

    def assertServing(self, port: int) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"alive?")
            self.assertEqual(client.recv(100), b"alive?")

    def test_a_listening_server_keeps_the_process_alive(self) -> None:
        child, port = self.startChild("")
        self.assertServing(port)
        self.assertIsNone(child.poll())

    def test_an_unrefd_server_lets_the_process_exit(self) -> None:
        result = runPython(
            """
            from txnetserver import createServer, run
            def main(reactor):
                createServer().listen(0, lambda: print("listening", flush=True)).unref()
            run(main)
            """
        )
        self.assertEqual((result.returncode, result.stdout.strip()), (0, "listening"))

    def test_unref_before_listen_with_a_host_sticks_and_listening_still_fires(self) -> None:
        result = runPython(
            """
            from txnetserver import createServer, run
            def main(reactor):
                server = createServer()
                server.unref()
                server.listen(0, "127.0.0.1", lambda: print("listening", flush=True))
            run(main)
            """
        )
        self.assertEqual((result.returncode, result.stdout.strip()), (0, "listening"))

    def test_ref_after_unref_keeps_the_process_alive(self) -> None:
        child, port = self.startChild("server.unref(); server.ref()")
        self.assertServing(port)
        self.assertIsNone(child.poll())

    def test_closing_the_last_handle_ends_the_process(self) -> None:
        result = runPython(
            """
            from txnetserver import createServer, run
            def main(reactor):
                server = createServer()
                server.listen(0, lambda: server.close(lambda err: print("closed", err)))
            run(main)
            """
        )
        self.assertEqual((result.returncode, result.stdout.strip()), (0, "closed None"))

    def test_an_accepted_socket_keeps_an_unrefd_server_alive_until_unrefd(self) -> None:
        child = startPython(
            """
            from txnetserver import createServer, once, run
            def onConnection(sock):
                def onData(data):
                    if data == b"unref":
                        sock.unref()
                    else:
                        sock.write(data)
                sock.on("data", onData)
            def main(reactor):
                server = createServer(onConnection)
                def ready():
                    print("ready", server.address().port, flush=True)
                server.listen(0, "127.0.0.1", ready)
                server.unref()
                # main is done once a socket (a ref'd handle of its own) exists.
                return once(server, "connection")
            run(main)
            """
        )
        self.addCleanup(self._stop, child)
        port = int(readUntil(child.stdout, r"ready (\d+)").group(1))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"ping")
            self.assertEqual(client.recv(100), b"ping")
            self.assertIsNone(child.poll())
            client.sendall(b"unref")
            # The connection is still open on our side: only the unref ends it.
            self.assertEqual(child.wait(timeout=10), 0)

    def test_main_raising_exits_1_with_the_traceback(self) -> None:
        result = runPython(
            """
            from txnetserver import run
            def main(reactor):
                raise ValueError("main failed")
            run(main)
            """
        )
        self.assertEqual(result.returncode, 1)
        self.assertIn("ValueError: main failed", result.stderr)

    def test_system_exit_from_main_sets_the_status(self) -> None:
        result = runPython(
            """
            from txnetserver import createServer, run
            def main(reactor):
                createServer().listen(0)
                raise SystemExit(3)
            run(main)
            """
        )
        self.assertEqual(result.returncode, 3)

    def test_an_unhandled_listen_error_exits_1_with_nodes_message(self) -> None:
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        result = runPython(
            f"""
            from txnetserver import createServer, run
            def main(reactor):
                createServer().listen({port}, "127.0.0.1")
            run(main)
            """
        )
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"listen EADDRINUSE: address already in use 127.0.0.1:{port}", result.stderr)

    def test_an_async_main_is_awaited(self) -> None:
        result = runPython(
            """
            from txnetserver import createServer, once, run
            async def main(reactor):
                server = createServer().listen(0)
                await once(server, "listening")
                server.close()
                await once(server, "close")
                print("done", flush=True)
            run(main)
            """
        )
        self.assertEqual((result.returncode, result.stdout.strip()), (0, "done"))

    def test_run_refuses_a_running_reactor(self) -> None:
        result = runPython(
            """
            from twisted.internet import reactor
            from txnetserver import run
            def inside():
                try:
                    run(lambda r: None)
                except RuntimeError as e:
                    print("refused:", e)
                reactor.stop()
            reactor.callWhenRunning(inside)
            reactor.run()
            """
        )
        self.assertIn("refused: txnetserver.run() owns the reactor", result.stdout)
