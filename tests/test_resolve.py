"""
Tests for txnetserver._resolve: Node's ``dns.lookup`` for listen() and connect().

Lookups of IP literals and of ``localhost`` (in every /etc/hosts) only; an
unknown name under ``.invalid`` (RFC 2606) fails without leaving the machine.
"""

from __future__ import annotations

import socket

from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from txnetserver import errors
from txnetserver._resolve import LookupAddress, dnsCode, isIPLiteral, lookup, lookupNow


class IPLiteralTests(SynchronousTestCase):
    def test_addresses_of_both_families_are_literals(self) -> None:
        for host in ("127.0.0.1", "::1", "fe80::1%lo", "::ffff:10.0.0.1"):
            self.assertTrue(isIPLiteral(host), host)

    def test_names_are_not_literals(self) -> None:
        for host in ("localhost", "example.invalid", "1.2.3", ""):
            self.assertFalse(isIPLiteral(host), host)


class LookupNowTests(SynchronousTestCase):
    def test_a_literal_is_answered_as_given_with_its_family(self) -> None:
        self.assertEqual(lookupNow("127.0.0.1"), LookupAddress("127.0.0.1", 4))
        self.assertEqual(lookupNow("::1"), LookupAddress("::1", 6))

    def test_localhost_resolves_to_a_loopback_address(self) -> None:
        answer = lookupNow("localhost")
        self.assertIn(answer, (LookupAddress("127.0.0.1", 4), LookupAddress("::1", 6)))

    def test_family_4_answers_ipv4_only(self) -> None:
        self.assertEqual(lookupNow("localhost", family=4), LookupAddress("127.0.0.1", 4))

    def test_all_lists_every_answer_once(self) -> None:
        answers = lookupNow("localhost", all=True)
        self.assertIn(LookupAddress("127.0.0.1", 4), answers)
        self.assertEqual(len(answers), len(set(answers)))

    def test_an_unknown_name_is_nodes_enotfound(self) -> None:
        with self.assertRaises(errors.NodeSystemError) as raised:
            lookupNow("no.such.host.invalid")
        error = raised.exception
        self.assertIn(error.code, ("ENOTFOUND", "EAI_AGAIN"))
        self.assertEqual(str(error), f"getaddrinfo {error.code} no.such.host.invalid")
        self.assertEqual((error.syscall, error.hostname), ("getaddrinfo", "no.such.host.invalid"))


class LookupTests(SynchronousTestCase):
    def test_the_answer_comes_after_the_caller_returns(self) -> None:
        memory = MemoryReactorClock()
        d = lookup(memory, "127.0.0.1")
        self.assertNoResult(d)
        memory.advance(0)
        self.assertEqual(self.successResultOf(d), LookupAddress("127.0.0.1", 4))

    def test_a_failure_is_nodes_error(self) -> None:
        memory = MemoryReactorClock()
        d = lookup(memory, "no.such.host.invalid")
        memory.advance(0)
        self.failureResultOf(d, errors.NodeSystemError)

    def test_all_on_a_reactor_gives_the_list(self) -> None:
        memory = MemoryReactorClock()
        d = lookup(memory, "localhost", all=True)
        memory.advance(0)
        self.assertIn(LookupAddress("127.0.0.1", 4), self.successResultOf(d))


class DNSCodeTests(SynchronousTestCase):
    def test_no_name_and_no_data_are_enotfound(self) -> None:
        self.assertEqual(dnsCode(socket.EAI_NONAME), "ENOTFOUND")
        self.assertEqual(dnsCode(getattr(socket, "EAI_NODATA", socket.EAI_NONAME)), "ENOTFOUND")

    def test_temporary_and_permanent_failures_keep_their_names(self) -> None:
        self.assertEqual(dnsCode(socket.EAI_AGAIN), "EAI_AGAIN")
        self.assertEqual(dnsCode(socket.EAI_FAIL), "EAI_FAIL")
