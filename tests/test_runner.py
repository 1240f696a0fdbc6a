"""
Tests for txnetserver._runner: ``run()`` gives Node's process lifetime
(which handles keep it alive, as Node's event loop decides), each case in
a real child process, bounded in time.

"Kept alive" is shown by a round trip served after ``main`` returned (run()
decides on exiting one reactor iteration after main is done or the last handle
went away, so a process due to exit would never answer), then ending the child
on purpose: a command on its stdin, or a signal.
"""

from __future__ import annotations

import signal
import socket
import subprocess

from twisted.trial.unittest import SynchronousTestCase

from ._children import readUntil, runPython, startPython

# Child prelude: commands read from stdin ("close\n"), without keeping the
# process alive (stdin is no handle of ours, as in Node until it is read).
CONTROL = """
import os, sys
from twisted.internet import stdio
from twisted.protocols.basic import LineReceiver
from txnetserver import createServer, once, run

class Control(LineReceiver):
    delimiter = b"\\n"
    def __init__(self, commands):
        self.commands = commands
    def lineReceived(self, line):
        self.commands[line.decode()]()

def control(**commands):
    stdio.StandardIO(Control(commands), stdout=os.open(os.devnull, os.O_WRONLY))

def echo(socket):
    socket.on("error", lambda error: None)
    socket.pipe(socket)
"""

# An echo server on 127.0.0.1 that prints "ready PORT"; {setup} runs between
# createServer and listen, "close" on stdin closes the server.
ECHO_CHILD = (
    CONTROL
    + """
def main(reactor):
    server = createServer(echo)
    {setup}
    control(close=lambda: server.close(lambda err: print("closed", err, flush=True)))
    server.listen(0, "127.0.0.1", lambda: print("ready", server.address().port, flush=True))

run(main)
"""
)


class ProcessLifetimeTests(SynchronousTestCase):
    """The process lives while a ref'd handle does."""

    def startChild(self, code: str) -> tuple[subprocess.Popen[str], int]:
        child = startPython(code)
        self.addCleanup(self.kill, child)
        port = int(readUntil(child.stdout, r"ready (\d+)").group(1))
        return child, port

    def kill(self, child: subprocess.Popen[str]) -> None:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=10)

    def finish(self, child: subprocess.Popen[str]) -> tuple[int, str, str]:
        """Wait (bounded) for ``child`` to exit: its status, stdout and stderr."""
        out, err = child.communicate(timeout=10)
        return child.returncode, out, err

    def assertAliveAndServing(self, child: subprocess.Popen[str], port: int) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"alive?")
            self.assertEqual(client.recv(100), b"alive?")
        self.assertIsNone(child.poll())

    def command(self, child: subprocess.Popen[str], line: str) -> None:
        assert child.stdin is not None
        child.stdin.write(line + "\n")
        child.stdin.flush()

    def test_a_listening_server_keeps_the_process_alive_until_it_closes(self) -> None:
        child, port = self.startChild(ECHO_CHILD.format(setup=""))
        self.assertAliveAndServing(child, port)
        self.command(child, "close")
        status, out, err = self.finish(child)
        self.assertEqual((status, out.strip()), (0, "closed None"), err)

    def test_an_unrefd_server_lets_the_process_exit(self) -> None:
        # 'listening' of an unref'd server still fires, as in Node.
        result = runPython(
            """
            from txnetserver import createServer, run
            def main(reactor):
                createServer().listen(0, lambda: print("listening", flush=True)).unref()
            run(main)
            """
        )
        self.assertEqual((result.returncode, result.stdout.strip()), (0, "listening"))

    def test_unref_before_listen_sticks(self) -> None:
        result = runPython(
            """
            from txnetserver import createServer, run
            def main(reactor):
                server = createServer()
                server.unref()
                server.listen(0, lambda: print("listening", server.listening, flush=True))
            run(main)
            """
        )
        self.assertEqual((result.returncode, result.stdout.strip()), (0, "listening True"))

    def assertUnrefListenOnHostCallsBack(self, host: str) -> None:
        """``unref(); listen(0, host, cb)``: cb runs after the lookup, then the process exits 0."""
        result = runPython(
            f"""
            from txnetserver import createServer, run
            def main(reactor):
                server = createServer()
                server.unref()
                server.listen(0, {host!r}, lambda: print("listening", flush=True))
            run(main)
            """
        )
        self.assertEqual((result.returncode, result.stdout.strip()), (0, "listening"))

    def test_unref_before_listen_with_an_address_sticks_across_the_lookup(self) -> None:
        # With a host: the bind waits for Node's (next-tick) lookup.
        self.assertUnrefListenOnHostCallsBack("127.0.0.1")

    def test_unref_before_listen_with_a_host_name_waits_for_the_lookup(self) -> None:
        # Node v20: `s.unref(); s.listen(0, 'localhost', cb)` prints from cb, exits 0.
        self.assertUnrefListenOnHostCallsBack("localhost")

    def test_ref_after_unref_keeps_the_process_alive_until_a_signal(self) -> None:
        # A signal then ends the process by that signal, as in Node.
        child, port = self.startChild(
            ECHO_CHILD.format(
                setup="assert server.unref() is server and server.ref() is server",
            )
        )
        self.assertAliveAndServing(child, port)
        child.send_signal(signal.SIGTERM)
        status, _, err = self.finish(child)
        self.assertEqual(status, -signal.SIGTERM, err)

    def test_an_accepted_socket_keeps_an_unrefd_server_alive_until_unrefd(self) -> None:
        child, port = self.startChild(
            CONTROL
            + """
def onConnection(sock):
    sock.on("data", lambda data: sock.unref() if data == b"unref" else sock.write(data))

def main(reactor):
    server = createServer(onConnection)
    server.listen(0, "127.0.0.1", lambda: print("ready", server.address().port, flush=True))
    server.unref()
    # The client is the test process: main waits for it, then is done while
    # the accepted socket (a ref'd handle of its own) is open.
    return once(server, "connection")

run(main)
"""
        )
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"ping")
            self.assertEqual(client.recv(100), b"ping")
            self.assertIsNone(child.poll())
            client.sendall(b"unref")
            # Our end is still open: only the unref lets the child go.
            status, _, err = self.finish(child)
        self.assertEqual(status, 0, err)

    def test_an_accepted_socket_keeps_an_unrefd_server_alive_until_it_closes(self) -> None:
        child, port = self.startChild(
            CONTROL
            + """
def main(reactor):
    server = createServer(echo)
    server.listen(0, "127.0.0.1", lambda: print("ready", server.address().port, flush=True))
    server.unref()
    return once(server, "connection")

run(main)
"""
        )
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"ping")
            self.assertEqual(client.recv(100), b"ping")
            self.assertIsNone(child.poll())
        status, _, err = self.finish(child)
        self.assertEqual(status, 0, err)


class ExitStatusTests(SynchronousTestCase):
    """Failures end the process at once, like Node's uncaught exceptions."""

    def test_main_raising_exits_1_with_the_traceback_logged_once(self) -> None:
        result = runPython(
            """
            from txnetserver import createServer, run
            def main(reactor):
                createServer().listen(0)  # does not keep a failed process alive
                raise ValueError("main failed")
            run(main)
            """
        )
        self.assertEqual(result.returncode, 1)
        self.assertIn("main function encountered error", result.stderr)
        self.assertEqual(result.stderr.count("ValueError: main failed"), 1, result.stderr)

    def test_main_failing_later_exits_1(self) -> None:
        result = runPython(
            """
            from twisted.internet.task import deferLater
            from txnetserver import createServer, run
            def main(reactor):
                createServer().listen(0)
                def fail():
                    raise KeyError("later")
                return deferLater(reactor, 0, fail)
            run(main)
            """
        )
        self.assertEqual(result.returncode, 1)
        self.assertIn("KeyError: 'later'", result.stderr)

    def test_system_exit_from_main_exits_with_its_code_at_once(self) -> None:
        result = runPython(
            """
            from txnetserver import createServer, run
            def main(reactor):
                createServer().listen(0)
                raise SystemExit(3)
            run(main)
            """
        )
        self.assertEqual((result.returncode, result.stderr), (3, ""))

    def test_system_exit_from_a_callback_is_process_exit(self) -> None:
        # Node's process.exit(2) in a 'listening' callback, with the server listening.
        result = runPython(
            """
            import sys
            from txnetserver import createServer, run
            def main(reactor):
                createServer().listen(0, lambda: sys.exit(2))
            run(main)
            """
        )
        self.assertEqual((result.returncode, result.stderr), (2, ""))

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
                createServer().listen(0)  # a live handle does not delay the exit
                createServer().listen({port}, "127.0.0.1")
            run(main)
            """
        )
        self.assertEqual(result.returncode, 1)
        message = f"listen EADDRINUSE: address already in use 127.0.0.1:{port}"
        self.assertEqual(result.stderr.count(message), 1, result.stderr)

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

    def test_main_is_called_with_the_reactor_and_arguments(self) -> None:
        result = runPython(
            """
            from twisted.internet import reactor
            from txnetserver import run
            def main(r, *args):
                print(r is reactor, args, flush=True)
            run(main, "a", 1)
            """
        )
        self.assertEqual((result.returncode, result.stdout.strip()), (0, "True ('a', 1)"))

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
        self.assertEqual(result.returncode, 0)
        self.assertIn("refused: txnetserver.run() owns the reactor", result.stdout)
