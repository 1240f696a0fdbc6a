"""
Tests for txnetserver._eventsonce: Node's events.once() as a Deferred.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from twisted.internet.defer import CancelledError, Deferred
from twisted.python.failure import Failure

from txnetserver._errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_UNHANDLED_ERROR,
    AbortError,
)
from txnetserver._events import EventEmitter
from txnetserver._eventsonce import once


def result(deferred: Deferred[Any]) -> Any:
    """The result of an already-fired Deferred (raising its failure)."""
    outcome: list[Any] = []
    deferred.addBoth(outcome.append)
    assert outcome, "Deferred has not fired"
    if isinstance(outcome[0], Failure):
        outcome[0].raiseException()
    return outcome[0]


# -- events.once() ---------------------------------------------------------------


class FakeSignal:
    """Duck-typed AbortSignal."""

    def __init__(self, aborted: bool = False, reason: object = None) -> None:
        self.aborted = aborted
        self.reason = reason
        self.listeners: list[Callable[..., object]] = []

    def addEventListener(self, type: str, listener: Callable[..., object]) -> None:
        assert type == "abort"
        self.listeners.append(listener)

    def removeEventListener(self, type: str, listener: Callable[..., object]) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def abort(self, reason: object) -> None:
        self.aborted, self.reason = True, reason
        for listener in list(self.listeners):
            listener({"type": "abort"})


def test_once_fires_with_the_list_of_event_arguments() -> None:
    e = EventEmitter()
    d = once(e, "x")
    assert e.listenerCount("x") == 1
    assert e.listenerCount("error") == 1
    e.emit("x", 1, 2)
    assert result(d) == [1, 2]
    assert e.eventNames() == []


def test_once_fails_when_error_comes_first_and_removes_its_listeners() -> None:
    e = EventEmitter()
    d = once(e, "x")
    boom = ValueError("boom")
    assert e.emit("error", boom) is True
    with pytest.raises(ValueError) as info:
        result(d)
    assert info.value is boom
    assert e.eventNames() == []


def test_once_wraps_a_non_exception_error() -> None:
    e = EventEmitter()
    d = once(e, "x")
    e.emit("error", "str")
    with pytest.raises(ERR_UNHANDLED_ERROR) as info:
        result(d)
    assert info.value.context == "str"


def test_once_for_error_resolves_with_the_error() -> None:
    e = EventEmitter()
    d = once(e, "error")
    assert e.listenerCount("error") == 1
    boom = ValueError()
    e.emit("error", boom)
    assert result(d) == [boom]


def test_once_is_awaitable_in_a_coroutine() -> None:
    e = EventEmitter()

    async def main() -> list[object]:
        return await once(e, "connection")

    d = Deferred.fromCoroutine(main())
    e.emit("connection", "socket")
    assert result(d) == ["socket"]


def test_once_with_an_already_aborted_signal_fails_with_abort_error() -> None:
    e = EventEmitter()
    signal = FakeSignal(aborted=True, reason="why")
    d = once(e, "x", signal=signal)
    with pytest.raises(AbortError) as info:
        result(d)
    assert info.value.code == "ABORT_ERR"
    assert info.value.cause == "why"
    assert e.eventNames() == []
    assert signal.listeners == []


def test_once_aborted_while_waiting_fails_and_removes_its_listeners() -> None:
    e = EventEmitter()
    signal = FakeSignal()
    d = once(e, "x", signal=signal)
    assert len(signal.listeners) == 1
    signal.abort("stop")
    with pytest.raises(AbortError) as info:
        result(d)
    assert info.value.cause == "stop"
    assert e.eventNames() == []
    assert signal.listeners == []


def test_once_resolving_removes_its_abort_listener() -> None:
    e = EventEmitter()
    signal = FakeSignal()
    d = once(e, "x", signal=signal)
    e.emit("x")
    assert result(d) == []
    assert signal.listeners == []


def test_once_rejects_a_signal_that_is_not_one() -> None:
    d = once(EventEmitter(), "x", signal=object())  # type: ignore[arg-type]
    with pytest.raises(ERR_INVALID_ARG_TYPE) as info:
        result(d)
    assert str(info.value).startswith(
        'The "options.signal" property must be an instance of AbortSignal.'
    )


def test_cancelling_once_removes_its_listeners() -> None:
    e = EventEmitter()
    d = once(e, "x")
    d.cancel()
    with pytest.raises(CancelledError):
        result(d)
    assert e.eventNames() == []
