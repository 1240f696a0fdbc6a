"""
txnetserver is typed for its users (txnetserver._typing, txnetserver.types):
the code users start from (the README's and the reference pages' Python
blocks, examples/*.py) type-checks with ``mypy --strict`` and with pyright in
standard mode (strict for code that calls no unannotated Twisted API), as
a user's project would check it; the overloads accept Node's
argument lists and reject what Node rejects; and the events' listener types
reach the listener.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ._children import ROOT

BIN = os.path.dirname(sys.executable)


def pythonBlocks(path: str) -> list[str]:
    with open(path) as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.DOTALL)


def usersCode() -> dict[str, str]:
    """What users copy: file name -> source."""
    code: dict[str, str] = {}
    for index, block in enumerate(pythonBlocks(os.path.join(ROOT, "README.md"))):
        code[f"readme_{index}.py"] = block
    for page in sorted(glob.glob(os.path.join(ROOT, "docs", "reference", "*.md"))):
        for index, block in enumerate(pythonBlocks(page)):
            code[f"reference_{Path(page).stem}_{index}.py"] = block
    for example in sorted(glob.glob(os.path.join(ROOT, "examples", "*.py"))):
        with open(example) as f:
            code[f"example_{Path(example).stem}.py"] = f.read()
    return code


def writeProject(where: Path, code: dict[str, str]) -> list[str]:
    """
    ``code`` as a user's project. pyright runs in standard mode, and strict
    in the files that say ``# pyright: strict`` (those calling no unannotated
    Twisted API such as ``Application()``: strict mode would report Twisted's
    unknown types, not ours).
    """
    for name, source in code.items():
        (where / name).write_text(source)
    (where / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "standard", "pythonVersion": "3.11"})
    )
    return sorted(code)


def mypy(where: Path, files: list[str]) -> str:
    """
    ``mypy --strict`` with no project configuration (and so no mypy-zope
    plugin), on txnetserver as installed (the README's editable install).
    Twisted's unannotated corners (``Application()``, ``connectProtocol()``)
    are excluded from the untyped-call check, as a strict Twisted project does.
    """
    command = [os.path.join(BIN, "mypy"), "--strict", "--config-file", os.devnull]
    result = subprocess.run(
        [*command, "--untyped-calls-exclude", "twisted", *files],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.stdout


def pyright(where: Path, files: list[str]) -> str:
    result = subprocess.run(
        [os.path.join(BIN, "pyright"), *files],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")},
    )
    return result.stdout


# What the overloads must accept (each line type-checks) and reject.
ACCEPTED = """# pyright: strict
from typing import Any

from twisted.internet.endpoints import TCP4ServerEndpoint

import txnetserver
from txnetserver import AbortController, BlockList, Socket, createServer
from txnetserver.types import DropInfo


def check(reactor: Any) -> None:
    server = createServer()
    createServer(lambda socket: socket.pipe(socket))
    createServer({"allowHalfOpen": True}, lambda socket: socket.end())
    createServer(allowHalfOpen=True, blockList=BlockList())
    done = lambda: None
    server.listen()
    server.listen(done)
    server.listen(8000)
    server.listen("8000")
    server.listen(8000, done)
    server.listen(8000, "127.0.0.1")
    server.listen(8000, "127.0.0.1", done)
    server.listen(8000, "127.0.0.1", 511, done)
    server.listen("/tmp/echo.sock")
    server.listen("/tmp/echo.sock", 10, done)
    server.listen(createServer(), done)
    server.listen({"port": 0, "host": "::1", "signal": AbortController().signal}, done)
    server.listen(port=0, host="127.0.0.1", ipv6Only=True, callback=done)
    server.listen({"fd": 3})
    server.listen({"endpoint": "tcp:0"})
    server.listen(TCP4ServerEndpoint(reactor, 0), done)

    def onConnection(socket: Socket) -> None:
        def onData(data: bytes | str) -> None:
            socket.write(data)

        def onClose(hadError: bool) -> None:
            print(hadError)

        socket.on("data", onData).on("close", onClose).once("end", lambda: None)
        socket.on("error", lambda error: print(error.args))
        socket.on("custom-event", lambda *args: None)
        destination: Socket = socket.pipe(socket)
        destination.setNoDelay(True)

    def onDrop(info: DropInfo | None) -> None:
        if info is not None:
            print(info["remoteAddress"], info["remotePort"])

    server.on("connection", onConnection).on("drop", onDrop).prependListener("close", done)
    server.on("error", lambda error: print(error.args))
    port: int = server.tcpAddress().port
    address = server.address()
    if isinstance(address, txnetserver.AddressInfo):
        port = address.port
    print(port)
"""

# What a listener written as a lambda is called with, by event.
REVEALED = """# pyright: strict
from txnetserver import Server, Socket


def check(server: Server, socket: Socket) -> None:
    socket.on("data", lambda data: reveal_type(data))  # data
    socket.once("close", lambda hadError: reveal_type(hadError))  # close
    socket.prependListener("error", lambda error: reveal_type(error))  # socket error
    server.on("connection", lambda accepted: reveal_type(accepted))  # connection
    server.on("drop", lambda info: reveal_type(info))  # drop
    reveal_type(socket.pipe(socket))  # pipe
"""

# line marker -> (mypy's rendering, pyright's rendering)
REVEALS = {
    "data": ("builtins.bytes | builtins.str", '"bytes | str"'),
    "close": ("builtins.bool", '"bool"'),
    "socket error": ("builtins.BaseException", '"BaseException"'),
    "connection": ("txnetserver._socket.Socket", '"Socket"'),
    "drop": ("TypedDict('txnetserver.types.DropInfo'", '"DropInfo | None"'),
    "pipe": ("txnetserver._socket.Socket", '"Socket"'),
}

REJECTED = {
    "a listen() port of the wrong type": """
        from txnetserver import createServer
        createServer().listen(8000.5j)
    """,
    "an unknown listen() keyword": """
        from txnetserver import createServer
        createServer().listen(port=0, hots="127.0.0.1")
    """,
    "an unknown createServer() option": """
        from txnetserver import createServer
        createServer(allowHalfOpne=True)
    """,
    "address().port without narrowing": """
        from txnetserver import createServer
        print(createServer().address().port)
    """,
    "pipe() into something that is not a writable stream": """
        from txnetserver import Socket
        def f(socket: Socket) -> None:
            socket.pipe(b"bytes")
    """,
}


def rejectedFile(case: str) -> str:
    return f"rejected_{sorted(REJECTED).index(case)}.py"


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """mypy's and pyright's reports on the users' code and the cases above, each run once."""
    where = tmp_path_factory.mktemp("users-code")
    code = usersCode()
    code["accepted.py"] = ACCEPTED
    code["revealed.py"] = REVEALED
    for case, source in REJECTED.items():
        code[rejectedFile(case)] = "# pyright: strict\n" + textwrap.dedent(source)
    files = writeProject(where, code)
    return {"mypy": mypy(where, files), "pyright": pyright(where, files)}


def errors(report: str, file: str) -> list[str]:
    return [
        line
        for line in report.splitlines()
        if re.search(rf"(^|/){re.escape(file)}:\d+.*\berror\b", line)
    ]


def test_the_users_code_is_found() -> None:
    names = set(usersCode())
    assert {"readme_0.py", "example_echo.py", "reference_server_0.py"} <= names


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_the_users_code_type_checks(checked: dict[str, str], checker: str) -> None:
    for name in usersCode():
        assert errors(checked[checker], name) == [], checked[checker]


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_the_overloads_accept_nodes_argument_lists(checked: dict[str, str], checker: str) -> None:
    assert errors(checked[checker], "accepted.py") == [], checked[checker]


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_listeners_are_called_with_each_events_types(checked: dict[str, str], checker: str) -> None:
    """
    pyright types a lambda listener from the event's overload; mypy gives a
    lambda passed to an overloaded method ``Any`` parameters, so for mypy
    only what needs no lambda (pipe()'s result) is checked here.
    """
    lines = REVEALED.splitlines()
    report = checked[checker]
    for marker, rendered in REVEALS.items():
        if checker == "mypy" and marker != "pipe":
            continue
        number = next(i for i, line in enumerate(lines, 1) if line.endswith(f"# {marker}"))
        expected = rendered[0] if checker == "mypy" else rendered[1]
        revealed = [
            line for line in report.splitlines() if re.search(rf"revealed\.py:{number}:", line)
        ]
        assert any(expected in line for line in revealed), (marker, revealed)


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
@pytest.mark.parametrize("case", sorted(REJECTED))
def test_the_types_reject(checked: dict[str, str], checker: str, case: str) -> None:
    assert errors(checked[checker], rejectedFile(case)) != [], (case, checked[checker])
