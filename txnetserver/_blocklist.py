"""
Node's ``net.BlockList``: rules of IP addresses, ranges and subnets to check
peers against (the ``blockList`` server option).

Node's rule for IPv4-mapped IPv6 addresses (``::ffff:a.b.c.d``, RFC 4291
section 2.5.5.2), as observed with Node v20, is what makes the families meet: an
IPv4 address and its mapped IPv6 form are the same address for every IPv4
rule, for address rules, and for IPv6 subnets (an IPv4 address is checked as
its mapped form).  The one exception is an IPv6 *range*: an IPv4 address is
compared with it only when both ends are mapped addresses.

So every rule here is a span of integers in one 128-bit key space, where an
IPv6 address is its own value and an IPv4 address is its mapped value; IPv6
ranges with an unmapped end are kept apart, for IPv6 addresses only.  The
spans are merged and searched with :mod:`bisect`, so ``check`` costs one
``inet_pton`` and two binary searches whatever the number of rules.

>>> blockList = BlockList()
>>> blockList.addSubnet("10.0.0.0", 8)
>>> blockList.check("10.1.2.3"), blockList.check("::ffff:10.1.2.3", "ipv6")
(True, True)
"""

from __future__ import annotations

import socket
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from txnetserver._errors import (
    ERR_INVALID_ADDRESS,
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_OUT_OF_RANGE,
)

__all__ = ["ERR_INVALID_ADDRESS", "BlockList"]

Family = Literal["ipv4", "ipv6"]

# ::ffff:0:0/96, the IPv4-mapped IPv6 addresses (RFC 4291 section 2.5.5.2).
_MAPPED_PREFIX = 0xFFFF << 32
_LOW_32_BITS = 0xFFFF_FFFF
_BITS: dict[Family, int] = {"ipv4": 32, "ipv6": 128}
_FAMILIES: dict[str, Family] = {"ipv4": "ipv4", "ipv6": "ipv6"}
_SOCKET_FAMILIES: dict[Family, socket.AddressFamily] = {
    "ipv4": socket.AF_INET,
    "ipv6": socket.AF_INET6,
}


@dataclass(frozen=True, slots=True)
class _Address:
    """A parsed address: what Node keeps in a ``SocketAddress`` for a rule."""

    family: Family
    value: int

    @property
    def key(self) -> int:
        """The address in the shared key space: IPv4 as its mapped IPv6 value."""
        return self.value | _MAPPED_PREFIX if self.family == "ipv4" else self.value

    @property
    def isMapped(self) -> bool:
        """Whether an IPv4 address, or an IPv6 one in ``::ffff:0:0/96``."""
        return self.family == "ipv4" or self.value >> 32 == 0xFFFF

    def __str__(self) -> str:
        if self.family == "ipv4":
            return _formatIPv4(self.value)
        return _formatIPv6(self.value)

    def __repr__(self) -> str:
        # Node shows the SocketAddress in "start must come before end" errors.
        return f"SocketAddress(address={str(self)!r}, port=0, family={self.family!r}, flowlabel=0)"


def _formatIPv4(value: int) -> str:
    return ".".join(str((value >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def _formatIPv6(value: int) -> str:
    """
    The text Node shows in ``rules``: glibc's ``inet_ntop`` (the first longest
    run of two or more zero groups becomes ``::``; ``::a.b.c.d`` and
    ``::ffff:a.b.c.d`` are dotted), which Python's ``ipaddress`` does not do.
    """
    words = [(value >> (112 - 16 * index)) & 0xFFFF for index in range(8)]
    start, length = _longestZeroRun(words)
    if start == 0 and (length == 6 or (length == 5 and words[5] == 0xFFFF)):
        prefix = "::ffff:" if length == 5 else "::"
        return prefix + _formatIPv4(value & _LOW_32_BITS)
    if length < 2:
        return ":".join(f"{word:x}" for word in words)
    head = ":".join(f"{word:x}" for word in words[:start])
    tail = ":".join(f"{word:x}" for word in words[start + length :])
    return f"{head}::{tail}"


def _longestZeroRun(words: list[int]) -> tuple[int, int]:
    """``(start, length)`` of the first longest run of zero words (length 0 if none)."""
    bestStart, bestLength = 0, 0
    runStart, runLength = 0, 0
    for index, word in enumerate(words):
        if word:
            runLength = 0
            continue
        if runLength == 0:
            runStart = index
        runLength += 1
        if runLength > bestLength:
            bestStart, bestLength = runStart, runLength
    return bestStart, bestLength


def _parse(address: str, family: Family) -> int | None:
    """
    The address as an integer, or ``None`` where Node's ``SocketAddress``
    rejects it.  Node parses with libuv's ``inet_pton``, which is BIND's, like
    the C library's behind :func:`socket.inet_pton` (strict dotted quads, no
    leading zeros); ``uv_ip6_addr`` first drops a ``%zone``, even an empty one.
    """
    if family == "ipv6":
        address = address.partition("%")[0]
    try:
        packed = socket.inet_pton(_SOCKET_FAMILIES[family], address)
    except (OSError, ValueError):
        # OSError for a bad address, ValueError for an embedded NUL.
        return None
    return int.from_bytes(packed, "big")


def _validateString(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ERR_INVALID_ARG_TYPE(name, "string", value)
    return value


def _familyType(type: object) -> str:
    """Node's ``validateString(family, 'family')``; ``None`` is Node's ``undefined``."""
    return "ipv4" if type is None else _validateString(type, "family")


def _familyValue(type: str) -> Family | None:
    """``new SocketAddress({family})``: ``'ipv4'`` or ``'ipv6'`` once lower-cased."""
    return _FAMILIES.get(type.lower())


def _socketAddress(value: object, name: str, type: object) -> _Address:
    """Node's validation of an address argument and its family, in Node's order."""
    address = _validateString(value, name)
    familyType = _familyType(type)
    family = _familyValue(familyType)
    if family is None:
        raise ERR_INVALID_ARG_VALUE("options.family", familyType)
    parsed = _parse(address, family)
    if parsed is None:
        raise ERR_INVALID_ADDRESS()
    return _Address(family, parsed)


def _validatePrefix(prefix: object, maximum: int) -> int:
    """Node's ``validateInt32(prefix, 'prefix', 0, maximum)``; ``bool`` is not a number."""
    if isinstance(prefix, bool) or not isinstance(prefix, (int, float)):
        raise ERR_INVALID_ARG_TYPE("prefix", "number", prefix)
    if isinstance(prefix, float) and not prefix.is_integer():
        raise ERR_OUT_OF_RANGE("prefix", "an integer", prefix)
    if not 0 <= prefix <= maximum:
        raise ERR_OUT_OF_RANGE("prefix", f">= 0 && <= {maximum}", prefix)
    return int(prefix)


@dataclass(frozen=True, slots=True)
class _Rule:
    """One rule: its text in ``rules`` and the span of keys it blocks."""

    description: str
    low: int
    high: int
    # An IPv6 range with an unmapped end never matches an IPv4 address.
    ipv6Only: bool = False


def _familyName(family: Family) -> str:
    return "IPv4" if family == "ipv4" else "IPv6"


@dataclass(frozen=True, slots=True)
class _Spans:
    """Disjoint, sorted spans of keys: membership is one binary search."""

    starts: list[int]
    ends: list[int]

    @classmethod
    def merge(cls, spans: Iterable[tuple[int, int]]) -> _Spans:
        starts: list[int] = []
        ends: list[int] = []
        for low, high in sorted(spans):
            if ends and low <= ends[-1] + 1:
                ends[-1] = max(ends[-1], high)
            else:
                starts.append(low)
                ends.append(high)
        return cls(starts, ends)

    def __contains__(self, key: int) -> bool:
        index = bisect_right(self.starts, key) - 1
        return index >= 0 and key <= self.ends[index]


class BlockList:
    """
    Node's ``net.BlockList``: ``addAddress``, ``addRange``, ``addSubnet``,
    ``check`` and ``rules``, for IPv4 and IPv6, with Node's validation and
    messages.  ``type`` (Node's ``family``) is ``'ipv4'`` or ``'ipv6'`` in any
    case; ``None`` means the default, ``'ipv4'``.

    >>> blockList = BlockList()
    >>> blockList.addAddress("::1", "IPv6")
    >>> blockList.addRange("10.0.0.1", "10.0.0.10")
    >>> blockList.rules
    ['Range: IPv4 10.0.0.1-10.0.0.10', 'Address: IPv6 ::1']
    """

    __slots__ = ("_anyFamily", "_ipv6Only", "_rules")

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        # Built on the first check after a change.
        self._anyFamily: _Spans | None = None
        self._ipv6Only: _Spans | None = None

    def __repr__(self) -> str:
        return f"BlockList(rules={self.rules!r})"

    @staticmethod
    def isBlockList(value: object) -> bool:
        """Node 22's ``BlockList.isBlockList(value)``."""
        return isinstance(value, BlockList)

    @property
    def rules(self) -> list[str]:
        """Node's ``blockList.rules``: a new list, the most recently added rule first."""
        return [rule.description for rule in reversed(self._rules)]

    def _add(self, rule: _Rule) -> None:
        self._rules.append(rule)
        self._anyFamily = self._ipv6Only = None

    def addAddress(self, address: str, type: str | None = "ipv4") -> None:
        """
        Node's ``blockList.addAddress(address[, type])``: block one address.

        :raises ERR_INVALID_ARG_TYPE: ``address`` or ``type`` is not a string.
        :raises ERR_INVALID_ARG_VALUE: ``type`` is neither ``'ipv4'`` nor ``'ipv6'``.
        :raises ERR_INVALID_ADDRESS: ``address`` is not an address of that family.
        """
        parsed = _socketAddress(address, "address", type)
        text = f"Address: {_familyName(parsed.family)} {parsed}"
        self._add(_Rule(text, parsed.key, parsed.key))

    def addRange(self, start: str, end: str, type: str | None = "ipv4") -> None:
        """
        Node's ``blockList.addRange(start, end[, type])``: block ``start`` to
        ``end``, both included.

        :raises ERR_INVALID_ARG_TYPE: ``start``, ``end`` or ``type`` is not a string.
        :raises ERR_INVALID_ARG_VALUE: a bad ``type``, or ``start`` after ``end``.
        :raises ERR_INVALID_ADDRESS: ``start`` or ``end`` is not an address of that family.
        """
        first = _socketAddress(start, "start", type)
        last = _socketAddress(end, "end", type)
        if first.value > last.value:
            raise ERR_INVALID_ARG_VALUE("start", first, "must come before end")
        family = _familyName(first.family)
        text = f"Range: {family} {first}-{last}"
        # Node compares an IPv4 address with an IPv6 range end only when that
        # end is a mapped address, and both comparisons must hold.
        ipv6Only = not (first.isMapped and last.isMapped)
        self._add(_Rule(text, first.key, last.key, ipv6Only))

    def addSubnet(self, net: str, prefix: int, type: str | None = "ipv4") -> None:
        """
        Node's ``blockList.addSubnet(net, prefix[, type])``: block the
        ``prefix``-bit network of ``net`` (which need not be the network's
        first address: ``rules`` shows it as given).

        :raises ERR_INVALID_ARG_TYPE: ``net`` or ``type`` is not a string, or
            ``prefix`` is not a number.
        :raises ERR_INVALID_ARG_VALUE: ``type`` is neither ``'ipv4'`` nor ``'ipv6'``.
        :raises ERR_INVALID_ADDRESS: ``net`` is not an address of that family.
        :raises ERR_OUT_OF_RANGE: ``prefix`` is not an integer from 0 to 32
            (IPv4) or 128 (IPv6).
        """
        network = _socketAddress(net, "network", type)
        bits = _BITS[network.family]
        length = _validatePrefix(prefix, bits)
        hostBits = (1 << (bits - length)) - 1
        low = network.value & ~hostBits
        text = f"Subnet: {_familyName(network.family)} {network}/{length}"
        self._add(
            _Rule(
                text,
                _Address(network.family, low).key,
                _Address(network.family, low | hostBits).key,
            )
        )

    def check(self, address: str, type: str | None = "ipv4") -> bool:
        """
        Node's ``blockList.check(address[, type])``: whether a rule blocks
        ``address``.  An address or ``type`` that does not parse is not
        blocked (``False``), as in Node.

        :raises ERR_INVALID_ARG_TYPE: ``address`` or ``type`` is not a string.
        """
        text = _validateString(address, "address")
        family = _familyValue(_familyType(type))
        if family is None:
            return False
        parsed = _parse(text, family)
        return parsed is not None and self._blocks(_Address(family, parsed))

    def checkPeer(self, host: str) -> bool:
        """
        ``check`` for a peer host as Twisted reports it (``'127.0.0.1'``,
        ``'::1'``, ``'::ffff:127.0.0.1'``, ``'fe80::1%eth0'``): the family is
        IPv6 when the host has a colon.  What Node's server does with
        ``blockList`` for each accepted connection (Node 22).
        """
        return self.check(host, "ipv6" if ":" in host else "ipv4")

    def _blocks(self, address: _Address) -> bool:
        anyFamily, ipv6Only = self._anyFamily, self._ipv6Only
        if anyFamily is None or ipv6Only is None:
            anyFamily, ipv6Only = self._compile()
        key = address.key
        return key in anyFamily or (address.family == "ipv6" and key in ipv6Only)

    def _compile(self) -> tuple[_Spans, _Spans]:
        rules = self._rules
        self._anyFamily = _Spans.merge((r.low, r.high) for r in rules if not r.ipv6Only)
        self._ipv6Only = _Spans.merge((r.low, r.high) for r in rules if r.ipv6Only)
        return self._anyFamily, self._ipv6Only
