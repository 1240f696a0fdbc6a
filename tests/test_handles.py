"""
Tests for txnetserver._handles: the registry of ref'd handles that decides,
like Node's event loop, whether a process under ``run()`` stays alive.  Pure
bookkeeping, no reactor needed; how Server and Socket use it is tested in
tests/test_server.py (RefTests) and tests/test_runner.py.
"""

from __future__ import annotations

from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from txnetserver._handles import HandleRegistry, handlesFor


class HandleRegistryTests(SynchronousTestCase):
    def test_releasing_the_last_held_handle_reports_empty_once(self) -> None:
        registry = HandleRegistry()
        empties: list[None] = []
        registry.watch(lambda: empties.append(None))
        first, second = object(), object()
        registry.hold(first)
        registry.hold(second)
        registry.release(first)
        self.assertEqual(empties, [])
        registry.release(second)
        self.assertEqual(empties, [None])
        registry.release(second)  # already released: no second report
        self.assertEqual(empties, [None])

    def test_holding_a_handle_twice_counts_it_once(self) -> None:
        registry = HandleRegistry()
        handle = object()
        registry.hold(handle)
        registry.hold(handle)
        self.assertEqual(registry.refs, {handle})

    def test_releasing_a_handle_never_held_reports_nothing(self) -> None:
        registry = HandleRegistry()
        empties: list[None] = []
        registry.watch(lambda: empties.append(None))
        registry.release(object())
        self.assertEqual(empties, [])

    def test_an_unwatched_registry_is_only_bookkeeping(self) -> None:
        registry = HandleRegistry()
        self.assertFalse(registry.watched)
        handle = object()
        registry.hold(handle)
        registry.release(handle)  # nobody to tell
        registry.uncaught(RuntimeError("nobody listens"))
        self.assertEqual(registry.refs, set())

    def test_uncaught_exceptions_go_to_the_watcher(self) -> None:
        registry = HandleRegistry()
        reported: list[BaseException] = []
        registry.watch(None, reported.append)
        self.assertTrue(registry.watched)
        error = RuntimeError("escaped")
        registry.uncaught(error)
        self.assertEqual(reported, [error])

    def test_watching_none_stops_watching(self) -> None:
        registry = HandleRegistry()
        registry.watch(lambda: None, lambda e: None)
        registry.watch(None, None)
        self.assertFalse(registry.watched)


class HandlesForTests(SynchronousTestCase):
    def test_each_reactor_has_one_registry(self) -> None:
        reactor = MemoryReactorClock()
        self.assertIs(handlesFor(reactor), handlesFor(reactor))

    def test_reactors_do_not_share_registries(self) -> None:
        self.assertIsNot(handlesFor(MemoryReactorClock()), handlesFor(MemoryReactorClock()))
