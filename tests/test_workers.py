"""
``twistd netserver --workers N`` (txnetserver._workers): worker processes on
one shared socket, supervised by the parent; real processes, stopped by PID.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess

from twisted.application.service import IService
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface.verify import verifyObject

from txnetserver import AddressInfo, WorkersService, errors
from txnetserver._defaults import (
    WORKER_QUICK_EXIT,
    WORKER_RESTART_DELAY,
    WORKER_RESTART_DELAY_MAX,
)
from txnetserver._workers import restartDelay

from ._children import (
    TWISTD,
    alive,
    childEnvironment,
    pollUntil,
    readRest,
    readUntil,
    runPython,
    startTwistd,
    stopChild,
)
from ._loopback import Client, asyncTest, reactor


def askText(port: int) -> str:
    """What the server answers a new connection with, up to its FIN."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        data = b""
        while True:
            chunk = client.recv(100)
            if not chunk:
                break
            data += chunk
    return data.decode()


def askPid(port: int) -> int:
    return int(askText(port))


def portIsFree(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


TWO_WORKERS = ("--workers", "2", "--port", "0", "--host", "127.0.0.1")


class WorkersTests(SynchronousTestCase):
    def start(self, handler: str, reactor: str | None = None) -> tuple[subprocess.Popen[str], int]:
        """Two workers on 127.0.0.1, both reported listening."""
        child = startTwistd(*TWO_WORKERS, "--handler", handler, reactor=reactor)
        self.addCleanup(stopChild, child)
        match = readUntil(child.stdout, r"listening on 127\.0\.0\.1 port (\d+) \(2 workers\)")
        port = int(match.group(1))
        started = set()
        while len(started) < 2:  # the workers report in either order
            started.add(readUntil(child.stdout, r"\[worker (\d)\].*listening on").group(1))
        return child, port

    def distinctPids(self, port: int, wanted: int, attempts: int = 300) -> set[int]:
        pids: set[int] = set()
        for _ in range(attempts):  # bounded: the kernel picks which worker accepts
            pids.add(askPid(port))
            if len(pids) >= wanted:
                break
        return pids

    def test_two_workers_share_the_port_restart_after_a_crash_and_stop_together(self) -> None:
        child, port = self.start("tests._handlers:replyWithPid")
        pids = self.distinctPids(port, 2)
        self.assertEqual(len(pids), 2)
        self.assertNotIn(child.pid, pids)  # the parent never accepts

        crashed = min(pids)
        os.kill(crashed, signal.SIGKILL)
        readUntil(child.stdout, r"worker \d ended .*starting it again")
        readUntil(child.stdout, r"\[worker \d\].*listening on")
        survivors = self.distinctPids(port, 2)
        self.assertNotIn(crashed, survivors)
        self.assertEqual(len(survivors), 2)

        child.send_signal(signal.SIGTERM)
        self.assertEqual(child.wait(timeout=20), -signal.SIGTERM)
        # The parent waited for every worker before exiting.
        for pid in survivors:
            self.assertFalse(alive(pid), f"worker {pid} outlived the parent")

    def test_a_signal_to_the_whole_group_stops_gracefully_once(self) -> None:
        # Ctrl-C in a terminal, systemd and timeout(1) signal the parent's
        # whole process group: each worker gets the signal twice (directly
        # and from the parent), and still stops once, after its connections.
        child = startTwistd(*TWO_WORKERS, newSession=True)
        self.addCleanup(stopChild, child)
        match = readUntil(child.stdout, r"listening on 127\.0\.0\.1 port (\d+) \(2 workers\)")
        port = int(match.group(1))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"before")
            self.assertEqual(client.recv(100), b"before")
            os.killpg(child.pid, signal.SIGTERM)
            readUntil(child.stdout, r"closing: no new connections, waiting for 1 open")
            # The connection outlives the signal: the worker waits for it.
            client.sendall(b"after")
            self.assertEqual(client.recv(100), b"after")
        self.assertEqual(child.wait(timeout=20), -signal.SIGTERM)
        rest = readRest(child.stdout)
        self.assertNotIn("Traceback", rest)
        self.assertNotIn("ReactorNotRunning", rest)

    def test_workers_end_when_the_parent_is_killed(self) -> None:
        # kill -9 leaves the parent no chance to stop them: the kernel's
        # parent-death signal and the end of the parent's pipe do.
        child, port = self.start("tests._handlers:replyWithPid")
        workers = self.distinctPids(port, 2)
        self.assertEqual(len(workers), 2)
        child.kill()
        child.wait(timeout=10)
        pollUntil(lambda: not any(alive(pid) for pid in workers), "the workers end")
        pollUntil(lambda: portIsFree(port), "the port is free again")

    def test_a_busy_port_is_nodes_error_in_one_line(self) -> None:
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        arguments = ("--workers", "2", "--port", str(port), "--host", "127.0.0.1")
        result = subprocess.run(
            [TWISTD, "-n", "--pidfile=", "netserver", *arguments],
            capture_output=True,
            text=True,
            timeout=30,
            env=childEnvironment(),
        )
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 1, output)
        self.assertIn(f"listen EADDRINUSE: address already in use 127.0.0.1:{port}", output)
        self.assertNotIn("Traceback", output)
        self.assertNotIn("[worker", output)  # no worker was started

    def test_a_worker_that_cannot_listen_says_why_in_one_line(self) -> None:
        # Without the inherited descriptor, a worker's listen({fd: 3}) fails.
        result = runPython(
            """
            import os, sys
            os.closerange(3, 4)
            from txnetserver._worker import main
            main(['[]', str(os.getppid())])
            """
        )
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        lines = [line for line in result.stdout.splitlines() if "listen EINVAL" in line]
        self.assertEqual(len(lines), 1, result.stdout)
        self.assertTrue(lines[0].endswith("listen EINVAL: invalid argument"), lines[0])
        self.assertNotIn("Traceback", result.stdout + result.stderr)

    def test_workers_run_the_reactor_the_parent_runs(self) -> None:
        _, port = self.start("tests._handlers:replyWithReactor", reactor="txnetserver")
        self.assertEqual(askText(port), "NodeReactor")

    def test_workers_with_an_endpoint_is_a_usage_error(self) -> None:
        result = subprocess.run(
            [TWISTD, "-n", "--pidfile=", "netserver", "--workers", "2", "--endpoint", "tcp:0"],
            capture_output=True,
            text=True,
            timeout=30,
            env=childEnvironment(),
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--workers", result.stdout + result.stderr)
        self.assertNotIn("Traceback", result.stdout + result.stderr)


class WorkersServiceTests(TestCase):
    """The Python API: ``txnetserver.WorkersService`` in this process's reactor."""

    @asyncTest
    async def test_service_serves_from_its_workers_and_stops_them(self) -> None:
        service = WorkersService(
            2,
            {"port": 0, "host": "127.0.0.1"},
            ["--handler", "tests._handlers:replyWithPid"],
            reactor=reactor,
        )
        self.assertTrue(verifyObject(IService, service))
        service.startService()
        self.addCleanup(lambda: service.running and service.stopService())
        assert service.server is not None
        address = service.server.address()
        assert isinstance(address, AddressInfo)
        port = address.port
        # The parent listens before any worker starts: a client is queued in
        # the backlog until a worker accepts it.
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)
        client = await connectProtocol(endpoint, Client())
        await client.lost
        pid = int(client.received)
        self.assertIn(pid, set(service.pids.values()))
        self.assertNotEqual(pid, os.getpid())
        workers = set(service.pids.values())
        self.assertEqual(len(workers), 2)

        await service.stopService()
        self.assertIsNone(service.server)
        self.assertEqual(service.workers, {})
        for worker in workers:
            self.assertFalse(alive(worker), f"worker {worker} outlived stopService")


class ParentBindTests(SynchronousTestCase):
    """The parent binds as ``listen()`` does; nothing is spawned when it cannot."""

    def busyService(self) -> tuple[WorkersService, int]:
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        return WorkersService(2, {"port": port, "host": "127.0.0.1"}, [], reactor=reactor), port

    def test_a_busy_port_raises_nodes_error(self) -> None:
        service, port = self.busyService()
        with self.assertRaises(errors.NodeSystemError) as raised:
            service.privilegedStartService()
        self.assertEqual(
            str(raised.exception), f"listen EADDRINUSE: address already in use 127.0.0.1:{port}"
        )
        self.assertEqual((service.server, service.pids), (None, {}))

    def test_under_twistd_a_failed_bind_exits_with_the_message_alone(self) -> None:
        service, port = self.busyService()
        service.exitOnListenFailure = True
        with self.assertRaises(SystemExit) as raised:
            service.privilegedStartService()
        self.assertEqual(
            raised.exception.code, f"listen EADDRINUSE: address already in use 127.0.0.1:{port}"
        )

    def test_an_unknown_host_is_nodes_lookup_error(self) -> None:
        service = WorkersService(
            2, {"port": 0, "host": "no.such.host.invalid"}, [], reactor=reactor
        )
        with self.assertRaises(errors.NodeSystemError) as raised:
            service.privilegedStartService()
        self.assertEqual(raised.exception.syscall, "getaddrinfo")

    def test_the_parent_listens_but_never_accepts(self) -> None:
        service = WorkersService(2, {"port": 0, "host": "127.0.0.1"}, [], reactor=reactor)
        service.privilegedStartService()
        server = service.server
        assert server is not None
        self.addCleanup(server.close)
        self.assertTrue(server.listening)
        self.assertNotIn(server.listeningPort, reactor.getReaders())


class RestartDelayTests(SynchronousTestCase):
    def test_the_first_restart_waits_the_base_delay(self) -> None:
        self.assertEqual(restartDelay(None, 0.0), WORKER_RESTART_DELAY)

    def test_each_quick_exit_doubles_the_wait_up_to_the_maximum(self) -> None:
        delays = [restartDelay(None, 0.0)]
        while delays[-1] < WORKER_RESTART_DELAY_MAX:
            delays.append(restartDelay(delays[-1], 0.0))
        self.assertEqual(delays[:3], [WORKER_RESTART_DELAY * k for k in (1, 2, 4)])
        self.assertEqual(restartDelay(delays[-1], 0.0), WORKER_RESTART_DELAY_MAX)

    def test_a_worker_that_ran_a_while_restarts_after_the_base_delay_again(self) -> None:
        self.assertEqual(restartDelay(8.0, WORKER_QUICK_EXIT), WORKER_RESTART_DELAY)
