"""
Tests for txnetserver._maxlisteners: Node v20's listener limit, the
validation of ``setMaxListeners`` and ``EventEmitter.defaultMaxListeners``
(which is live for emitters without their own limit), and
``MaxListenersExceededWarning``.
"""

from __future__ import annotations

import math
import pickle
import warnings
from collections.abc import Callable, Generator

import pytest

from txnetserver._errors import ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE
from txnetserver._events import EventEmitter, errorMonitor
from txnetserver._maxlisteners import MaxListenersExceededWarning

from ._loopback import noop, recorder


@pytest.fixture
def restoreDefaultMaxListeners() -> Generator[None, None, None]:
    before = EventEmitter.defaultMaxListeners
    try:
        yield
    finally:
        EventEmitter.defaultMaxListeners = before


# -- setMaxListeners validation -----------------------------------------------


@pytest.mark.parametrize(("value", "received"), [(-1, "-1"), (float("nan"), "nan"), (-0.5, "-0.5")])
def test_set_max_listeners_rejects_negative_and_nan(value: float, received: str) -> None:
    with pytest.raises(ERR_OUT_OF_RANGE) as info:
        EventEmitter().setMaxListeners(value)
    assert isinstance(info.value, ValueError)
    assert info.value.code == "ERR_OUT_OF_RANGE"
    assert str(info.value) == (
        f'The value of "setMaxListeners" is out of range. It must be >= 0. Received {received}'
    )


@pytest.mark.parametrize(
    ("value", "received"),
    [("5", "type str ('5')"), (True, "type bool (True)"), (None, "None")],
)
def test_set_max_listeners_rejects_non_numbers(value: object, received: str) -> None:
    with pytest.raises(ERR_INVALID_ARG_TYPE) as info:
        EventEmitter().setMaxListeners(value)  # type: ignore[arg-type]
    assert str(info.value) == (
        f'The "setMaxListeners" argument must be of type number. Received {received}'
    )


@pytest.mark.parametrize("value", [math.inf, 0, 2.5, 20])
def test_set_max_listeners_accepts_zero_fractions_and_infinity(value: float) -> None:
    e = EventEmitter()
    assert e.setMaxListeners(value) is e
    assert e.getMaxListeners() == value


@pytest.mark.usefixtures("restoreDefaultMaxListeners")
def test_default_max_listeners_assignment_is_validated() -> None:
    with pytest.raises(ERR_OUT_OF_RANGE) as info:
        EventEmitter.defaultMaxListeners = -1
    assert str(info.value) == (
        'The value of "defaultMaxListeners" is out of range. It must be >= 0. Received -1'
    )
    with pytest.raises(ERR_INVALID_ARG_TYPE) as typeInfo:
        EventEmitter.defaultMaxListeners = "5"  # type: ignore[assignment]
    assert str(typeInfo.value) == (
        "The \"defaultMaxListeners\" argument must be of type number. Received type str ('5')"
    )
    assert EventEmitter.defaultMaxListeners == 10


# -- defaultMaxListeners is live ----------------------------------------------


@pytest.mark.usefixtures("restoreDefaultMaxListeners")
def test_default_max_listeners_is_live_for_emitters_without_their_own() -> None:
    e, own = EventEmitter(), EventEmitter().setMaxListeners(5)
    assert e.getMaxListeners() == 10
    EventEmitter.defaultMaxListeners = 3
    assert e.getMaxListeners() == 3
    assert own.getMaxListeners() == 5

    class Sub(EventEmitter):
        pass

    # Assigning through a subclass sets the shared default, as in Node.
    Sub.defaultMaxListeners = 4
    assert EventEmitter.defaultMaxListeners == 4
    assert e.getMaxListeners() == 4


@pytest.mark.usefixtures("restoreDefaultMaxListeners")
def test_default_max_listeners_change_applies_to_warnings() -> None:
    EventEmitter.defaultMaxListeners = 1
    with pytest.warns(MaxListenersExceededWarning, match="MaxListeners is 1"):
        EventEmitter().on("x", noop).on("x", noop)


# -- MaxListenersExceededWarning -----------------------------------------------


def recordWarnings(action: Callable[[], object]) -> list[MaxListenersExceededWarning]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    found = [w.message for w in caught if isinstance(w.message, MaxListenersExceededWarning)]
    assert len(found) == len(caught)
    return found


def test_eleventh_listener_warns_once_with_nodes_message() -> None:
    e = EventEmitter()

    def add() -> None:
        for _ in range(12):
            e.on("foo", noop)

    [warning] = recordWarnings(add)
    assert isinstance(warning, Warning)
    assert str(warning) == (
        "Possible EventEmitter memory leak detected. 11 foo listeners added to "
        "[EventEmitter]. MaxListeners is 10. Use emitter.setMaxListeners() to increase limit"
    )
    assert warning.name == "MaxListenersExceededWarning"
    assert warning.emitter is e
    assert warning.type == "foo"
    assert warning.count == 11
    assert pickle.loads(pickle.dumps(MaxListenersExceededWarning("m"))).message == "m"


def test_warning_points_at_the_code_adding_the_listener() -> None:
    e = EventEmitter().setMaxListeners(1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        e.on("x", noop)
        e.once("x", noop)
    [record] = caught
    assert record.filename == __file__


def test_each_name_warns_separately_and_symbols_render_like_node() -> None:
    e = EventEmitter()
    e2 = EventEmitter().setMaxListeners(1)

    def add() -> None:
        for _ in range(11):
            e.on("foo", noop)
        for _ in range(11):
            e.prependListener("bar", noop)
        for _ in range(3):
            e2.once(errorMonitor, noop)

    found = recordWarnings(add)
    assert [(w.type, w.count) for w in found] == [("foo", 11), ("bar", 11), (errorMonitor, 2)]
    assert "2 Symbol(events.errorMonitor) listeners" in str(found[2])
    assert "MaxListeners is 1." in str(found[2])


def test_subclass_emitters_render_with_their_class_name() -> None:
    class Server(EventEmitter):
        pass

    s = Server().setMaxListeners(1)
    [warning] = recordWarnings(lambda: s.on("connection", noop).on("connection", noop))
    assert "2 connection listeners added to [Server]. MaxListeners is 1." in str(warning)


@pytest.mark.parametrize("limit", [0, math.inf])
def test_zero_and_infinity_never_warn(limit: float) -> None:
    e = EventEmitter().setMaxListeners(limit)

    def add() -> None:
        for _ in range(50):
            e.on("z", noop)

    assert recordWarnings(add) == []


def test_shrinking_to_one_listener_and_regrowing_warns_again() -> None:
    e = EventEmitter().setMaxListeners(1)
    second = recorder([], "second")

    def add() -> None:
        e.on("w", noop).on("w", second)
        e.removeListener("w", second)
        e.on("w", second)

    assert [w.count for w in recordWarnings(add)] == [2, 2]


def test_removal_that_keeps_a_list_does_not_warn_again() -> None:
    e = EventEmitter().setMaxListeners(2)
    fns = [recorder([], str(i)) for i in range(4)]

    def add() -> None:
        e.on("q", fns[0]).on("q", fns[1]).on("q", fns[2])
        e.removeListener("q", fns[2])
        e.on("q", fns[3])

    assert [w.count for w in recordWarnings(add)] == [3]


def test_remove_all_listeners_resets_the_warning() -> None:
    e = EventEmitter().setMaxListeners(1)

    def add() -> None:
        e.on("q", noop).on("q", noop)
        e.removeAllListeners("q")
        e.on("q", noop).on("q", noop)
        e.removeAllListeners()
        e.on("q", noop).on("q", noop)

    assert [w.count for w in recordWarnings(add)] == [2, 2, 2]


def test_fractional_limits_compare_like_node() -> None:
    e = EventEmitter().setMaxListeners(2.5)
    half = EventEmitter().setMaxListeners(0.5)

    def add() -> None:
        e.on("r", noop).on("r", noop).on("r", noop)
        half.on("q", noop)  # a single listener is never checked

    [warning] = recordWarnings(add)
    assert "3 r listeners" in str(warning)
    assert "MaxListeners is 2.5." in str(warning)
