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

    def test_the_default_path_servers_and_uvloop_echo(self) -> None:
        # twistd netserver as a newcomer runs it, run() with no reactor
        # chosen, and the best Python peer: each starts and serves a round.
        loadgen = benchmarks.buildLoadgen()
        byName = {s.name: s for s in benchmarks.servers()}
        for name in ("twistd netserver", "txnetserver data", "uvloop"):
            sample = benchmarks.measure(
                loadgen, byName[name], benchmarks.Workload("rr", "rr", 2), 0.3
            )
            self.assertGreater(sample.rate, 0, name)
            self.assertEqual(sample.failures, 0, name)


class RatioTests(SynchronousTestCase):
    def results(self, **rates: list[float]) -> benchmarks.Results:
        results = benchmarks.Results()
        for name, values in rates.items():
            results.samples[("rr", name)] = [benchmarks.Sample(rate=v) for v in values]
        return results

    def test_ratios_are_medians_of_per_round_ratios(self) -> None:
        # Round by round: 2.0, 0.5, 1.0, 4.0, 3.0: the median is 2.0.
        results = self.results(a=[20, 10, 30, 40, 60], b=[10, 20, 30, 10, 20])
        workload = benchmarks.Workload("rr", "rr", 1)
        self.assertEqual(benchmarks.ratio(results, workload, "a", "b"), 2.0)
        # Per round 1.0, 0.4, 1.0: 1.0, where the ratio of the medians would be
        # 12 / 30 = 0.4.
        results = self.results(a=[10, 12, 30], b=[10, 30, 30])
        self.assertEqual(benchmarks.ratio(results, workload, "a", "b"), 1.0)

    def test_idle_memory_ratios_are_reference_over_server(self) -> None:
        results = benchmarks.Results()
        results.samples[("idle", "a")] = [benchmarks.Sample(kibPerConnection=1.0)]
        results.samples[("idle", "b")] = [benchmarks.Sample(kibPerConnection=4.0)]
        workload = benchmarks.Workload("idle", "idle", 10)
        self.assertEqual(benchmarks.ratio(results, workload, "a", "b"), 4.0)

    def test_a_failed_sample_is_left_out_of_ratios_and_medians(self) -> None:
        results = self.results(a=[10000, 20000, 30000], b=[10000, 10000, 10000])
        results.samples[("rr", "a")][1] = benchmarks.Sample(failures=-1)
        workload = benchmarks.Workload("rr", "rr", 1)
        self.assertEqual(benchmarks.ratio(results, workload, "a", "b"), 2.0)
        report = benchmarks.report(results, [workload], ["a", "b"], 3, 1.0)
        self.assertIn("| a | 20.0k/s | 10.0k/s - 30.0k/s |", report)

    def test_a_missing_reference_has_no_ratio(self) -> None:
        results = self.results(a=[1.0])
        workload = benchmarks.Workload("rr", "rr", 1)
        self.assertIsNone(benchmarks.ratio(results, workload, "a", "node"))

    def test_saved_results_render_the_same_report(self) -> None:
        import tempfile
        from pathlib import Path

        results = self.results(node=[10, 20], **{"python floor": [20, 40]})
        workload = benchmarks.Workload("rr", "rr", 1)
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "results.json"
            benchmarks.save(results, path, 2, 1.5)
            loaded, rounds, seconds = benchmarks.load(path)
        names = ["node", "python floor"]
        self.assertEqual((rounds, seconds), (2, 1.5))
        self.assertEqual(
            benchmarks.report(loaded, [workload], names, 2, 1.5),
            benchmarks.report(results, [workload], names, 2, 1.5),
        )
        self.assertIn(
            "| python floor | 2.00x |", benchmarks.report(loaded, [workload], names, 2, 1.5)
        )


class ConnectionProfileTests(SynchronousTestCase):
    def test_each_kind_serves_its_connections_and_stops(self) -> None:
        # connprofile's servers stop by themselves after N connections; the
        # profile it prints counts calls per connection.
        import subprocess

        script = os.path.join(os.path.dirname(benchmarks.__file__), "connprofile.py")
        for kind in ("pipe", "data", "transport", "floor"):
            result = subprocess.run(
                [sys.executable, script, "--kind", kind, "--connections", "50", "--top", "3"],
                capture_output=True,
                text=True,
                timeout=120,
            )
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn(f"{kind}: ", result.stdout)
            self.assertIn("calls/op", result.stdout)
