"""
Tests for txnetserver._proxytrust: who may send a PROXY header
(``trustedProxies``: loopback by default, a list of addresses and subnets, or
a BlockList) and how long it may take (``proxyHeaderTimeout``, in
milliseconds, 0 for ever), with Node-style errors for bad values; on memory
transports.
"""

from __future__ import annotations

from typing import Any

import pytest

from txnetserver import BlockList
from txnetserver.testing import MemoryNetwork

from ._loopback import V1_HEADER, proxiedServer


def test_a_peer_that_is_not_a_trusted_proxy_is_refused_before_its_header_is_read(
    memoryNetwork: MemoryNetwork,
) -> None:
    # The default trusts loopback only: a direct client cannot name itself.
    server, seen = proxiedServer(memoryNetwork)
    drops: list[Any] = []
    server.on("drop", drops.append)
    forger = memoryNetwork.connect(server, "198.51.100.4", 4000)
    memoryNetwork.pump()
    assert forger.closed
    assert seen == [] and drops == []
    assert server._connections == 0 and server._awaitingHeader == 0
    assert memoryNetwork.reactor.getDelayedCalls() == []


@pytest.mark.parametrize(
    ("trusted", "peer", "believed"),
    [
        (None, "127.0.0.1", True),
        (None, "127.3.2.1", True),
        (None, "::1", True),
        (None, "::ffff:127.0.0.1", True),  # an IPv4 balancer on a dual-stack server
        (None, "10.0.0.5", False),
        (None, "::2", False),
        (["10.0.0.0/8"], "10.200.0.1", True),
        (["10.0.0.0/8"], "127.0.0.1", False),  # naming sources replaces the default
        (["10.0.0.5", "2001:db8::/32"], "2001:db8:1::1", True),
        (["10.0.0.5", "2001:db8::/32"], "10.0.0.6", False),
        ([], "127.0.0.1", False),
    ],
)
def test_trusted_proxies_name_the_peers_whose_header_is_believed(
    memoryNetwork: MemoryNetwork, trusted: Any, peer: str, believed: bool
) -> None:
    options = {} if trusted is None else {"trustedProxies": trusted}
    server, seen = proxiedServer(memoryNetwork, **options)
    client = memoryNetwork.connect(server, peer, 4000)
    memoryNetwork.pump()
    assert client.closed is not believed
    if believed:
        client.write(V1_HEADER)
        memoryNetwork.pump()
        assert seen == [("203.0.113.7", 5555, "IPv4")]


def test_trusted_proxies_may_be_a_block_list(memoryNetwork: MemoryNetwork) -> None:
    balancers = BlockList()
    balancers.addRange("192.0.2.10", "192.0.2.20")
    server, seen = proxiedServer(memoryNetwork, trustedProxies=balancers)
    assert server.trustedProxies is balancers
    outside = memoryNetwork.connect(server, "192.0.2.21", 1)
    inside = memoryNetwork.connect(server, "192.0.2.15", 2)
    inside.write(V1_HEADER)
    memoryNetwork.pump()
    assert outside.closed and not inside.closed
    assert seen == [("203.0.113.7", 5555, "IPv4")]


def test_a_zero_header_timeout_waits_for_ever(memoryNetwork: MemoryNetwork) -> None:
    server, seen = proxiedServer(memoryNetwork, proxyHeaderTimeout=0)
    client = memoryNetwork.connect(server)
    memoryNetwork.pump()
    assert memoryNetwork.reactor.getDelayedCalls() == []
    client.write(V1_HEADER)
    memoryNetwork.pump()
    assert len(seen) == 1


def test_the_header_timeout_is_an_option_in_milliseconds(memoryNetwork: MemoryNetwork) -> None:
    server, seen = proxiedServer(memoryNetwork, proxyHeaderTimeout=250)
    assert server.proxyHeaderTimeout == 250
    client = memoryNetwork.connect(server)
    memoryNetwork.advance(249)
    assert not client.closed
    memoryNetwork.advance(1)
    assert client.closed and seen == []


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"trustedProxies": "10.0.0.1"},
            "ERR_INVALID_ARG_TYPE",
            'The "options.trustedProxies" property must be an instance of Array or '
            "net.BlockList. Received type str ('10.0.0.1')",
        ),
        (
            {"trustedProxies": ["10.0.0.1", 7]},
            "ERR_INVALID_ARG_TYPE",
            'The "options.trustedProxies[1]" property must be of type string. '
            "Received type int (7)",
        ),
        (
            {"trustedProxies": ["10.0.0.0/33"]},
            "ERR_INVALID_ARG_VALUE",
            "The property 'options.trustedProxies[0]' is not an IP address or an "
            "ADDRESS/PREFIX subnet. Received '10.0.0.0/33'",
        ),
        (
            {"trustedProxies": ["haproxy.internal"]},
            "ERR_INVALID_ARG_VALUE",
            "The property 'options.trustedProxies[0]' is not an IP address or an "
            "ADDRESS/PREFIX subnet. Received 'haproxy.internal'",
        ),
        (
            {"proxyHeaderTimeout": "10s"},
            "ERR_INVALID_ARG_TYPE",
            'The "options.proxyHeaderTimeout" property must be of type number. '
            "Received type str ('10s')",
        ),
        (
            {"proxyHeaderTimeout": -1},
            "ERR_OUT_OF_RANGE",
            'The value of "options.proxyHeaderTimeout" is out of range. '
            "It must be >= 0 and finite. Received -1",
        ),
    ],
)
def test_bad_proxy_options_raise_node_style_errors(
    memoryNetwork: MemoryNetwork, options: dict[str, Any], error: str, message: str
) -> None:
    with pytest.raises(Exception) as raised:
        memoryNetwork.createServer(proxyProtocol=True, **options)
    assert (raised.value.code, str(raised.value)) == (error, message)  # type: ignore[attr-defined]
