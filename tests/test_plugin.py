"""
Packaging: ``twistd`` finds the netserver plugin after ``pip install .`` and
after ``pip install -e .``, each in a fresh venv, with no dropin.cache warning.

The fresh venvs reuse this environment's installed packages (Twisted, hatchling)
through a .pth line, so nothing is downloaded; only txnetserver is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import venv

from twisted.trial.unittest import SynchronousTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TWISTD_HELP = (
    "import sys; sys.argv = ['twistd', '--help']; from twisted.scripts.twistd import run; run()"
)


class PluginInstallTests(SynchronousTestCase):
    def makeVenv(self) -> str:
        where = tempfile.mkdtemp(prefix="txns-venv-")
        self.addCleanup(shutil.rmtree, where, True)
        venv.EnvBuilder(with_pip=False).create(where)
        python = os.path.join(where, "bin", "python")
        purelib = subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
        with open(os.path.join(purelib, "borrowed.pth"), "w") as pth:
            pth.write(sysconfig.get_paths()["purelib"] + "\n")
        return python

    def copyOfProject(self) -> str:
        where = tempfile.mkdtemp(prefix="txns-src-")
        self.addCleanup(shutil.rmtree, where, True)
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for name in listed:
            source = os.path.join(ROOT, name)
            if os.path.isfile(source):
                target = os.path.join(where, name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(source, target)
        return where

    def install(self, python: str, *arguments: str) -> None:
        subprocess.run(
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
            check=True,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def twistdHelp(self, python: str) -> subprocess.CompletedProcess[str]:
        # Run from an unrelated folder: the cwd must not put the source on sys.path.
        return subprocess.run(
            [python, "-c", TWISTD_HELP],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tempfile.gettempdir(),
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )

    def assertPluginListed(self, python: str) -> None:
        result = self.twistdHelp(python)
        self.assertIn("netserver", result.stdout, result.stderr)
        self.assertIn("Node.js-style net.Server", result.stdout)
        self.assertNotIn("dropin.cache", result.stdout + result.stderr)

    def test_plugin_is_found_after_a_regular_install(self) -> None:
        python = self.makeVenv()
        source = self.copyOfProject()
        self.assertNotIn("netserver", self.twistdHelp(python).stdout)
        self.install(python, source)
        self.assertPluginListed(python)

    def test_plugin_is_found_after_an_editable_install(self) -> None:
        python = self.makeVenv()
        source = self.copyOfProject()
        self.install(python, "-e", source)
        self.assertPluginListed(python)
