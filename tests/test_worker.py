"""
Tests for txnetserver._worker: how a worker of ``--workers`` notices that its
parent is gone.  (The whole worker, in real ``twistd`` processes, is tested in
tests/test_workers.py.)
"""

from __future__ import annotations

import os
import sys
import threading

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from txnetserver._worker import watchParentPipe

from ._children import alive, pollUntil, runPython


class ParentPipeTests(SynchronousTestCase):
    def test_the_end_of_the_parents_pipe_is_reported(self) -> None:
        readEnd, writeEnd = os.pipe()
        self.addCleanup(os.close, readEnd)
        gone = threading.Event()
        watchParentPipe(gone.set, fd=readEnd)
        os.write(writeEnd, b"not the end")
        os.close(writeEnd)
        self.assertTrue(gone.wait(timeout=30))


class ParentDeathSignalTests(SynchronousTestCase):
    def test_a_grandchild_is_signalled_when_its_parent_is_killed(self) -> None:
        if not sys.platform.startswith("linux"):
            raise SkipTest("PR_SET_PDEATHSIG is Linux's")
        # The middle process starts a grandchild that asks for SIGTERM on its
        # parent's death, waits until it has asked, then kills itself with -9.
        result = runPython(
            """
            import os, signal, subprocess, sys
            grandchild = '''
            import os, signal
            from txnetserver._worker import signalOnParentDeath
            signal.signal(signal.SIGTERM, lambda *_: os._exit(42))
            assert signalOnParentDeath(os.getppid(), signal.SIGTERM)
            print("armed", flush=True)
            while True:
                signal.pause()
            '''
            if os.fork() == 0:
                child = subprocess.Popen(
                    [sys.executable, "-c", grandchild], stdout=subprocess.PIPE, text=True
                )
                print(child.pid, child.stdout.readline().strip(), flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
            """,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        pid, armed = result.stdout.split()
        self.assertEqual(armed, "armed")
        # The grandchild's exit status is its reaper's business; it must be gone.
        pollUntil(lambda: not alive(int(pid)), "the grandchild ends")
