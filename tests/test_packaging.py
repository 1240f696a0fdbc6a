"""
What a user downloads (pyproject.toml): the sdist and the wheel carry the
licence and one version, and the wheel holds txnetserver and the twistd
plugins and nothing else. Built offline with the installed hatchling.
"""

from __future__ import annotations

import email
import glob
import os
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from pathlib import Path

import pytest

import txnetserver

from ._children import ROOT


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(where)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=180,
    )
    return where


def only(pattern: str) -> str:
    [path] = glob.glob(pattern)
    return path


def wheelNames(artifacts: Path) -> list[str]:
    with zipfile.ZipFile(only(f"{artifacts}/*.whl")) as wheel:
        return wheel.namelist()


def wheelMetadata(artifacts: Path) -> Message:
    with zipfile.ZipFile(only(f"{artifacts}/*.whl")) as wheel:
        [name] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(wheel.read(name))


def test_the_wheel_holds_txnetserver_the_plugins_and_the_licence(artifacts: Path) -> None:
    names = wheelNames(artifacts)
    tops = {name.split("/")[0] for name in names}
    assert tops == {"txnetserver", "twisted", f"txnetserver-{txnetserver.__version__}.dist-info"}
    assert {n for n in names if n.startswith("twisted/")} == {
        "twisted/plugins/netserver.py",
        "twisted/plugins/txnetserver_reactor.py",
    }
    assert "txnetserver/py.typed" in names
    assert f"txnetserver-{txnetserver.__version__}.dist-info/licenses/LICENSE" in names


def test_the_sdist_holds_the_package_the_licence_and_the_changelog_once(
    artifacts: Path,
) -> None:
    with tarfile.open(only(f"{artifacts}/*.tar.gz")) as sdist:
        names = sdist.getnames()
    prefix = f"txnetserver-{txnetserver.__version__}/"
    for name in (
        "LICENSE",
        "CHANGELOG.md",
        "txnetserver/__init__.py",
        "txnetserver/py.typed",
        "twisted/plugins/netserver.py",
        "docs/_inventories/twisted.inv",
    ):
        assert prefix + name in names
    # .editable/'s symlinks would be a second copy of the package.
    assert not [n for n in names if n.startswith(prefix + ".editable")]


def test_a_wheel_built_from_the_sdist_is_the_wheel(artifacts: Path, tmp_path: Path) -> None:
    """What `pip install txnetserver-X.tar.gz` builds holds the same files."""
    with tarfile.open(only(f"{artifacts}/*.tar.gz")) as sdist:
        sdist.extractall(tmp_path / "src", filter="data")
    [unpacked] = (tmp_path / "src").iterdir()
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "out")],
        cwd=unpacked,
        check=True,
        capture_output=True,
        timeout=180,
    )
    assert wheelNames(tmp_path / "out") == wheelNames(artifacts)


def test_the_metadata_version_is_the_package_version(artifacts: Path) -> None:
    metadata = wheelMetadata(artifacts)
    assert metadata["Version"] == txnetserver.__version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]


def test_the_classifiers_name_the_pythons_twisted_linux_and_typing(artifacts: Path) -> None:
    classifiers = set(wheelMetadata(artifacts).get_all("Classifier") or [])
    for classifier in (
        "Framework :: Twisted",
        "Operating System :: POSIX :: Linux",
        "License :: OSI Approved :: MIT License",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Typing :: Typed",
    ):
        assert classifier in classifiers
    assert [c for c in classifiers if c.startswith("Development Status ::")]


def test_the_changelog_has_an_entry_for_this_version() -> None:
    with open(os.path.join(ROOT, "CHANGELOG.md")) as f:
        changelog = f.read()
    release = txnetserver.__version__.split(".dev")[0]
    assert f"({release})" in changelog or f"## {release}" in changelog
