"""
How completely txnetserver's public API is typed for its users, as pyright
measures it: ``pyright --verifytypes txnetserver --ignoreexternal`` on a
regular install of this tree (pyright does not measure a package it sees
through an editable install's path entry).

Usage: ``python tests/verifytypes.py [MINIMUM_PERCENT]`` (CI: 95). Prints the
score and every symbol not fully typed; exits 1 below the minimum.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure() -> dict[str, object]:
    """pyright's type-completeness report for txnetserver, installed from this tree."""
    pyright = shutil.which("pyright", path=os.path.dirname(sys.executable))
    if pyright is None:
        raise SystemExit("pyright is not installed (pip install -e '.[dev]')")
    with tempfile.TemporaryDirectory(prefix="txns-verifytypes-") as where:
        target = os.path.join(where, "site")
        install = ["install", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
        subprocess.run(
            [sys.executable, "-m", "pip", *install, "--target", target, ROOT],
            check=True,
            capture_output=True,
        )
        # pyright finds Twisted through the `python` on PATH (this environment's),
        # and txnetserver through PYTHONPATH.
        environment = {
            **os.environ,
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
            "PYTHONPATH": target,
        }
        result = subprocess.run(
            [pyright, "--verifytypes", "txnetserver", "--ignoreexternal", "--outputjson"],
            capture_output=True,
            text=True,
            cwd=where,
            env=environment,
        )
    report: dict[str, object] = json.loads(result.stdout)["typeCompleteness"]
    return report


def main() -> None:
    minimum = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    report = measure()
    score = 100 * float(report["completenessScore"])  # type: ignore[arg-type]
    for symbol in report["symbols"]:  # type: ignore[attr-defined]
        if symbol["isExported"] and not symbol["isTypeKnown"]:
            messages = [d["message"].splitlines()[0] for d in symbol["diagnostics"]]
            print(f"  not fully typed: {symbol['name']} {messages}")
    print(f"pyright --verifytypes txnetserver: {score:.1f}% of the public symbols fully typed")
    if score < minimum:
        raise SystemExit(f"below the required {minimum}%")


if __name__ == "__main__":
    main()
