"""
The small pure surface of Node's ``net`` module: :func:`isIP`, :func:`isIPv4`,
:func:`isIPv6`, :class:`SocketAddress`, and the process-wide defaults of
``connect()``'s family racing (``get``/``setDefaultAutoSelectFamily`` and
``get``/``setDefaultAutoSelectFamilyAttemptTimeout``).

No reactor, no sockets: ``SocketAddress`` parses and prints addresses with
``inet_pton``/``inet_ntop``, as libuv does.
"""

from __future__ import annotations

import math
import re
import socket
from collections.abc import Iterator
from typing import Literal

from txnetserver._defaults import (
    DEFAULT_AUTO_SELECT_FAMILY,
    DEFAULT_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT,
    MIN_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT,
)
from txnetserver._errors import (
    ERR_INVALID_ADDRESS,
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_OUT_OF_RANGE,
    ERR_SOCKET_BAD_PORT,
)
from txnetserver._jsvalues import mergedOptions, validatePort

__all__ = [
    "SocketAddress",
    "getDefaultAutoSelectFamily",
    "getDefaultAutoSelectFamilyAttemptTimeout",
    "isIP",
    "isIPv4",
    "isIPv6",
    "setDefaultAutoSelectFamily",
    "setDefaultAutoSelectFamilyAttemptTimeout",
    "validateInt32",
]

# Node's regular expressions (lib/internal/net.js), anchored with fullmatch:
# JavaScript's `$` never matches before a trailing newline, Python's does.
_V4_SEG = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_V4_STR = rf"(?:{_V4_SEG}\.){{3}}{_V4_SEG}"
_V6_SEG = "(?:[0-9a-fA-F]{1,4})"
_IPV4 = re.compile(_V4_STR)
_IPV6 = re.compile(
    "(?:"
    f"(?:{_V6_SEG}:){{7}}(?:{_V6_SEG}|:)|"
    f"(?:{_V6_SEG}:){{6}}(?:{_V4_STR}|:{_V6_SEG}|:)|"
    f"(?:{_V6_SEG}:){{5}}(?::{_V4_STR}|(?::{_V6_SEG}){{1,2}}|:)|"
    f"(?:{_V6_SEG}:){{4}}(?:(?::{_V6_SEG}){{0,1}}:{_V4_STR}|(?::{_V6_SEG}){{1,3}}|:)|"
    f"(?:{_V6_SEG}:){{3}}(?:(?::{_V6_SEG}){{0,2}}:{_V4_STR}|(?::{_V6_SEG}){{1,4}}|:)|"
    f"(?:{_V6_SEG}:){{2}}(?:(?::{_V6_SEG}){{0,3}}:{_V4_STR}|(?::{_V6_SEG}){{1,5}}|:)|"
    f"(?:{_V6_SEG}:){{1}}(?:(?::{_V6_SEG}){{0,4}}:{_V4_STR}|(?::{_V6_SEG}){{1,6}}|:)|"
    f"(?::(?:(?::{_V6_SEG}){{0,5}}:{_V4_STR}|(?::{_V6_SEG}){{1,7}}|:))"
    ")(?:%[0-9a-zA-Z-.:]{1,})?"
)


def _jsString(value: object) -> str:
    """What ``String(value)`` is for the values Python callers pass (``str``)."""
    return value if isinstance(value, str) else str(value)


def isIPv4(value: object) -> bool:
    """
    Node's ``net.isIPv4(input)``: whether ``str(input)`` is a dotted-quad
    IPv4 address (no leading zeros, no whitespace).

    >>> isIPv4("127.0.0.1"), isIPv4("127.1")
    (True, False)
    """
    return _IPV4.fullmatch(_jsString(value)) is not None


def isIPv6(value: object) -> bool:
    """
    Node's ``net.isIPv6(input)``: whether ``str(input)`` is an IPv6 address,
    optionally with a ``%zone`` suffix.

    >>> isIPv6("fe80::1%eth0"), isIPv6("::1%")
    (True, False)
    """
    return _IPV6.fullmatch(_jsString(value)) is not None


def isIP(value: object) -> Literal[0, 4, 6]:
    """
    Node's ``net.isIP(input)``: ``4`` for an IPv4 address, ``6`` for an IPv6
    address, ``0`` otherwise; like Node it tests ``str(input)``.

    >>> isIP("::1"), isIP("localhost")
    (6, 0)
    """
    text = _jsString(value)
    if _IPV4.fullmatch(text) is not None:
        return 4
    if _IPV6.fullmatch(text) is not None:
        return 6
    return 0


# -- SocketAddress ---------------------------------------------------------------

# An IPv6 flow label has 20 bits; Node 20 aborts the process on a larger one
# (an assertion in src/node_sockaddr-inl.h); we raise ERR_OUT_OF_RANGE instead.
_MAX_FLOWLABEL = 2**20 - 1


class SocketAddress:
    """
    Node's ``net.SocketAddress``: an immutable IP address, port, family and
    IPv6 flow label, validated and printed as Node does.

    >>> SocketAddress({"address": "::ffff:7f00:1", "family": "ipv6", "port": 80})
    SocketAddress {'address': '::ffff:127.0.0.1', 'port': 80, 'family': 'ipv6', 'flowlabel': 0}

    Options may also be keywords: ``SocketAddress(address="10.0.0.1", port=53)``.
    Node's defaults: ``family`` ``'ipv4'``, ``address`` ``'127.0.0.1'`` (``'::'``
    when ``family`` is exactly ``'ipv6'``), ``port`` 0, ``flowlabel`` 0 (kept
    for IPv6 only).

    :raises ERR_INVALID_ARG_TYPE: options not a mapping, ``address`` not a string,
        ``flowlabel`` not a number.
    :raises ERR_INVALID_ARG_VALUE: ``family`` neither ``'ipv4'`` nor ``'ipv6'``
        (in any case).
    :raises ERR_SOCKET_BAD_PORT: ``port`` outside 0-65535.
    :raises ERR_OUT_OF_RANGE: ``flowlabel`` not an integer in range.
    :raises ERR_INVALID_ADDRESS: ``address`` not an address of ``family``.
    """

    __slots__ = ("_address", "_family", "_flowlabel", "_port")

    def __init__(self, options: object = None, /, **kwargs: object) -> None:
        merged = mergedOptions(options, kwargs)
        given = merged.get("family", "ipv4")
        # Node picks the default address before lowercasing the family, so
        # {family: 'IPv6'} defaults to '127.0.0.1' and then fails to parse.
        address = merged.get("address", "127.0.0.1" if given == "ipv4" else "::")
        family = given.lower() if isinstance(given, str) else given
        if family not in ("ipv4", "ipv6"):
            raise ERR_INVALID_ARG_VALUE("options.family", given)
        if not isinstance(address, str):
            raise ERR_INVALID_ARG_TYPE("options.address", "string", address)
        port = merged.get("port", 0)
        if isinstance(port, bool) or not isinstance(port, (int, float, str)):
            raise ERR_SOCKET_BAD_PORT("options.port", port)
        # Node 20 accepts a numeric string here and then aborts in C++; we take its number.
        self._port = validatePort(port)
        flowlabel = _validateUint32(merged.get("flowlabel", 0), "options.flowlabel")
        if family == "ipv6" and flowlabel > _MAX_FLOWLABEL:
            raise ERR_OUT_OF_RANGE("options.flowlabel", f">= 0 && <= {_MAX_FLOWLABEL}", flowlabel)
        self._family: Literal["ipv4", "ipv6"] = "ipv4" if family == "ipv4" else "ipv6"
        self._address = _canonicalAddress(address, self._family)
        self._flowlabel = flowlabel if family == "ipv6" else 0

    @staticmethod
    def isSocketAddress(value: object) -> bool:
        """Node's ``SocketAddress.isSocketAddress(value)``."""
        return isinstance(value, SocketAddress)

    @property
    def address(self) -> str:
        """The address in canonical form (``'::ffff:127.0.0.1'``, zone dropped)."""
        return self._address

    @property
    def port(self) -> int:
        """The port (0-65535)."""
        return self._port

    @property
    def family(self) -> Literal["ipv4", "ipv6"]:
        """``'ipv4'`` or ``'ipv6'`` (lower case, unlike ``AddressInfo.family``)."""
        return self._family

    @property
    def flowlabel(self) -> int:
        """The IPv6 flow label (0 for IPv4)."""
        return self._flowlabel

    def toJSON(self) -> dict[str, object]:
        """Node's ``toJSON()``: ``address``, ``port``, ``family``, ``flowlabel``."""
        return {
            "address": self._address,
            "port": self._port,
            "family": self._family,
            "flowlabel": self._flowlabel,
        }

    def __iter__(self) -> Iterator[tuple[str, object]]:
        return iter(self.toJSON().items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SocketAddress):
            return NotImplemented
        return self.toJSON() == other.toJSON()

    def __hash__(self) -> int:
        return hash((self._address, self._port, self._family, self._flowlabel))

    def __repr__(self) -> str:
        return f"SocketAddress {self.toJSON()!r}"


def _canonicalAddress(address: str, family: Literal["ipv4", "ipv6"]) -> str:
    """libuv's ``uv_inet_pton`` then ``uv_inet_ntop`` (an IPv6 ``%zone`` is dropped)."""
    if family == "ipv4":
        # libuv's inet_pton4 is exactly Node's dotted-quad rule.
        if _IPV4.fullmatch(address) is None:
            raise ERR_INVALID_ADDRESS()
        return address
    bare = address.partition("%")[0]
    try:
        packed = socket.inet_pton(socket.AF_INET6, bare)
    except (OSError, ValueError):
        raise ERR_INVALID_ADDRESS() from None
    return socket.inet_ntop(socket.AF_INET6, packed)


def _validateUint32(value: object, name: str) -> int:
    """Node's ``validateUint32(value, name)``."""
    return validateInt32(value, name, 0, 2**32 - 1)


def validateInt32(
    value: object, name: str, minimum: int = -(2**31), maximum: int = 2**31 - 1
) -> int:
    """Node's ``validateInt32(value, name, min, max)`` (``bool`` is not a number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ERR_INVALID_ARG_TYPE(name, "number", value)
    if isinstance(value, float) and (math.isnan(value) or not value.is_integer()):
        raise ERR_OUT_OF_RANGE(name, "an integer", value)
    if not minimum <= value <= maximum:
        raise ERR_OUT_OF_RANGE(name, f">= {minimum} && <= {maximum}", value)
    return int(value)


# -- process-wide defaults of connect() ------------------------------------------

_autoSelectFamily: bool = DEFAULT_AUTO_SELECT_FAMILY
_autoSelectFamilyAttemptTimeout: int = DEFAULT_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT


def getDefaultAutoSelectFamily() -> bool:
    """Node's ``net.getDefaultAutoSelectFamily()``: ``connect()``'s ``autoSelectFamily`` default."""
    return _autoSelectFamily


def setDefaultAutoSelectFamily(value: bool) -> None:
    """
    Node's ``net.setDefaultAutoSelectFamily(value)``.

    :raises ERR_INVALID_ARG_TYPE: ``value`` is not a ``bool``.
    """
    global _autoSelectFamily
    if not isinstance(value, bool):
        raise ERR_INVALID_ARG_TYPE("value", "boolean", value)
    _autoSelectFamily = value


def getDefaultAutoSelectFamilyAttemptTimeout() -> int:
    """Node's ``net.getDefaultAutoSelectFamilyAttemptTimeout()``, in milliseconds."""
    return _autoSelectFamilyAttemptTimeout


def setDefaultAutoSelectFamilyAttemptTimeout(value: int) -> None:
    """
    Node's ``net.setDefaultAutoSelectFamilyAttemptTimeout(value)``: an integer
    number of milliseconds, at least 1; values below 10 become 10.

    :raises ERR_INVALID_ARG_TYPE: ``value`` is not a number.
    :raises ERR_OUT_OF_RANGE: not an integer, or outside 1 to 2**31 - 1.
    """
    global _autoSelectFamilyAttemptTimeout
    milliseconds = validateInt32(value, "value", 1)
    _autoSelectFamilyAttemptTimeout = max(milliseconds, MIN_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT)
