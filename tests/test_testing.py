"""
Tests for txnetserver.testing, which also dogfood it: Socket behaviours that
need a deterministic clock (setTimeout) or exact stepping, on a MemoryNetwork.
The pytest plugin's fixtures are tests/test_pytest_plugin.py's.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from txnetserver import BlockList, Socket, errors
from txnetserver.testing import MemoryNetwork, openDescriptors


def record(sock: Socket, *names: str) -> list[tuple[str, tuple[Any, ...]]]:
    log: list[tuple[str, tuple[Any, ...]]] = []
    for name in names:
        sock.on(name, lambda *args, name=name: log.append((name, args)))
    return log


def serve(network: MemoryNetwork, **options: Any) -> tuple[Any, list[Socket]]:
    sockets: list[Socket] = []
    server = network.createServer(options, sockets.append)
    server.listen(8000)
    network.pump()
    return server, sockets


def test_echo_round_trip_without_sockets(memoryNetwork: MemoryNetwork) -> None:
    server = memoryNetwork.createServer(lambda s: s.pipe(s))
    server.listen(8000)
    client = memoryNetwork.connect(server)
    client.write(b"ping")
    memoryNetwork.pump()
    assert client.takeReceived() == b"ping"
    assert client.received == b""


def test_client_end_gives_nodes_event_order(memoryNetwork: MemoryNetwork) -> None:
    _, sockets = serve(memoryNetwork)
    client = memoryNetwork.connect(_)
    log = record(sockets[0], "data", "end", "finish", "close")
    client.end(b"hello")
    memoryNetwork.pump()
    assert log == [("data", (b"hello",)), ("end", ()), ("finish", ()), ("close", (False,))]
    assert client.ended and client.closed


def test_addresses_come_from_the_client(memoryNetwork: MemoryNetwork) -> None:
    server, sockets = serve(memoryNetwork)
    memoryNetwork.connect(server, "10.1.2.3", 5555)
    sock = sockets[0]
    assert (sock.remoteAddress, sock.remotePort, sock.remoteFamily) == ("10.1.2.3", 5555, "IPv4")
    assert sock.localPort == 8000


def test_pause_on_connect_holds_data_and_fin_until_resume(memoryNetwork: MemoryNetwork) -> None:
    server, sockets = serve(memoryNetwork, pauseOnConnect=True)
    client = memoryNetwork.connect(server)
    sock = sockets[0]
    log = record(sock, "data", "end")
    client.end(b"held")
    memoryNetwork.pump()
    assert log == []
    sock.resume()
    memoryNetwork.pump()
    assert log == [("data", (b"held",)), ("end", ())]


def test_backpressure_and_drain(memoryNetwork: MemoryNetwork) -> None:
    server, sockets = serve(memoryNetwork, highWaterMark=1024)
    client = memoryNetwork.connect(server)
    sock = sockets[0]
    client.pause()
    assert sock.write(b"x" * 1000) is True
    assert sock.write(b"x" * 100) is False
    assert sock.writableLength == 1100
    drains: list[bool] = []
    sock.on("drain", lambda: drains.append(True))
    memoryNetwork.pump()
    assert drains == []
    client.resume()
    memoryNetwork.pump()
    assert drains == [True]
    assert len(client.received) == 1100


def test_reset_is_econnreset_then_close(memoryNetwork: MemoryNetwork) -> None:
    server, sockets = serve(memoryNetwork)
    client = memoryNetwork.connect(server)
    log = record(sockets[0], "error", "close")
    client.reset()
    memoryNetwork.pump()
    assert [name for name, _ in log] == ["error", "close"]
    error = log[0][1][0]
    assert isinstance(error, errors.NodeSystemError) and error.code == "ECONNRESET"
    assert log[1][1] == (True,)


def test_drop_payload_and_block_list_use_the_one_accept_path(
    memoryNetwork: MemoryNetwork,
) -> None:
    blocked = BlockList()
    blocked.addAddress("10.0.0.66")
    server, sockets = serve(memoryNetwork, blockList=blocked)
    server.maxConnections = 1
    drops: list[Any] = []
    server.on("drop", drops.append)
    first = memoryNetwork.connect(server, "10.0.0.1", 1111)
    second = memoryNetwork.connect(server, "10.0.0.2", 2222)
    assert second.closed and second.received == b""
    assert drops == [
        {
            "localAddress": "127.0.0.1",
            "localPort": 8000,
            "localFamily": "IPv4",
            "remoteAddress": "10.0.0.2",
            "remotePort": 2222,
            "remoteFamily": "IPv4",
        }
    ]
    first.end()
    memoryNetwork.pump()
    assert memoryNetwork.connect(server, "10.0.0.66").closed  # blocked: no drop
    assert len(drops) == 1 and len(sockets) == 1
    memoryNetwork.connect(server, "10.0.0.3")
    assert len(sockets) == 2


def test_server_close_waits_for_in_memory_connections(memoryNetwork: MemoryNetwork) -> None:
    server, sockets = serve(memoryNetwork)
    client = memoryNetwork.connect(server)
    order: list[str] = []
    server.close(lambda err: order.append(f"server {err}"))
    sockets[0].on("close", lambda hadError: order.append("socket"))
    memoryNetwork.pump()
    assert order == []
    client.end()
    memoryNetwork.pump()
    assert order == ["server None", "socket"]


def test_writes_after_a_clients_end_are_rejected(memoryNetwork: MemoryNetwork) -> None:
    server, _ = serve(memoryNetwork)
    client = memoryNetwork.connect(server)
    client.end()
    with pytest.raises(RuntimeError):
        client.write(b"late")


def test_open_descriptors_sees_a_new_descriptor() -> None:
    before = openDescriptors()
    fd = os.open(os.devnull, os.O_RDONLY)
    try:
        assert fd in openDescriptors() - before
    finally:
        os.close(fd)
    assert fd not in openDescriptors()


def test_memory_transport_provides_the_tcp_transport_interface(
    memoryNetwork: MemoryNetwork,
) -> None:
    from twisted.internet.interfaces import ITCPTransport
    from zope.interface.verify import verifyObject

    server, _ = serve(memoryNetwork)
    client = memoryNetwork.connect(server)
    assert verifyObject(ITCPTransport, client.transport)


def test_a_clean_close_without_half_close_still_emits_end(memoryNetwork: MemoryNetwork) -> None:
    server, sockets = serve(memoryNetwork)
    client = memoryNetwork.connect(server)
    log = record(sockets[0], "data", "end", "finish", "close")
    client.write(b"last words")
    client.close()
    memoryNetwork.pump()
    assert log == [("data", (b"last words",)), ("end", ()), ("finish", ()), ("close", (False,))]


def test_loopback_server_close_reports_no_leak_and_finds_a_real_one() -> None:
    import socket

    from txnetserver.testing import LoopbackServer

    clean = LoopbackServer(lambda s: s.end(b"bye"))
    with socket.create_connection(("127.0.0.1", clean.port), timeout=10) as client:
        assert client.recv(10) == b"bye"
    assert clean.close() == set()

    leaky = LoopbackServer()
    stray = leaky.call(lambda: os.open(os.devnull, os.O_RDONLY))
    try:
        assert leaky.close() == {stray}
    finally:
        os.close(stray)
