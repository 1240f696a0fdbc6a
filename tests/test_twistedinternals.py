"""
Guards for every Twisted internal txnetserver touches (txnetserver/_twistedinternals.py).

Each test fails, naming the installed Twisted version, when an internal we rely on
changes shape: an attribute goes missing, a signature changes, or the source of a
method we copy or override is not one we have reviewed.  A last test checks that no
other module of the package uses a private Twisted name.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import socket
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twisted.internet import abstract, tcp, unix
from twisted.internet.epollreactor import EPollReactor
from twisted.internet.error import ConnectionDone
from twisted.internet.protocol import Protocol, ServerFactory
from twisted.python.failure import Failure

import twisted
import txnetserver
from txnetserver import _twistedinternals
from txnetserver._ports import NodeTCPPort

TWISTED = f"Twisted {twisted.__version__}"

# sha256 (first 12 hex digits) of inspect.getsource of each Twisted method that
# _twistedinternals copies, overrides or runs beneath an override, for every
# source seen from Twisted 22.4.0 to 26.10.0 (with the first release that has it).
KNOWN_SOURCES: dict[str, dict[str, str]] = {
    # PortInternals.doRead is a copy of it.
    "twisted.internet.tcp.Port.doRead": {"2d4dc40c6c25": "22.4", "d240fc123090": "26.10"},
    # UNIXPortInternals.connectionLost runs it, skipping unix.Port's.
    "twisted.internet.tcp.Port.connectionLost": {"e637d4a483bb": "22.4"},
    "twisted.internet.unix.Port.connectionLost": {"7e34886e1126": "22.4", "ddc8a0b830d5": "26.10"},
    # NodeTCPPort sets Node's socket options after it (SO_REUSEADDR, V6ONLY, REUSEPORT).
    "twisted.internet.tcp.Port.createInternetSocket": {
        "3511bfbf36c8": "22.4",
        "170657677255": "26.10",
    },
    # NodeTCPPort closes the socket createInternetSocket made when it raises.
    "twisted.internet.tcp.Port.startListening": {"08f17e7bb228": "22.4", "2220f5d240f3": "26.10"},
    "twisted.internet.tcp.Port._fromListeningDescriptor": {"d0e4e58fff8d": "22.4"},
    "twisted.internet.unix.Port._fromListeningDescriptor": {"f024e35e9db3": "22.4"},
    "twisted.internet.tcp.Port._buildAddr": {"3c47e3a691c5": "22.4"},
    "twisted.internet.unix.Port._buildAddr": {"65a2e4d82076": "22.4"},
    # ServerTransportInternals overrides write/loseConnection/_isSendBufferFull
    # around Twisted's write queue, which doWrite drains.
    "twisted.internet.abstract.FileDescriptor.write": {"3e46c97fc173": "22.4"},
    "twisted.internet.abstract.FileDescriptor.doWrite": {
        "1ebc8d43a58b": "22.4",
        "a986d7b1b105": "24.11",
    },
    "twisted.internet.abstract.FileDescriptor._isSendBufferFull": {"9d19c2cb7036": "22.4"},
    "twisted.internet.abstract.FileDescriptor.loseConnection": {"e13b8468f052": "22.4"},
    "twisted.internet.tcp.Connection._closeSocket": {"9aa82f5b862c": "22.4"},
    # LeanEPollReactor.doPoll is a copy of doPoll, and inlines Connection.doRead.
    "twisted.internet.epollreactor.EPollReactor.doPoll": {"09b62ae68ef0": "22.4"},
    "twisted.internet.tcp.Connection.doRead": {"9133d84795c8": "22.4", "20ac74ffecd6": "26.10"},
    "twisted.internet.epollreactor.EPollReactor._doReadOrWrite": {"5ffee55b7949": "22.4"},
    "twisted.internet.posixbase.PosixReactorBase._disconnectSelectable": {"9d6de0e555ea": "22.4"},
}


def _resolve(dotted: str) -> Any:
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            found = getattr(found, part)
        return found
    raise ImportError(dotted)


def _sourceHash(function: Any) -> str:
    function = getattr(function, "__func__", function)
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:12]


@pytest.mark.parametrize("name", sorted(KNOWN_SOURCES))
def test_copied_and_overridden_twisted_methods_have_a_reviewed_source(name: str) -> None:
    try:
        method = _resolve(name)
    except (ImportError, AttributeError) as e:
        pytest.fail(f"{TWISTED} has no {name} ({e}); txnetserver/_twistedinternals.py uses it")
    digest = _sourceHash(method)
    known = KNOWN_SOURCES[name]
    assert digest in known, (
        f"{TWISTED} changed {name} (source sha256 {digest}, reviewed: "
        f"{', '.join(f'{h} from {v}' for h, v in known.items())}); "
        "txnetserver/_twistedinternals.py copies or overrides it: review it, then record the hash"
    )


def _parameters(function: Any) -> list[str]:
    return [p for p in inspect.signature(function).parameters if p != "self"]


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        (
            "twisted.internet.tcp.Port._fromListeningDescriptor",
            ["reactor", "fd", "addressFamily", "factory"],
        ),
        ("twisted.internet.unix.Port._fromListeningDescriptor", ["reactor", "fd", "factory"]),
        ("twisted.internet.tcp.Port._buildAddr", ["address"]),
        (
            "twisted.internet.epollreactor.EPollReactor._doReadOrWrite",
            ["selectable", "fd", "event"],
        ),
        (
            "twisted.internet.posixbase.PosixReactorBase._disconnectSelectable",
            ["selectable", "why", "isRead", "faildict"],
        ),
        (
            "twisted.internet.tcp.Server.__init__",
            ["sock", "protocol", "client", "server", "sessionno", "reactor"],
        ),
        (
            "twisted.internet.tcp.Port.__init__",
            ["port", "factory", "backlog", "interface", "reactor"],
        ),
        (
            "twisted.internet.unix.Port.__init__",
            ["fileName", "factory", "backlog", "mode", "reactor", "wantPID"],
        ),
    ],
)
def test_twisted_internals_we_call_keep_their_signature(name: str, parameters: list[str]) -> None:
    found = _parameters(_resolve(name))
    assert found == parameters, (
        f"{TWISTED}: {name}{tuple(found)} is not {name}{tuple(parameters)}, which "
        "txnetserver/_twistedinternals.py and _ports.py call"
    )


@pytest.mark.parametrize("name", ["_logConnectionLostMsg", "_shouldShutdown", "_buildAddr"])
def test_tcp_port_has_the_hooks_our_ports_override(name: str) -> None:
    assert hasattr(tcp.Port, name), (
        f"{TWISTED}: tcp.Port has no {name}, which PortInternals overrides or calls"
    )


def test_closing_a_port_reads_should_shutdown() -> None:
    source = inspect.getsource(tcp.Port._closeSocket)
    assert "_shouldShutdown" in source, (
        f"{TWISTED}: tcp.Port._closeSocket no longer reads _shouldShutdown; "
        "PortInternals sets it to keep shared listening sockets open"
    )


def test_the_reserved_descriptor_offers_what_the_accept_loop_uses() -> None:
    reserved = getattr(tcp, "_reservedFD", None)
    assert reserved is not None, f"{TWISTED}: tcp._reservedFD is gone (EMFILE recovery)"
    for name in ("reserve", "available", "__enter__", "__exit__"):
        assert hasattr(reserved, name), f"{TWISTED}: tcp._reservedFD has no {name}"


@pytest.fixture
def epollReactor() -> Iterator[EPollReactor]:
    reactor = EPollReactor()  # type: ignore[no-untyped-call]
    yield reactor
    _twistedinternals.closePoller(reactor)
    reactor.waker.connectionLost(None)  # type: ignore[attr-defined]


def test_the_epoll_reactor_has_the_private_state_lean_dispatch_reads(
    epollReactor: EPollReactor,
) -> None:
    for name in ("_poller", "_selectables", "_doReadOrWrite", "_disconnectSelectable"):
        assert hasattr(epollReactor, name), (
            f"{TWISTED}: EPollReactor has no {name}, which LeanEPollReactor.doPoll uses"
        )
    assert callable(epollReactor._poller.poll)
    assert isinstance(epollReactor._selectables, dict)


def test_the_reactor_records_the_signal_that_stopped_it(epollReactor: EPollReactor) -> None:
    assert hasattr(epollReactor, "_exitSignal"), (
        f"{TWISTED}: the reactor has no _exitSignal; txnetserver.run() dies by it"
    )
    assert _twistedinternals.exitSignal(epollReactor) is None
    epollReactor.sigTerm(15)  # type: ignore[attr-defined]
    assert _twistedinternals.exitSignal(epollReactor) == 15, (
        f"{TWISTED}: the SIGTERM handler no longer records _exitSignal"
    )


def _acceptedTransport(reactor: EPollReactor) -> tuple[Any, socket.socket, Any]:
    """A real accepted connection through NodeTCPPort's accept loop (PortInternals.doRead)."""
    protocols: list[Protocol] = []

    class Recorder(ServerFactory):
        def buildProtocol(self, addr: Any) -> Protocol:
            protocol = Protocol()
            protocols.append(protocol)
            return protocol

    port = NodeTCPPort(0, Recorder(), 5, "127.0.0.1", reactor=reactor)
    port.startListening()
    client = socket.create_connection(("127.0.0.1", port.getHost().port))
    port.doRead()
    assert len(protocols) == 1, f"{TWISTED}: PortInternals.doRead accepted nothing"
    return port, client, protocols[0].transport


_WRITE_QUEUE = (
    "dataBuffer",
    "offset",
    "_tempDataBuffer",
    "_tempDataLen",
    "_writeDisconnected",
    "_writeDisconnecting",
    "_aborting",
    "producer",
    "TLS",
    "bufferSize",
)


def test_connections_keep_the_write_queue_our_transports_read(epollReactor: EPollReactor) -> None:
    port, client, transport = _acceptedTransport(epollReactor)
    try:
        for name in _WRITE_QUEUE:
            assert hasattr(transport, name), (
                f"{TWISTED}: {type(transport).__name__} has no {name}, which "
                "ServerTransportInternals reads"
            )
        assert isinstance(transport._tempDataBuffer, list)
        assert (transport.dataBuffer, transport.offset, transport._tempDataLen) == (b"", 0, 0)
        # The queue is where FileDescriptor.write puts what the kernel did not take.
        abstract.FileDescriptor.write(transport, b"queued")
        assert transport._tempDataLen == 6 and transport.writableLength == 6, (
            f"{TWISTED}: FileDescriptor.write no longer queues in _tempDataBuffer"
        )
        _twistedinternals.dropWriteBuffer(transport)
        assert transport.writableLength == 0
    finally:
        client.close()
        transport.connectionLost(Failure(ConnectionDone()))
        port.connectionLost(Failure(ConnectionDone()))


def test_the_listening_descriptor_constructor_adopts_a_duplicate(
    epollReactor: EPollReactor,
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        port = NodeTCPPort.fromListeningDescriptor(
            epollReactor, listener.fileno(), socket.AF_INET, ServerFactory()
        )
        assert isinstance(port, NodeTCPPort)
        port.startListening()
        assert port.getHost().port == listener.getsockname()[1]
        assert port.socket.fileno() != listener.fileno()
        port.connectionLost(Failure(ConnectionDone()))
    finally:
        listener.close()


def test_unix_port_connection_lost_is_tcp_ports_plus_an_unlink() -> None:
    # UNIXPortInternals skips unix.Port.connectionLost; on every reviewed
    # release it only unlinks the path and then runs tcp.Port's.
    source = inspect.getsource(unix.Port.connectionLost)
    assert "unlink" in source and "connectionLost" in source, (
        f"{TWISTED}: unix.Port.connectionLost does more than unlink: review UNIXPortInternals"
    )


def test_the_proxy_protocol_parts_have_the_shape_the_reader_uses() -> None:
    from txnetserver._twistedinternals import InvalidProxyHeader, ProxyInfo, V1Parser, V2Parser

    assert V1Parser.PROXYSTR == b"PROXY", f"{TWISTED}: V1Parser.PROXYSTR changed"
    assert V2Parser.PREFIX == b"\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a", (
        f"{TWISTED}: V2Parser.PREFIX changed"
    )
    assert _parameters(V1Parser.parse) == ["line"], f"{TWISTED}: V1Parser.parse(line) changed"
    assert _parameters(V1Parser().feed) == ["data"], f"{TWISTED}: V1Parser.feed changed"
    assert _parameters(V2Parser().feed) == ["data"], f"{TWISTED}: V2Parser.feed changed"
    assert _parameters(ProxyInfo) == ["header", "source", "destination"], (
        f"{TWISTED}: ProxyInfo(header, source, destination) changed"
    )
    assert issubclass(InvalidProxyHeader, Exception)
    info, rest = V1Parser().feed(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nafter")
    assert info is not None and info.source.host == "1.2.3.4" and rest == b"after", (
        f"{TWISTED}: V1Parser.feed returns something else than (ProxyInfo, rest)"
    )


# -- nothing outside _twistedinternals touches Twisted's privates ---------------------

_PACKAGE = Path(txnetserver.__file__).parent
_PLUGINS = _PACKAGE.parent / "twisted" / "plugins"

# Private Twisted names known to be touched (or easy to touch by accident) that the
# class-derived set below might not contain.
_KNOWN_PRIVATE_NAMES = {
    "_exitSignal",
    "_reservedFD",
    "_parser",
    "_proxyInfo",
    "_bindPath",
    "_reusePort",
    "_realPortNumber",
}


def _ourClasses() -> Iterator[type]:
    import txnetserver.reactor
    import txnetserver.testing  # noqa: F401

    for name, module in list(sys.modules.items()):
        if name.startswith("txnetserver") and module is not None:
            for value in vars(module).values():
                if isinstance(value, type) and value.__module__ == name:
                    yield value


def _isTwisted(cls: type) -> bool:
    return cls.__module__.startswith("twisted.")


def _privateAttributes(cls: type) -> set[str]:
    """The ``_x`` names ``cls`` defines or assigns to ``self``."""
    names = {n for n in vars(cls) if n.startswith("_") and not n.startswith("__")}
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return names
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            names.add(node.attr)
    return names


def _twistedPrivateNames() -> tuple[set[str], set[str]]:
    """
    The private names of the Twisted classes beneath our subclasses, and of
    those the ones ``_twistedinternals`` touches (never a name of ours).
    """
    private = set(_KNOWN_PRIVATE_NAMES)
    ours: set[str] = set()
    for cls in _ourClasses():
        for base in cls.__mro__:
            if _isTwisted(base):
                private |= _privateAttributes(base)
        if not any(_isTwisted(base) for base in cls.__mro__):
            ours |= _privateAttributes(cls)
    internals = ast.parse(Path(_twistedinternals.__file__).read_text())
    touched = {
        node.attr
        for node in ast.walk(internals)
        if isinstance(node, ast.Attribute) and node.attr in private
    }
    return private, (ours - touched - _KNOWN_PRIVATE_NAMES)


def _sources() -> Iterator[tuple[str, ast.AST]]:
    for path in sorted([*_PACKAGE.glob("*.py"), *_PLUGINS.glob("*.py")]):
        if path.name == "_twistedinternals.py":
            continue
        yield path.name, ast.parse(path.read_text(), str(path))


def test_a_unix_lock_held_by_a_live_process_is_reported_with_the_text_we_match(
    tmp_path: Path,
) -> None:
    import os

    from twisted.internet.error import CannotListenError
    from twisted.internet.testing import MemoryReactor

    path = str(tmp_path / "s.sock")
    os.symlink(str(os.getpid()), path + ".lock")  # this process: alive
    port = unix.Port(path, ServerFactory(), wantPID=1, reactor=MemoryReactor())
    with pytest.raises(CannotListenError) as raised:
        port.startListening()
    assert raised.value.socketError == _twistedinternals.UNIX_LOCK_HELD, TWISTED


def test_no_module_but_twistedinternals_uses_a_private_twisted_name() -> None:
    private, ours = _twistedPrivateNames()
    twistedSubclasses = {
        (cls.__module__.rsplit(".", 1)[-1] + ".py", cls.__name__)
        for cls in _ourClasses()
        if any(_isTwisted(base) for base in cls.__mro__)
    }
    found: list[str] = []
    for fileName, tree in _sources():
        twistedModules: set[str] = set()
        for node in ast.walk(tree):
            where = f"{fileName}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("twisted"):
                if any(part.startswith("_") for part in (node.module or "").split(".")):
                    found.append(f"{where} imports from {node.module}")
                for alias in node.names:
                    if alias.name.startswith("_"):
                        found.append(f"{where} imports {alias.name} from {node.module}")
                    else:
                        twistedModules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("twisted") and any(
                        part.startswith("_") for part in alias.name.split(".")
                    ):
                        found.append(f"{where} imports {alias.name}")
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                if node.attr.startswith("__"):
                    continue
                if isinstance(node.value, ast.Name) and node.value.id in twistedModules:
                    found.append(f"{where} uses {node.value.id}.{node.attr}")
                elif node.attr in private and node.attr not in ours:
                    found.append(f"{where} uses Twisted's private {node.attr}")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in private and node.value not in ours:
                    found.append(f"{where} names Twisted's private {node.value!r}")
            elif isinstance(node, ast.ClassDef) and (fileName, node.name) in twistedSubclasses:
                for statement in node.body:
                    targets: list[str] = []
                    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        targets = [statement.name]
                    elif isinstance(statement, ast.Assign):
                        targets = [t.id for t in statement.targets if isinstance(t, ast.Name)]
                    elif isinstance(statement, ast.AnnAssign) and isinstance(
                        statement.target, ast.Name
                    ):
                        targets = [statement.target.id]
                    found.extend(
                        f"{where} overrides Twisted's private {node.name}.{target}"
                        for target in targets
                        if target in private
                    )
    assert not found, (
        "private Twisted names belong in txnetserver/_twistedinternals.py only:\n  "
        + "\n  ".join(found)
    )
