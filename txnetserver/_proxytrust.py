"""
Who may send a PROXY header: the ``trustedProxies`` and ``proxyHeaderTimeout``
server options (ours, not Node's), normalised as Node normalises its own
options.  Pure: no reactor, no Twisted.

A PROXY header names the client, so a peer that may send one chooses the
address every ``'connection'`` listener, ``blockList`` and log sees.  Only the
sources in ``trustedProxies`` may; by default loopback only
(:data:`~txnetserver._defaults.TRUSTED_PROXIES`).  A ``proxyProtocol`` server
refuses every other TCP peer at accept, before reading a byte, as ``blockList``
does.  Peers of a UNIX-socket server are local processes that the socket
file's permissions let in, and are trusted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Protocol

from txnetserver._blocklist import BlockList
from txnetserver._defaults import PROXY_HEADER_TIMEOUT, TRUSTED_PROXIES
from txnetserver._errors import ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE

__all__ = ["TrustedSources", "isTrustedPeer", "proxyHeaderTimeout", "trustedProxies"]


class TrustedSources(Protocol):
    """What ``trustedProxies`` holds: a ``net.BlockList`` (or anything with its ``check``)."""

    def check(self, address: str, type: str | None = ...) -> bool: ...


def trustedProxies(value: object) -> TrustedSources:
    """
    The ``trustedProxies`` option as a :class:`~txnetserver.BlockList` of the
    sources allowed to send a PROXY header: ``None`` for the default
    (loopback), a list of addresses and subnets (``"10.0.0.7"``,
    ``"10.0.0.0/8"``, ``"2001:db8::/32"``; empty: trust nobody), or a
    ``BlockList`` used as given (its rules name the trusted sources).

    :raises ERR_INVALID_ARG_TYPE: neither a list nor a ``BlockList``, or an
        entry that is not a string.
    :raises ERR_INVALID_ARG_VALUE: an entry that is not an address or subnet.
    """
    if value is None:
        return _fromList(TRUSTED_PROXIES, "options.trustedProxies")
    if callable(getattr(value, "check", None)):
        return value  # type: ignore[return-value]
    if isinstance(value, (list, tuple)):
        return _fromList(value, "options.trustedProxies")
    raise ERR_INVALID_ARG_TYPE("options.trustedProxies", ["Array", "net.BlockList"], value)


def _fromList(entries: Iterable[object], name: str) -> BlockList:
    trusted = BlockList()
    for index, entry in enumerate(entries):
        where = f"{name}[{index}]"
        if not isinstance(entry, str):
            raise ERR_INVALID_ARG_TYPE(where, "string", entry)
        address, slash, prefix = entry.partition("/")
        family = "ipv6" if ":" in address else "ipv4"
        try:
            if slash:
                if not prefix.isdigit():
                    raise ValueError(prefix)
                trusted.addSubnet(address, int(prefix), family)
            else:
                trusted.addAddress(address, family)
        except (ValueError, TypeError, RuntimeError):  # Node's errors subclass these
            raise ERR_INVALID_ARG_VALUE(
                where, entry, "is not an IP address or an ADDRESS/PREFIX subnet"
            ) from None
    return trusted


def proxyHeaderTimeout(value: object) -> float:
    """
    The ``proxyHeaderTimeout`` option in milliseconds: ``None`` for the
    default, ``0`` for none (a peer may then hold its connection for ever
    without sending a header).

    :raises ERR_INVALID_ARG_TYPE: not a number.
    :raises ERR_OUT_OF_RANGE: negative, NaN or infinite.
    """
    if value is None:
        return PROXY_HEADER_TIMEOUT * 1000
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ERR_INVALID_ARG_TYPE("options.proxyHeaderTimeout", "number", value)
    if not (math.isfinite(value) and value >= 0):
        raise ERR_OUT_OF_RANGE("options.proxyHeaderTimeout", ">= 0 and finite", value)
    return float(value)


def isTrustedPeer(trusted: TrustedSources, peer: Any) -> bool:
    """
    Whether the peer at ``peer`` (a Twisted address) may send a PROXY header:
    an IP peer in ``trusted``, or any peer of a UNIX socket.
    """
    host = getattr(peer, "host", None)
    if not isinstance(host, str):
        return hasattr(peer, "name")  # a UNIXAddress
    return trusted.check(host.partition("%")[0], "ipv6" if ":" in host else "ipv4")
