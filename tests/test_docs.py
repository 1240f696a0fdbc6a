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


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The documentation site, built nitpicky (-n) with warnings as errors (-W)."""
    import subprocess
    import sys

    where = str(tmp_path_factory.mktemp("site"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-n",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            DOCS,
            where,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    return where


def test_the_documentation_site_builds_nitpicky_without_warnings(site: str) -> None:
    with open(os.path.join(site, "reference", "server.html")) as f:
        reference = f.read()
    # The reference is generated from the docstrings: the public names are there.
    for name in ("createServer", "Server.listen", "Server.address", "AddressInfo.port"):
        assert name in reference


def documentedNames(site: str) -> set[str]:
    """Every object the site documents, as ``domain:role name`` and as bare names."""
    from sphinx.util.inventory import InventoryFile

    with open(os.path.join(site, "objects.inv"), "rb") as f:
        inventory = InventoryFile.load(f, "", os.path.join)
    names: set[str] = set()
    for role, entries in inventory.items():
        for name in entries:
            names.add(name)
            names.add(f"{role} {name}")
    return names


def publicModules() -> dict[str, list[str]]:
    """The public modules and the names each makes public (``__all__``)."""
    import importlib

    import txnetserver

    modules = {"txnetserver": [n for n in txnetserver.__all__ if n != "errors"]}
    for name in ("errors", "testing", "types", "reactor", "interfaces"):
        try:
            module = importlib.import_module(f"txnetserver.{name}")
        except ImportError:  # txnetserver.interfaces: not in every version
            continue
        modules[module.__name__] = list(getattr(module, "__all__", []))
    return modules


def publicMembers(cls: type, publicClasses: set[type]) -> list[str]:
    """
    The members a user reads on ``cls``: defined by it, or by a private base
    of ours (SocketInfo for Socket). A public base (EventEmitter) documents its
    own; Twisted's bases and the zope interfaces a class implements are
    documented by Twisted.
    """
    from zope.interface import implementedBy

    fromInterfaces = {name for i in implementedBy(cls) for name in i.names(all=True)}
    members = []
    for name in dir(cls):
        if name.startswith("_") or name in fromInterfaces:
            continue
        owner = next(c for c in cls.__mro__ if name in vars(c))
        if not owner.__module__.startswith("txnetserver"):
            continue
        if owner is not cls and owner in publicClasses:
            continue
        members.append(name)
    return members


def test_every_public_name_is_documented(site: str) -> None:
    import importlib

    documented = documentedNames(site)
    modules = publicModules()
    values = {
        f"{module}.{name}": getattr(importlib.import_module(module), name)
        for module, names in modules.items()
        for name in names
    }
    publicClasses = {v for v in values.values() if isinstance(v, type)}
    missing = []
    for qualified, value in values.items():
        if qualified not in documented:
            missing.append(qualified)
        if isinstance(value, type) and not issubclass(value, BaseException):
            for member in publicMembers(value, publicClasses):
                if f"{qualified}.{member}" not in documented:
                    missing.append(f"{qualified}.{member}")
    assert missing == [], missing
    # The walk does see what users reported missing.
    for name in (
        "txnetserver.testing.LoopbackServer",
        "txnetserver.errors.ERR_SOCKET_CLOSED",
        "txnetserver.EventEmitter.off",
        "txnetserver.Socket.bytesRead",
        "txnetserver.Socket.destroyed",
        "txnetserver.AddressInfo.port",
    ):
        assert name in documented


def test_every_pytest_fixture_of_the_plugin_is_documented(site: str) -> None:
    import txnetserver._pytest_plugin as plugin

    fixtures = [
        name
        for name, value in vars(plugin).items()
        if type(value).__name__ == "FixtureFunctionDefinition"
        or hasattr(value, "_pytestfixturefunction")
    ]
    assert "loopbackServer" in fixtures
    documented = documentedNames(site)
    assert [f for f in fixtures if f"std:fixture {f}" not in documented] == []


def test_the_pages_show_the_version_and_the_copyright(site: str) -> None:
    import txnetserver

    with open(os.path.join(site, "index.html")) as f:
        index = f.read()
    assert f"txnetserver {txnetserver.__version__}" in index
    assert "Copyright &#169; 2026" in index
    assert "The txnetserver developers" in index


def test_the_docs_cite_nothing_users_do_not_get() -> None:
    """No page sends readers to the test suite's helpers or to files outside the project."""
    for name in sorted(os.listdir(DOCS)) + [
        os.path.join("reference", n) for n in sorted(os.listdir(os.path.join(DOCS, "reference")))
    ]:
        if not name.endswith(".md"):
            continue
        with open(os.path.join(DOCS, name)) as f:
            text = f.read()
        for outside in ("tests/_", "../shared", "API.md", "shared folder"):
            assert outside not in text, (name, outside)
