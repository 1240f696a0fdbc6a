"""
Tests for the ``twistd netserver`` plugin (twisted/plugins/netserver.py), end
to end: the plugin module itself, real ``twistd -n netserver`` processes on
loopback, and packaging (``twistd`` finds the plugin after ``pip install .``
and ``pip install -e .`` in fresh venvs).

Every child process is bounded in time and killed by PID in cleanup; nothing
waits on the wall clock: each step waits for a log line or a socket event.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import venv

from twisted.trial.unittest import SkipTest, SynchronousTestCase

import twisted

from ._children import ROOT, TWISTD, childEnvironment, readUntil, runPython

LISTENING = r"txnetserver listening on \S+ port (\d+)"


class PluginModuleTests(SynchronousTestCase):
    def test_importing_the_plugin_imports_neither_the_reactor_nor_txnetserver(self) -> None:
        # A reactor imported while twistd scans plugins breaks `twistd -r ...`
        # for every plugin (twisted-notes: plugin modules stay import-light).
        result = runPython(
            """
            import sys
            from twisted.plugins.netserver import netserver
            loaded = sorted(m for m in sys.modules if m.split(".")[0] == "txnetserver")
            print(netserver.tapname, "twisted.internet.reactor" in sys.modules, loaded)
            """
        )
        self.assertEqual(result.stdout.strip(), "netserver False []", result.stderr)

    def test_twisted_finds_the_service_maker(self) -> None:
        result = runPython(
            """
            from twisted.application.service import IServiceMaker
            from twisted.plugin import getPlugins
            makers = [p for p in getPlugins(IServiceMaker) if p.tapname == "netserver"]
            print(len(makers), makers[0].options.__module__)
            """
        )
        self.assertEqual(result.stdout.strip(), "1 txnetserver._tap", result.stderr)


class TwistdTests(SynchronousTestCase):
    """Real ``twistd -n netserver`` processes, logging to stdout."""

    def startTwistd(
        self, *arguments: str, twistdOptions: tuple[str, ...] = ()
    ) -> subprocess.Popen[str]:
        child = subprocess.Popen(
            [TWISTD, "-n", "--pidfile=", "-l", "-", *twistdOptions, "netserver", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=childEnvironment(),
            cwd=tempfile.gettempdir(),
        )
        self.addCleanup(self.kill, child)
        return child

    def start(
        self, *arguments: str, twistdOptions: tuple[str, ...] = ()
    ) -> tuple[subprocess.Popen[str], int]:
        """Start twistd; return it and the port its log line names."""
        child = self.startTwistd(*arguments, twistdOptions=twistdOptions)
        return child, int(readUntil(child.stdout, LISTENING).group(1))

    def kill(self, child: subprocess.Popen[str]) -> None:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()

    def finish(self, child: subprocess.Popen[str]) -> tuple[int, str]:
        """Wait (bounded) for ``child`` to exit: its status and remaining output."""
        assert child.stdout is not None
        status = child.wait(timeout=15)
        return status, child.stdout.read()

    def runTwistd(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [TWISTD, "-n", "--pidfile=", "-l", "-", "netserver", *arguments],
            capture_output=True,
            text=True,
            timeout=30,
            env=childEnvironment(),
            cwd=tempfile.gettempdir(),
        )

    def roundTrip(self, address: object, family: int = socket.AF_INET) -> bytes:
        with socket.socket(family) as client:
            client.settimeout(10)
            client.connect(address)
            client.sendall(b"hello twistd")
            return client.recv(100)

    def test_echo_on_port_zero_logs_the_real_port_and_serves_both_families(self) -> None:
        _, port = self.start("--port", "0")
        self.assertGreater(port, 0)
        self.assertEqual(self.roundTrip(("127.0.0.1", port)), b"hello twistd")
        self.assertEqual(self.roundTrip(("::1", port), socket.AF_INET6), b"hello twistd")

    def test_each_drop_over_max_connections_is_logged(self) -> None:
        child, port = self.start("--port", "0", "--host", "127.0.0.1", "--max-connections", "1")
        first = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.addCleanup(first.close)
        first.sendall(b"x")
        self.assertEqual(first.recv(10), b"x")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as second:
            secondPort = second.getsockname()[1]
            self.assertEqual(second.recv(10), b"")
        readUntil(
            child.stdout,
            rf"txnetserver dropped a connection from 127\.0\.0\.1 port {secondPort} "
            r"\(maxConnections 1 reached\)",
        )

    def test_unix_path_serves_and_is_removed_on_sigterm(self) -> None:
        directory = tempfile.mkdtemp(prefix="txns-")
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "echo.sock")
        child = self.startTwistd("--path", path)
        readUntil(child.stdout, "txnetserver listening on " + path)
        self.assertEqual(self.roundTrip(path, socket.AF_UNIX), b"hello twistd")
        child.send_signal(signal.SIGTERM)
        status, _ = self.finish(child)
        # twistd stops cleanly, then ends by the signal it received.
        self.assertEqual(status, -signal.SIGTERM)
        self.assertFalse(os.path.exists(path))

    def test_endpoint_description(self) -> None:
        _, port = self.start("--endpoint", "tcp:0:interface=127.0.0.1")
        self.assertEqual(self.roundTrip(("127.0.0.1", port)), b"hello twistd")

    def test_sigterm_stops_accepting_and_waits_for_open_connections(self) -> None:
        child, port = self.start("--port", "0", "--host", "127.0.0.1")
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.addCleanup(client.close)
        client.sendall(b"ping")
        self.assertEqual(client.recv(10), b"ping")
        child.send_signal(signal.SIGTERM)
        readUntil(child.stdout, r"closing: no new connections, waiting for 1 open")
        # The open connection is still served; a new one never is.
        client.sendall(b"still")
        self.assertEqual(client.recv(10), b"still")
        self.assertNotServed(port)
        self.assertIsNone(child.poll())
        client.close()
        status, output = self.finish(child)
        self.assertEqual(status, -signal.SIGTERM)
        self.assertIn("closed", output)
        self.assertIn("Main loop terminated", output)

    def assertNotServed(self, port: int) -> None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as late:
                # Connected to a backlog the closing socket had not yet shut:
                # the kernel resets it once the listening socket is closed.
                late.sendall(b"late")
                self.assertEqual(late.recv(10), b"")
        except (ConnectionRefusedError, ConnectionResetError):
            pass

    def test_sigterm_with_a_graceful_timeout_destroys_what_is_left(self) -> None:
        child, port = self.start("--port", "0", "--graceful-timeout", "300")
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.addCleanup(client.close)
        client.sendall(b"ping")
        self.assertEqual(client.recv(10), b"ping")
        child.send_signal(signal.SIGTERM)
        self.assertEqual(client.recv(10), b"")  # destroyed after the grace period
        status, output = self.finish(child)
        self.assertEqual(status, -signal.SIGTERM)
        self.assertIn("destroying 1 connection(s) still open 300 ms after the stop", output)

    def test_a_bad_option_exits_1_with_a_usage_message_and_no_traceback(self) -> None:
        for arguments, message in (
            (("--port", "http"), "--port must be a whole number, not 'http'"),
            (("--endpoint", "nonsense:1"), "--endpoint 'nonsense:1' is not usable"),
        ):
            result = self.runTwistd(*arguments)
            output = result.stdout + result.stderr
            self.assertEqual(result.returncode, 1, output)
            self.assertIn(message, output)
            self.assertNotIn("Traceback", output)

    def test_a_busy_port_exits_non_zero_with_nodes_message(self) -> None:
        busy = socket.socket(socket.AF_INET6)
        busy.bind(("::", 0))
        busy.listen(1)
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        for arguments, address in (
            ((), "::"),
            (("--host", "127.0.0.1"), "127.0.0.1"),  # bound during the start, too
        ):
            result = self.runTwistd("--port", str(port), *arguments)
            output = result.stdout + result.stderr
            self.assertNotEqual(result.returncode, 0, output)
            self.assertIn(f"listen EADDRINUSE: address already in use {address}:{port}", output)

    def test_runs_on_the_asyncio_reactor(self) -> None:
        # Fails with "reactor already installed" if anything imported one early.
        _, port = self.start("--port", "0", "--host", "127.0.0.1", twistdOptions=("-r", "asyncio"))
        self.assertEqual(self.roundTrip(("127.0.0.1", port)), b"hello twistd")

    def test_binds_a_privileged_port_before_dropping_privileges(self) -> None:
        if os.geteuid() != 0:
            raise SkipTest("needs root, to drop privileges with --uid")
        if not (readableByAnyone(ROOT) and readableByAnyone(sysconfig.get_paths()["purelib"])):
            raise SkipTest("the source or the venv is not readable once privileges are dropped")
        port = freePrivilegedPort()
        child, logged = self.start(
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            twistdOptions=("--uid", "65534", "--gid", "65534"),
        )
        self.assertEqual(logged, port)
        self.assertEqual(self.roundTrip(("127.0.0.1", port)), b"hello twistd")
        with open(f"/proc/{child.pid}/status") as status:
            uids = next(line for line in status if line.startswith("Uid:")).split()[1:]
        self.assertEqual(set(uids), {"65534"})


def readableByAnyone(path: str) -> bool:
    """Whether another user (nobody) can read ``path``: every folder above is searchable."""
    path = os.path.realpath(path)
    if not os.stat(path).st_mode & stat.S_IROTH:
        return False
    while path != os.path.dirname(path):
        path = os.path.dirname(path)
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
    return True


def freePrivilegedPort() -> int:
    for port in range(1023, 900, -1):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    continue
                raise
            return port
    raise SkipTest("no free port below 1024")


# twistd --help, without a twistd script: the fresh venvs borrow Twisted.
TWISTD_HELP = (
    "import sys; sys.argv = ['twistd', '--help']; from twisted.scripts.twistd import run; run()"
)
# What twistd does first, with its log shown: `twistd --help` starts no
# logging, so Twisted's "Unable to write to plugin cache" would go unseen.
PLUGIN_SCAN = """
from twisted.logger import formatEvent, globalLogPublisher
globalLogPublisher.addObserver(lambda event: print("log:", formatEvent(event)))
from twisted.application.service import IServiceMaker
from twisted.plugin import getPlugins
print("plugins:", sorted(maker.tapname for maker in getPlugins(IServiceMaker)))
"""
NOBODY = 65534
# What an install lets `import` find: txnetserver's version, then where the
# names the repository also has as folders resolve ("None": nowhere).
EXPOSED = """
import importlib.util, os, txnetserver
print("version", txnetserver.__version__)
for name in ("tests", "benchmarks", "examples", "docs"):
    spec = importlib.util.find_spec(name)
    locations = list(spec.submodule_search_locations or []) if spec else []
    print(name, os.path.realpath(locations[0]) if locations else None)
"""
# An edit to the editable install's source shows at the next import.
EDITED = """
with open("{source}/txnetserver/_edited.py", "w") as f:
    f.write("print('edited')")
import txnetserver._edited
"""
with open(os.path.join(ROOT, "txnetserver", "__init__.py")) as _init:
    VERSION = next(line.split('"')[1] for line in _init if line.startswith("__version__ = "))


class PluginInstallTests(SynchronousTestCase):
    """
    Fresh venvs reuse this environment's Twisted and hatchling through a .pth
    line, so nothing is downloaded; only txnetserver (a copy of this tree, so
    the install writes nothing here) is installed, with pip --no-index.
    """

    def makeVenv(self) -> tuple[str, str]:
        """A new venv: its python and its site-packages."""
        where = tempfile.mkdtemp(prefix="txns-venv-")
        self.addCleanup(shutil.rmtree, where, True)
        # Symlinked like `python -m venv`: a copied interpreter built with a shared
        # libpython (pyenv's 3.13) cannot find it from the venv.
        venv.EnvBuilder(with_pip=False, symlinks=True).create(where)
        python = os.path.join(where, "bin", "python")
        purelib = subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
        # This environment's packages, and Twisted's wherever it is installed
        # (a system package, under a venv with --system-site-packages).
        twistedHome = os.path.dirname(os.path.dirname(twisted.__file__))
        with open(os.path.join(purelib, "borrowed.pth"), "w") as pth:
            for borrowed in dict.fromkeys([sysconfig.get_paths()["purelib"], twistedHome]):
                pth.write(borrowed + "\n")
        return python, purelib

    def copyOfProject(self) -> str:
        where = tempfile.mkdtemp(prefix="txns-src-")
        self.addCleanup(shutil.rmtree, where, True)
        # Tracked and new files, not ignored ones (a local dropin.cache, venvs).
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        for name in listed:
            source = os.path.join(ROOT, name)
            if os.path.islink(source):  # .editable/'s links, as git checks them out
                target = os.path.join(where, name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.symlink(os.readlink(source), target)
            elif os.path.isfile(source):
                target = os.path.join(where, name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(source, target)
        return where

    def install(self, python: str, *arguments: str) -> None:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                python,
                "install",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "-q",
                *arguments,
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def runIn(self, python: str, code: str, asUser: int | None = None) -> str:
        # From an unrelated folder: the cwd must not put a source tree on sys.path.
        result = subprocess.run(
            [python, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tempfile.gettempdir(),
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            user=asUser,
            group=asUser,
            extra_groups=[] if asUser is not None else None,
        )
        return result.stdout + result.stderr

    def asNormalUser(self, *owned: str) -> int | None:
        """
        The user to run twistd as: when the tests run as root, an ordinary
        user who owns the venv (as a user owns the venv they installed into).
        """
        if os.geteuid() != 0 or not readableByAnyone(sysconfig.get_paths()["purelib"]):
            return None  # already a normal user; or nobody could not use the borrowed Twisted
        if not readableByAnyone(os.path.join(owned[0], "bin", "python")):
            return None  # the venv's interpreter lives where nobody cannot reach (/root)
        for top in owned:
            for directory, _, files in os.walk(top):
                os.chown(directory, NOBODY, NOBODY)
                for name in files:
                    os.lchown(os.path.join(directory, name), NOBODY, NOBODY)
        return NOBODY

    def assertFoundWithoutWarnings(self, python: str, user: int | None) -> None:
        # The user's first scan: Twisted records the new plugin in a
        # dropin.cache, and logs a warning when it cannot.
        scan = self.runIn(python, PLUGIN_SCAN, user)
        self.assertIn("'netserver'", scan)
        self.assertNotIn("dropin.cache", scan)
        self.assertNotIn("Traceback", scan)
        help = self.runIn(python, TWISTD_HELP, user)
        self.assertIn("netserver", help)
        self.assertIn("A Node.js-style net.Server", help)

    def test_plugin_is_found_after_a_regular_install(self) -> None:
        python, purelib = self.makeVenv()
        source = self.copyOfProject()
        # Also brings the borrowed Twisted's own plugin cache up to date.
        self.assertNotIn("netserver", self.runIn(python, TWISTD_HELP))
        self.install(python, source)
        installed = sorted(os.listdir(os.path.join(purelib, "twisted", "plugins")))
        # Only our plugin: a shipped dropin.cache would overwrite Twisted's own.
        self.assertIn("netserver.py", installed)
        self.assertNotIn("dropin.cache", installed)
        self.assertFalse(os.path.exists(os.path.join(purelib, "twisted", "__init__.py")))
        user = self.asNormalUser(os.path.dirname(os.path.dirname(python)))
        self.assertFoundWithoutWarnings(python, user)
        self.assertExposesOnlyTxnetserver(python, source)

    def test_plugin_is_found_after_an_editable_install(self) -> None:
        python, _ = self.makeVenv()
        source = self.copyOfProject()
        self.runIn(python, TWISTD_HELP)  # the borrowed Twisted's plugin cache, up to date
        self.install(python, "-e", source)
        user = self.asNormalUser(os.path.dirname(os.path.dirname(python)), source)
        self.assertFoundWithoutWarnings(python, user)
        self.assertExposesOnlyTxnetserver(python, source)
        # Editable: the installed package is the source tree itself.
        self.assertEqual(self.runIn(python, EDITED.format(source=source)).strip(), "edited", source)

    def assertExposesOnlyTxnetserver(self, python: str, source: str) -> None:
        """
        txnetserver imports from the install; the repository's tests/ and
        benchmarks/ folders are not importable (they are no package of ours).
        """
        found = self.runIn(python, EXPOSED).splitlines()
        self.assertEqual(found[0], "version " + VERSION, found)
        for line in found[1:]:
            name, where = line.split(" ", 1)
            self.assertFalse(where.startswith(os.path.realpath(source)), (name, where))
