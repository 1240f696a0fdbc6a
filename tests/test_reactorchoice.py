"""
Tests for txnetserver._reactorchoice: the fast reactor by default, an
explicit choice respected, and the choice logged.  Each case is a fresh
process (``run()``, ``twistd``), since the global reactor is per process.
"""

from __future__ import annotations

import socket

from twisted.internet.epollreactor import EPollReactor
from twisted.trial.unittest import SynchronousTestCase

from txnetserver._reactorchoice import describeReactor, privateReactor
from txnetserver.reactor import NodeReactor

from ._children import readUntil, runPython, startTwistd, stopChild

NODE_REACTOR = "txnetserver.reactor.NodeReactor"
STOCK_EPOLL = "twisted.internet.epollreactor.EPollReactor"
CHOSEN = r"txnetserver runs on (\S+) \((.*)\)"

# run(main) with the log shown: which reactor ran main, and what was logged.
RUN_AND_REPORT = """
import sys
from twisted.logger import globalLogBeginner, textFileLogObserver
{before}
from txnetserver import run
def main(reactor):
    print("main on", type(reactor).__module__ + "." + type(reactor).__qualname__, flush=True)
globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)], redirectStandardIO=False)
run(main)
"""


class RunTests(SynchronousTestCase):
    def run_(self, before: str = "") -> str:
        result = runPython(RUN_AND_REPORT.format(before=before))
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def test_run_installs_node_reactor_when_nothing_chose_one_and_says_so(self) -> None:
        output = self.run_()
        self.assertIn(f"main on {NODE_REACTOR}", output)
        self.assertIn(f"txnetserver runs on {NODE_REACTOR} (txnetserver's default", output)

    def test_run_keeps_a_reactor_the_application_installed_and_says_so(self) -> None:
        output = self.run_("from twisted.internet import pollreactor; pollreactor.install()")
        self.assertIn("main on twisted.internet.pollreactor.PollReactor", output)
        self.assertIn("(installed before txnetserver chose one", output)

    def test_a_server_created_before_run_chooses_node_reactor_too(self) -> None:
        # Node's order: createServer() at the top of the program, run() last.
        output = self.run_("from txnetserver import createServer; server = createServer()")
        self.assertIn(f"main on {NODE_REACTOR}", output)
        self.assertEqual(output.count("txnetserver runs on"), 1, output)

    def test_an_application_that_imported_the_reactor_keeps_twisteds_default(self) -> None:
        # Importing twisted.internet.reactor is how Twisted installs its
        # default: by then the choice is made, and run() cannot replace it.
        output = self.run_("from twisted.internet import reactor")
        self.assertIn(f"main on {STOCK_EPOLL}", output)


class TwistdTests(SynchronousTestCase):
    def chosenBy(self, *arguments: str, reactor: str | None = None) -> tuple[str, str]:
        """The reactor and reason twistd netserver logs; checks that it serves."""
        child = startTwistd(*arguments, reactor=reactor)
        self.addCleanup(stopChild, child)
        chosen = readUntil(child.stdout, CHOSEN)
        port = int(readUntil(child.stdout, r"txnetserver listening on \S+ port (\d+)").group(1))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"which reactor")
            self.assertEqual(client.recv(100), b"which reactor")
        return chosen.group(1), chosen.group(2)

    def test_without_r_twistd_netserver_runs_on_node_reactor(self) -> None:
        kind, why = self.chosenBy("--port", "0", "--host", "127.0.0.1")
        self.assertEqual(kind, NODE_REACTOR)
        self.assertIn("txnetserver's default", why)

    def test_an_endpoint_option_does_not_install_a_reactor_while_parsing(self) -> None:
        kind, _ = self.chosenBy("--endpoint", "tcp:0:interface=127.0.0.1")
        self.assertEqual(kind, NODE_REACTOR)

    def test_twistd_r_epoll_is_respected(self) -> None:
        kind, why = self.chosenBy("--port", "0", "--host", "127.0.0.1", reactor="epoll")
        self.assertEqual(kind, STOCK_EPOLL)
        self.assertIn("installed before txnetserver chose one", why)

    def test_twistd_r_txnetserver_names_node_reactor_as_an_explicit_choice(self) -> None:
        kind, why = self.chosenBy("--port", "0", "--host", "127.0.0.1", reactor="txnetserver")
        self.assertEqual(kind, NODE_REACTOR)
        self.assertIn("installed before", why)


class PrivateReactorTests(SynchronousTestCase):
    def test_a_private_reactor_is_of_the_global_epoll_reactors_class(self) -> None:
        from twisted.internet import reactor

        private = privateReactor()
        self.addCleanup(private._poller.close)
        self.addCleanup(private.waker.connectionLost, None)
        self.assertIsNot(private, reactor)
        if isinstance(reactor, EPollReactor):
            self.assertIs(type(private), type(reactor))
        else:
            self.assertIs(type(private), NodeReactor)

    def test_describe_names_the_class_by_module(self) -> None:
        self.assertEqual(describeReactor(NodeReactor.__new__(NodeReactor)), NODE_REACTOR)
