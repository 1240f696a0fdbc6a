"""
Addresses as Node reports them: ``AddressInfo`` and family helpers.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Literal

from twisted.internet.address import IPv4Address, IPv6Address

__all__ = ["AddressInfo", "addressInfoFromTwisted", "familyOf"]

Family = Literal["IPv4", "IPv6"]


@dataclass(frozen=True, slots=True)
class AddressInfo:
    """
    What Node's ``server.address()`` / ``socket.address()`` return:
    ``{address, family, port}``.  ``info["port"]`` works as well as
    ``info.port``, for code ported from JavaScript.
    """

    address: str
    family: Family
    port: int

    def __getitem__(self, key: str) -> object:
        if key in ("address", "family", "port"):
            return getattr(self, key)
        raise KeyError(key)

    def keys(self) -> tuple[str, str, str]:
        """Node's key order: ``address``, ``family``, ``port``."""
        return ("address", "family", "port")


def familyOf(address: str) -> Family:
    """``'IPv6'`` for addresses with a colon, else ``'IPv4'``."""
    return "IPv6" if ":" in address else "IPv4"


def addressInfoFromTwisted(address: object) -> AddressInfo | None:
    """Convert a Twisted ``IPv4Address``/``IPv6Address``; ``None`` for others."""
    if isinstance(address, IPv6Address):
        # Twisted keeps a scope id in the host ("fe80::1%eth0"); Node too.
        return AddressInfo(address.host, "IPv6", address.port)
    if isinstance(address, IPv4Address):
        return AddressInfo(address.host, "IPv4", address.port)
    return None


def addressFamilyOf(family: Family) -> socket.AddressFamily:
    """The socket module's constant for a Node family name."""
    return socket.AF_INET6 if family == "IPv6" else socket.AF_INET
