"""Tests for txnetserver._abort: Node's AbortController and AbortSignal."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from collections.abc import Iterator
from typing import cast

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.logger import ILogObserver, LogEvent, globalLogPublisher

from txnetserver import errors
from txnetserver._abort import (
    ERR_ILLEGAL_CONSTRUCTOR,
    AbortController,
    AbortSignal,
    AddEventListenerArgumentTypeWarning,
    Event,
)


@pytest.fixture
def logged() -> Iterator[list[LogEvent]]:
    """The events logged through twisted.logger while the test runs."""
    events: list[LogEvent] = []
    observer = cast(ILogObserver, events.append)
    globalLogPublisher.addObserver(observer)
    try:
        yield events
    finally:
        globalLogPublisher.removeObserver(observer)


def _failures(events: list[LogEvent]) -> list[BaseException]:
    return [event["log_failure"].value for event in events if "log_failure" in event]


# -- AbortController ---------------------------------------------------------------


def test_new_signal_is_not_aborted_and_has_no_reason() -> None:
    signal = AbortController().signal
    assert signal.aborted is False
    assert signal.reason is None
    signal.throwIfAborted()


def test_abort_without_reason_uses_nodes_abort_error() -> None:
    controller = AbortController()
    controller.abort()
    reason = controller.signal.reason
    assert controller.signal.aborted is True
    assert isinstance(reason, errors.AbortError)
    assert reason.name == "AbortError"
    assert str(reason) == "This operation was aborted"


def test_abort_with_none_is_abort_without_reason() -> None:
    # Python's None stands for both of JavaScript's undefined and null.
    controller = AbortController()
    controller.abort(None)
    assert isinstance(controller.signal.reason, errors.AbortError)


def test_abort_keeps_the_given_reason() -> None:
    controller = AbortController()
    controller.abort("shutting down")
    assert controller.signal.reason == "shutting down"


def test_second_abort_changes_nothing_and_fires_nothing() -> None:
    controller = AbortController()
    calls: list[Event] = []
    controller.signal.addEventListener("abort", calls.append)
    controller.abort("first")
    controller.abort("second")
    assert controller.signal.reason == "first"
    assert len(calls) == 1


def test_abort_runs_listeners_before_it_returns() -> None:
    controller = AbortController()
    calls: list[str] = []
    controller.signal.addEventListener("abort", lambda event: calls.append("listener"))
    controller.abort()
    calls.append("returned")
    assert calls == ["listener", "returned"]


def test_abort_inside_a_listener_is_a_no_op() -> None:
    controller = AbortController()
    seen: list[object] = []

    def reenter(event: Event) -> None:
        seen.append(controller.signal.aborted)
        controller.abort("again")
        seen.append(controller.signal.reason)

    controller.signal.addEventListener("abort", reenter)
    controller.abort("once")
    assert seen == [True, "once"]


def test_signal_cannot_be_constructed_directly() -> None:
    # observed with Node v20: new AbortSignal() -> TypeError [ERR_ILLEGAL_CONSTRUCTOR]
    with pytest.raises(ERR_ILLEGAL_CONSTRUCTOR) as caught:
        AbortSignal()
    assert isinstance(caught.value, TypeError)
    assert caught.value.code == "ERR_ILLEGAL_CONSTRUCTOR"
    assert str(caught.value) == "Illegal constructor"


def test_reprs_show_the_state() -> None:
    controller = AbortController()
    assert repr(controller.signal) == "AbortSignal(aborted=False)"
    controller.abort()
    assert repr(controller) == "AbortController(signal=AbortSignal(aborted=True))"


# -- throwIfAborted ----------------------------------------------------------------


def test_throw_if_aborted_raises_the_reason_itself() -> None:
    controller = AbortController()
    reason = ValueError("stop")
    controller.abort(reason)
    with pytest.raises(ValueError) as caught:
        controller.signal.throwIfAborted()
    assert caught.value is reason


def test_throw_if_aborted_wraps_a_reason_that_is_not_an_exception() -> None:
    # Node throws the bare value; Python can only raise exceptions.
    controller = AbortController()
    controller.abort("str reason")
    with pytest.raises(errors.AbortError) as caught:
        controller.signal.throwIfAborted()
    assert caught.value.cause == "str reason"
    assert str(caught.value) == "This operation was aborted"


# -- listeners -----------------------------------------------------------------------


def test_listener_gets_an_abort_event_targeting_the_signal() -> None:
    controller = AbortController()
    events: list[Event] = []
    controller.signal.addEventListener("abort", events.append)
    controller.abort()
    [event] = events
    assert event.type == "abort"
    assert event.target is controller.signal
    assert event.currentTarget is controller.signal
    assert event.isTrusted is True


def test_same_listener_is_added_once_only() -> None:
    controller = AbortController()
    calls: list[Event] = []
    controller.signal.addEventListener("abort", calls.append)
    controller.signal.addEventListener("abort", calls.append)
    controller.abort()
    assert len(calls) == 1


def test_bound_methods_are_the_same_listener() -> None:
    class Watcher:
        def __init__(self) -> None:
            self.calls = 0

        def onAbort(self, event: Event) -> None:
            self.calls += 1

    watcher = Watcher()
    controller = AbortController()
    controller.signal.addEventListener("abort", watcher.onAbort)
    controller.signal.addEventListener("abort", watcher.onAbort)
    controller.abort()
    assert watcher.calls == 1
    other = AbortController()
    other.signal.addEventListener("abort", watcher.onAbort)
    other.signal.removeEventListener("abort", watcher.onAbort)
    other.abort()
    assert watcher.calls == 1


def test_removed_listener_is_not_called() -> None:
    controller = AbortController()
    calls: list[Event] = []
    controller.signal.addEventListener("abort", calls.append)
    controller.signal.removeEventListener("abort", calls.append)
    controller.signal.removeEventListener("abort", calls.append)
    controller.abort()
    assert calls == []


def test_once_listener_is_removed_before_it_runs() -> None:
    controller = AbortController()
    calls: list[str] = []

    def listener(event: Event) -> None:
        calls.append("once")

    controller.signal.addEventListener("abort", listener, once=True)
    # A second registration is a duplicate even without once (Node's rule).
    controller.signal.addEventListener("abort", listener)
    controller.signal.addEventListener(
        "abort", lambda event: controller.signal.addEventListener("abort", listener)
    )
    controller.abort()
    assert calls == ["once"]


def test_listener_of_another_event_type_is_not_called() -> None:
    controller = AbortController()
    calls: list[Event] = []
    controller.signal.addEventListener("ABORT", calls.append)
    controller.abort()
    assert calls == []


def test_listener_added_after_abort_is_never_called() -> None:
    controller = AbortController()
    controller.abort()
    calls: list[Event] = []
    controller.signal.addEventListener("abort", calls.append)
    controller.abort()
    assert calls == []


def test_handle_event_objects_are_listeners() -> None:
    class Listener:
        def __init__(self) -> None:
            self.events: list[Event] = []

        def handleEvent(self, event: Event) -> None:
            self.events.append(event)

    listener = Listener()
    controller = AbortController()
    controller.signal.addEventListener("abort", listener)
    controller.abort()
    assert [event.type for event in listener.events] == ["abort"]


def test_dispatch_order_follows_node() -> None:
    # observed with Node v20 (same script in JavaScript): "A,on2,B,C,D,obj:abort,late"
    controller = AbortController()
    signal = controller.signal
    log: list[str] = []

    def listenerA(event: Event) -> None:
        log.append("A")

    def listenerE(event: Event) -> None:
        log.append("E")

    def listenerD(event: Event) -> None:
        log.append("D")
        signal.removeEventListener("abort", listenerE)
        signal.addEventListener("abort", lambda event: log.append("late"))

    class Handler:
        def handleEvent(self, event: Event) -> None:
            log.append("obj:" + event.type)

    signal.addEventListener("abort", listenerA)
    signal.onabort = lambda event: log.append("on1")
    signal.addEventListener("abort", lambda event: log.append("B"))
    signal.onabort = lambda event: log.append("on2")
    signal.addEventListener("abort", listenerA)
    signal.addEventListener("abort", lambda event: log.append("C"), once=True)
    signal.addEventListener("abort", listenerD)
    signal.addEventListener("abort", listenerE)
    signal.addEventListener("abort", Handler())
    controller.abort()
    assert log == ["A", "on2", "B", "C", "D", "obj:abort", "late"]


def test_listener_added_by_the_last_listener_is_not_called() -> None:
    # observed with Node v20: Node caches the next listener before each call.
    controller = AbortController()
    log: list[str] = []

    def last(event: Event) -> None:
        log.append("last")
        controller.signal.addEventListener("abort", lambda event: log.append("added"))

    controller.signal.addEventListener("abort", last)
    controller.abort()
    assert log == ["last"]


def test_listener_added_after_removing_the_next_one_is_not_called() -> None:
    # observed with Node v20: "first" only.
    controller = AbortController()
    log: list[str] = []

    def second(event: Event) -> None:
        log.append("second")

    def first(event: Event) -> None:
        log.append("first")
        controller.signal.removeEventListener("abort", second)
        controller.signal.addEventListener("abort", lambda event: log.append("added"))

    controller.signal.addEventListener("abort", first)
    controller.signal.addEventListener("abort", second)
    controller.abort()
    assert log == ["first"]


def test_raising_listener_is_logged_and_others_still_run(logged: list[LogEvent]) -> None:
    controller = AbortController()
    calls: list[str] = []
    boom = RuntimeError("boom")

    def fail(event: Event) -> None:
        raise boom

    controller.signal.addEventListener("abort", fail)
    controller.signal.addEventListener("abort", lambda event: calls.append("after"))
    controller.abort()
    assert calls == ["after"]
    assert _failures(logged) == [boom]


def test_failing_async_listener_is_logged(logged: list[LogEvent]) -> None:
    controller = AbortController()
    boom = RuntimeError("async boom")
    gate: Deferred[None] = Deferred()

    async def listener(event: Event) -> None:
        await gate
        raise boom

    controller.signal.addEventListener("abort", listener)
    controller.abort()
    assert _failures(logged) == []
    gate.callback(None)
    assert _failures(logged) == [boom]


@pytest.mark.parametrize(
    ("listener", "received"),
    [
        # observed with Node v20: The "listener" argument must be an instance of
        # EventListener. Received type number (5)
        (5, "type int (5)"),
        ("x", "type str ('x')"),
        (object(), "an instance of object"),
    ],
)
def test_listener_that_cannot_be_called_is_refused(listener: object, received: str) -> None:
    signal = AbortController().signal
    message = f'The "listener" argument must be an instance of EventListener. Received {received}'
    for method in (signal.addEventListener, signal.removeEventListener):
        with pytest.raises(errors.ERR_INVALID_ARG_TYPE) as caught:
            method("abort", listener)  # type: ignore[arg-type]
        assert str(caught.value) == message


def test_adding_none_warns_and_does_nothing() -> None:
    # observed with Node v20: AddEventListenerArgumentTypeWarning
    # "addEventListener called with null which has no effect."
    signal = AbortController().signal
    with pytest.warns(AddEventListenerArgumentTypeWarning) as warned:
        signal.addEventListener("abort", None)
    assert str(warned[0].message) == "addEventListener called with None which has no effect."
    signal.removeEventListener("abort", None)


# -- onabort -----------------------------------------------------------------------


def test_onabort_is_none_until_set_and_returns_what_was_set() -> None:
    signal = AbortController().signal
    assert signal.onabort is None

    def handler(event: Event) -> None:
        pass

    signal.onabort = handler
    assert signal.onabort is handler


def test_onabort_is_called_with_the_event() -> None:
    controller = AbortController()
    events: list[Event] = []
    controller.signal.onabort = events.append
    controller.abort()
    assert [event.type for event in events] == ["abort"]


def test_onabort_keeps_the_place_of_its_first_assignment() -> None:
    # observed with Node v20: onabort = null; add X; onabort = f  ->  "on,X"
    controller = AbortController()
    log: list[str] = []
    controller.signal.onabort = None
    controller.signal.addEventListener("abort", lambda event: log.append("X"))
    controller.signal.onabort = lambda event: log.append("on")
    controller.abort()
    assert log == ["on", "X"]


def test_onabort_that_is_not_callable_is_ignored(logged: list[LogEvent]) -> None:
    controller = AbortController()
    controller.signal.onabort = 5
    controller.abort()
    assert controller.signal.onabort == 5
    assert _failures(logged) == []


# -- AbortSignal.abort -------------------------------------------------------------


def test_static_abort_returns_an_aborted_signal() -> None:
    signal = AbortSignal.abort()
    assert signal.aborted is True
    assert isinstance(signal.reason, errors.AbortError)
    assert AbortSignal.abort(5).reason == 5


# -- AbortSignal.timeout -----------------------------------------------------------


def test_timeout_aborts_after_the_delay_on_the_reactor_clock() -> None:
    clock = Clock()
    signal = AbortSignal.timeout(1500, reactor=clock)
    events: list[Event] = []
    signal.addEventListener("abort", events.append)
    clock.advance(1.499)
    assert signal.aborted is False
    clock.advance(0.001)
    assert signal.aborted is True
    assert len(events) == 1
    reason = signal.reason
    assert isinstance(reason, errors.TimeoutError)
    assert reason.name == "TimeoutError"
    assert str(reason) == "The operation was aborted due to timeout"


def test_timeout_zero_is_not_synchronous() -> None:
    # observed with Node v20: AbortSignal.timeout(0).aborted is false at first.
    clock = Clock()
    signal = AbortSignal.timeout(0, reactor=clock)
    assert signal.aborted is False
    clock.advance(0)
    assert signal.aborted is True


def test_timeout_accepts_an_integral_float() -> None:
    clock = Clock()
    signal = AbortSignal.timeout(10.0, reactor=clock)
    clock.advance(0.01)
    assert signal.aborted is True


# observed with Node v20 (messages of AbortSignal.timeout(x)):
_TIMEOUT_ERRORS: list[tuple[object, type[errors.NodeError], str]] = [
    ("1", errors.ERR_INVALID_ARG_TYPE,
     """The "delay" argument must be of type number. Received type str ('1')"""),
    (None, errors.ERR_INVALID_ARG_TYPE,
     'The "delay" argument must be of type number. Received None'),
    (True, errors.ERR_INVALID_ARG_TYPE,
     'The "delay" argument must be of type number. Received type bool (True)'),
    (-1, errors.ERR_OUT_OF_RANGE,
     'The value of "delay" is out of range. It must be >= 0 && <= 4294967295. Received -1'),
    (4294967296, errors.ERR_OUT_OF_RANGE,
     'The value of "delay" is out of range. It must be >= 0 && <= 4294967295. '
     "Received 4294967296"),
    (2**53, errors.ERR_OUT_OF_RANGE,
     'The value of "delay" is out of range. It must be >= 0 && <= 4294967295. '
     "Received 9_007_199_254_740_992"),
    (1.5, errors.ERR_OUT_OF_RANGE,
     'The value of "delay" is out of range. It must be an integer. Received 1.5'),
    (float("nan"), errors.ERR_OUT_OF_RANGE,
     'The value of "delay" is out of range. It must be an integer. Received nan'),
    (float("inf"), errors.ERR_OUT_OF_RANGE,
     'The value of "delay" is out of range. It must be an integer. Received inf'),
]  # fmt: skip


@pytest.mark.parametrize(("ms", "errorClass", "message"), _TIMEOUT_ERRORS)
def test_timeout_validates_the_delay_like_node(
    ms: object, errorClass: type[errors.NodeError], message: str
) -> None:
    with pytest.raises(errorClass) as caught:
        AbortSignal.timeout(ms, reactor=Clock())  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_importing_abort_installs_no_reactor() -> None:
    code = "import sys, txnetserver._abort\nprint('twisted.internet.reactor' in sys.modules)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# -- AbortSignal.any ---------------------------------------------------------------


def test_any_aborts_with_the_first_source_to_abort_after_its_listeners() -> None:
    # observed with Node v20: "a:any.aborted=false,a2,any reason=R1"
    first, second = AbortController(), AbortController()
    combined = AbortSignal.any([first.signal, second.signal])
    log: list[str] = []
    first.signal.addEventListener(
        "abort", lambda event: log.append(f"a:any.aborted={combined.aborted}")
    )
    combined.addEventListener("abort", lambda event: log.append(f"any reason={combined.reason}"))
    first.signal.addEventListener("abort", lambda event: log.append("a2"))
    first.abort("R1")
    second.abort("R2")
    assert log == ["a:any.aborted=False", "a2", "any reason=R1"]
    assert combined.reason == "R1"


def test_any_of_an_aborted_signal_is_aborted_with_the_first_reason() -> None:
    # observed with Node v20: any([fresh, abort('P'), abort('Q')]) -> aborted, reason 'P'
    combined = AbortSignal.any(
        [AbortController().signal, AbortSignal.abort("P"), AbortSignal.abort("Q")]
    )
    assert combined.aborted is True
    assert combined.reason == "P"


def test_any_of_nothing_never_aborts() -> None:
    assert AbortSignal.any([]).aborted is False


def test_any_of_any_aborts_in_chain_order() -> None:
    # observed with Node v20: "c:falsefalse,n1,n2:true"
    controller = AbortController()
    inner = AbortSignal.any([controller.signal])
    outer = AbortSignal.any([inner])
    log: list[str] = []
    inner.addEventListener("abort", lambda event: log.append("n1"))
    outer.addEventListener("abort", lambda event: log.append(f"n2:{outer.aborted}"))
    controller.signal.addEventListener(
        "abort", lambda event: log.append(f"c:{inner.aborted}{outer.aborted}")
    )
    controller.abort("Z")
    assert log == ["c:FalseFalse", "n1", "n2:True"]
    assert outer.reason == "Z"


def test_aborted_any_signal_is_released_by_its_other_sources() -> None:
    first, second = AbortController(), AbortController()
    combined = AbortSignal.any([first.signal, second.signal])
    reference = weakref.ref(combined)
    first.abort()
    del combined
    gc.collect()
    assert reference() is None


@pytest.mark.parametrize(
    ("signals", "message"),
    [
        # observed with Node v20
        (1, 'The "signals" argument must be an instance of Array. Received type int (1)'),
        ("ab", """The "signals" argument must be an instance of Array. Received type str ('ab')"""),
        (
            [1],
            'The "signals[0]" argument must be an instance of AbortSignal. Received type int (1)',
        ),
    ],
)
def test_any_validates_its_argument_like_node(signals: object, message: str) -> None:
    with pytest.raises(errors.ERR_INVALID_ARG_TYPE) as caught:
        AbortSignal.any(signals)  # type: ignore[arg-type]
    assert str(caught.value) == message
