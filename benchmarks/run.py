"""
Side-by-side echo benchmarks: txnetserver against plain Twisted, asyncio
(stdlib and uvloop) and Node, in one run on one machine, reported as ratios.
Two references frame them: "python floor" (servers/python_floor.py, the least
any Python echo does per chunk) and "C reference" (servers/c_echo.c, the
kernel's share).  txnetserver runs on the path users get by default
(``twistd -n netserver``; ``run()`` with no reactor chosen) and with a reactor
named explicitly (``-r txnetserver``, ``-r epoll``).

    python benchmarks/run.py            # every workload, 5 rounds of 5 s
    python benchmarks/run.py --quick    # a short pass (< 2 minutes)
    python benchmarks/run.py --only all # also the -r epoll and --workers rows
    python benchmarks/run.py --from benchmarks/results/results.json  # report again

The C load generator (loadgen.c) is built with gcc into benchmarks/build/.
Servers and the generator run on loopback only, pinned to separate CPUs when
``taskset`` exists, started and stopped by PID; every run is bounded in time.
Rounds interleave the servers (A B C A B C ...) so drift hits all alike, and
ratios are medians of per-round ratios.  Results go to benchmarks/results/ as
Markdown, JSON (every sample) and a PNG chart of the ratios to Node and to
the python floor (pip install -e '.[bench]' for uvloop and matplotlib).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = HERE / "build"
RESULTS = HERE / "results"
HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    name: str
    command: list[str]
    pin: bool = True  # multi-process servers run unpinned, or they could not scale


@dataclass(frozen=True)
class Workload:
    name: str
    mode: str
    connections: int
    size: int = 64


@dataclass
class Sample:
    rate: float = 0.0
    mbps: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    cpuPerOp: float = 0.0
    kibPerConnection: float = 0.0
    held: int = 0
    failures: int = 0

    @property
    def failed(self) -> bool:
        """The server could not be measured this round (see main)."""
        return self.failures < 0


@dataclass
class Results:
    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)


def servers() -> list[Server]:
    python = sys.executable
    here = HERE / "servers"
    found = [
        # The default path: what `twistd -n netserver` and run() give with no reactor chosen.
        Server("twistd netserver", [python, str(here / "twistd_netserver.py"), HOST]),
        Server("txnetserver pipe", [python, str(here / "txnet_pipe.py"), HOST, "default"]),
        Server("txnetserver data", [python, str(here / "txnet_data.py"), HOST, "default"]),
        # Explicit choices: NodeReactor named (twistd -r txnetserver), Twisted's stock epoll.
        Server("pipe -r txnetserver", [python, str(here / "txnet_pipe.py"), HOST, "txnetserver"]),
        Server("data -r txnetserver", [python, str(here / "txnet_data.py"), HOST, "txnetserver"]),
        Server("pipe -r epoll", [python, str(here / "txnet_pipe.py"), HOST, "epoll"]),
        Server("data -r epoll", [python, str(here / "txnet_data.py"), HOST, "epoll"]),
        Server("twisted", [python, str(here / "twisted_echo.py"), HOST]),
        Server("asyncio", [python, str(here / "asyncio_echo.py"), HOST]),
    ]
    if importlib.util.find_spec("uvloop") is not None:
        # The best Python peer (pip install -e '.[bench]').
        found.append(Server("uvloop", [python, str(here / "asyncio_echo.py"), HOST, "uvloop"]))
    for count in ("1", "2"):
        found.append(
            Server(
                f"txnetserver {count} worker{'s' if count != '1' else ''}",
                [python, str(here / "txnet_workers.py"), HOST, count],
                pin=False,
            )
        )
    node = shutil.which("node")
    if node:
        found.append(Server("node", [node, str(here / "node_echo.js"), HOST]))
    # References, not contenders: the least a Python echo can do, and C.
    found.append(Server("python floor", [python, str(here / "python_floor.py"), HOST]))
    found.append(Server("C reference", [str(BUILD / "c_echo"), HOST]))
    return found


# What a plain `run.py` compares: every server but the workers rows (which
# need spare cores to mean anything) and the stock-epoll rows (the old default).
DEFAULT_SERVERS = [
    "twistd netserver",
    "txnetserver pipe",
    "txnetserver data",
    "pipe -r txnetserver",
    "data -r txnetserver",
    "twisted",
    "asyncio",
    "uvloop",
    "node",
    "python floor",
    "C reference",
]
# Ratios are reported against these (when they ran).
REFERENCES = ("node", "python floor", "uvloop")


FULL = [
    Workload("rr C=1 S=64", "rr", 1),
    Workload("rr C=100 S=64", "rr", 100),
    Workload("rr C=1000 S=64", "rr", 1000),
    Workload("connect C=50", "connect", 50),
    Workload("stream C=10", "stream", 10, 65536),
    Workload("idle 1000", "idle", 1000),
    Workload("idle 10000", "idle", 10000),
]
QUICK = [FULL[0], FULL[1], FULL[3], FULL[4], FULL[5]]


def buildLoadgen() -> Path:
    """Build the load generator and the C reference server; return the generator."""
    BUILD.mkdir(exist_ok=True)
    for source, binary in (
        (HERE / "loadgen.c", BUILD / "loadgen"),
        (HERE / "servers" / "c_echo.c", BUILD / "c_echo"),
    ):
        if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
            subprocess.run(["gcc", "-O2", "-o", str(binary), str(source)], check=True)
    return BUILD / "loadgen"


def pinned(cpu: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu), *command]
    return command


def raiseDescriptorLimit() -> None:
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def startServer(server: Server) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        pinned(1, server.command) if server.pin else server.command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=raiseDescriptorLimit,
        start_new_session=True,  # stopServer kills the whole group (workers too)
    )
    assert process.stdout is not None
    line = process.stdout.readline().split()
    if len(line) != 2 or line[0] != "ready":
        process.kill()
        raise RuntimeError(f"{server.name} did not start: {line}")
    return process, int(line[1])


def stopServer(process: subprocess.Popen[str]) -> None:
    import signal

    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def cpuSeconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rssKiB(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(loadgen: Path, server: Server, workload: Workload, seconds: float) -> Sample:
    process, port = startServer(server)
    try:
        if workload.mode == "idle":
            return measureIdle(loadgen, process, port, workload, seconds)
        before = cpuSeconds(process.pid)
        result = subprocess.run(
            pinned(
                0,
                [
                    str(loadgen),
                    workload.mode,
                    HOST,
                    str(port),
                    str(workload.connections),
                    str(workload.size),
                    str(seconds),
                ],
            ),
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
        # A multi-process server's CPU is not in its first process: not measured.
        used = cpuSeconds(process.pid) - before if server.pin else 0.0
        report = json.loads(result.stdout.strip().splitlines()[-1])
        operations = report["operations"] or 1
        return Sample(
            rate=report["rate"],
            mbps=report["mbps"],
            p50=report["p50_us"],
            p99=report["p99_us"],
            cpuPerOp=used / operations * 1e6,
            failures=report["failures"],
        )
    finally:
        stopServer(process)


def measureIdle(
    loadgen: Path, process: subprocess.Popen[str], port: int, workload: Workload, seconds: float
) -> Sample:
    baseline = rssKiB(process.pid)
    baselineFDs = len(os.listdir(f"/proc/{process.pid}/fd"))
    hold = max(seconds, 3.0) + 10
    client = subprocess.Popen(
        pinned(
            0, [str(loadgen), "idle", HOST, str(port), str(workload.connections), "0", str(hold)]
        ),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert client.stdout is not None
        ready = client.stdout.readline().split()
        held = int(ready[1]) if len(ready) == 2 and ready[0] == "ready" else 0
        # The client sees connections the server has not accepted yet: wait
        # (bounded) until the server holds a descriptor for each of them.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if len(os.listdir(f"/proc/{process.pid}/fd")) - baselineFDs >= held:
                break
            time.sleep(0.05)
        used = rssKiB(process.pid) - baseline
        return Sample(held=held, kibPerConnection=used / max(held, 1))
    finally:
        client.kill()
        client.wait(timeout=10)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def headline(workload: Workload, sample: Sample) -> float:
    if workload.mode == "stream":
        return sample.mbps
    if workload.mode == "idle":
        return sample.kibPerConnection
    return sample.rate


def formatValue(workload: Workload, value: float) -> str:
    if workload.mode == "stream":
        return f"{value:.0f} MB/s"
    if workload.mode == "idle":
        return f"{value:.1f} KiB/conn"
    return f"{value / 1000:.1f}k/s"


def ratio(results: Results, workload: Workload, name: str, reference: str) -> float | None:
    """
    The median of per-round ratios of ``name`` to ``reference`` (round i of
    one against round i of the other: they ran back to back, so drift cancels).
    Above 1 is better; for idle memory the ratio is reference / server.
    """
    mine = results.samples.get((workload.name, name), [])
    theirs = results.samples.get((workload.name, reference), [])
    per: list[float] = []
    for a, b in zip(mine, theirs, strict=False):
        x, y = headline(workload, a), headline(workload, b)
        if x and y:
            per.append(y / x if workload.mode == "idle" else x / y)
    return median(per) if per else None


def formatRatio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def report(
    results: Results, workloads: list[Workload], names: list[str], rounds: int, seconds: float
) -> str:
    references = [r for r in REFERENCES if r in names]
    lines = [
        "# Echo benchmark results",
        "",
        f"{rounds} interleaved round(s) of {seconds:g} s per workload. Ratios are medians of",
        "per-round ratios (each round runs every server back to back); above 1 is better.",
        "For idle memory the ratio is reference / server, so above 1 still means better.",
        "",
        "## Ratios",
        "",
    ]
    for reference in references:
        lines += [f"### vs {reference}", ""]
        lines.append("| server | " + " | ".join(w.name for w in workloads) + " |")
        lines.append("|---|" + "---|" * len(workloads))
        for name in names:
            if name == reference:
                continue
            cells = [formatRatio(ratio(results, w, name, reference)) for w in workloads]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Each workload", ""]
    for workload in workloads:
        lines += [f"### {workload.name}", ""]
        header = "| server | median | min-max | p50 / p99 µs | server CPU µs/op |"
        lines.append(header + "".join(f" vs {r} |" for r in references))
        lines.append("|---|---|---|---|---|" + "---|" * len(references))
        for name in names:
            samples = [s for s in results.samples.get((workload.name, name), []) if not s.failed]
            if not samples:
                continue
            values = [headline(workload, s) for s in samples]
            latency = (
                f"{median([s.p50 for s in samples]):.0f} / {median([s.p99 for s in samples]):.0f}"
                if workload.mode in ("rr", "connect")
                else "-"
            )
            cpu = (
                f"{median([s.cpuPerOp for s in samples]):.1f}"
                if workload.mode in ("rr", "connect") and any(s.cpuPerOp for s in samples)
                else "-"
            )
            held = f" (held {min(s.held for s in samples)})" if workload.mode == "idle" else ""
            cells = "".join(
                f" {formatRatio(ratio(results, workload, name, r)) if r != name else '-'} |"
                for r in references
            )
            lines.append(
                f"| {name} | {formatValue(workload, median(values))}{held} | "
                f"{formatValue(workload, min(values))} - {formatValue(workload, max(values))} | "
                f"{latency} | {cpu} |{cells}"
            )
        lines.append("")
    return "\n".join(lines)


def chart(results: Results, workloads: list[Workload], names: list[str], path: Path) -> bool:
    """Bars of each server's ratio to Node (top) and to the python floor (bottom)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    throughput = [w for w in workloads if w.mode != "idle"]
    references = [r for r in ("node", "python floor") if r in names]
    if not throughput or not references:
        return False
    figure, axes = plt.subplots(len(references), 1, figsize=(14, 4.5 * len(references)))
    if len(references) == 1:
        axes = [axes]
    for axis, reference in zip(axes, references, strict=True):
        shown = [n for n in names if n != reference]
        width = 0.8 / max(len(shown), 1)
        for index, name in enumerate(shown):
            values = [ratio(results, w, name, reference) or 0.0 for w in throughput]
            positions = [i + index * width for i in range(len(throughput))]
            axis.bar(positions, values, width, label=name)
        axis.axhline(1.0, color="black", linewidth=0.8)
        if reference == "python floor":
            axis.axhline(0.9, color="red", linewidth=0.8, linestyle="--", label="0.9x floor")
        axis.set_xticks([i + width * (len(shown) - 1) / 2 for i in range(len(throughput))])
        axis.set_xticklabels([w.name for w in throughput])
        axis.set_ylabel(f"throughput / {reference} (same round)")
        axis.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return True


def save(results: Results, path: Path, rounds: int, seconds: float) -> None:
    """Every sample, to re-render the report later (``--from``)."""
    data = {
        "rounds": rounds,
        "seconds": seconds,
        "samples": [
            {"workload": w, "server": n, "samples": [asdict(s) for s in samples]}
            for (w, n), samples in results.samples.items()
        ],
    }
    path.write_text(json.dumps(data, indent=1) + "\n")


def load(path: Path) -> tuple[Results, int, float]:
    data = json.loads(path.read_text())
    results = Results()
    for entry in data["samples"]:
        results.samples[(entry["workload"], entry["server"])] = [
            Sample(**s) for s in entry["samples"]
        ]
    return results, data["rounds"], data["seconds"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer workloads, 1 round of 2 s")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument(
        "--only", default=None, help="comma-separated server names to run ('all' for every one)"
    )
    parser.add_argument("--workloads", default=None, help="comma-separated workload names")
    parser.add_argument("--output", default=str(RESULTS))
    parser.add_argument(
        "--from", dest="source", default=None, help="re-render the report from a results.json"
    )
    arguments = parser.parse_args(argv)
    workloads = QUICK if arguments.quick else FULL
    if arguments.workloads:
        wanted = {w.strip() for w in arguments.workloads.split(",")}
        workloads = [w for w in FULL if w.name in wanted]
    rounds = arguments.rounds or (1 if arguments.quick else 5)
    seconds = arguments.seconds or (2.0 if arguments.quick else 5.0)
    chosen = servers()
    if arguments.only != "all":
        wanted = (
            {name.strip() for name in arguments.only.split(",")}
            if arguments.only
            else set(DEFAULT_SERVERS)
        )
        chosen = [s for s in chosen if s.name in wanted]
    output = Path(arguments.output)
    output.mkdir(parents=True, exist_ok=True)
    if arguments.source:
        results, rounds, seconds = load(Path(arguments.source))
        ran = {n for (_, n) in results.samples}
        chosen = [s for s in servers() if s.name in ran]
        workloads = [w for w in FULL if any(k[0] == w.name for k in results.samples)]
    else:
        loadgen = buildLoadgen()
        results = Results()
        for workload in workloads:
            for round_ in range(rounds):
                for server in chosen:
                    try:
                        sample = measure(loadgen, server, workload, seconds)
                    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as e:
                        # One failed sample must not lose a long run: it counts
                        # as missing (a zero, which no ratio uses).
                        print(f"{workload.name}: {server.name} failed: {e}", flush=True)
                        sample = Sample(failures=-1)  # .failed
                    results.samples.setdefault((workload.name, server.name), []).append(sample)
                    print(
                        f"{workload.name:16} round {round_ + 1} {server.name:20} "
                        f"{formatValue(workload, headline(workload, sample))}",
                        flush=True,
                    )
                save(results, output / "results.json", rounds, seconds)
    names = [s.name for s in chosen]
    text = report(results, workloads, names, rounds, seconds)
    if chart(results, workloads, names, output / "results.png"):
        text += "\n![ratios to Node and to the python floor](results.png)\n"
    (output / "results.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
