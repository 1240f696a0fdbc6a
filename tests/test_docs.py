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
