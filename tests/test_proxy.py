"""
The proxyProtocol option (txnetserver._proxy): the PROXY header (v1 or v2) is
read before the connection reaches the accept path.  In memory here (who may
send one is test_proxytrust.py's); behind a real HAProxy and on Twisted's
``haproxy:`` endpoint in test_haproxy.py.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.logger import LogLevel, globalLogPublisher

from txnetserver import BlockList, Socket
from txnetserver._defaults import PROXY_HEADER_TIMEOUT
from txnetserver._proxy import UNDECIDED, canonicalAddress, parserFor
from txnetserver._twistedinternals import V1Parser, V2Parser
from txnetserver.testing import MemoryNetwork

from ._loopback import V1_HEADER, proxiedServer


def v2Header(source: str = "203.0.113.7", sourcePort: int = 5555, *, command: int = 0x1) -> bytes:
    """A PROXY v2 header (TCP over IPv4 or IPv6) as HAProxy's send-proxy-v2 sends it."""
    if ":" in source:
        family, packed = 0x21, socket.inet_pton(socket.AF_INET6, source)
        addresses = packed + socket.inet_pton(socket.AF_INET6, "::1")
    else:
        family, packed = 0x11, socket.inet_aton(source)
        addresses = packed + socket.inet_aton("127.0.0.1")
    body = addresses + struct.pack("!HH", sourcePort, 8000)
    return V2Parser.PREFIX + bytes([0x20 | command, family]) + struct.pack("!H", len(body)) + body


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (b"P", UNDECIDED),
        (b"PROXY", UNDECIDED),
        (b"PROXY ", V1Parser),
        (b"PROXY TCP4 1.2.3.4", V1Parser),
        (V2Parser.PREFIX[:1], UNDECIDED),
        (V2Parser.PREFIX, UNDECIDED),
        (V2Parser.PREFIX + b"\x21\x11\x00", UNDECIDED),  # the length is not in yet
        (V2Parser.PREFIX + b"\x21\x11\x00\x0c", V2Parser),
        (V2Parser.PREFIX + b"\x11\x11\x00\x0c", None),  # version 1 in a v2 signature
        (b"PROXZ", None),
        (b"GET / HTTP/1.1\r\n", None),
        (b"\x16\x03\x01", None),  # a TLS ClientHello
    ],
)
def test_parser_for_a_connection_start(start: bytes, expected: object) -> None:
    parser = parserFor(start)
    if isinstance(expected, type):
        assert isinstance(parser, expected)
    else:
        assert parser is expected


def test_v1_header_gives_the_client_address_before_connection(
    memoryNetwork: MemoryNetwork,
) -> None:
    _server, seen = proxiedServer(memoryNetwork)
    client = memoryNetwork.connect(_server)
    assert seen == []  # nothing is accepted before the header
    client.write(V1_HEADER + b"hello")
    memoryNetwork.pump()
    assert seen == [("203.0.113.7", 5555, "IPv4")]
    assert client.received == b"hello"


@pytest.mark.parametrize(
    ("source", "family"),
    [("203.0.113.7", "IPv4"), ("2001:db8::7", "IPv6"), ("::ffff:203.0.113.7", "IPv6")],
)
def test_v2_header_gives_the_client_address_as_node_writes_it(
    memoryNetwork: MemoryNetwork, source: str, family: str
) -> None:
    # Twisted's v2 parser writes 2001:db8:0:0:0:0:0:7; Node (inet_ntop) 2001:db8::7.
    server, seen = proxiedServer(memoryNetwork)
    client = memoryNetwork.connect(server)
    client.write(v2Header(source, 4444) + b"payload")
    memoryNetwork.pump()
    assert seen == [(source, 4444, family)]
    assert client.received == b"payload"


def test_v1_ipv6_addresses_are_written_as_node_writes_them(memoryNetwork: MemoryNetwork) -> None:
    server, seen = proxiedServer(memoryNetwork)
    client = memoryNetwork.connect(server)
    client.write(b"PROXY TCP6 2001:DB8:0::7 ::1 4444 8000\r\n")
    memoryNetwork.pump()
    assert seen == [("2001:db8::7", 4444, "IPv6")]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (IPv4Address("TCP", "203.0.113.7", 1), IPv4Address("TCP", "203.0.113.7", 1)),
        (IPv6Address("TCP", "2001:db8:0:0:0:0:0:7", 2), IPv6Address("TCP", "2001:db8::7", 2)),
        (
            IPv6Address("TCP", "0:0:0:0:0:ffff:cb00:7107", 3),
            IPv6Address("TCP", "::ffff:203.0.113.7", 3),
        ),
        (UNIXAddress(b"/run/haproxy.sock"), UNIXAddress(b"/run/haproxy.sock")),
        (None, None),
    ],
)
def test_canonical_address(address: Any, expected: Any) -> None:
    assert canonicalAddress(address) == expected


@pytest.mark.parametrize(
    "address",
    [
        IPv4Address("TCP", "203.0.113.300", 1),
        IPv4Address("TCP", "2001:db8::7", 1),
        IPv6Address("TCP", "203.0.113.7", 1),
        IPv4Address("TCP", "203.0.113.7", 65536),
    ],
)
def test_canonical_address_rejects_what_twisted_lets_through(address: Any) -> None:
    with pytest.raises(ValueError):
        canonicalAddress(address)


@pytest.mark.parametrize("header", [V1_HEADER, v2Header()], ids=["v1", "v2"])
def test_a_header_split_into_single_bytes_is_reassembled(
    memoryNetwork: MemoryNetwork, header: bytes
) -> None:
    server, seen = proxiedServer(memoryNetwork)
    client = memoryNetwork.connect(server)
    for i in range(len(header)):
        client.write(header[i : i + 1])
        memoryNetwork.pump()
    assert seen == [("203.0.113.7", 5555, "IPv4")]
    assert not client.closed


@pytest.mark.parametrize(
    "header",
    [
        b"PROXY UNKNOWN\r\n",  # the spec's short form, which Twisted's parser rejects
        b"PROXY UNKNOWN ffff:f::1 ffff:f::2 65535 65535\r\n",
        v2Header(command=0x0),
    ],
    ids=["v1-unknown", "v1-unknown-long", "v2-local"],
)
def test_a_header_without_addresses_keeps_the_balancers(
    memoryNetwork: MemoryNetwork, header: bytes
) -> None:
    # HAProxy's health checks (v2 LOCAL) carry no client: the peer is the balancer.
    server, seen = proxiedServer(memoryNetwork, trustedProxies=["10.0.0.0/24"])
    client = memoryNetwork.connect(server, "10.0.0.5", 7777)
    client.write(header)
    memoryNetwork.pump()
    assert seen == [("10.0.0.5", 7777, "IPv4")]


def test_block_list_and_drop_use_the_client_address(memoryNetwork: MemoryNetwork) -> None:
    blocked = BlockList()
    blocked.addAddress("203.0.113.66")
    connections: list[Socket] = []
    guarded = memoryNetwork.createServer(connections.append, proxyProtocol=True, blockList=blocked)
    guarded.listen(8000)
    first = memoryNetwork.connect(guarded)
    first.write(b"PROXY TCP4 203.0.113.66 127.0.0.1 1 8000\r\n")
    memoryNetwork.pump()
    assert first.closed and connections == []  # the client, not the balancer, is blocked
    allowed = memoryNetwork.connect(guarded)
    allowed.write(b"PROXY TCP4 203.0.113.8 127.0.0.1 2 8000\r\n")
    memoryNetwork.pump()
    assert not allowed.closed and len(connections) == 1

    # A client the balancer admits but blockList names is refused once its
    # header is read; maxConnections is applied at accept (see below).


def test_max_connections_counts_connections_still_waiting_for_their_header(
    memoryNetwork: MemoryNetwork,
) -> None:
    connections: list[Socket] = []
    server = memoryNetwork.createServer(connections.append, proxyProtocol=True)
    server.maxConnections = 2
    drops: list[Any] = []
    server.on("drop", drops.append)
    server.listen(8001)
    waiting = [memoryNetwork.connect(server, "127.0.0.1", port) for port in (1, 2)]
    memoryNetwork.pump()
    # Two peers that send nothing hold both slots: the third is dropped at
    # accept, before any header, so 'drop' names the peer that connected.
    third = memoryNetwork.connect(server, "127.0.0.1", 3)
    memoryNetwork.pump()
    assert third.closed
    assert [(d["remoteAddress"], d["remotePort"]) for d in drops] == [("127.0.0.1", 3)]
    assert [(d["localAddress"], d["localPort"]) for d in drops] == [("127.0.0.1", 8001)]
    # A header turns a waiting slot into a socket; a timed-out peer frees its slot.
    waiting[0].write(b"PROXY TCP4 203.0.113.9 127.0.0.1 9 8001\r\n")
    memoryNetwork.pump()
    assert len(connections) == 1 and server._awaitingHeader == 1
    memoryNetwork.advance(PROXY_HEADER_TIMEOUT * 1000)
    assert waiting[1].closed and server._awaitingHeader == 0
    fourth = memoryNetwork.connect(server, "127.0.0.1", 4)
    fourth.write(b"PROXY TCP4 203.0.113.10 127.0.0.1 10 8001\r\n")
    memoryNetwork.pump()
    assert not fourth.closed and len(connections) == 2 and len(drops) == 1


def test_block_list_is_applied_to_the_real_peer_at_accept(memoryNetwork: MemoryNetwork) -> None:
    blocked = BlockList()
    blocked.addAddress("10.0.0.9")
    server, seen = proxiedServer(memoryNetwork, trustedProxies=["10.0.0.0/24"], blockList=blocked)
    balancer = memoryNetwork.connect(server, "10.0.0.9", 1)
    memoryNetwork.pump()
    assert balancer.closed and server._awaitingHeader == 0
    assert seen == []


@pytest.mark.parametrize(
    "first",
    [
        b"GET / HTTP/1.0\r\n\r\n",
        b"PROXY TCP4 203.0.113.7 127.0.0.1 notaport 8000\r\n",
        b"PROXY TCP4 203.0.113.7 127.0.0.1 70000 8000\r\n",
        b"PROXY TCP4 999.0.113.7 127.0.0.1 5555 8000\r\n",
        b"PROXY TCP4 2001:db8::1 127.0.0.1 5555 8000\r\n",
        b"PROXY SCTP 203.0.113.7 127.0.0.1 5555 8000\r\n",
        b"PROXY " + b"x" * 120,
    ],
    ids=["http", "port-text", "port-range", "bad-ipv4", "family-mismatch", "protocol", "long"],
)
def test_a_connection_without_a_valid_header_is_closed(
    memoryNetwork: MemoryNetwork, first: bytes
) -> None:
    server, seen = proxiedServer(memoryNetwork)
    client = memoryNetwork.connect(server)
    client.write(first)
    memoryNetwork.pump()
    assert client.closed and seen == []
    assert server._connections == 0


def test_a_connection_that_sends_no_header_is_closed_after_the_timeout(
    memoryNetwork: MemoryNetwork,
) -> None:
    server, seen = proxiedServer(memoryNetwork)
    client = memoryNetwork.connect(server)
    client.write(b"PROX")
    memoryNetwork.advance(PROXY_HEADER_TIMEOUT * 1000 - 1)
    assert not client.closed
    memoryNetwork.advance(1)
    assert client.closed and seen == []
    assert memoryNetwork.reactor.getDelayedCalls() == []


def test_the_header_timer_is_cancelled_once_the_header_is_read(
    memoryNetwork: MemoryNetwork,
) -> None:
    server, _seen = proxiedServer(memoryNetwork)
    client = memoryNetwork.connect(server)
    client.write(V1_HEADER)
    memoryNetwork.pump()
    assert memoryNetwork.reactor.getDelayedCalls() == []
    client.end()
    memoryNetwork.pump()
    assert client.closed


def test_a_header_arriving_after_close_is_not_accepted(memoryNetwork: MemoryNetwork) -> None:
    server, seen = proxiedServer(memoryNetwork)
    client = memoryNetwork.connect(server)
    closed: list[object] = []
    server.close(closed.append)
    memoryNetwork.pump()
    assert closed == [None]
    client.write(V1_HEADER)
    memoryNetwork.pump()
    assert client.closed and seen == []


def test_the_clients_half_close_is_relayed_to_the_socket(memoryNetwork: MemoryNetwork) -> None:
    log: list[str] = []

    def onConnection(sock: Socket) -> None:
        sock.on("data", lambda data: log.append(f"data {data!r}"))
        sock.on("end", lambda: (log.append("end"), sock.write(b"reply after end")))
        sock.on("close", lambda hadError: log.append(f"close {hadError}"))

    server = memoryNetwork.createServer(onConnection, proxyProtocol=True)
    server.listen(8000)
    client = memoryNetwork.connect(server)
    client.end(V1_HEADER + b"request")
    memoryNetwork.pump()
    assert log == ["data b'request'", "end", "close False"]
    assert client.received == b"reply after end"
    assert client.closed


# -- fuzzed input --------------------------------------------------------------
#
# Whatever a peer sends (a PROXY header valid, malformed, oversized, of the
# wrong family, split anywhere, with bytes before and after it), the
# connection is either served correctly or closed, nothing is left counted or
# scheduled, and nothing is logged as a failure.

_HEADER_TIMEOUT_MS = PROXY_HEADER_TIMEOUT * 1000

ipv4 = st.builds(lambda n: socket.inet_ntoa(n.to_bytes(4, "big")), st.integers(0, 2**32 - 1))
ipv6 = st.builds(
    lambda n: socket.inet_ntop(socket.AF_INET6, n.to_bytes(16, "big")),
    st.integers(0, 2**128 - 1),
)
ports = st.integers(0, 65535)


@st.composite
def v1Headers(draw: st.DrawFn) -> tuple[bytes, str | None, int | None]:
    """A valid v1 header, and the client it names (None: the balancer's)."""
    kind = draw(st.sampled_from(["TCP4", "TCP6", "UNKNOWN"]))
    if kind == "UNKNOWN":
        return b"PROXY UNKNOWN\r\n", None, None
    address = ipv4 if kind == "TCP4" else ipv6
    source, destination = draw(address), draw(address)
    sourcePort, destinationPort = draw(ports), draw(ports)
    line = f"PROXY {kind} {source} {destination} {sourcePort} {destinationPort}\r\n"
    return line.encode(), source, sourcePort


@st.composite
def v2Headers(draw: st.DrawFn) -> tuple[bytes, str | None, int | None]:
    """A valid v2 header (PROXY or LOCAL, IPv4, IPv6 or UNIX, with TLVs)."""
    local = draw(st.booleans())
    family = draw(st.sampled_from([0x11, 0x21, 0x31]))
    if family == 0x11:
        source, destination = draw(ipv4), draw(ipv4)
        body = socket.inet_aton(source) + socket.inet_aton(destination)
    elif family == 0x21:
        source, destination = draw(ipv6), draw(ipv6)
        body = socket.inet_pton(socket.AF_INET6, source) + socket.inet_pton(
            socket.AF_INET6, destination
        )
    else:
        source = None
        body = draw(st.binary(min_size=108, max_size=108)) + draw(
            st.binary(min_size=108, max_size=108)
        )
    sourcePort = draw(ports)
    if family != 0x31:
        body += struct.pack("!HH", sourcePort, draw(ports))
    body += draw(st.binary(max_size=40))  # TLVs, which the parser skips
    header = V2Parser.PREFIX + bytes([0x20 | (0 if local else 1), family])
    header += struct.pack("!H", len(body)) + body
    if local or family == 0x31:
        return header, None, None  # no IP client: the balancer's address stays
    return header, source, sourcePort


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    how = draw(st.sampled_from(["flip", "truncate", "insert", "oversize", "family"]))
    if how == "flip" and data:
        index = draw(st.integers(0, len(data) - 1))
        return data[:index] + bytes([data[index] ^ draw(st.integers(1, 255))]) + data[index + 1 :]
    if how == "truncate":
        return data[: draw(st.integers(0, max(0, len(data) - 1)))]
    if how == "insert":
        index = draw(st.integers(0, len(data)))
        return data[:index] + draw(st.binary(min_size=1, max_size=8)) + data[index:]
    if how == "oversize":
        if data.startswith(V2Parser.PREFIX):
            return data[:14] + b"\xff\xff" + data[16:]  # claims 64 KiB of addresses
        return data.rstrip(b"\r\n") + b" " + b"9" * draw(st.integers(100, 300)) + b"\r\n"
    # family: an address of the other family under the header's family
    return data.replace(b"TCP4", b"TCP6") if b"TCP4" in data else data.replace(b"TCP6", b"TCP4")


@st.composite
def connections(draw: st.DrawFn) -> tuple[list[bytes], str | None, int | None, bytes, bool]:
    """
    What one peer sends, in chunks: ``(chunks, client, clientPort, payload,
    valid)``: ``valid`` when it is a valid header followed by ``payload``.
    """
    header, client, clientPort = draw(st.one_of(v1Headers(), v2Headers()))
    valid = True
    if draw(st.booleans()):
        header = _mutate(header, draw)
        valid = False
    before = b""
    if draw(st.integers(0, 4)) == 0:
        before = draw(st.binary(min_size=1, max_size=16))  # bytes before the header
        valid = False
    payload = draw(st.binary(max_size=64))
    stream = before + header + payload
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True) if b > a]
    return chunks, client, clientPort, payload, valid


class _Failures:
    """Log events at error level or above (failures included) while installed."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        if "log_failure" in event or event.get("log_level") in (
            LogLevel.error,
            LogLevel.critical,
        ):
            self.events.append(event)

    def __enter__(self) -> _Failures:
        globalLogPublisher.addObserver(self)
        return self

    def __exit__(self, *exc: object) -> None:
        globalLogPublisher.removeObserver(self)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(connections())
def test_fuzzed_headers_are_served_correctly_or_closed_leaving_nothing(
    connection: tuple[list[bytes], str | None, int | None, bytes, bool],
) -> None:
    chunks, client, clientPort, payload, valid = connection
    network = MemoryNetwork()
    seen: list[tuple[Any, Any]] = []

    def onConnection(sock: Socket) -> None:
        seen.append((sock.remoteAddress, sock.remotePort))
        sock.pipe(sock)

    with _Failures() as failures:
        server = network.createServer(onConnection, proxyProtocol=True)
        server.listen(8000)
        peer = network.connect(server, "127.0.0.1", 4000)
        for chunk in chunks:
            if peer.closed:
                break
            peer.write(chunk)
            network.pump()
        if valid:
            assert not peer.closed
            expected = (client, clientPort) if client is not None else ("127.0.0.1", 4000)
            assert seen == [expected]
            assert peer.received == payload
        else:
            # Served (a mutation can leave a valid header) or closed; what is
            # echoed is never more than what followed the header.
            assert len(seen) <= 1
            assert b"".join(chunks).endswith(bytes(peer.received))
            assert seen or peer.received == b""
        if not peer.closed:
            peer.end()
            network.pump()
        network.advance(_HEADER_TIMEOUT_MS)
        assert peer.closed
        assert server._connections == 0 and server._awaitingHeader == 0
        assert network.reactor.getDelayedCalls() == []
    assert failures.events == []
