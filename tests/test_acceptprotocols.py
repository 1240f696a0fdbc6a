"""
Tests for txnetserver._acceptprotocols: the Twisted factory of a Server and
the protocols that close the connections it does not take.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock, StringTransport

from txnetserver import createServer
from txnetserver._acceptprotocols import DropConnection, NodeServerFactory, RefuseConnection


def test_the_factory_names_the_server_in_twisteds_log_lines() -> None:
    server = createServer(reactor=MemoryReactorClock())
    assert isinstance(server.factory, NodeServerFactory)
    assert server.factory.logPrefix() == "txnetserver.Server"


def test_a_dropped_connection_emits_drop_with_both_addresses_then_closes() -> None:
    server = createServer(reactor=MemoryReactorClock())
    drops: list[Any] = []
    server.on("drop", drops.append)
    transport = StringTransport(
        hostAddress=IPv4Address("TCP", "127.0.0.1", 8000),
        peerAddress=IPv4Address("TCP", "127.0.0.1", 50000),
    )
    DropConnection(server).makeConnection(transport)
    assert drops == [
        {
            "localAddress": "127.0.0.1",
            "localPort": 8000,
            "localFamily": "IPv4",
            "remoteAddress": "127.0.0.1",
            "remotePort": 50000,
            "remoteFamily": "IPv4",
        }
    ]
    assert transport.disconnecting


def test_a_refused_connection_closes_without_drop() -> None:
    server = createServer(reactor=MemoryReactorClock())
    drops: list[Any] = []
    server.on("drop", drops.append)
    transport = StringTransport()
    RefuseConnection().makeConnection(transport)
    assert drops == []
    assert transport.disconnecting
