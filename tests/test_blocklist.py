"""Tests for txnetserver._blocklist: Node's net.BlockList."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txnetserver import errors
from txnetserver._blocklist import ERR_INVALID_ADDRESS, BlockList, _formatIPv6, _parse

# -- rules ---------------------------------------------------------------------------


def test_rules_list_the_most_recent_rule_first() -> None:
    # observed with Node v20
    blockList = BlockList()
    blockList.addAddress("1.2.3.4")
    blockList.addRange("10.0.0.1", "10.0.0.10")
    blockList.addSubnet("8592:757c:efae:4e45::", 64, "ipv6")
    blockList.addAddress("::1", "IPv6")
    blockList.addSubnet("192.168.0.0", 16)
    blockList.addRange("::a", "::f", "ipv6")
    assert blockList.rules == [
        "Range: IPv6 ::a-::f",
        "Subnet: IPv4 192.168.0.0/16",
        "Address: IPv6 ::1",
        "Subnet: IPv6 8592:757c:efae:4e45::/64",
        "Range: IPv4 10.0.0.1-10.0.0.10",
        "Address: IPv4 1.2.3.4",
    ]


def test_rules_is_a_new_list_each_time() -> None:
    blockList = BlockList()
    blockList.addAddress("1.2.3.4")
    blockList.rules.clear()
    assert blockList.rules == ["Address: IPv4 1.2.3.4"]


def test_duplicate_rules_are_kept() -> None:
    # observed with Node v20: '::ffff:1.2.3.4' and '0:0:0:0:0:ffff:102:304' give two rules.
    blockList = BlockList()
    blockList.addAddress("::ffff:1.2.3.4", "ipv6")
    blockList.addAddress("0:0:0:0:0:ffff:102:304", "ipv6")
    assert blockList.rules == ["Address: IPv6 ::ffff:1.2.3.4"] * 2


def test_subnet_rule_shows_the_network_as_given() -> None:
    # observed with Node v20: the host bits are kept in the rule, ignored by check.
    blockList = BlockList()
    blockList.addSubnet("10.1.2.99", 24)
    blockList.addSubnet("2001:db8::ffff", 64, "ipv6")
    assert blockList.rules == ["Subnet: IPv6 2001:db8::ffff/64", "Subnet: IPv4 10.1.2.99/24"]
    assert blockList.check("10.1.2.1")
    assert blockList.check("2001:db8::1", "ipv6")


def test_zone_is_dropped_from_rules_and_checks() -> None:
    # observed with Node v20: 'fe80::1%eth0' is the rule 'fe80::1', matching any zone.
    blockList = BlockList()
    blockList.addAddress("fe80::1%eth0", "ipv6")
    assert blockList.rules == ["Address: IPv6 fe80::1"]
    assert blockList.check("fe80::1", "ipv6")
    assert blockList.check("fe80::1%lo", "ipv6")
    assert blockList.check("fe80::1%", "ipv6")


# observed with Node v20: addAddress(input, 'ipv6') -> rules text (glibc's inet_ntop).
_IPV6_TEXT = [
    ("::2", "::2"),
    ("::", "::"),
    ("::1", "::1"),
    ("::0.0.1.0", "::100"),
    ("::1.2.3.4", "::1.2.3.4"),
    ("::ffff:0:0", "::ffff:0.0.0.0"),
    ("::ffff:0:1", "::ffff:0.0.0.1"),
    ("0::0:ffff:1.2.3.4", "::ffff:1.2.3.4"),
    ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
    ("0:0:1::", "0:0:1::"),
    ("::ffff:1:0:0", "::ffff:1:0:0"),
    ("0:0:0:0:0:1:0:0", "::1:0:0"),
    ("::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"),
    ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
    ("0:0:0:0:0:ffff:ffff:ffff", "::ffff:255.255.255.255"),
    ("ABCD::EF", "abcd::ef"),
    ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
]


@pytest.mark.parametrize(("given", "shown"), _IPV6_TEXT)
def test_ipv6_rules_are_written_like_node(given: str, shown: str) -> None:
    blockList = BlockList()
    blockList.addAddress(given, "ipv6")
    assert blockList.rules == [f"Address: IPv6 {shown}"]


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_ipv6_rule_text_parses_back_to_the_address(value: int) -> None:
    assert _parse(_formatIPv6(value), "ipv6") == value


# -- check -----------------------------------------------------------------------------


def _blockList(*rules: tuple[object, ...]) -> BlockList:
    blockList = BlockList()
    for method, *args in rules:
        getattr(blockList, str(method))(*args)
    return blockList


# observed with Node v20: (rule, checked address, family, Node's answer).
_CHECKS: list[tuple[tuple[object, ...], str, str, bool]] = [
    (("addAddress", "1.2.3.4"), "1.2.3.4", "IPV4", True),
    (("addAddress", "1.2.3.4"), "::ffff:1.2.3.4", "ipv6", True),
    (("addAddress", "1.2.3.4"), "::ffff:102:304", "ipv6", True),
    (("addAddress", "1.2.3.4"), "::1.2.3.4", "ipv6", False),
    (("addAddress", "1.2.3.4"), "::ffff:1.2.3.4", "ipv4", False),
    (("addAddress", "::ffff:1.2.3.4", "ipv6"), "1.2.3.4", "ipv4", True),
    (("addAddress", "::1", "ipv6"), "::1", "ipv4", False),
    (("addRange", "10.0.0.1", "10.0.0.10"), "10.0.0.10", "ipv4", True),
    (("addRange", "10.0.0.1", "10.0.0.10"), "10.0.0.11", "ipv4", False),
    (("addRange", "10.0.0.1", "10.0.0.10"), "10.0.0.0", "ipv4", False),
    (("addRange", "10.0.0.1", "10.0.0.10"), "::ffff:10.0.0.5", "ipv6", True),
    (("addRange", "10.0.0.1", "10.0.0.10"), "::ffff:10.0.0.11", "ipv6", False),
    (("addRange", "::ffff:10.0.0.1", "::ffff:10.0.0.5", "ipv6"), "10.0.0.3", "ipv4", True),
    (("addRange", "::ffff:10.0.0.1", "::ffff:10.0.0.5", "ipv6"), "10.0.0.6", "ipv4", False),
    # An IPv6 range meets IPv4 addresses only when both of its ends are mapped.
    (("addRange", "::", "ffff::", "ipv6"), "10.0.0.3", "ipv4", False),
    (("addRange", "::", "ffff::", "ipv6"), "::ffff:10.0.0.3", "ipv6", True),
    (("addRange", "::ffff:10.0.0.1", "ffff::", "ipv6"), "10.0.0.3", "ipv4", False),
    (("addRange", "::a", "::f", "ipv6"), "::c", "ipv6", True),
    (("addRange", "::a", "::f", "ipv6"), "0.0.0.12", "ipv4", False),
    (("addRange", "1.1.1.1", "1.1.1.1"), "1.1.1.1", "ipv4", True),
    (("addSubnet", "::ffff:10.0.0.0", 120, "ipv6"), "10.0.0.3", "ipv4", True),
    (("addSubnet", "::ffff:10.0.0.0", 120, "ipv6"), "10.0.1.3", "ipv4", False),
    (("addSubnet", "::ffff:0:0", 96, "ipv6"), "10.0.0.3", "ipv4", True),
    (("addSubnet", "::", 0, "ipv6"), "10.0.0.3", "ipv4", True),
    (("addSubnet", "::", 0, "ipv6"), "2001::1", "ipv6", True),
    (("addSubnet", "::ffff:10.0.0.3", 128, "ipv6"), "10.0.0.3", "ipv4", True),
    (("addSubnet", "10.0.0.0", 8), "::ffff:10.9.9.9", "ipv6", True),
    (("addSubnet", "10.0.0.0", 8), "::ffff:11.9.9.9", "ipv6", False),
    (("addSubnet", "10.0.0.0", 8), "::10.9.9.9", "ipv6", False),
    (("addSubnet", "0.0.0.0", 0), "1.1.1.1", "ipv4", True),
    (("addSubnet", "0.0.0.0", 0), "::ffff:1.1.1.1", "ipv6", True),
    (("addSubnet", "0.0.0.0", 0), "2001::1", "ipv6", False),
    (("addSubnet", "1.1.1.1", 32), "::ffff:1.1.1.1", "ipv6", True),
    (("addSubnet", "8592:757c:efae:4e45::", 64, "ipv6"), "8592:757c:efae:4e45:1::1", "ipv6", True),
    (("addSubnet", "8592:757c:efae:4e45::", 64, "ipv6"), "8592:757c:efae:4e46::1", "ipv6", False),
    (("addSubnet", "fe80::", 10, "ipv6"), "fe80::1%eth0", "ipv6", True),
    (("addSubnet", "fe80::", 10, "ipv6"), "fe80::1%1", "ipv6", True),
]


@pytest.mark.parametrize(("rule", "address", "family", "blocked"), _CHECKS)
def test_check_answers_like_node(
    rule: tuple[object, ...], address: str, family: str, blocked: bool
) -> None:
    assert _blockList(rule).check(address, family) is blocked


@pytest.mark.parametrize(
    ("address", "family"),
    [
        # observed with Node v20: all false, none raises.
        ("1.2.3", "ipv4"),
        ("01.2.3.4", "ipv4"),
        ("1.2.3.04", "ipv4"),
        (" 1.2.3.4", "ipv4"),
        ("1.2.3.4", "ipv6"),
        ("1.2.3.4", "ipv5"),
        ("1.2.3.4\x00", "ipv4"),
    ],
)
def test_check_of_an_unparsable_address_or_family_is_false(address: str, family: str) -> None:
    blockList = _blockList(("addSubnet", "0.0.0.0", 0), ("addSubnet", "::", 0, "ipv6"))
    assert blockList.check(address, family) is False


def test_check_defaults_to_ipv4() -> None:
    blockList = _blockList(("addAddress", "1.2.3.4"))
    assert blockList.check("1.2.3.4")
    assert blockList.check("1.2.3.4", None)


def test_check_sees_rules_added_after_an_earlier_check() -> None:
    blockList = _blockList(("addAddress", "1.2.3.4"))
    assert not blockList.check("5.6.7.8")
    blockList.addAddress("5.6.7.8")
    assert blockList.check("5.6.7.8")


def test_overlapping_adjacent_and_nearly_adjacent_rules_all_apply() -> None:
    blockList = _blockList(
        ("addRange", "10.0.0.1", "10.0.0.10"),
        ("addRange", "10.0.0.5", "10.0.0.20"),
        ("addRange", "10.0.0.21", "10.0.0.30"),
        ("addAddress", "10.0.0.32"),
    )
    blocked = [n for n in range(40) if blockList.check(f"10.0.0.{n}")]
    assert blocked == [*range(1, 31), 32]


@pytest.mark.parametrize(
    ("host", "blocked"),
    [
        ("127.0.0.1", True),
        ("::ffff:127.0.0.1", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        ("127.0.0.2", False),
        ("::2", False),
        ("not an address", False),
    ],
)
def test_check_peer_infers_the_family_from_twisted_hosts(host: str, blocked: bool) -> None:
    blockList = _blockList(
        ("addAddress", "127.0.0.1"),
        ("addAddress", "::1", "ipv6"),
        ("addSubnet", "fe80::", 10, "ipv6"),
    )
    assert blockList.checkPeer(host) is blocked


def test_is_block_list() -> None:
    assert BlockList.isBlockList(BlockList())
    assert not BlockList.isBlockList(object())


def test_repr_shows_the_rules() -> None:
    assert repr(_blockList(("addAddress", "1.2.3.4"))) == (
        "BlockList(rules=['Address: IPv4 1.2.3.4'])"
    )


# -- validation -----------------------------------------------------------------------


_TYPE = errors.ERR_INVALID_ARG_TYPE
_VALUE = errors.ERR_INVALID_ARG_VALUE
_RANGE = errors.ERR_OUT_OF_RANGE
_ADDRESS = ERR_INVALID_ADDRESS
_BAD_ADDRESS = "Invalid socket address"

# observed with Node v20: (method, arguments, error class, message), with the
# "Received" parts in Python terms; Node's `SocketAddress { address: '1.1.1.5',
# port: 0, family: 'ipv4', flowlabel: 0 }` becomes the repr below.
_INVALID: list[tuple[str, tuple[object, ...], type[errors.NodeError], str]] = [
    ("addAddress", (5,), _TYPE,
     'The "address" argument must be of type string. Received type int (5)'),
    ("addAddress", (None,), _TYPE,
     'The "address" argument must be of type string. Received None'),
    ("addAddress", ("1.2.3",), _ADDRESS, _BAD_ADDRESS),
    ("addAddress", ("::1",), _ADDRESS, _BAD_ADDRESS),
    ("addAddress", ("",), _ADDRESS, _BAD_ADDRESS),
    ("addAddress", ("1.2.3.4", "IPv6"), _ADDRESS, _BAD_ADDRESS),
    ("addAddress", ("1.2.3.4%eth0",), _ADDRESS, _BAD_ADDRESS),
    ("addAddress", ("1.2.3.4", "ipv5"), _VALUE,
     "The property 'options.family' is invalid. Received 'ipv5'"),
    ("addAddress", ("1.2.3.4", ""), _VALUE,
     "The property 'options.family' is invalid. Received ''"),
    ("addAddress", ("1.2.3.4", 4), _TYPE,
     'The "family" argument must be of type string. Received type int (4)'),
    ("addRange", (1, "2"), _TYPE,
     'The "start" argument must be of type string. Received type int (1)'),
    ("addRange", ("1.1.1.1", 2), _TYPE,
     'The "end" argument must be of type string. Received type int (2)'),
    ("addRange", ("x", "1.1.1.1"), _ADDRESS, _BAD_ADDRESS),
    ("addRange", ("1.1.1.1", "x"), _ADDRESS, _BAD_ADDRESS),
    # The start address is built (and its family checked) before `end` is looked at.
    ("addRange", ("1.1.1.1", 5, "x"), _VALUE,
     "The property 'options.family' is invalid. Received 'x'"),
    ("addRange", ("1.1.1.5", "1.1.1.1"), _VALUE,
     "The argument 'start' must come before end. Received SocketAddress(address='1.1.1.5', "
     "port=0, family='ipv4', flowlabel=0)"),
    ("addRange", ("0::5", "::1", "ipv6"), _VALUE,
     "The argument 'start' must come before end. Received SocketAddress(address='::5', "
     "port=0, family='ipv6', flowlabel=0)"),
    ("addSubnet", (5, 8), _TYPE,
     'The "network" argument must be of type string. Received type int (5)'),
    ("addSubnet", ("x", 99), _ADDRESS, _BAD_ADDRESS),
    ("addSubnet", ("1.0.0.0", 8, "ipv7"), _VALUE,
     "The property 'options.family' is invalid. Received 'ipv7'"),
    ("addSubnet", ("1.0.0.0", 33), _RANGE,
     'The value of "prefix" is out of range. It must be >= 0 && <= 32. Received 33'),
    ("addSubnet", ("1.0.0.0", -1), _RANGE,
     'The value of "prefix" is out of range. It must be >= 0 && <= 32. Received -1'),
    ("addSubnet", ("::", 129, "ipv6"), _RANGE,
     'The value of "prefix" is out of range. It must be >= 0 && <= 128. Received 129'),
    ("addSubnet", ("::", 3000000000, "ipv6"), _RANGE,
     'The value of "prefix" is out of range. It must be >= 0 && <= 128. Received 3000000000'),
    ("addSubnet", ("1.0.0.0", 1.5), _RANGE,
     'The value of "prefix" is out of range. It must be an integer. Received 1.5'),
    ("addSubnet", ("1.0.0.0", float("nan")), _RANGE,
     'The value of "prefix" is out of range. It must be an integer. Received nan'),
    ("addSubnet", ("1.0.0.0", "8"), _TYPE,
     """The "prefix" argument must be of type number. Received type str ('8')"""),
    ("addSubnet", ("1.0.0.0", True), _TYPE,
     'The "prefix" argument must be of type number. Received type bool (True)'),
    ("check", (5,), _TYPE,
     'The "address" argument must be of type string. Received type int (5)'),
    ("check", ("x", 5), _TYPE,
     'The "family" argument must be of type string. Received type int (5)'),
]  # fmt: skip


@pytest.mark.parametrize(("method", "args", "errorClass", "message"), _INVALID)
def test_invalid_arguments_raise_nodes_errors(
    method: str, args: tuple[object, ...], errorClass: type[errors.NodeError], message: str
) -> None:
    blockList = BlockList()
    with pytest.raises(errorClass) as caught:
        getattr(blockList, method)(*args)
    assert caught.value.code == errorClass.code
    assert str(caught.value) == message
    assert blockList.rules == []


def test_invalid_address_is_a_plain_node_error() -> None:
    # Node's class is Error, which the project maps to RuntimeError.
    error = ERR_INVALID_ADDRESS()
    assert isinstance(error, RuntimeError)
    assert repr(error) == "Error [ERR_INVALID_ADDRESS]: Invalid socket address"


def test_integral_float_prefix_is_accepted() -> None:
    # observed with Node v20: addSubnet('1.0.0.0', 8.0) is fine (8.0 is the number 8).
    blockList = _blockList(("addSubnet", "1.0.0.0", 8.0))
    assert blockList.rules == ["Subnet: IPv4 1.0.0.0/8"]
    assert blockList.check("1.255.0.1")


# -- property: agreement with an ipaddress-based reference ----------------------------

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_ipv4 = st.builds(ipaddress.IPv4Address, st.integers(min_value=0, max_value=2**32 - 1))
_ipv6 = st.one_of(
    st.builds(ipaddress.IPv6Address, st.integers(min_value=0, max_value=2**128 - 1)),
    # IPv4-mapped addresses, where the families meet (RFC 4291 §2.5.5.2).
    st.builds(lambda v4: ipaddress.IPv6Address(0xFFFF << 32 | int(v4)), _ipv4),
    # Their neighbours just outside ::ffff:0:0/96, and small ones like ::a.b.c.d.
    st.builds(ipaddress.IPv6Address, st.integers(min_value=0xFFFE << 32, max_value=0x10001 << 32)),
    st.builds(ipaddress.IPv6Address, st.integers(min_value=0, max_value=2**33)),
)
_address: st.SearchStrategy[_Address] = st.one_of(_ipv4, _ipv6)


@dataclass(frozen=True)
class _RuleSpec:
    kind: str
    first: _Address
    second: _Address | None = None
    prefix: int = 0


@st.composite
def _rules(draw: st.DrawFn) -> _RuleSpec:
    ipv6 = draw(st.booleans())
    addresses: st.SearchStrategy[_Address] = _ipv6 if ipv6 else _ipv4
    kind = draw(st.sampled_from(["address", "range", "subnet"]))
    first = draw(addresses)
    if kind == "address":
        return _RuleSpec(kind, first)
    if kind == "range":
        second = draw(addresses)
        if int(second) < int(first):
            first, second = second, first
        return _RuleSpec(kind, first, second)
    return _RuleSpec(kind, first, prefix=draw(st.integers(0, 128 if ipv6 else 32)))


def _family(address: _Address) -> str:
    return "ipv4" if address.version == 4 else "ipv6"


def _mapped(address: ipaddress.IPv4Address) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(0xFFFF << 32 | int(address))


def _unmapped(address: _Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4 or IPv4-mapped address stands for."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    return address.ipv4_mapped


def _referenceBlocks(rule: _RuleSpec, address: _Address) -> bool:
    """Node's rules, written the obvious way (one rule, one address)."""
    if rule.kind == "subnet":
        network = ipaddress.ip_network(f"{rule.first}/{rule.prefix}", strict=False)
        if network.version == address.version:
            return address in network
        if network.version == 6:
            return _mapped(address) in network  # type: ignore[arg-type]
        unmapped = _unmapped(address)
        return unmapped is not None and unmapped in network
    # An address rule is the range of one address.
    last = rule.second if rule.kind == "range" else rule.first
    assert last is not None
    if rule.first.version == address.version:
        return rule.first <= address <= last  # type: ignore[operator]
    # Across families, Node compares IPv4 with the IPv4 part of mapped addresses only:
    # both ends and the address must stand for IPv4 addresses.
    low, high, checked = _unmapped(rule.first), _unmapped(last), _unmapped(address)
    return low is not None and high is not None and checked is not None and low <= checked <= high


def _add(blockList: BlockList, rule: _RuleSpec) -> None:
    family = _family(rule.first)
    if rule.kind == "address":
        blockList.addAddress(str(rule.first), family)
    elif rule.kind == "range":
        blockList.addRange(str(rule.first), str(rule.second), family)
    else:
        blockList.addSubnet(str(rule.first), rule.prefix, family)


def _twins(address: _Address) -> list[_Address]:
    """An address with its other-family form, where it has one."""
    if isinstance(address, ipaddress.IPv4Address):
        return [address, _mapped(address)]
    unmapped = address.ipv4_mapped
    return [address] if unmapped is None else [address, unmapped]


def _edges(rule: _RuleSpec) -> list[_Address]:
    """The first and last addresses a rule blocks, and their outer neighbours."""
    if rule.kind == "subnet":
        network = ipaddress.ip_network(f"{rule.first}/{rule.prefix}", strict=False)
        low, high = network.network_address, network.broadcast_address
    else:
        low, high = rule.first, rule.second or rule.first
    edges = [low, high]
    if int(low) > 0:
        edges.append(low - 1)
    if int(high) < 2**high.max_prefixlen - 1:
        edges.append(high + 1)
    return edges


@given(st.lists(_rules(), min_size=1, max_size=5), st.lists(_address, max_size=10))
def test_check_agrees_with_a_reference_built_on_ipaddress(
    rules: list[_RuleSpec], others: list[_Address]
) -> None:
    blockList = BlockList()
    for rule in rules:
        _add(blockList, rule)
    # Rule edges are where a wrong answer would hide.
    candidates = others + [edge for rule in rules for edge in _edges(rule)]
    for candidate in candidates:
        for address in _twins(candidate):
            expected = any(_referenceBlocks(rule, address) for rule in rules)
            assert blockList.check(str(address), _family(address)) is expected, (address, rules)
