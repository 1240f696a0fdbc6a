"""
Tests for txnetserver._socketowner: ISocketOwner, what a Socket reports to
whoever counts it among its connections (connected, closed, a failing
listener), on memory transports, and the Server as the owner its accepted
sockets report to.
"""

from __future__ import annotations

from twisted.python.failure import Failure
from zope.interface import implementer
from zope.interface.verify import verifyObject

from txnetserver import Socket
from txnetserver._socketowner import ISocketOwner
from txnetserver.testing import MemoryNetwork

from ._loopback import attach, recordOn
from .test_server import ServerTestCase


@implementer(ISocketOwner)
class RecordingOwner:
    def __init__(self) -> None:
        self.log: list[tuple[str, Socket]] = []

    def socketConnected(self, socket: Socket) -> None:
        self.log.append(("connected", socket))

    def socketClosed(self, socket: Socket) -> None:
        self.log.append(("closed", socket))

    def socketFailed(self, socket: Socket, message: str, failure: Failure) -> None:
        self.log.append((f"failed: {failure.getErrorMessage()}", socket))


def ownedSocket(owner: object, network: MemoryNetwork, noDelay: bool = False) -> Socket:
    """A socket as the accept path makes it, reporting to ``owner``."""
    return Socket._accepted(
        owner,
        None,
        reactor=network.reactor,
        allowHalfOpen=False,
        pauseOnConnect=False,
        highWaterMark=1024,
        noDelay=noDelay,
        keepAlive=False,
        keepAliveInitialDelay=0,
    )


def test_a_socket_reports_to_its_owner_once_connected_and_once_closed(
    memoryNetwork: MemoryNetwork,
) -> None:
    owner = RecordingOwner()
    assert verifyObject(ISocketOwner, owner)
    sock = ownedSocket(owner, memoryNetwork, noDelay=True)
    closes = recordOn(sock, "close")
    client = attach(memoryNetwork, sock)
    assert owner.log == [("connected", sock)]
    assert client.transport is not None and client.transport.noDelay  # applied before
    assert sock.writableHighWaterMark == 1024
    sock.destroy()
    # Counted out synchronously, before 'close' (Node's server._connections).
    assert (owner.log, closes) == ([("connected", sock), ("closed", sock)], [])
    memoryNetwork.pump()
    assert closes == [("close", (False,))]
    assert len(owner.log) == 2


def test_a_failing_listener_is_reported_to_the_owner_not_logged(
    memoryNetwork: MemoryNetwork,
) -> None:
    owner = RecordingOwner()
    sock = ownedSocket(owner, memoryNetwork)

    def fail(data: object) -> None:
        raise ValueError("boom")

    sock.on("data", fail)
    client = attach(memoryNetwork, sock)
    client.write(b"x")
    memoryNetwork.pump()
    assert ("failed: boom", sock) in owner.log
    assert sock.destroyed


class ServerOwnerTests(ServerTestCase):
    def test_server_is_the_owner_its_accepted_sockets_report_to(self) -> None:
        from zope.interface.verify import verifyObject

        from txnetserver._socketowner import ISocketOwner

        server = self.makeServer()
        self.assertTrue(verifyObject(ISocketOwner, server))
        sock = server._admit(None)
        self.assertIsInstance(sock, Socket)
        self.assertIs(sock._owner, server)  # type: ignore[union-attr]
