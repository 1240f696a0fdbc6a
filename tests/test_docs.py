"""Every Python code block in the tutorial runs (so the documentation cannot rot)."""

from __future__ import annotations

import os
import re

import pytest

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")


def pythonBlocks(name: str) -> list[str]:
    with open(os.path.join(DOCS, name)) as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.DOTALL)


@pytest.mark.parametrize("index", range(len(pythonBlocks("tutorial.md"))))
def test_tutorial_block_runs(index: int) -> None:
    exec(compile(pythonBlocks("tutorial.md")[index], f"tutorial.md block {index}", "exec"), {})


def test_the_tutorial_has_blocks() -> None:
    assert len(pythonBlocks("tutorial.md")) >= 4


def test_the_tutorial_quotes_the_readme_commands() -> None:
    with open(os.path.join(os.path.dirname(DOCS), "README.md")) as f:
        readme = f.read()
    with open(os.path.join(DOCS, "tutorial.md")) as f:
        tutorial = f.read()
    commands = re.findall(r"<!-- \w+-command -->\n```sh\n(.*?)\n```", readme)
    assert len(commands) == 2
    for command in commands:
        assert command in tutorial


def test_the_documentation_site_builds_without_warnings(tmp_path: object) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            DOCS,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    with open(os.path.join(str(tmp_path), "reference.html")) as f:
        reference = f.read()
    # The reference is generated from the docstrings: the public names are there.
    for name in ("createServer", "Server.listen", "Socket.write", "EventEmitter.emit", "run"):
        assert name in reference
