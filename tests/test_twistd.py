"""
Tests for txnetserver._twistd: what ``twistd netserver`` adds around a server
for unattended service.  The log limits in memory with a fake clock; start-up
failures, timeouts, floods and stops with real ``twistd -n netserver``
processes on loopback (each bounded in time, killed by PID in cleanup, every
wait on a log line or a socket event, never on the clock).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
from typing import Any

from twisted.internet.task import Clock
from twisted.logger import Logger, LogLevel, formatEvent
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from txnetserver._defaults import LOG_BURST, LOG_INTERVAL
from txnetserver._syserrors import errnoException
from txnetserver._twistd import AcceptEpisodes, RateLimitedLog

from ._children import TWISTD, childEnvironment, readRest, readUntil

LISTENING = r"txnetserver listening on \S+ port (\d+)"
# Clients that connect while descriptors are exhausted, in the EMFILE test.
CHURN = 300


class Recorder:
    """A twisted.logger observer keeping formatted lines (and failures)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.failures = 0

    def __call__(self, event: dict[str, Any]) -> None:
        self.lines.append(formatEvent(event))
        if "log_failure" in event:
            self.failures += 1


class RateLimitedLogTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.recorder = Recorder()
        self.limited = RateLimitedLog(self.clock, Logger(observer=self.recorder))

    def flood(self, count: int, kind: str = "drop") -> None:
        for index in range(count):
            self.limited.emit(kind, LogLevel.info, "line {index}", index=index)

    def test_a_flood_costs_a_burst_and_one_count_per_interval(self) -> None:
        self.flood(10_000)
        self.assertEqual(len(self.recorder.lines), LOG_BURST)
        self.clock.advance(LOG_INTERVAL)
        self.assertEqual(
            self.recorder.lines[-1],
            f"txnetserver: {10_000 - LOG_BURST} more drop line(s) in {LOG_INTERVAL:g} s not logged",
        )
        # The next interval starts afresh.
        self.flood(1)
        self.assertEqual(self.recorder.lines[-1], "line 0")
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_kinds_are_limited_apart(self) -> None:
        self.flood(LOG_BURST, "drop")
        self.flood(3, "failure")
        self.assertEqual(len(self.recorder.lines), LOG_BURST + 3)

    def test_failures_keep_their_traceback_within_the_limit(self) -> None:
        for _ in range(LOG_BURST + 5):
            self.limited.emit(
                "failure", LogLevel.critical, "boom", failure=Failure(RuntimeError("x"))
            )
        self.assertEqual(self.recorder.failures, LOG_BURST)

    def test_stop_writes_the_pending_count_now(self) -> None:
        self.flood(LOG_BURST + 2)
        self.limited.stop()
        self.assertIn("2 more drop line(s)", self.recorder.lines[-1])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_a_quiet_interval_logs_every_line(self) -> None:
        for _ in range(3):
            self.flood(LOG_BURST)
            self.clock.advance(LOG_INTERVAL)
        self.assertEqual(len(self.recorder.lines), 3 * LOG_BURST)


class AcceptEpisodeTests(SynchronousTestCase):
    def test_one_warning_and_one_recovery_line_per_episode(self) -> None:
        clock, recorder = Clock(), Recorder()
        episodes = AcceptEpisodes(clock, Logger(observer=recorder))
        error = errnoException(24, "accept")
        for _ in range(11_826):  # what one episode once logged, as tracebacks
            episodes.failed(error)
        clock.advance(2.5)
        episodes.accepted()
        episodes.accepted()
        self.assertEqual(len(recorder.lines), 2)
        self.assertIn("cannot accept connections: accept EMFILE", recorder.lines[0])
        self.assertEqual(
            recorder.lines[1],
            "txnetserver accepting again: 11826 accept(2) call(s) failed with EMFILE over 2.5 s",
        )


class TwistdProcess:
    """One ``twistd -n netserver`` child, logging to a pipe."""

    def __init__(self, test: SynchronousTestCase, *arguments: str, limit: int | None = None):
        def lowerLimit() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        self.child = subprocess.Popen(
            [TWISTD, "-n", "--pidfile=", "-l", "-", "netserver", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=childEnvironment(),
            cwd=tempfile.gettempdir(),
            preexec_fn=lowerLimit,
        )
        test.addCleanup(self.kill)

    def kill(self) -> None:
        if self.child.poll() is None:
            os.kill(self.child.pid, signal.SIGKILL)
        self.child.wait(timeout=10)
        assert self.child.stdout is not None
        self.child.stdout.close()

    def waitFor(self, pattern: str) -> re.Match[str]:
        return readUntil(self.child.stdout, pattern, timeout=30)

    def port(self) -> int:
        return int(self.waitFor(LISTENING).group(1))

    def stop(self) -> str:
        """SIGTERM, wait (bounded) for the exit; everything logged since the last wait."""
        self.child.send_signal(signal.SIGTERM)
        self.child.wait(timeout=30)
        return readRest(self.child.stdout)


def runTwistd(*arguments: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = subprocess.run(
        [TWISTD, "-n", "--pidfile=", "-l", "-", "netserver", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or childEnvironment(),
        cwd=tempfile.gettempdir(),
    )
    return result.returncode, result.stdout + result.stderr


def closedByServer(sock: socket.socket) -> bool:
    """Block until the server ends ``sock``: FIN or RST."""
    sock.settimeout(30)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return True


def silentPeers(test: SynchronousTestCase, port: int, count: int) -> set[int]:
    """``count`` clients that send nothing, each waited on until the server closed it: ports."""
    peers = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]
    for peer in peers:
        test.addCleanup(peer.close)
        closedByServer(peer)
    return {peer.getsockname()[1] for peer in peers}


def droppedPorts(output: str) -> set[int]:
    """The client ports twistd's log names as dropped over --max-connections."""
    return {int(p) for p in re.findall(r"dropped a connection from \S+ port (\d+)", output)}


class StartFailureTests(SynchronousTestCase):
    """Every failure at start: one line naming the cause, a non-zero exit, no traceback."""

    def assertOneLineFailure(self, arguments: tuple[str, ...], message: str, **kw: Any) -> None:
        status, output = runTwistd(*arguments, **kw)
        self.assertNotEqual(status, 0, output)
        self.assertNotIn("Traceback", output)
        matching = [line for line in output.splitlines() if message in line]
        self.assertEqual(len(matching), 1, output)

    def test_a_busy_port(self) -> None:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            self.assertOneLineFailure(
                ("--port", str(port), "--host", "127.0.0.1"),
                f"txnetserver cannot listen: listen EADDRINUSE: address already in use "
                f"127.0.0.1:{port}",
            )

    def test_a_path_that_cannot_be_created(self) -> None:
        self.assertOneLineFailure(
            ("--path", "/nonexistent-txns-dir/echo.sock"),
            "txnetserver cannot listen: listen EACCES: permission denied "
            "/nonexistent-txns-dir/echo.sock",
        )

    def test_an_address_of_no_local_interface(self) -> None:
        self.assertOneLineFailure(
            ("--port", "0", "--host", "192.0.2.1"),
            "txnetserver cannot listen: listen EADDRNOTAVAIL: address not available 192.0.2.1",
        )

    def test_a_host_name_that_does_not_resolve(self) -> None:
        self.assertOneLineFailure(
            ("--port", "0", "--host", "no-such-host.invalid"),
            "txnetserver cannot listen: getaddrinfo ENOTFOUND no-such-host.invalid",
        )

    def test_tls_without_pyopenssl_says_what_to_install(self) -> None:
        hidden = tempfile.mkdtemp(prefix="txns-no-tls-")
        self.addCleanup(shutil.rmtree, hidden, True)
        with open(os.path.join(hidden, "OpenSSL.py"), "w") as fake:
            fake.write("raise ImportError(\"No module named 'OpenSSL'\", name='OpenSSL')\n")
        env = childEnvironment()
        env["PYTHONPATH"] = hidden + os.pathsep + env["PYTHONPATH"]
        self.assertOneLineFailure(
            ("--endpoint", "ssl:0:privateKey=key.pem"),
            "needs TLS support, which is not installed: pip install 'txnetserver[tls]'",
            env=env,
        )

    def test_a_handler_that_cannot_be_imported(self) -> None:
        self.assertOneLineFailure(
            ("--handler", "no_such_module_txns:handler"),
            "--handler: cannot import 'no_such_module_txns'",
        )

    def test_a_handler_that_cannot_take_a_socket(self) -> None:
        self.assertOneLineFailure(
            ("--handler", "tests._handlers:needsTwoArguments"),
            "--handler tests._handlers:needsTwoArguments cannot take a socket",
        )

    def test_a_bad_trusted_proxy(self) -> None:
        self.assertOneLineFailure(
            ("--proxy-protocol", "--trusted-proxy", "10.0.0.0/8,haproxy.internal"),
            "--trusted-proxy takes ADDR or ADDR/PREFIX (an IP address or subnet), "
            "not 'haproxy.internal'",
        )


class RunningTwistdTests(SynchronousTestCase):
    def test_the_log_names_the_server_and_the_stop_counts_connections(self) -> None:
        twistd = TwistdProcess(self, "--port", "0", "--host", "127.0.0.1")
        port = twistd.port()
        client = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.addCleanup(client.close)
        client.sendall(b"x")
        self.assertEqual(client.recv(1), b"x")
        twistd.child.send_signal(signal.SIGTERM)
        twistd.waitFor("waiting for 1 open")
        client.close()
        output = twistd.stop()
        self.assertIn("txnetserver stopped: 1 connection(s) finished, 0 destroyed", output)

    def test_the_start_line_names_txnetserver_not_a_private_class(self) -> None:
        twistd = TwistdProcess(self, "--port", "0", "--host", "127.0.0.1")
        match = twistd.waitFor(r"(\S+) starting on (\d+)")
        self.assertEqual(match.group(1), "txnetserver.Server")
        self.assertNotIn("_NodeServerFactory", twistd.stop())

    def test_the_graceful_timeout_destroys_and_counts_what_is_left(self) -> None:
        twistd = TwistdProcess(
            self, "--port", "0", "--host", "127.0.0.1", "--graceful-timeout", "1"
        )
        port = twistd.port()
        clients = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(3)]
        for client in clients:
            self.addCleanup(client.close)
            client.sendall(b"x")
            self.assertEqual(client.recv(1), b"x")
        output = twistd.stop()
        self.assertIn("txnetserver stopped: 0 connection(s) finished, 3 destroyed", output)

    def test_idle_peers_are_destroyed_after_the_idle_timeout(self) -> None:
        twistd = TwistdProcess(self, "--port", "0", "--host", "127.0.0.1", "--idle-timeout", "50")
        port = twistd.port()
        idle = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(20)]
        for sock in idle:
            self.addCleanup(sock.close)
            self.assertTrue(closedByServer(sock))

    def test_peers_that_never_send_a_proxy_header_are_closed(self) -> None:
        twistd = TwistdProcess(
            self,
            *("--port", "0", "--host", "127.0.0.1", "--proxy-protocol"),
            *("--proxy-header-timeout", "50", "--max-connections", "5"),
        )
        port = twistd.port()
        silentPeers(self, port, 10)  # twice the limit: some are dropped, the rest time out
        # Their slots are free again: as many new silent peers as the limit are
        # all accepted (and time out), none dropped.
        again = silentPeers(self, port, 5)
        self.assertEqual(droppedPorts(twistd.stop()) & again, set())

    def test_a_peer_that_is_not_a_trusted_proxy_is_refused(self) -> None:
        twistd = TwistdProcess(
            self,
            *("--port", "0", "--host", "127.0.0.1", "--proxy-protocol"),
            *("--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "192.0.2.1"),
        )
        port = twistd.port()
        forged = 0
        for _ in range(50):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as forger:
                try:
                    forger.sendall(b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 8000\r\nhi")
                except OSError:
                    pass  # already closed by the server
                forged += closedByServer(forger)
        self.assertEqual(forged, 50)
        output = twistd.stop()
        self.assertNotIn("203.0.113.7", output)
        self.assertLimited(output, "not a trusted proxy", "untrusted-proxy", 50)

    def test_a_drop_flood_is_logged_within_the_limit_with_a_count(self) -> None:
        twistd = TwistdProcess(self, "--port", "0", "--host", "127.0.0.1", "--max-connections", "1")
        port = twistd.port()
        holder = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.addCleanup(holder.close)
        holder.sendall(b"x")
        self.assertEqual(holder.recv(1), b"x")
        flood = 200
        for _ in range(flood):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as dropped:
                closedByServer(dropped)
        holder.close()
        self.assertLimited(twistd.stop(), "dropped a connection", "dropped-connection", flood)

    def assertLimited(self, output: str, line: str, kind: str, total: int) -> None:
        logged = output.count(line)
        counts = [int(n) for n in re.findall(rf"(\d+) more {kind} line\(s\)", output)]
        self.assertEqual(logged + sum(counts), total, output)
        self.assertLessEqual(logged, LOG_BURST * (len(counts) + 1), output)

    def test_a_failing_handler_is_logged_within_the_limit_with_a_count(self) -> None:
        twistd = TwistdProcess(
            self, "--port", "0", "--host", "127.0.0.1", "--handler", "tests._handlers:failEveryTime"
        )
        port = twistd.port()
        flood = 100
        for _ in range(flood):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
                closedByServer(client)
        output = twistd.stop()
        self.assertLimited(output, "RuntimeError: handler bug", "handler-failure", flood)

    def test_an_emfile_episode_is_one_warning_and_one_recovery_line(self) -> None:
        twistd = TwistdProcess(self, "--port", "0", "--host", "127.0.0.1", limit=40)
        port = twistd.port()
        clients = []
        try:
            for _ in range(120):
                clients.append(socket.create_connection(("127.0.0.1", port), timeout=30))
            twistd.waitFor("cannot accept connections: accept EMFILE")
            # Churn while no descriptor is free: each new client fails accept(2) again.
            for _ in range(CHURN):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=30) as churn:
                        closedByServer(churn)
                except OSError:
                    pass
        finally:
            for client in clients:
                client.close()
        # Descriptors free again: a new client is served and the episode ends.
        for _ in range(50):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
                    client.sendall(b"back")
                    if client.recv(4) == b"back":
                        break
            except OSError:
                continue
        else:
            self.fail("never served again after EMFILE")
        failed = int(twistd.waitFor(r"txnetserver accepting again: (\d+) accept").group(1))
        self.assertGreaterEqual(failed, 1)
        output = twistd.stop()
        self.assertNotIn("Traceback", output)
        self.assertNotIn("Unhandled", output)
        self.assertEqual(output.count("cannot accept connections"), 0)  # only the one seen


class TLSHandshakeTimeoutTests(SynchronousTestCase):
    def test_peers_that_never_finish_the_handshake_free_their_slots(self) -> None:
        from .test_tls import makeCertificate

        directory = tempfile.mkdtemp(prefix="txns-tls-")
        self.addCleanup(shutil.rmtree, directory, True)
        certificate = makeCertificate(directory)
        twistd = TwistdProcess(
            self,
            *("--endpoint", certificate.endpoint()),
            *("--max-connections", "5", "--tls-handshake-timeout", "50"),
        )
        port = int(twistd.waitFor(r"txnetserver listening on \S+ port (\d+)").group(1))
        # Twice the limit of peers that connect and never say hello: some are
        # dropped, the rest time out.  Then as many as the limit: all accepted.
        silentPeers(self, port, 10)
        again = silentPeers(self, port, 5)
        self.assertEqual(droppedPorts(twistd.stop()) & again, set())


class UNIXEndpointLockTests(SynchronousTestCase):
    """Twisted's ``unix:`` endpoint takes ``PATH.lock`` (``lockfile=1``, its default)."""

    def path(self) -> str:
        directory = tempfile.mkdtemp(prefix="txns-lock-")
        self.addCleanup(shutil.rmtree, directory, True)
        return os.path.join(directory, "s.sock")

    def test_a_failed_start_leaves_no_lock_file(self) -> None:
        path = self.path()
        with open(path, "w"):
            pass  # a file in the way: bind fails after the lock was taken
        status, output = runTwistd("--endpoint", f"unix:{path}")
        self.assertEqual(status, 1, output)
        self.assertIn(
            f"txnetserver cannot listen: listen EADDRINUSE: address already in use {path}", output
        )
        self.assertNotIn("Traceback", output)
        self.assertFalse(os.path.lexists(path + ".lock"))

    def test_a_lock_held_by_a_live_process_is_address_in_use(self) -> None:
        path = self.path()
        os.symlink(str(os.getpid()), path + ".lock")  # this test process: alive
        status, output = runTwistd("--endpoint", f"unix:{path}")
        self.assertEqual(status, 1, output)
        self.assertIn(
            f"txnetserver cannot listen: listen EADDRINUSE: address already in use {path}", output
        )
        self.assertNotIn("EINVAL", output)
        self.assertEqual(os.readlink(path + ".lock"), str(os.getpid()))  # not ours: kept

    def test_a_stale_lock_is_taken_over(self) -> None:
        path = self.path()
        dead = subprocess.Popen(["true"])
        dead.wait()
        os.symlink(str(dead.pid), path + ".lock")
        twistd = TwistdProcess(self, "--endpoint", f"unix:{path}")
        twistd.waitFor("txnetserver listening on " + re.escape(path))
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(30)
            client.connect(path)
            client.sendall(b"ok")
            self.assertEqual(client.recv(2), b"ok")
        twistd.stop()
        self.assertFalse(os.path.lexists(path + ".lock"))
