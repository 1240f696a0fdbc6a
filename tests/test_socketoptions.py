"""
Tests for txnetserver._socketoptions: ``new net.Socket([options])``'s
validation and defaults, pure.  Expected messages are Node 20's (Python reprs
after "Received").
"""

from __future__ import annotations

from typing import Any

import pytest

from txnetserver import AbortController, Socket, errors
from txnetserver._defaults import DEFAULT_HIGH_WATER_MARK
from txnetserver._socketoptions import SocketOptions, normalizeSocketOptions
from txnetserver.testing import MemoryNetwork


def test_no_options_are_nodes_defaults() -> None:
    assert normalizeSocketOptions(None, {}) == SocketOptions()
    assert SocketOptions().readableHighWaterMark == DEFAULT_HIGH_WATER_MARK


@pytest.mark.parametrize("options", ["x", [], True, object()])
def test_options_that_are_not_an_object_are_ignored_as_node_does(options: object) -> None:
    assert normalizeSocketOptions(options, {}) == SocketOptions()


def test_a_number_is_the_legacy_fd_form() -> None:
    assert normalizeSocketOptions(5, {}).fd == 5


def test_keywords_merge_over_the_options_mapping_without_mutating_it() -> None:
    options = {"allowHalfOpen": True, "noDelay": True}
    normalized = normalizeSocketOptions(options, {"noDelay": False})
    assert (normalized.allowHalfOpen, normalized.noDelay) == (True, False)
    assert options == {"allowHalfOpen": True, "noDelay": True}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"allowHalfOpen": "x"}, {"allowHalfOpen": True}),
        ({"allowHalfOpen": 0}, {"allowHalfOpen": False}),
        (
            {"keepAlive": 1, "keepAliveInitialDelay": 2500},
            {"keepAlive": True, "keepAliveInitialDelay": 2},
        ),
        ({"keepAliveInitialDelay": -1}, {"keepAliveInitialDelay": 0}),
        ({"highWaterMark": 0}, {"readableHighWaterMark": 0, "writableHighWaterMark": 0}),
        ({"highWaterMark": 100, "readableHighWaterMark": 5}, {"readableHighWaterMark": 100}),
        (
            {"writableHighWaterMark": 5},
            {"writableHighWaterMark": 5, "readableHighWaterMark": DEFAULT_HIGH_WATER_MARK},
        ),
        ({"highWaterMark": None}, {"readableHighWaterMark": DEFAULT_HIGH_WATER_MARK}),
        ({"signal": 0, "fd": None}, {"signal": None, "fd": None}),
    ],
)
def test_valid_options_normalise_as_node_keeps_them(
    options: dict[str, Any], expected: dict[str, object]
) -> None:
    normalized = normalizeSocketOptions(options, {})
    assert {name: getattr(normalized, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"keepAliveInitialDelay": "x"},
            errors.ERR_INVALID_ARG_TYPE,
            'The "options.keepAliveInitialDelay" property must be of type number.',
        ),
        (
            {"signal": 5},
            errors.ERR_INVALID_ARG_TYPE,
            'The "signal" argument must be an instance of AbortSignal.',
        ),
        ({"fd": "x"}, errors.ERR_INVALID_ARG_TYPE, 'The "fd" argument must be of type number.'),
        (
            {"fd": -2},
            errors.ERR_OUT_OF_RANGE,
            'The value of "fd" is out of range. It must be >= 0 && <= 2147483647.',
        ),
        (
            {"fd": 1.5},
            errors.ERR_OUT_OF_RANGE,
            'The value of "fd" is out of range. It must be an integer.',
        ),
        (
            {"highWaterMark": -1},
            errors.ERR_INVALID_ARG_VALUE,
            "The property 'options.readableHighWaterMark' is invalid.",
        ),
        (
            {"highWaterMark": 1.5},
            errors.ERR_INVALID_ARG_VALUE,
            "The property 'options.readableHighWaterMark' is invalid.",
        ),
        (
            {"writableHighWaterMark": -1},
            errors.ERR_INVALID_ARG_VALUE,
            "The property 'options.writableHighWaterMark' is invalid.",
        ),
    ],
)
def test_bad_options_raise_nodes_errors(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        normalizeSocketOptions(options, {})
    assert str(raised.value).startswith(message)


def test_an_abort_signal_is_kept() -> None:
    signal = AbortController().signal
    assert normalizeSocketOptions({"signal": signal}, {}).signal is signal


def test_socket_takes_its_options_positionally_or_as_keywords() -> None:
    network = MemoryNetwork()
    sock = Socket({"allowHalfOpen": True, "highWaterMark": 100}, reactor=network.reactor)
    assert (sock.allowHalfOpen, sock.readableHighWaterMark, sock.writableHighWaterMark) == (
        True,
        100,
        100,
    )
    sock = Socket(reactor=network.reactor, writableHighWaterMark=5)
    assert (sock.allowHalfOpen, sock.writableHighWaterMark, sock.server) == (False, 5, None)
    with pytest.raises(errors.ERR_INVALID_ARG_VALUE):
        Socket(reactor=network.reactor, highWaterMark=-1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"objectMode": True}, "The property 'options.objectMode' is not supported. Received True"),
        (
            {"writableObjectMode": "x", "readableObjectMode": 0},
            "The property 'options.writableObjectMode' is not supported. Received 'x'",
        ),
        (
            {"keepAliveInitialDelay": "x", "signal": 5, "highWaterMark": -1},
            'The "options.keepAliveInitialDelay" property must be of type number. '
            "Received type str ('x')",
        ),
        (
            {"highWaterMark": -1, "signal": True},
            "The property 'options.readableHighWaterMark' is invalid. Received -1",
        ),
        (
            {"fd": "x", "signal": True},
            'The "signal" argument must be an instance of AbortSignal. Received type bool (True)',
        ),
    ],
)
def test_socket_options_raise_node_s_errors_in_node_s_order(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(errors.NodeError) as raised:
        normalizeSocketOptions(options, {})
    assert str(raised.value) == message
