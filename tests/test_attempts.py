"""
A connect()'s attempts without sockets: Twisted's failures as Node's errors,
the resolver that answers HostnameEndpoint, and the factory that gives the
socket to one connection only.
"""

from __future__ import annotations

import errno
from typing import Any

from twisted.internet import error as twistedError
from twisted.internet.interfaces import IHostnameResolver, IProtocolFactory
from zope.interface.verify import verifyObject

from txnetserver import Socket
from txnetserver._attempts import FixedAnswers, OneProtocolFactory, nodeConnectError


def test_a_refused_attempt_is_node_s_connect_error() -> None:
    error = nodeConnectError(twistedError.ConnectionRefusedError(), "127.0.0.1", 1, None)
    assert str(error) == "connect ECONNREFUSED 127.0.0.1:1"
    assert (error.errno, error.code) == (errno.ECONNREFUSED, "ECONNREFUSED")  # type: ignore[attr-defined]


def test_an_attempt_bound_to_a_local_port_names_it() -> None:
    error: Any = nodeConnectError(
        twistedError.ConnectionRefusedError(), "127.0.0.1", 1, ("127.0.0.1", 4000)
    )
    assert str(error) == "connect ECONNREFUSED 127.0.0.1:1 - Local (127.0.0.1:4000)"
    assert (error.localAddress, error.localPort) == ("127.0.0.1", 4000)


def test_a_failed_bind_is_node_s_bind_error() -> None:
    failure = twistedError.ConnectBindError(errno.EADDRINUSE, "in use")
    error = nodeConnectError(failure, "127.0.0.1", 1, ("127.0.0.1", 4000))
    assert str(error) == "bind EADDRINUSE 127.0.0.1:4000"


def test_an_error_without_an_errno_is_kept_as_it_is() -> None:
    original = ValueError("from some other endpoint")
    assert nodeConnectError(original, None, None, None) is original


def test_the_fixed_resolver_and_the_one_protocol_factory_provide_their_interfaces() -> None:
    verifyObject(IHostnameResolver, FixedAnswers([("::1", 6)]))
    verifyObject(IProtocolFactory, OneProtocolFactory(Socket(), lambda: True))


def test_the_factory_builds_the_socket_once_and_only_while_it_is_wanted() -> None:
    socket = Socket()
    factory = OneProtocolFactory(socket, lambda: True)
    assert factory.buildProtocol(None) is socket  # type: ignore[arg-type]
    assert factory.buildProtocol(None) is not socket  # type: ignore[arg-type]
    unwanted = OneProtocolFactory(Socket(), lambda: False)
    assert not isinstance(unwanted.buildProtocol(None), Socket)  # type: ignore[arg-type]
