"""
Tests for txnetserver._listen: Node's listen() argument normalisation and
validation, without a reactor.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from copy import deepcopy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.interfaces import IListeningPort, IStreamServerEndpoint
from zope.interface import implementer

from txnetserver import errors
from txnetserver._address import AddressInfo
from txnetserver._defaults import DEFAULT_BACKLOG
from txnetserver._listen import (
    LISTEN_BACKLOG_SOMAXCONN,
    EndpointListen,
    FDListen,
    HandleListen,
    ListenArgs,
    ListenRequest,
    TCPListen,
    UNIXListen,
    isPipeName,
    parseListenArgs,
    resolveListenRequest,
)


def CB() -> None:
    """A listening callback."""


@implementer(IListeningPort)
class FakePort:
    """An ``IListeningPort`` another server listens on (Node's ``_handle``)."""

    def startListening(self) -> None:
        pass

    def stopListening(self) -> None:
        pass

    def getHost(self) -> Any:
        return None


class FakeServer:
    """Just what ``_listen`` looks at on a ``txnetserver.Server``."""

    def __init__(self, listeningPort: object = None) -> None:
        self.listeningPort = listeningPort

    def __repr__(self) -> str:
        return "<Server not listening>"


@implementer(IStreamServerEndpoint)
class FakeEndpoint:
    def listen(self, protocolFactory: object) -> Any:
        return None


class FakeSignal:
    """Duck-typed like Node's ``AbortSignal`` (which Node checks by ``'aborted' in``)."""

    aborted = False

    def addEventListener(self, type: str, listener: Any, *args: Any, **kwargs: Any) -> None:
        pass

    def removeEventListener(self, type: str, listener: Any, *args: Any, **kwargs: Any) -> None:
        pass


HANDLE = FakePort()
LISTENING_SERVER = FakeServer(HANDLE)
IDLE_SERVER = FakeServer()
ENDPOINT = FakeEndpoint()
SIGNAL = FakeSignal()


def listen(*args: Any, **kwargs: Any) -> ListenRequest:
    """What ``server.listen(*args, **kwargs)`` resolves to."""
    return resolveListenRequest(parseListenArgs(args, kwargs))


def listenError(*args: Any, **kwargs: Any) -> errors.NodeError:
    with pytest.raises(errors.NodeError) as info:
        listen(*args, **kwargs)
    return info.value


def tcp(
    port: int = 0, host: str | None = None, backlog: int = DEFAULT_BACKLOG, **kw: Any
) -> TCPListen:
    return TCPListen(port=port, host=host, backlog=backlog, **kw)


def unix(path: str, backlog: int = DEFAULT_BACKLOG, **kw: Any) -> UNIXListen:
    return UNIXListen(path=path, backlog=backlog, **kw)


# -- isPipeName -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "pipe"),
    [
        ("abc", True),
        ("-1", True),
        ("/tmp/x.sock", True),
        ("\0abstract", True),
        ("0x", True),
        ("1_000", True),
        ("-0x10", True),
        ("Infinity", False),  # Number('Infinity') >= 0: a (bad) port, not a path
        ("8000", False),
        ("0x1F90", False),
        ("1e3", False),
        ("", False),
        (" ", False),
        ("1.5", False),
        ("65536", False),
        ("-0", False),
        (8000, False),
        (None, False),
        (True, False),
        (b"/tmp/x", False),
    ],
)
def test_isPipeName_is_a_string_that_is_not_a_nonnegative_number(value: object, pipe: bool) -> None:
    assert isPipeName(value) is pipe


# -- listen(): parseListenArgs -----------------------------------------------------


def test_parseListenArgs_no_arguments() -> None:
    assert parseListenArgs((), {}) == ListenArgs(
        options={}, target=None, callback=None, backlogFromArgs=0.0, portDefaultsToZero=True
    )


def test_parseListenArgs_callback_last() -> None:
    parsed = parseListenArgs((0, "127.0.0.1", 5, CB), {})
    assert parsed == ListenArgs(
        options={"port": 0, "host": "127.0.0.1"},
        target=None,
        callback=CB,
        backlogFromArgs=5.0,
        portDefaultsToZero=False,
    )


def test_parseListenArgs_function_first_defaults_port() -> None:
    parsed = parseListenArgs((CB,), {})
    assert (parsed.callback, parsed.portDefaultsToZero) == (CB, True)


def test_callback_not_in_last_place_is_ignored() -> None:
    # listen(0, cb, 'extra') never calls cb.
    assert parseListenArgs((0, CB, "extra"), {}).callback is None
    assert parseListenArgs((CB, 5), {}).callback is None


def test_callback_keyword_is_the_last_argument() -> None:
    assert parseListenArgs((0,), {"callback": CB}).callback is CB
    assert parseListenArgs((), {"callback": CB}).portDefaultsToZero is True
    # A positional function is then not last, as in Node's listen(cb1, cb2).
    parsed = parseListenArgs((print,), {"callback": CB})
    assert (parsed.callback, parsed.portDefaultsToZero) == (CB, True)


def test_callback_keyword_none_means_no_callback() -> None:
    assert parseListenArgs((0,), {"callback": None}) == parseListenArgs((0,), {})


def test_parseListenArgs_copies_the_options_mapping() -> None:
    options = {"port": None, "host": "127.0.0.1"}
    parsed = parseListenArgs((options,), {})
    assert parsed.options == options
    assert parsed.options is not options
    resolveListenRequest(parsed)
    # Node mutates the caller's object (port: undefined -> 0); we never do.
    assert options == {"port": None, "host": "127.0.0.1"}


def test_parseListenArgs_options_are_read_only() -> None:
    parsed = parseListenArgs(({"port": 0},), {})
    with pytest.raises(TypeError):
        parsed.options["port"] = 1  # type: ignore[index]


def test_parseListenArgs_never_raises_for_bad_arguments() -> None:
    # Validation waits for resolveListenRequest: Node registers the callback first.
    parsed = parseListenArgs((-1, CB), {})
    assert parsed.callback is CB
    with pytest.raises(errors.ERR_SOCKET_BAD_PORT):
        resolveListenRequest(parsed)


@pytest.mark.parametrize(
    ("args", "backlog"),
    [
        ((0, 5), 5.0),
        ((0, "127.0.0.1", 5), 5.0),
        ((0, "5"), 5.0),  # also the host '5', as in Node
        ((0, 0, 7), 7.0),
        ((0, -1), 0.0),
        ((0, -1, 7), 7.0),
        ((0, True), 1.0),
        ((0, None, 7), 7.0),
        ((0, CB), 0.0),
        ((0,), 0.0),
        ((0, 1, 2, 3), 1.0),
    ],
)
def test_backlogFromArgs(args: tuple[object, ...], backlog: float) -> None:
    assert parseListenArgs(args, {}).backlogFromArgs == backlog


def test_non_mapping_object_first_is_the_target() -> None:
    parsed = parseListenArgs((LISTENING_SERVER, 12), {"signal": SIGNAL})
    assert (parsed.target, parsed.options, parsed.backlogFromArgs) == (
        LISTENING_SERVER,
        {"signal": SIGNAL},
        12.0,
    )


# -- listen(): Node's overload table ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "request_"),
    [
        # Random port on the unspecified address (dual-stack ::).
        ((), {}, tcp()),
        ((CB,), {}, tcp()),
        ((None,), {}, tcp()),
        ((None, CB), {}, tcp()),
        ((0,), {}, tcp()),
        (("0",), {}, tcp()),
        (({"port": None},), {}, tcp()),  # {port: undefined} and {port: null}
        (({"port": 0},), {}, tcp()),
        (({"port": "0"},), {}, tcp()),
        # A host string; '' means unspecified.
        ((0, "127.0.0.1", CB), {}, tcp(host="127.0.0.1")),
        ((0, "::1"), {}, tcp(host="::1")),
        ((0, "0.0.0.0"), {}, tcp(host="0.0.0.0")),
        ((0, "::"), {}, tcp(host="::")),
        ((0, "localhost"), {}, tcp(host="localhost")),
        ((0, ""), {}, tcp()),
        # Backlog positions.
        ((0, 5, CB), {}, tcp(backlog=5)),
        ((0, "127.0.0.1", 5, CB), {}, tcp(host="127.0.0.1", backlog=5)),
        (({"port": 0, "host": "127.0.0.1"}, CB), {}, tcp(host="127.0.0.1")),
        # Numeric strings are ports (Number() semantics).
        (("8000", "127.0.0.1"), {}, tcp(8000, "127.0.0.1")),
        (("0x1F90", "127.0.0.1"), {}, tcp(8080, "127.0.0.1")),
        (("1e3",), {}, tcp(1000)),
        ((" 8000 ",), {}, tcp(8000)),
        ((8000.0,), {}, tcp(8000)),
        # Other strings are UNIX socket paths.
        (("abc-sock",), {}, unix("abc-sock")),
        (("-1",), {}, unix("-1")),
        (("/tmp/x.sock", 7, CB), {}, unix("/tmp/x.sock", 7)),
        (("/tmp/x.sock", "127.0.0.1"), {}, unix("/tmp/x.sock")),  # no host for paths
        (({"path": "/tmp/x.sock", "backlog": 6}, 4), {}, unix("/tmp/x.sock", 6)),
        (({"path": "\0abstract"},), {}, unix("\0abstract")),
        (
            ({"path": "/s", "readableAll": True, "writableAll": True},),
            {},
            unix("/s", readableAll=True, writableAll=True),
        ),
        # Node chmods only for an exact true.
        (({"path": "/s", "readableAll": 1, "writableAll": "yes"},), {}, unix("/s")),
        # {fd}.
        (({"fd": 7},), {}, FDListen(7, DEFAULT_BACKLOG)),
        (({"fd": 7}, 6), {}, FDListen(7, 6)),
        (({"fd": 7.0},), {}, FDListen(7, DEFAULT_BACKLOG)),
        (({"fd": 0},), {}, FDListen(0, DEFAULT_BACKLOG)),
        (({"fd": 7, "port": 0},), {}, FDListen(7, DEFAULT_BACKLOG)),  # fd before port
        (({"fd": -1, "port": 0},), {}, tcp()),
        # Another server's listening socket.
        ((LISTENING_SERVER,), {}, HandleListen(LISTENING_SERVER, DEFAULT_BACKLOG)),
        ((HANDLE,), {}, HandleListen(HANDLE, DEFAULT_BACKLOG)),
        ((HANDLE, 12), {}, HandleListen(HANDLE, 12)),
        (({"handle": HANDLE},), {}, HandleListen(HANDLE, DEFAULT_BACKLOG)),
        (({"_handle": HANDLE},), {}, HandleListen(HANDLE, DEFAULT_BACKLOG)),
        (({"handle": LISTENING_SERVER},), {}, HandleListen(LISTENING_SERVER, DEFAULT_BACKLOG)),
        (({"_handle": HANDLE, "handle": IDLE_SERVER},), {}, HandleListen(HANDLE, DEFAULT_BACKLOG)),
        # A callback not in last place is ignored, the rest holds.
        ((0, CB, "extra"), {}, tcp()),
        # The options beyond port/host/backlog.
        (({"port": 0, "host": "::", "ipv6Only": True},), {}, tcp(host="::", ipv6Only=True)),
        (({"port": 0, "ipv6Only": True},), {}, tcp(ipv6Only=True)),  # the server ignores it
        (({"port": 0, "ipv6Only": 1},), {}, tcp()),  # strictly true, as in Node
        (({"port": 0, "reusePort": True},), {}, tcp(reusePort=True)),
        (({"port": 0, "reusePort": "yes"},), {}, tcp()),
        (({"port": 0, "exclusive": 1},), {}, tcp(exclusive=True)),
        (({"port": 0, "host": 0},), {}, tcp()),  # falsy host = unspecified
        (({"port": 0, "host": False},), {}, tcp()),
        (({"port": 0, "host": None},), {}, tcp()),
    ],
)
def test_listen_overloads(
    args: tuple[object, ...], kwargs: dict[str, object], request_: object
) -> None:
    assert listen(*args, **kwargs) == request_


def test_port_beats_path_only_when_it_is_a_number_or_string() -> None:
    assert listen({"port": 80, "path": "/tmp/x"}) == tcp(80)
    assert listen({"path": "/tmp/x", "port": None}) == tcp()  # step 11 first
    # Node: {path, port: true} listens on the path (port is neither number nor string).
    assert listen({"path": "/tmp/x", "port": True}) == unix("/tmp/x")
    assert listen({"path": "/tmp/x", "port": {}}) == unix("/tmp/x")


def test_handle_key_holding_options_replaces_them() -> None:
    # Node: options = options._handle || options.handle || options.
    assert listen({"handle": {"port": 0}}) == tcp()
    assert listen({"_handle": {"path": "/tmp/h"}, "handle": {"port": 0}}) == unix("/tmp/h")


def test_address_info_works_as_options() -> None:
    # Node: listen(other.address()) listens on that port ("address" is not "host").
    assert listen(AddressInfo("127.0.0.1", "IPv4", 8000)) == tcp(8000)


def test_handle_ignores_options_backlog_and_signal() -> None:
    # Node passes only backlogFromArgs to a shared handle, before checking signal.
    assert listen({"handle": HANDLE, "backlog": 13}) == HandleListen(HANDLE, DEFAULT_BACKLOG)
    assert listen({"handle": HANDLE, "backlog": 13}, 14) == HandleListen(HANDLE, 14)
    assert listen({"handle": HANDLE, "signal": "x"}) == HandleListen(HANDLE, DEFAULT_BACKLOG)
    assert listen({"fd": 7, "backlog": 5}) == FDListen(7, DEFAULT_BACKLOG)


# -- listen(): Python forms -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "request_"),
    [
        ((), {"port": 0, "host": "127.0.0.1"}, tcp(host="127.0.0.1")),
        ((), {"port": 8000}, tcp(8000)),
        ((), {"path": "/tmp/s", "backlog": 9}, unix("/tmp/s", 9)),
        ((), {"fd": 3}, FDListen(3, DEFAULT_BACKLOG)),
        ((8000,), {"host": "::1"}, tcp(8000, "::1")),
        ((8000, "127.0.0.1"), {"host": "::1"}, tcp(8000, "::1")),  # keywords win
        (("/tmp/s",), {"readableAll": True}, unix("/tmp/s", readableAll=True)),
        (({"port": 1},), {"port": 2}, tcp(2)),
        ((CB,), {"port": 8000}, tcp(8000)),  # listen(cb, port=8000) == listen({port}, cb)
        ((), {"port": 0, "callback": CB}, tcp()),
        ((), {"handle": HANDLE}, HandleListen(HANDLE, DEFAULT_BACKLOG)),
        ((), {"callback": CB}, tcp()),
        ((), {"port": 0, "backlog": 5}, tcp(backlog=5)),
        ((), {"port": 0, "signal": SIGNAL}, tcp(signal=SIGNAL)),
    ],
)
def test_listen_keyword_options(
    args: tuple[object, ...], kwargs: dict[str, object], request_: object
) -> None:
    assert listen(*args, **kwargs) == request_


def test_keyword_options_with_function_first_keep_the_callback() -> None:
    parsed = parseListenArgs((CB,), {"port": 8000})
    assert (parsed.callback, parsed.options, parsed.portDefaultsToZero) == (
        CB,
        {"port": 8000},
        False,
    )


def test_keyword_options_leave_the_options_dict_alone() -> None:
    options = {"port": 1}
    listen(options, port=2, host="::1")
    assert options == {"port": 1}


# -- listen(): endpoints (our extension) ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "request_"),
    [
        ((ENDPOINT,), {}, EndpointListen(ENDPOINT)),
        ((ENDPOINT, CB), {}, EndpointListen(ENDPOINT)),
        ((ENDPOINT,), {"signal": SIGNAL}, EndpointListen(ENDPOINT, SIGNAL)),
        (({"endpoint": ENDPOINT},), {}, EndpointListen(ENDPOINT)),
        (
            ({"endpoint": "tcp:8000:interface=127.0.0.1"},),
            {},
            EndpointListen("tcp:8000:interface=127.0.0.1"),
        ),
        (
            (),
            {"endpoint": "unix:/run/x.sock", "signal": SIGNAL},
            EndpointListen("unix:/run/x.sock", SIGNAL),
        ),
        # After handle and signal, before fd/port/path.
        (({"endpoint": "tcp:80", "port": 0, "fd": 3, "path": "/x"},), {}, EndpointListen("tcp:80")),
        (({"endpoint": "tcp:80", "handle": HANDLE},), {}, HandleListen(HANDLE, DEFAULT_BACKLOG)),
        (({"endpoint": None, "port": 0},), {}, tcp()),
        (({"handle": ENDPOINT},), {}, EndpointListen(ENDPOINT)),
    ],
)
def test_listen_endpoints(
    args: tuple[object, ...], kwargs: dict[str, object], request_: object
) -> None:
    assert listen(*args, **kwargs) == request_


def test_endpoint_string_without_the_key_is_a_path_or_port() -> None:
    # A bare string is Node's path or port, never an endpoint description.
    assert listen("tcp:8000") == unix("tcp:8000")


def test_endpoint_signal_is_validated() -> None:
    err = listenError({"endpoint": "tcp:0", "signal": "x"})
    assert err.code == "ERR_INVALID_ARG_TYPE"


@pytest.mark.parametrize(
    ("endpoint", "cls", "message"),
    [
        (
            5,
            errors.ERR_INVALID_ARG_TYPE,
            'The "options.endpoint" property must be of type string or an instance of '
            "IStreamServerEndpoint. Received type int (5)",
        ),
        (
            HANDLE,
            errors.ERR_INVALID_ARG_TYPE,
            'The "options.endpoint" property must be of type string or an instance of '
            "IStreamServerEndpoint. Received an instance of FakePort",
        ),
        (
            " ",
            errors.ERR_INVALID_ARG_VALUE,
            "The property 'options.endpoint' must be a non-empty endpoint description. "
            "Received ' '",
        ),
    ],
)
def test_bad_endpoint(endpoint: object, cls: type[errors.NodeError], message: str) -> None:
    err = listenError(endpoint=endpoint)
    assert isinstance(err, cls)
    assert isinstance(err, TypeError)
    assert str(err) == message


# -- listen(): errors ----------------------------------------------------------------

BAD_PORT = "options.port should be >= 0 and < 65536. Received {}."
NO_PORT_OR_PATH = 'The argument \'options\' must have the property "port" or "path". Received {}'
INVALID = "The argument 'options' is invalid. Received {}"
ABSTRACT = (
    "The argument 'options' can not set readableAll or writableAllt to true when path is "
    "abstract unix socket. Received {}"
)


@pytest.mark.parametrize(
    ("args", "received"),
    [
        # Bad numbers (Node: Received type number (-1)).
        ((-1,), "type int (-1)"),
        ((65536,), "type int (65536)"),
        ((1.5,), "type float (1.5)"),
        ((math.nan,), "type float (nan)"),
        ((math.inf,), "type float (inf)"),
        ((-math.inf,), "type float (-inf)"),
        ((2**32,), "type int (4294967296)"),
        ((10**400,), "type int (" + "1" + "0" * 24 + "...)"),
        ((-0.5,), "type float (-0.5)"),
        # Bad strings.
        (("1.5",), "type str ('1.5')"),
        (("",), "type str ('')"),
        ((" ",), "type str (' ')"),
        (("65536",), "type str ('65536')"),
        (("Infinity",), "type str ('Infinity')"),
        (("1e5",), "type str ('1e5')"),
        (("1e-7",), "type str ('1e-7')"),
        # No path fallback in the options form.
        (({"port": "abc"},), "type str ('abc')"),
        (({"port": "-1"},), "type str ('-1')"),
        (({"port": 1.5},), "type float (1.5)"),
        (({"port": ""},), "type str ('')"),
        # Port beats path.
        (({"port": -1, "path": "/tmp/x"},), "type int (-1)"),
        # Validated after step 11 and before the host.
        ((-1, "127.0.0.1", CB), "type int (-1)"),
    ],
)
def test_bad_port_raises_err_socket_bad_port(args: tuple[object, ...], received: str) -> None:
    err = listenError(*args)
    assert isinstance(err, errors.ERR_SOCKET_BAD_PORT)
    assert isinstance(err, ValueError)  # Node's RangeError
    assert err.code == "ERR_SOCKET_BAD_PORT"
    assert str(err) == err.message == BAD_PORT.format(received)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        # A bool is not a port (docs/differences.md).
        ((True,), {}, INVALID.format("{'port': True}")),
        ((False,), {}, INVALID.format("{'port': False}")),
        ((True, "x"), {}, INVALID.format("{'port': True, 'host': 'x'}")),
        (({"port": True},), {}, INVALID.format("{'port': True}")),
        (({"port": False},), {}, INVALID.format("{'port': False}")),
        ((), {"port": True}, INVALID.format("{'port': True}")),
        ((1j,), {}, INVALID.format("{'port': 1j}")),
        # Neither port nor path.
        (({},), {}, NO_PORT_OR_PATH.format("{}")),
        (({"host": "localhost"},), {}, NO_PORT_OR_PATH.format("{'host': 'localhost'}")),
        (({"exclusive": True},), {}, NO_PORT_OR_PATH.format("{'exclusive': True}")),
        (({"fd": -1},), {}, NO_PORT_OR_PATH.format("{'fd': -1}")),
        (({"fd": "3"},), {}, NO_PORT_OR_PATH.format("{'fd': '3'}")),
        (({"fd": True},), {}, NO_PORT_OR_PATH.format("{'fd': True}")),  # bool is no fd
        (({"ipv6Only": True},), {}, NO_PORT_OR_PATH.format("{'ipv6Only': True}")),
        (({"handle": None},), {}, NO_PORT_OR_PATH.format("{'handle': None}")),
        ((), {"host": "::"}, NO_PORT_OR_PATH.format("{'host': '::'}")),
        # Objects are options without keys, e.g. a server that is not listening.
        ((IDLE_SERVER,), {}, NO_PORT_OR_PATH.format("<Server not listening>")),
        (({"handle": IDLE_SERVER},), {}, NO_PORT_OR_PATH.format("<Server not listening>")),
        (({"handle": 5},), {}, NO_PORT_OR_PATH.format("5")),
        (([],), {}, NO_PORT_OR_PATH.format("[]")),
        ((b"/tmp/x",), {}, NO_PORT_OR_PATH.format("b'/tmp/x'")),
        # Bad paths.
        (({"path": -1},), {}, INVALID.format("{'path': -1}")),
        (({"path": "123"},), {}, INVALID.format("{'path': '123'}")),
        (({"path": ""},), {}, INVALID.format("{'path': ''}")),
        (({"path": " "},), {}, INVALID.format("{'path': ' '}")),
        (({"path": b"/tmp/x"},), {}, INVALID.format("{'path': b'/tmp/x'}")),
        # Abstract socket with a mode (Node's own typo included).
        (
            ({"path": "\0abs", "readableAll": True},),
            {},
            ABSTRACT.format("{'path': '\\x00abs', 'readableAll': True}"),
        ),
        (
            ({"path": "\0abs", "writableAll": 1},),
            {},
            ABSTRACT.format("{'path': '\\x00abs', 'writableAll': 1}"),
        ),
        (
            ("\0abs",),
            {"readableAll": "yes"},
            ABSTRACT.format("{'path': '\\x00abs', 'readableAll': 'yes'}"),
        ),
        # Ours: a fractional fd (Node fails it asynchronously with EINVAL).
        (({"fd": 3.5},), {}, "The property 'options.fd' must be an integer. Received 3.5"),
    ],
)
def test_invalid_options_raise_err_invalid_arg_value(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    err = listenError(*args, **kwargs)
    assert isinstance(err, errors.ERR_INVALID_ARG_VALUE)
    assert isinstance(err, TypeError)
    assert err.code == "ERR_INVALID_ARG_VALUE"
    assert str(err) == message


def test_long_received_is_cut_at_128_characters() -> None:
    options = {"host": "h" * 200}
    err = listenError(options)
    assert str(err) == NO_PORT_OR_PATH.format(repr(options)[:128] + "...")


def test_abstract_path_without_modes_is_fine() -> None:
    assert listen({"path": "\0abs", "readableAll": 0, "writableAll": False}) == unix("\0abs")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"port": 0, "signal": "x"},
            'The "options.signal" property must be an instance of AbortSignal. '
            "Received type str ('x')",
        ),
        # Signal (step 9) is checked before the port (step 12).
        (
            {"port": -1, "signal": 1},
            'The "options.signal" property must be an instance of AbortSignal. '
            "Received type int (1)",
        ),
        (
            {"path": "/x", "signal": object()},
            'The "options.signal" property must be an instance of AbortSignal. '
            "Received an instance of object",
        ),
        (
            {"fd": 3, "signal": False},
            'The "options.signal" property must be an instance of AbortSignal. '
            "Received type bool (False)",
        ),
        # Node's dns.lookup wants a string host, synchronously.
        (
            {"port": 0, "host": 5},
            'The "hostname" argument must be of type string. Received type int (5)',
        ),
        (
            {"port": 0, "host": True},
            'The "hostname" argument must be of type string. Received type bool (True)',
        ),
        (
            {"port": 0, "host": {}},
            'The "hostname" argument must be of type string. Received an instance of dict',
        ),
    ],
)
def test_bad_signal_or_host_raise_err_invalid_arg_type(
    options: dict[str, object], message: str
) -> None:
    err = listenError(options)
    assert isinstance(err, errors.ERR_INVALID_ARG_TYPE)
    assert isinstance(err, TypeError)
    assert err.code == "ERR_INVALID_ARG_TYPE"
    assert str(err) == message


def test_signal_is_kept_on_the_request() -> None:
    assert listen({"port": 0, "signal": SIGNAL}).signal is SIGNAL  # type: ignore[union-attr]
    assert listen({"path": "/x", "signal": SIGNAL}) == unix("/x", signal=SIGNAL)
    assert listen({"fd": 4, "signal": SIGNAL}) == FDListen(4, DEFAULT_BACKLOG, SIGNAL)
    # None is Node's undefined: no signal.
    assert listen({"port": 0, "signal": None}) == tcp()


def test_real_abort_signal_is_accepted() -> None:
    abort = pytest.importorskip("txnetserver._abort")
    signal = abort.AbortController().signal
    assert listen(0, signal=signal) == tcp(signal=signal)


def test_callback_survives_a_failing_resolve() -> None:
    # The Server registers parsed.callback before resolving.
    parsed = parseListenArgs((-1, CB), {})
    assert parsed.callback is CB
    with pytest.raises(errors.ERR_SOCKET_BAD_PORT):
        resolveListenRequest(parsed)


# -- backlog: Node's `backlog || 511`, as V8's int32 ----------------------------------


@pytest.mark.parametrize(
    ("args", "backlog"),
    [
        # Kernel backlogs observed with `ss -ltn` for Node v20 listeners.
        (({"port": 0, "backlog": 5},), 5),
        (({"port": 0, "backlog": "5"},), 5),
        (({"port": 0, "backlog": 1.5},), 1),
        (({"port": 0, "backlog": "abc"},), 0),
        (({"port": 0, "backlog": True},), 1),
        (({"port": 0, "backlog": 2**32 + 5},), 5),
        (({"port": 0, "backlog": -0.5},), 0),
        (({"port": 0, "backlog": {}},), 0),
        (({"port": 0, "backlog": []},), 0),  # an object, truthy in JS
        # Negative: Linux caps it to somaxconn, which socket.listen() cannot express.
        (({"port": 0, "backlog": -1},), LISTEN_BACKLOG_SOMAXCONN),
        (({"port": 0, "backlog": 2**31},), LISTEN_BACKLOG_SOMAXCONN),
        ((0, -1), DEFAULT_BACKLOG),  # positional negatives are dropped by toNumber
        ((0, 2**31), LISTEN_BACKLOG_SOMAXCONN),
        ((0, math.inf), 0),
        ((0, 0), DEFAULT_BACKLOG),
        (({"port": 0, "backlog": 0}, 9), 9),
        (({"port": 0, "backlog": math.nan}, 9), 9),
        (({"port": 0, "backlog": None}, 9), 9),
        (({"port": 0, "backlog": 3}, 9), 3),
    ],
)
def test_backlog_is_what_node_hands_to_listen(args: tuple[object, ...], backlog: int) -> None:
    request = listen(*args)
    assert isinstance(request, TCPListen)
    assert request.backlog == backlog
    assert type(request.backlog) is int


# -- properties ------------------------------------------------------------------


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["0", "8000", "0x10", "/tmp/x", "\0abs", "", "-1", "1e3", " "]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)
_OPTION_KEYS = [
    "port",
    "host",
    "path",
    "backlog",
    "fd",
    "handle",
    "_handle",
    "exclusive",
    "ipv6Only",
    "reusePort",
    "readableAll",
    "writableAll",
    "signal",
    "endpoint",
]
_options = st.dictionaries(st.sampled_from(_OPTION_KEYS), _json | st.just(CB), max_size=5)
_arg = _json | _options | st.sampled_from([CB, HANDLE, LISTENING_SERVER, IDLE_SERVER, ENDPOINT])


@given(args=st.lists(_arg, max_size=4), kwargs=_options)
def test_parse_and_resolve_raise_only_node_errors_and_never_mutate(
    args: list[object], kwargs: dict[str, object]
) -> None:
    shared = {id(o): o for o in (CB, HANDLE, LISTENING_SERVER, IDLE_SERVER, ENDPOINT)}
    before = deepcopy((args, kwargs), shared)
    parsed = parseListenArgs(tuple(args), kwargs)
    try:
        request = resolveListenRequest(parsed)
    except errors.NodeError:
        pass
    else:
        assert isinstance(request, (TCPListen, UNIXListen, FDListen, HandleListen, EndpointListen))
        if isinstance(request, (TCPListen, FDListen, HandleListen, UNIXListen)):
            assert type(request.backlog) is int and request.backlog >= 0
    assert (args, kwargs) == before or _hasNan(before)


def _hasNan(value: object) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Mapping):
        return any(_hasNan(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_hasNan(v) for v in value)
    return False


@given(port=st.integers(0, 65535))
def test_every_valid_port_round_trips(port: int) -> None:
    forms: list[Callable[[], ListenRequest]] = [
        lambda: listen(port),
        lambda: listen(float(port)),
        lambda: listen(str(port)),
        lambda: listen(hex(port)),
        lambda: listen({"port": port}),
        lambda: listen({"port": str(port), "path": "/ignored"}),
        lambda: listen(port=port),
        lambda: listen(port, "127.0.0.1", CB),
    ]
    for form in forms:
        request = form()
        assert isinstance(request, TCPListen)
        assert request.port == port
        assert type(request.port) is int


@given(port=st.integers().filter(lambda p: not 0 <= p <= 65535))
def test_every_out_of_range_int_port_is_a_bad_port(port: int) -> None:
    with pytest.raises(errors.ERR_SOCKET_BAD_PORT):
        listen(port)


@given(st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: not f.is_integer()))
def test_fractional_ports_are_bad(port: float) -> None:
    with pytest.raises(errors.ERR_SOCKET_BAD_PORT):
        listen({"port": port})


# -- differential: Node v20 outcomes ------------------------------------------------

# Generated with Node v20.20.2: each JS call ran on a net.Server whose _listen2 and
# dns.lookup were stubbed to record (port, host, path, fd, backlog || 511 | 0) and
# whether a 'listening' callback was registered; H is an unbound tcp_wrap TCP handle.
# Outcomes: ("tcp", port, host, backlog, cb), ("unix", path, backlog, cb),
# ("fd", fd, backlog, cb), ("handle", backlog, cb) or ("throws", code).
NODE_OUTCOMES: list[tuple[str, Callable[[], tuple[object, ...]], tuple[object, ...]]] = [
    ("listen()", lambda: (), ("tcp", 0, None, 511, False)),
    ("listen(CB)", lambda: (CB,), ("tcp", 0, None, 511, True)),
    ("listen(0)", lambda: (0,), ("tcp", 0, None, 511, False)),
    (
        "listen(null, CB)",
        lambda: (
            None,
            CB,
        ),
        ("tcp", 0, None, 511, True),
    ),
    (
        "listen(undefined, CB)",
        lambda: (
            None,
            CB,
        ),
        ("tcp", 0, None, 511, True),
    ),
    (
        "listen('0', CB)",
        lambda: (
            "0",
            CB,
        ),
        ("tcp", 0, None, 511, True),
    ),
    (
        "listen(0, '127.0.0.1', CB)",
        lambda: (
            0,
            "127.0.0.1",
            CB,
        ),
        ("tcp", 0, "127.0.0.1", 511, True),
    ),
    (
        "listen(0, '::1')",
        lambda: (
            0,
            "::1",
        ),
        ("tcp", 0, "::1", 511, False),
    ),
    (
        "listen(0, 'localhost')",
        lambda: (
            0,
            "localhost",
        ),
        ("tcp", 0, "localhost", 511, False),
    ),
    (
        "listen(0, '')",
        lambda: (
            0,
            "",
        ),
        ("tcp", 0, None, 511, False),
    ),
    (
        "listen(0, 5, CB)",
        lambda: (
            0,
            5,
            CB,
        ),
        ("tcp", 0, None, 5, True),
    ),
    (
        "listen(0, '127.0.0.1', 5, CB)",
        lambda: (
            0,
            "127.0.0.1",
            5,
            CB,
        ),
        ("tcp", 0, "127.0.0.1", 5, True),
    ),
    (
        "listen({port: 0, host: '127.0.0.1'}, CB)",
        lambda: (
            {"port": 0, "host": "127.0.0.1"},
            CB,
        ),
        ("tcp", 0, "127.0.0.1", 511, True),
    ),
    ("listen({port: undefined})", lambda: ({"port": None},), ("tcp", 0, None, 511, False)),
    ("listen({port: null})", lambda: ({"port": None},), ("tcp", 0, None, 511, False)),
    ("listen({port: '0'})", lambda: ({"port": "0"},), ("tcp", 0, None, 511, False)),
    ("listen('8000')", lambda: ("8000",), ("tcp", 8000, None, 511, False)),
    ("listen('0x1F90')", lambda: ("0x1F90",), ("tcp", 8080, None, 511, False)),
    ("listen('1e3')", lambda: ("1e3",), ("tcp", 1000, None, 511, False)),
    ("listen(' 80 ')", lambda: (" 80 ",), ("tcp", 80, None, 511, False)),
    ("listen('+82')", lambda: ("+82",), ("tcp", 82, None, 511, False)),
    ("listen('-0')", lambda: ("-0",), ("tcp", 0, None, 511, False)),
    ("listen(8000.0)", lambda: (8000.0,), ("tcp", 8000, None, 511, False)),
    ("listen('abc')", lambda: ("abc",), ("unix", "abc", 511, False)),
    ("listen('-1')", lambda: ("-1",), ("unix", "-1", 511, False)),
    ("listen('0x')", lambda: ("0x",), ("unix", "0x", 511, False)),
    ("listen('1_000')", lambda: ("1_000",), ("unix", "1_000", 511, False)),
    (
        "listen('/tmp/x.sock', 7)",
        lambda: (
            "/tmp/x.sock",
            7,
        ),
        ("unix", "/tmp/x.sock", 7, False),
    ),
    (
        "listen('/tmp/x.sock', '127.0.0.1')",
        lambda: (
            "/tmp/x.sock",
            "127.0.0.1",
        ),
        ("unix", "/tmp/x.sock", 511, False),
    ),
    (
        "listen(0, CB, 'extra')",
        lambda: (
            0,
            CB,
            "extra",
        ),
        ("tcp", 0, None, 511, False),
    ),
    (
        "listen(CB, 5)",
        lambda: (
            CB,
            5,
        ),
        ("tcp", 0, None, 5, False),
    ),
    (
        "listen(null, '127.0.0.1')",
        lambda: (
            None,
            "127.0.0.1",
        ),
        ("tcp", 0, "127.0.0.1", 511, False),
    ),
    (
        "listen(undefined, 7)",
        lambda: (
            None,
            7,
        ),
        ("tcp", 0, None, 7, False),
    ),
    ("listen(-1)", lambda: (-1,), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen(65536)", lambda: (65536,), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen(1.5)", lambda: (1.5,), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen(NaN)", lambda: (float("nan"),), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen(Infinity)", lambda: (float("inf"),), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen(-Infinity)", lambda: (float("-inf"),), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen(2 ** 32)", lambda: (2**32,), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen('1.5')", lambda: ("1.5",), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen('')", lambda: ("",), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen(' ')", lambda: (" ",), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen('65536')", lambda: ("65536",), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen('Infinity')", lambda: ("Infinity",), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen('1e5')", lambda: ("1e5",), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen({port: 'abc'})", lambda: ({"port": "abc"},), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen({port: '-1'})", lambda: ({"port": "-1"},), ("throws", "ERR_SOCKET_BAD_PORT")),
    ("listen({port: 1.5})", lambda: ({"port": 1.5},), ("throws", "ERR_SOCKET_BAD_PORT")),
    (
        "listen({port: -1, path: '/tmp/x'})",
        lambda: ({"port": -1, "path": "/tmp/x"},),
        ("throws", "ERR_SOCKET_BAD_PORT"),
    ),
    ("listen(true)", lambda: (True,), ("throws", "ERR_INVALID_ARG_VALUE")),
    ("listen(false)", lambda: (False,), ("throws", "ERR_INVALID_ARG_VALUE")),
    ("listen({port: true})", lambda: ({"port": True},), ("throws", "ERR_INVALID_ARG_VALUE")),
    ("listen({port: false})", lambda: ({"port": False},), ("throws", "ERR_INVALID_ARG_VALUE")),
    ("listen({})", lambda: ({},), ("throws", "ERR_INVALID_ARG_VALUE")),
    (
        "listen({host: 'localhost'})",
        lambda: ({"host": "localhost"},),
        ("throws", "ERR_INVALID_ARG_VALUE"),
    ),
    (
        "listen({exclusive: true})",
        lambda: ({"exclusive": True},),
        ("throws", "ERR_INVALID_ARG_VALUE"),
    ),
    (
        "listen({ipv6Only: true})",
        lambda: ({"ipv6Only": True},),
        ("throws", "ERR_INVALID_ARG_VALUE"),
    ),
    ("listen({fd: -1})", lambda: ({"fd": -1},), ("throws", "ERR_INVALID_ARG_VALUE")),
    ("listen({path: -1})", lambda: ({"path": -1},), ("throws", "ERR_INVALID_ARG_VALUE")),
    ("listen({path: '123'})", lambda: ({"path": "123"},), ("throws", "ERR_INVALID_ARG_VALUE")),
    ("listen({path: ''})", lambda: ({"path": ""},), ("throws", "ERR_INVALID_ARG_VALUE")),
    ("listen({path: ' '})", lambda: ({"path": " "},), ("throws", "ERR_INVALID_ARG_VALUE")),
    ("listen({path: '0x10'})", lambda: ({"path": "0x10"},), ("throws", "ERR_INVALID_ARG_VALUE")),
    (
        "listen({path: '/tmp/x', port: true})",
        lambda: ({"path": "/tmp/x", "port": True},),
        ("unix", "/tmp/x", 511, False),
    ),
    (
        "listen({path: '/tmp/x', port: undefined})",
        lambda: ({"path": "/tmp/x", "port": None},),
        ("tcp", 0, None, 511, False),
    ),
    (
        "listen({path: '/tmp/x', backlog: 6}, 4)",
        lambda: (
            {"path": "/tmp/x", "backlog": 6},
            4,
        ),
        ("unix", "/tmp/x", 6, False),
    ),
    (
        "listen({path: '\\0abs', readableAll: true})",
        lambda: ({"path": "\0abs", "readableAll": True},),
        ("throws", "ERR_INVALID_ARG_VALUE"),
    ),
    (
        "listen({path: '\\0abs', writableAll: 1})",
        lambda: ({"path": "\0abs", "writableAll": 1},),
        ("throws", "ERR_INVALID_ARG_VALUE"),
    ),
    (
        "listen({path: '\\0abs', readableAll: 0})",
        lambda: ({"path": "\0abs", "readableAll": 0},),
        ("unix", "\x00abs", 511, False),
    ),
    (
        "listen({port: 0, signal: 'x'})",
        lambda: ({"port": 0, "signal": "x"},),
        ("throws", "ERR_INVALID_ARG_TYPE"),
    ),
    (
        "listen({port: -1, signal: 'x'})",
        lambda: ({"port": -1, "signal": "x"},),
        ("throws", "ERR_INVALID_ARG_TYPE"),
    ),
    (
        "listen({port: 0, host: 5})",
        lambda: ({"port": 0, "host": 5},),
        ("throws", "ERR_INVALID_ARG_TYPE"),
    ),
    (
        "listen({port: 0, host: true})",
        lambda: ({"port": 0, "host": True},),
        ("throws", "ERR_INVALID_ARG_TYPE"),
    ),
    ("listen({port: 0, host: 0})", lambda: ({"port": 0, "host": 0},), ("tcp", 0, None, 511, False)),
    (
        "listen({port: 0, host: false})",
        lambda: ({"port": 0, "host": False},),
        ("tcp", 0, None, 511, False),
    ),
    (
        "listen({port: 0, backlog: '5'})",
        lambda: ({"port": 0, "backlog": "5"},),
        ("tcp", 0, None, 5, False),
    ),
    (
        "listen({port: 0, backlog: -1})",
        lambda: ({"port": 0, "backlog": -1},),
        ("tcp", 0, None, -1, False),
    ),
    (
        "listen({port: 0, backlog: 1.5})",
        lambda: ({"port": 0, "backlog": 1.5},),
        ("tcp", 0, None, 1, False),
    ),
    (
        "listen({port: 0, backlog: 'abc'})",
        lambda: ({"port": 0, "backlog": "abc"},),
        ("tcp", 0, None, 0, False),
    ),
    (
        "listen({port: 0, backlog: NaN}, 9)",
        lambda: (
            {"port": 0, "backlog": float("nan")},
            9,
        ),
        ("tcp", 0, None, 9, False),
    ),
    (
        "listen({port: 0, backlog: 0}, 9)",
        lambda: (
            {"port": 0, "backlog": 0},
            9,
        ),
        ("tcp", 0, None, 9, False),
    ),
    (
        "listen({port: 0, backlog: true})",
        lambda: ({"port": 0, "backlog": True},),
        ("tcp", 0, None, 1, False),
    ),
    (
        "listen({port: 0, backlog: 2 ** 32 + 5})",
        lambda: ({"port": 0, "backlog": 2**32 + 5},),
        ("tcp", 0, None, 5, False),
    ),
    (
        "listen({port: 0, backlog: -0.5})",
        lambda: ({"port": 0, "backlog": -0.5},),
        ("tcp", 0, None, 0, False),
    ),
    (
        "listen({port: 0, backlog: 3}, 9)",
        lambda: (
            {"port": 0, "backlog": 3},
            9,
        ),
        ("tcp", 0, None, 3, False),
    ),
    (
        "listen({port: 0}, 9, 8)",
        lambda: (
            {"port": 0},
            9,
            8,
        ),
        ("tcp", 0, None, 9, False),
    ),
    (
        "listen({port: 0}, 'x', 8)",
        lambda: (
            {"port": 0},
            "x",
            8,
        ),
        ("tcp", 0, None, 8, False),
    ),
    (
        "listen(0, true)",
        lambda: (
            0,
            True,
        ),
        ("tcp", 0, None, 1, False),
    ),
    (
        "listen(0, -1)",
        lambda: (
            0,
            -1,
        ),
        ("tcp", 0, None, 511, False),
    ),
    (
        "listen(0, 1.5)",
        lambda: (
            0,
            1.5,
        ),
        ("tcp", 0, None, 1, False),
    ),
    (
        "listen(0, Infinity)",
        lambda: (
            0,
            float("inf"),
        ),
        ("tcp", 0, None, 0, False),
    ),
    (
        "listen(0, 0)",
        lambda: (
            0,
            0,
        ),
        ("tcp", 0, None, 511, False),
    ),
    (
        "listen(0, null, 7)",
        lambda: (
            0,
            None,
            7,
        ),
        ("tcp", 0, None, 7, False),
    ),
    (
        "listen(0, '', 7)",
        lambda: (
            0,
            "",
            7,
        ),
        ("tcp", 0, None, 7, False),
    ),
    (
        "listen(0, 2 ** 31)",
        lambda: (
            0,
            2**31,
        ),
        ("tcp", 0, None, -2147483648, False),
    ),
    ("listen({fd: 7})", lambda: ({"fd": 7},), ("fd", 7, 511, False)),
    ("listen({fd: 7, backlog: 5})", lambda: ({"fd": 7, "backlog": 5},), ("fd", 7, 511, False)),
    (
        "listen({fd: 7}, 6)",
        lambda: (
            {"fd": 7},
            6,
        ),
        ("fd", 7, 6, False),
    ),
    ("listen({fd: 7.0})", lambda: ({"fd": 7.0},), ("fd", 7, 511, False)),
    ("listen({fd: '3'})", lambda: ({"fd": "3"},), ("throws", "ERR_INVALID_ARG_VALUE")),
    ("listen({fd: NaN})", lambda: ({"fd": float("nan")},), ("throws", "ERR_INVALID_ARG_VALUE")),
    ("listen({fd: -1, port: 0})", lambda: ({"fd": -1, "port": 0},), ("tcp", 0, None, 511, False)),
    ("listen({fd: 7, port: 0})", lambda: ({"fd": 7, "port": 0},), ("fd", 7, 511, False)),
    ("listen(H)", lambda: (HANDLE,), ("handle", 511, False)),
    (
        "listen(H, 12)",
        lambda: (
            HANDLE,
            12,
        ),
        ("handle", 12, False),
    ),
    ("listen({handle: H})", lambda: ({"handle": HANDLE},), ("handle", 511, False)),
    ("listen({_handle: H})", lambda: ({"_handle": HANDLE},), ("handle", 511, False)),
    (
        "listen({handle: H, backlog: 13})",
        lambda: ({"handle": HANDLE, "backlog": 13},),
        ("handle", 511, False),
    ),
    (
        "listen({handle: H, backlog: 13}, 14)",
        lambda: (
            {"handle": HANDLE, "backlog": 13},
            14,
        ),
        ("handle", 14, False),
    ),
    (
        "listen({handle: H, signal: 'x'})",
        lambda: ({"handle": HANDLE, "signal": "x"},),
        ("handle", 511, False),
    ),
    (
        "listen({handle: {port: 0}})",
        lambda: ({"handle": {"port": 0}},),
        ("tcp", 0, None, 511, False),
    ),
    ("listen({handle: null})", lambda: ({"handle": None},), ("throws", "ERR_INVALID_ARG_VALUE")),
    (
        "listen({_handle: {path: '/tmp/h'}, handle: {port: 0}})",
        lambda: ({"_handle": {"path": "/tmp/h"}, "handle": {"port": 0}},),
        ("unix", "/tmp/h", 511, False),
    ),
    ("listen(net.createServer())", lambda: (IDLE_SERVER,), ("throws", "ERR_INVALID_ARG_VALUE")),
    (
        "listen({handle: net.createServer()})",
        lambda: ({"handle": IDLE_SERVER},),
        ("throws", "ERR_INVALID_ARG_VALUE"),
    ),
    ("listen([])", lambda: ([],), ("throws", "ERR_INVALID_ARG_VALUE")),
]


def _kernelBacklog(nodeBacklog: object) -> object:
    """Node hands int32 backlogs to listen(2); Linux reads negatives as somaxconn."""
    if isinstance(nodeBacklog, int) and nodeBacklog < 0:
        return LISTEN_BACKLOG_SOMAXCONN
    return nodeBacklog


def _outcome(args: tuple[object, ...]) -> tuple[object, ...]:
    parsed = parseListenArgs(args, {})
    cb = parsed.callback is not None
    try:
        request = resolveListenRequest(parsed)
    except errors.NodeError as e:
        return ("throws", e.code)
    if isinstance(request, TCPListen):
        return ("tcp", request.port, request.host, request.backlog, cb)
    if isinstance(request, UNIXListen):
        return ("unix", request.path, request.backlog, cb)
    if isinstance(request, FDListen):
        return ("fd", request.fd, request.backlog, cb)
    assert isinstance(request, HandleListen)
    return ("handle", request.backlog, cb)


@pytest.mark.parametrize(
    ("js", "args", "node"), NODE_OUTCOMES, ids=[row[0] for row in NODE_OUTCOMES]
)
def test_same_outcome_as_node(
    js: str, args: Callable[[], tuple[object, ...]], node: tuple[object, ...]
) -> None:
    # The backlog is always second to last.
    expected = tuple(_kernelBacklog(v) if i == len(node) - 2 else v for i, v in enumerate(node))
    assert _outcome(args()) == expected
