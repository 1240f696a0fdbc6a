"""
Smoke test for the benchmark suite: the load generator builds and one tiny,
bounded round runs against the txnetserver echo server.  Not a timing test:
performance is judged by benchmarks/run.py, side by side, never here.
"""

from __future__ import annotations

import os
import shutil
import sys

from twisted.trial.unittest import SynchronousTestCase

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))

import run as benchmarks


class BenchmarkSmokeTests(SynchronousTestCase):
    def test_loadgen_builds_and_a_short_round_counts_round_trips(self) -> None:
        if shutil.which("gcc") is None:
            self.fail("gcc is needed to build benchmarks/loadgen.c")
        loadgen = benchmarks.buildLoadgen()
        server = next(s for s in benchmarks.servers() if s.name == "txnetserver pipe")
        sample = benchmarks.measure(loadgen, server, benchmarks.Workload("rr", "rr", 4), 0.5)
        self.assertGreater(sample.rate, 0)
        self.assertEqual(sample.failures, 0)
        self.assertGreater(sample.p99, 0)

    def test_idle_connections_are_held_and_measured(self) -> None:
        loadgen = benchmarks.buildLoadgen()
        server = next(s for s in benchmarks.servers() if s.name == "txnetserver pipe")
        sample = benchmarks.measure(loadgen, server, benchmarks.Workload("idle", "idle", 50), 0.5)
        self.assertEqual(sample.held, 50)

    def test_the_reference_servers_echo_a_stream_intact(self) -> None:
        # The C reference and the Python floor keep what the kernel did not
        # take: a streaming round completes without failures.
        loadgen = benchmarks.buildLoadgen()
        for name in ("C reference", "python floor"):
            server = next(s for s in benchmarks.servers() if s.name == name)
            workload = benchmarks.Workload("stream", "stream", 2, 65536)
            sample = benchmarks.measure(loadgen, server, workload, 0.5)
            self.assertGreater(sample.mbps, 0, name)
            self.assertEqual(sample.failures, 0, name)
