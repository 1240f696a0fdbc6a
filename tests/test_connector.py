"""
connect()'s Twisted seam without sockets: Node's address order for racing,
Twisted failures as Node's errors, and the per-attempt events on a memory
reactor.  tests/test_client.py covers the same on loopback sockets.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import error as twistedError
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure

from txnetserver import Socket
from txnetserver._connectargs import parseConnectArgs, resolveConnectRequest
from txnetserver._connector import Connection, _interleaved


def test_raced_addresses_alternate_families_starting_with_the_first_answer_s() -> None:
    answers = [("::1", 6), ("::2", 6), ("10.0.0.1", 4), ("::1", 6), ("bogus", 4), ("10.0.0.2", 5)]
    assert _interleaved(answers) == [("::1", 6), ("10.0.0.1", 4), ("::2", 6)]
    assert _interleaved([("10.0.0.1", 4), ("::1", 6)]) == [("10.0.0.1", 4), ("::1", 6)]
    assert _interleaved([("bogus", 4)]) == []


def connecting(reactor: MemoryReactorClock, *args: Any, **kwargs: Any) -> tuple[Socket, list[Any]]:
    socket = Socket(reactor=reactor)
    log: list[Any] = []
    for name in ("connectionAttempt", "connectionAttemptFailed", "connectionAttemptTimeout"):
        socket.on(name, lambda *a, name=name: log.append((name, *a)))
    socket.on("error", lambda error: log.append(("error", str(error))))
    socket._startConnecting()
    request = resolveConnectRequest(parseConnectArgs(args, kwargs).options)
    socket._connection = Connection(reactor, request, socket, socket)
    socket._connection.start()
    return socket, log


def test_an_address_is_connected_to_on_the_next_tick_without_a_connect_timeout() -> None:
    reactor = MemoryReactorClock()
    socket, log = connecting(reactor, 80, "127.0.0.1", localPort=4000)
    assert reactor.tcpClients == []
    reactor.advance(0)
    [(host, port, factory, timeout, bindAddress)] = reactor.tcpClients
    assert (host, port, timeout, bindAddress) == ("127.0.0.1", 80, None, ("0.0.0.0", 4000))
    assert log == [("connectionAttempt", "127.0.0.1", 80, 4)]
    factory.clientConnectionFailed(None, Failure(twistedError.ConnectionRefusedError()))
    reactor.advance(0)
    assert log[1][0] == "connectionAttemptFailed"
    assert socket.destroyed


def test_racing_starts_the_next_address_after_the_attempt_timeout() -> None:
    reactor = MemoryReactorClock()

    def lookup(hostname: object, options: object, callback: Any) -> None:
        callback(None, [{"address": "::1", "family": 6}, {"address": "127.0.0.1", "family": 4}])

    socket, log = connecting(reactor, port=80, host="a.test", lookup=lookup)
    assert [c[:2] for c in reactor.tcpClients] == [("::1", 80)]
    reactor.advance(0.25)
    assert [c[:2] for c in reactor.tcpClients] == [("::1", 80), ("127.0.0.1", 80)]
    assert log == [
        ("connectionAttempt", "::1", 80, 6),
        ("connectionAttemptTimeout", "::1", 80, 6),
        ("connectionAttempt", "127.0.0.1", 80, 4),
    ]
    assert socket.autoSelectFamilyAttemptedAddresses == ["::1:80", "127.0.0.1:80"]
    socket.destroy()
