"""Tests for txnetserver._address: AddressInfo as Node's address objects."""

from __future__ import annotations

import dataclasses

import pytest
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress

from txnetserver import AddressInfo
from txnetserver._address import addressInfoFromTwisted, familyOf


def test_address_info_reads_as_attributes_and_keys_in_nodes_order() -> None:
    info = AddressInfo("127.0.0.1", "IPv4", 8000)
    assert (info.address, info.family, info.port) == ("127.0.0.1", "IPv4", 8000)
    assert [info[key] for key in info.keys()] == ["127.0.0.1", "IPv4", 8000]
    assert dict(zip(info.keys(), (info[k] for k in info.keys()), strict=True)) == {
        "address": "127.0.0.1",
        "family": "IPv4",
        "port": 8000,
    }
    with pytest.raises(KeyError):
        info["host"]


def test_address_info_is_a_frozen_value() -> None:
    info = AddressInfo("::1", "IPv6", 1)
    assert info == AddressInfo("::1", "IPv6", 1)
    assert hash(info) == hash(AddressInfo("::1", "IPv6", 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.port = 2  # type: ignore[misc]
    assert repr(info) == "AddressInfo(address='::1', family='IPv6', port=1)"


def test_twisted_addresses_convert() -> None:
    assert addressInfoFromTwisted(IPv4Address("TCP", "10.0.0.1", 5)) == AddressInfo(
        "10.0.0.1", "IPv4", 5
    )
    assert addressInfoFromTwisted(IPv6Address("TCP", "::ffff:127.0.0.1", 6)) == AddressInfo(
        "::ffff:127.0.0.1", "IPv6", 6
    )
    assert addressInfoFromTwisted(UNIXAddress(b"/tmp/x")) is None


def test_family_of_an_address_string() -> None:
    assert familyOf("::1") == "IPv6"
    assert familyOf("127.0.0.1") == "IPv4"
