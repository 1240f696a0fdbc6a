"""
Tests for txnetserver._serveroptions: Node's createServer() options, without a reactor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txnetserver import errors
from txnetserver._defaults import DEFAULT_HIGH_WATER_MARK
from txnetserver._serveroptions import ServerOptions, normalizeServerOptions, parseCreateServerArgs


def CB() -> None:
    """A connection listener."""


# -- createServer() ---------------------------------------------------------------


def test_parseCreateServerArgs_function_first_is_the_connection_listener() -> None:
    assert parseCreateServerArgs(CB) == (None, CB)
    # Node: (fn, fn2) -> the first is the listener, the second is ignored.
    assert parseCreateServerArgs(CB, print) == (None, CB)


@pytest.mark.parametrize(
    ("options", "listener", "expected"),
    [
        ({"noDelay": True}, CB, ({"noDelay": True}, CB)),
        (None, CB, (None, CB)),
        ({}, "notfn", ({}, None)),  # Node only adds a function listener
        (None, None, (None, None)),
        ("path", None, ("path", None)),  # rejected by normalizeServerOptions
    ],
)
def test_parseCreateServerArgs_options_then_listener(
    options: object, listener: object, expected: tuple[object, object]
) -> None:
    assert parseCreateServerArgs(options, listener) == expected


def test_createServer_defaults() -> None:
    # Node 22's defaults, highWaterMark included.
    assert normalizeServerOptions(None, {}) == ServerOptions(
        allowHalfOpen=False,
        pauseOnConnect=False,
        noDelay=False,
        keepAlive=False,
        keepAliveInitialDelay=0,
        highWaterMark=65536,
        blockList=None,
    )
    assert DEFAULT_HIGH_WATER_MARK == 65536


def test_createServer_normalises_like_node() -> None:
    options = {
        "keepAliveInitialDelay": -5,
        "highWaterMark": -1,
        "allowHalfOpen": "yes",
        "pauseOnConnect": 1,
        "noDelay": 1,
        "keepAlive": 0,
    }
    assert normalizeServerOptions(options, {}) == ServerOptions(
        allowHalfOpen="yes",
        pauseOnConnect=True,
        noDelay=True,
        keepAlive=False,
        keepAliveInitialDelay=0,
        highWaterMark=65536,
    )


@pytest.mark.parametrize(
    ("milliseconds", "seconds"),
    [
        # Observed with Node v20 (createServer({keepAliveInitialDelay}).keepAliveInitialDelay).
        (2500, 2),
        (1999.9, 1),
        (-0.5, 0),
        (-5, 0),
        (math.nan, 0),
        (math.inf, 0),
        (3e12, -1294967296),  # Node's ~~ wraps past 2**31 seconds
        (0, 0),
        (999, 0),
    ],
)
def test_keepAliveInitialDelay_is_whole_seconds(milliseconds: float, seconds: int) -> None:
    result = normalizeServerOptions({"keepAliveInitialDelay": milliseconds}, {})
    assert result.keepAliveInitialDelay == seconds


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1024, 1024), (1.5, 1.5), (0, 0), (-1, 65536), (-0.0, 0), (None, 65536), (math.inf, math.inf)],
)
def test_highWaterMark_kept_negative_means_default(value: object, expected: float) -> None:
    assert normalizeServerOptions({"highWaterMark": value}, {}).highWaterMark == expected


def test_highWaterMark_nan_is_kept() -> None:
    assert math.isnan(normalizeServerOptions({"highWaterMark": math.nan}, {}).highWaterMark)


@pytest.mark.parametrize(
    ("value", "allowHalfOpen"),
    [(0, False), ("", False), (None, False), (True, True), ("yes", "yes"), ([], [])],
)
def test_allowHalfOpen_is_options_value_or_false(value: object, allowHalfOpen: object) -> None:
    assert normalizeServerOptions({"allowHalfOpen": value}, {}).allowHalfOpen == allowHalfOpen


def test_boolean_server_options_use_js_truthiness() -> None:
    result = normalizeServerOptions(
        {"pauseOnConnect": "x", "noDelay": math.nan, "keepAlive": {}}, {}
    )
    assert (result.pauseOnConnect, result.noDelay, result.keepAlive) == (True, False, True)


@pytest.mark.parametrize(
    ("value", "proxyProtocol"),
    [
        (None, False),
        (False, False),
        (0, False),
        ("", False),
        (math.nan, False),
        (True, True),
        (1, True),
        ("false", True),  # a non-empty string is truthy in JavaScript
        ({}, True),
    ],
)
def test_proxyProtocol_is_coerced_like_nodes_boolean_options(
    value: object, proxyProtocol: bool
) -> None:
    # Ours, not Node's: validated as Node validates pauseOnConnect (!!value),
    # never rejected, always stored as a bool.
    assert normalizeServerOptions({"proxyProtocol": value}, {}).proxyProtocol is proxyProtocol
    assert normalizeServerOptions(None, {"proxyProtocol": value}).proxyProtocol is proxyProtocol


def test_proxyProtocol_defaults_to_false() -> None:
    assert normalizeServerOptions(None, {}).proxyProtocol is False
    assert ServerOptions().proxyProtocol is False


def test_createServer_keywords_merge_over_options_without_mutating() -> None:
    options = {"noDelay": True, "keepAlive": True}
    before = dict(options)
    result = normalizeServerOptions(options, {"keepAlive": False, "pauseOnConnect": True})
    assert (result.noDelay, result.keepAlive, result.pauseOnConnect) == (True, False, True)
    assert options == before


def test_createServer_accepts_any_mapping() -> None:
    proxy: Mapping[str, object] = MappingProxyType({"noDelay": True})
    assert normalizeServerOptions(proxy, {}).noDelay is True


@pytest.mark.parametrize(
    ("options", "message"),
    [
        # Node: Received type string ('path') / type number (0).
        ("path", "The \"options\" argument must be of type object. Received type str ('path')"),
        (0, 'The "options" argument must be of type object. Received type int (0)'),
        (True, 'The "options" argument must be of type object. Received type bool (True)'),
        ([], 'The "options" argument must be of type object. Received an instance of list'),
    ],
)
def test_createServer_rejects_non_mapping_options(options: object, message: str) -> None:
    with pytest.raises(errors.ERR_INVALID_ARG_TYPE) as info:
        normalizeServerOptions(options, {})
    assert isinstance(info.value, TypeError)
    assert info.value.code == "ERR_INVALID_ARG_TYPE"
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"highWaterMark": "x"},
            'The "options.highWaterMark" property must be of type number. '
            "Received type str ('x')",
        ),
        (
            {"highWaterMark": True},
            'The "options.highWaterMark" property must be of type number. '
            "Received type bool (True)",
        ),
        (
            {"keepAliveInitialDelay": "x"},
            'The "options.keepAliveInitialDelay" property must be of type number. '
            "Received type str ('x')",
        ),
        (
            {"keepAliveInitialDelay": False},
            'The "options.keepAliveInitialDelay" property must be of type number. '
            "Received type bool (False)",
        ),
        (
            {"blockList": "10.0.0.1"},
            'The "options.blockList" property must be net.BlockList. '
            "Received type str ('10.0.0.1')",
        ),
        (
            {"blockList": object()},
            'The "options.blockList" property must be net.BlockList. '
            "Received an instance of object",
        ),
    ],
)
def test_createServer_rejects_bad_option_types(options: dict[str, object], message: str) -> None:
    with pytest.raises(errors.ERR_INVALID_ARG_TYPE) as info:
        normalizeServerOptions(options, {})
    assert str(info.value) == message


def test_createServer_blockList_needs_a_check_method() -> None:
    class BlockList:
        def check(self, address: str, type: str = "ipv4") -> bool:
            return False

    blockList = BlockList()
    assert normalizeServerOptions({"blockList": blockList}, {}).blockList is blockList
    # Node 22 only validates a truthy blockList.
    assert normalizeServerOptions({"blockList": None}, {}).blockList is None
    assert normalizeServerOptions({}, {"blockList": 0}).blockList is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)
_SERVER_OPTION_KEYS = [
    "allowHalfOpen",
    "pauseOnConnect",
    "noDelay",
    "keepAlive",
    "keepAliveInitialDelay",
    "highWaterMark",
    "blockList",
    "proxyProtocol",
]
_options = st.dictionaries(st.sampled_from(_SERVER_OPTION_KEYS), _json, max_size=5)


@given(options=_options, kwargs=_options)
def test_normalizeServerOptions_raises_only_node_errors(
    options: dict[str, object], kwargs: dict[str, object]
) -> None:
    try:
        normalizeServerOptions(options, kwargs)
    except errors.NodeError:
        pass
