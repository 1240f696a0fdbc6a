"""Run Python snippets and twistd in child processes, bounded in time."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _twistd() -> str:
    """
    The twistd of this environment: the console script beside the interpreter
    (a venv's), else the system's (Debian's python3-twisted ships ``twistd3``).
    """
    beside = os.path.join(os.path.dirname(sys.executable), "twistd")
    if os.path.exists(beside):
        return beside
    for name in ("twistd", "twistd3"):
        found = shutil.which(name)
        if found is not None:
            return found
    return beside


TWISTD = _twistd()


def childEnvironment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": ROOT, "PYTHONUNBUFFERED": "1"}


def runPython(code: str, timeout: float = 20, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter; raises TimeoutExpired past ``timeout``."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=childEnvironment(),
        cwd=ROOT,
        **kwargs,
    )


def startPython(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=childEnvironment(),
        cwd=ROOT,
    )


def startTwistd(
    *arguments: str, cwd: str | None = None, newSession: bool = False, reactor: str | None = None
) -> subprocess.Popen[str]:
    """
    ``twistd -n --pidfile= -l - [-r REACTOR] netserver ARGUMENTS``, logging to
    stdout; ``newSession`` gives it a process group of its own, to signal as a
    terminal would.
    """
    choice = ["-r", reactor] if reactor else []
    return subprocess.Popen(
        [TWISTD, "-n", "--pidfile=", "-l", "-", *choice, "netserver", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=childEnvironment(),
        cwd=cwd or ROOT,
        start_new_session=newSession,
    )


def stopChild(child: subprocess.Popen[str]) -> None:
    """Kill ``child`` if it still runs, reap it and close its output (a test cleanup)."""
    if child.poll() is None:
        child.kill()
    child.wait(timeout=10)
    if child.stdout is not None:
        child.stdout.close()


# Lines read from a stream but not consumed yet, by descriptor: a chunk can
# hold more lines than the one a call was looking for.
_unread: dict[int, list[str]] = {}
_partial: dict[int, str] = {}


def readUntil(stream: Any, pattern: str, timeout: float = 15) -> re.Match[str]:
    """Read lines until one matches ``pattern``; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    fd = stream.fileno()
    seen: list[str] = []
    pending = _unread.setdefault(fd, [])
    while True:
        while pending:
            line = pending.pop(0)
            seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        if time.monotonic() >= deadline:
            break
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 65536).decode(errors="replace")
        if not chunk:
            break
        *lines, _partial[fd] = (_partial.get(fd, "") + chunk).split("\n")
        pending.extend(lines)
    raise AssertionError(
        f"{pattern!r} not found in output:\n" + "\n".join([*seen, _partial.get(fd, "")])
    )


def readRest(stream: Any) -> str:
    """Everything :func:`readUntil` has not consumed, up to the end of ``stream``."""
    fd = stream.fileno()
    rest = "\n".join(_unread.pop(fd, []))
    rest += "\n" + _partial.pop(fd, "")
    while chunk := os.read(fd, 65536):
        rest += chunk.decode(errors="replace")
    return rest


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie nobody reaped yet has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def pollUntil(condition: Callable[[], bool], what: str, bound: float = 30) -> None:
    """Wait until ``condition()`` holds, checking every 50 ms; fail after ``bound`` seconds."""
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {bound} s: {what}")
        time.sleep(0.05)
