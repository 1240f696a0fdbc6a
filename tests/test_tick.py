"""Tests for txnetserver._tick: Node's nextTick on a reactor clock."""

from __future__ import annotations

from twisted.internet.task import Clock

from txnetserver._handles import handlesFor
from txnetserver._tick import nextTick


def test_callbacks_run_after_the_current_call_in_fifo_order() -> None:
    clock = Clock()
    order: list[int] = []
    for i in range(20):
        nextTick(clock, order.append, i)
    assert order == []
    clock.advance(0)
    assert order == list(range(20))
    assert clock.getDelayedCalls() == []


def test_callbacks_queued_while_draining_run_in_the_same_drain() -> None:
    clock = Clock()
    order: list[str] = []

    def first() -> None:
        order.append("first")
        nextTick(clock, order.append, "nested")

    nextTick(clock, first)
    nextTick(clock, order.append, "second")
    clock.advance(0)
    assert order == ["first", "second", "nested"]


def test_an_exception_is_reported_as_uncaught_and_later_callbacks_still_run() -> None:
    clock = Clock()
    reported: list[BaseException] = []
    handlesFor(clock).watch(None, reported.append)
    order: list[str] = []
    boom = ValueError("boom")

    def fail() -> None:
        raise boom

    nextTick(clock, fail)
    nextTick(clock, order.append, "after")
    clock.advance(0)
    assert reported == [boom]
    assert order == ["after"]


def test_each_reactor_has_its_own_queue() -> None:
    first, second = Clock(), Clock()
    order: list[str] = []
    nextTick(first, order.append, "first")
    nextTick(second, order.append, "second")
    second.advance(0)
    assert order == ["second"]
    first.advance(0)
    assert order == ["second", "first"]
