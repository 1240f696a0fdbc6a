"""
net's small pure surface: isIP & co., SocketAddress and the family-racing
defaults.  tests/test_conformance.py checks the same functions against Node.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from txnetserver import errors
from txnetserver._netutil import (
    SocketAddress,
    getDefaultAutoSelectFamily,
    getDefaultAutoSelectFamilyAttemptTimeout,
    isIP,
    isIPv4,
    isIPv6,
    setDefaultAutoSelectFamily,
    setDefaultAutoSelectFamilyAttemptTimeout,
)


@pytest.mark.parametrize(
    ("value", "family"),
    [
        ("127.0.0.1", 4),
        ("255.255.255.255", 4),
        ("::1", 6),
        ("::ffff:1.2.3.4", 6),
        ("fe80::1%eth0", 6),
        ("localhost", 0),
        ("01.2.3.4", 0),
        ("127.1", 0),
        (" 1.2.3.4", 0),
        ("1.2.3.4\n", 0),
        ("::1%", 0),
        (123, 0),
        (None, 0),
    ],
)
def test_is_ip_tells_the_family_of_str_of_its_argument(value: object, family: int) -> None:
    assert isIP(value) == family
    assert isIPv4(value) is (family == 4)
    assert isIPv6(value) is (family == 6)


def test_is_ip_tests_the_string_form_of_any_value() -> None:
    class Address:
        def __str__(self) -> str:
            return "10.0.0.1"

    assert isIP(Address()) == 4


def test_socket_address_defaults_to_ipv4_loopback() -> None:
    address = SocketAddress()
    assert address.toJSON() == {
        "address": "127.0.0.1",
        "port": 0,
        "family": "ipv4",
        "flowlabel": 0,
    }


def test_socket_address_prints_ipv6_canonically_and_drops_the_zone() -> None:
    assert SocketAddress(address="FE80::0001%lo", family="IPv6").address == "fe80::1"
    assert SocketAddress(address="::ffff:7f00:1", family="ipv6").address == "::ffff:127.0.0.1"


def test_socket_address_keeps_the_flow_label_for_ipv6_only() -> None:
    assert SocketAddress(family="ipv6", flowlabel=5).flowlabel == 5
    assert SocketAddress(family="ipv4", flowlabel=5).flowlabel == 0


def test_socket_address_default_address_depends_on_the_family_as_given() -> None:
    # Node chooses the default before lowercasing the family: 'IPV4' gets '::'.
    with pytest.raises(errors.ERR_INVALID_ADDRESS, match=r"^Invalid socket address$"):
        SocketAddress(family="IPV4")
    assert SocketAddress(family="IPv6").address == "::"


def test_socket_address_refuses_an_address_of_the_other_family() -> None:
    with pytest.raises(errors.ERR_INVALID_ADDRESS):
        SocketAddress(address="::1")


def test_socket_address_flow_label_beyond_twenty_bits_is_out_of_range() -> None:
    with pytest.raises(errors.ERR_OUT_OF_RANGE, match="<= 1048575"):
        SocketAddress(family="ipv6", flowlabel=2**20)


def test_socket_address_takes_the_number_of_a_numeric_string_port() -> None:
    assert SocketAddress(port="80").port == 80


def test_socket_addresses_compare_and_hash_by_value() -> None:
    assert SocketAddress(port=1) == SocketAddress({"port": 1})
    assert len({SocketAddress(port=1), SocketAddress(port=1)}) == 1
    assert SocketAddress.isSocketAddress(SocketAddress())
    assert not SocketAddress.isSocketAddress({"address": "127.0.0.1"})
    assert repr(SocketAddress()) == (
        "SocketAddress {'address': '127.0.0.1', 'port': 0, 'family': 'ipv4', 'flowlabel': 0}"
    )


@pytest.fixture
def restoredDefaults() -> Iterator[None]:
    family = getDefaultAutoSelectFamily()
    timeout = getDefaultAutoSelectFamilyAttemptTimeout()
    yield
    setDefaultAutoSelectFamily(family)
    setDefaultAutoSelectFamilyAttemptTimeout(timeout)


def test_auto_select_family_is_on_by_default_with_250_ms_attempts() -> None:
    assert getDefaultAutoSelectFamily() is True
    assert getDefaultAutoSelectFamilyAttemptTimeout() == 250


@pytest.mark.usefixtures("restoredDefaults")
def test_attempt_timeouts_below_ten_milliseconds_become_ten() -> None:
    setDefaultAutoSelectFamilyAttemptTimeout(5)
    assert getDefaultAutoSelectFamilyAttemptTimeout() == 10


@pytest.mark.usefixtures("restoredDefaults")
def test_set_default_auto_select_family_takes_only_a_bool() -> None:
    setDefaultAutoSelectFamily(False)
    assert getDefaultAutoSelectFamily() is False
    with pytest.raises(
        errors.ERR_INVALID_ARG_TYPE, match='"value" argument must be of type boolean'
    ):
        setDefaultAutoSelectFamily(1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, 'The value of "value" is out of range. It must be >= 1 && <= 2147483647. Received 0'),
        (1.5, 'The value of "value" is out of range. It must be an integer. Received 1.5'),
    ],
)
def test_attempt_timeout_must_be_a_positive_int32(value: float, message: str) -> None:
    with pytest.raises(errors.ERR_OUT_OF_RANGE) as raised:
        setDefaultAutoSelectFamilyAttemptTimeout(value)  # type: ignore[arg-type]
    assert str(raised.value) == message
