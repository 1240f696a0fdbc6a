"""
connect()'s argument handling without a reactor: every overload of Node's
net.connect into one frozen request, and Node's synchronous errors in Node's
order.  tests/test_conformance.py runs generated argument lists against Node.
"""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.testing import MemoryReactorClock

from txnetserver import errors
from txnetserver._connectargs import (
    EndpointConnect,
    TCPConnect,
    UNIXConnect,
    parseConnectArgs,
    resolveConnectRequest,
)


def request(*args: Any, **kwargs: Any) -> object:
    return resolveConnectRequest(parseConnectArgs(args, kwargs).options)


def callback() -> None:
    pass


def test_port_and_host_overload() -> None:
    parsed = parseConnectArgs((8000, "::1", callback), {})
    assert dict(parsed.options) == {"port": 8000, "host": "::1"}
    assert parsed.callback is callback


def test_a_host_is_taken_only_as_a_string_in_second_place() -> None:
    assert dict(parseConnectArgs((8000, 5), {}).options) == {"port": 8000}


def test_a_non_numeric_string_is_a_path() -> None:
    assert request("/run/app.sock") == UNIXConnect("/run/app.sock")
    assert dict(parseConnectArgs(("8000",), {}).options) == {"port": "8000"}


def test_keywords_are_options_and_callback_is_the_connect_listener() -> None:
    parsed = parseConnectArgs((), {"port": 1, "host": "127.0.0.1", "callback": callback})
    assert dict(parsed.options) == {"port": 1, "host": "127.0.0.1"}
    assert parsed.callback is callback


def test_keywords_override_the_options_mapping_which_is_not_mutated() -> None:
    options = {"port": 1}
    parsed = parseConnectArgs((options,), {"port": 2})
    assert parsed.options["port"] == 2
    assert options == {"port": 1}


def test_a_literal_host_needs_no_lookup() -> None:
    tcp = request(port="0x50", host="127.0.0.1")
    assert isinstance(tcp, TCPConnect)
    assert (tcp.host, tcp.port, tcp.hostFamily) == ("127.0.0.1", 80, 4)


def test_a_name_is_looked_up_with_every_address_for_family_racing() -> None:
    tcp = request(port=1)
    assert isinstance(tcp, TCPConnect)
    assert tcp.host == "localhost" and tcp.hostFamily == 0
    assert tcp.lookupOptions() == {"family": None, "hints": 32, "all": True}


@pytest.mark.parametrize(
    "options",
    [{"family": 4}, {"family": "IPv6"}, {"localAddress": "127.0.0.1"}, {"autoSelectFamily": False}],
)
def test_family_racing_is_off_with_a_family_a_local_address_or_when_disabled(
    options: dict[str, Any],
) -> None:
    tcp = request(port=1, host="a.invalid", **options)
    assert isinstance(tcp, TCPConnect)
    assert tcp.lookupAll is False


def test_a_custom_lookup_gets_the_options_unvalidated() -> None:
    def lookup(hostname: object, options: object, cb: object) -> None:
        pass

    tcp = request(port=1, host=5, family="x", lookup=lookup)
    assert isinstance(tcp, TCPConnect)
    assert tcp.host == 5 and tcp.lookup is lookup
    assert tcp.lookupOptions() == {"family": "x", "hints": 32, "all": True}


def test_endpoint_option_accepts_a_twisted_endpoint_or_a_description() -> None:
    endpoint = TCP4ClientEndpoint(MemoryReactorClock(), "127.0.0.1", 1)
    assert request(endpoint=endpoint) == EndpointConnect(endpoint)
    assert request({"endpoint": "tcp:127.0.0.1:1"}) == EndpointConnect("tcp:127.0.0.1:1")
    with pytest.raises(errors.ERR_INVALID_ARG_TYPE):
        request(endpoint=5)
    with pytest.raises(errors.ERR_INVALID_ARG_VALUE):
        request(endpoint=" ")


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (
            (),
            {},
            errors.ERR_MISSING_ARGS,
            'The "options" or "port" or "path" argument must be specified',
        ),
        (({"path": None},), {}, errors.ERR_MISSING_ARGS, None),
        (
            ({"port": None},),
            {},
            errors.ERR_INVALID_ARG_TYPE,
            'The "options.port" property must be one of type number or string. Received None',
        ),
        (
            (-1,),
            {},
            errors.ERR_SOCKET_BAD_PORT,
            "Port should be >= 0 and < 65536. Received type int (-1).",
        ),
        (
            ({"path": 5},),
            {},
            errors.ERR_INVALID_ARG_TYPE,
            'The "options.path" property must be of type string. Received type int (5)',
        ),
        # localAddress is checked before the port.
        ((1.5,), {"localAddress": "x"}, errors.ERR_INVALID_IP_ADDRESS, "Invalid IP address: x"),
        ((1,), {"localPort": "7"}, errors.ERR_INVALID_ARG_TYPE, None),
        ((1,), {"autoSelectFamily": 1}, errors.ERR_INVALID_ARG_TYPE, None),
        ((1,), {"autoSelectFamilyAttemptTimeout": 0}, errors.ERR_OUT_OF_RANGE, None),
        ((1, "a.invalid"), {"lookup": 5}, errors.ERR_INVALID_ARG_TYPE, None),
        (
            (1, "a.invalid"),
            {"hints": -1},
            errors.ERR_INVALID_ARG_VALUE,
            "The argument 'hints' is invalid. Received 4294967295",
        ),
        (
            (1, "a.invalid"),
            {"family": 5},
            errors.ERR_INVALID_ARG_VALUE,
            "The property 'options.family' must be one of: 0, 4, 6. Received 5",
        ),
        ((1,), {"host": 5}, errors.ERR_INVALID_ARG_TYPE, None),
    ],
)
def test_connect_raises_node_s_argument_errors(
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type[errors.NodeError],
    message: str | None,
) -> None:
    with pytest.raises(error) as raised:
        request(*args, **kwargs)
    if message is not None:
        assert str(raised.value) == message


def test_a_literal_host_skips_the_lookup_checks() -> None:
    assert isinstance(request(port=1, host="127.0.0.1", lookup=5, family="x"), TCPConnect)


def test_attempt_timeouts_below_ten_milliseconds_become_ten() -> None:
    tcp = request(port=1, autoSelectFamilyAttemptTimeout=3)
    assert isinstance(tcp, TCPConnect)
    assert tcp.autoSelectFamilyAttemptTimeout == 10
