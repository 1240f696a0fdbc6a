"""
Tests for txnetserver._ports: listening sockets with Node's socket options,
errors and synchronous close, on the real reactor (never run here: binding,
listening and closing are synchronous, which is what these functions promise).

What the Server does with them, connections included, is tested in
tests/test_server.py; the accept loop under EMFILE in tests/test_floods.py.
"""

from __future__ import annotations

import os
import socket
import stat
import tempfile

from twisted.internet import reactor
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from txnetserver import errors
from txnetserver._ports import (
    SUN_PATH_MAX,
    closePort,
    currentUmask,
    isRealReactor,
    listenDefaultTCP,
    listenFD,
    listenTCP,
    listenUNIX,
    portFileno,
    stopAccepting,
)

from .test_server import busyPort

BACKLOG = 16


def factory() -> Factory:
    return Factory.forProtocol(Protocol)


def refused(address: tuple[str, int]) -> bool:
    with socket.socket() as client:
        try:
            client.connect(address)
        except ConnectionRefusedError:
            return True
    return False


class ListenTCPTests(SynchronousTestCase):
    def listen(self, host: str, **kwargs: object) -> object:
        options: dict[str, object] = {"ipv6Only": None, "reusePort": False, **kwargs}
        port = listenTCP(reactor, factory(), 0, host, BACKLOG, **options)  # type: ignore[arg-type]
        self.addCleanup(closePort, port)
        return port

    def test_binds_and_listens_before_returning(self) -> None:
        port = self.listen("127.0.0.1")
        address = port.getHost()  # type: ignore[attr-defined]
        with socket.create_connection(("127.0.0.1", address.port), timeout=10):
            pass  # accepted into the backlog by the kernel, without the reactor

    def test_a_busy_port_is_nodes_eaddrinuse_with_the_host_as_given(self) -> None:
        busy = busyPort()
        self.addCleanup(busy.close)
        number = busy.getsockname()[1]
        with self.assertRaises(errors.NodeSystemError) as raised:
            listenTCP(
                reactor, factory(), number, "127.0.0.1", BACKLOG, ipv6Only=None, reusePort=False
            )
        self.assertEqual(
            str(raised.exception), f"listen EADDRINUSE: address already in use 127.0.0.1:{number}"
        )
        self.assertEqual((raised.exception.code, raised.exception.port), ("EADDRINUSE", number))

    def test_an_address_of_no_local_interface_is_eaddrnotavail(self) -> None:
        with self.assertRaises(errors.NodeSystemError) as raised:
            self.listen("192.0.2.1")  # TEST-NET-1: never a local address
        self.assertEqual(raised.exception.code, "EADDRNOTAVAIL")

    def test_ipv6_only_is_set_explicitly_either_way(self) -> None:
        for ipv6Only, expected in ((True, 1), (False, 0)):
            # On "::": Linux makes any other IPv6 address IPv6-only at bind.
            port = self.listen("::", ipv6Only=ipv6Only)
            sock = port.socket  # type: ignore[attr-defined]
            self.assertEqual(sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), expected)

    def test_reuse_address_is_always_on_and_reuse_port_on_request(self) -> None:
        plain = self.listen("127.0.0.1").socket  # type: ignore[attr-defined]
        self.assertTrue(plain.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
        self.assertFalse(plain.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT))
        shared = self.listen("127.0.0.1", reusePort=True).socket  # type: ignore[attr-defined]
        self.assertTrue(shared.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT))


class ListenDefaultTCPTests(SynchronousTestCase):
    def test_the_unspecified_address_is_one_dual_stack_socket(self) -> None:
        port = listenDefaultTCP(reactor, factory(), 0, BACKLOG, False)
        self.addCleanup(closePort, port)
        sock = port.socket  # type: ignore[attr-defined]
        self.assertEqual(sock.family, socket.AF_INET6)
        self.assertEqual(sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), 0)
        number = sock.getsockname()[1]
        with socket.create_connection(("127.0.0.1", number), timeout=10):
            pass  # IPv4 clients reach the IPv6 socket

    def test_a_busy_port_reports_the_ipv6_address_without_falling_back(self) -> None:
        busy = busyPort("::", socket.AF_INET6)
        self.addCleanup(busy.close)
        number = busy.getsockname()[1]
        with self.assertRaises(errors.NodeSystemError) as raised:
            listenDefaultTCP(reactor, factory(), number, BACKLOG, False)
        self.assertEqual(
            str(raised.exception), f"listen EADDRINUSE: address already in use :::{number}"
        )


class ListenUNIXTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="txns-ports-")
        self.addCleanup(os.rmdir, self.directory)

    def listen(self, path: str, readableAll: bool = False, writableAll: bool = False) -> object:
        port = listenUNIX(
            reactor, factory(), path, BACKLOG, readableAll=readableAll, writableAll=writableAll
        )
        self.addCleanup(closePort, port)
        return port

    def test_close_removes_the_path_it_created(self) -> None:
        path = os.path.join(self.directory, "s")
        port = listenUNIX(reactor, factory(), path, BACKLOG, readableAll=False, writableAll=False)
        self.assertTrue(stat.S_ISSOCK(os.stat(path).st_mode))
        closePort(port)
        self.assertFalse(os.path.exists(path))

    def test_an_existing_file_is_eaddrinuse_and_left_alone(self) -> None:
        path = os.path.join(self.directory, "taken")
        with open(path, "w") as f:
            f.write("not a socket")
        self.addCleanup(os.unlink, path)
        with self.assertRaises(errors.NodeSystemError) as raised:
            self.listen(path)
        self.assertEqual(raised.exception.code, "EADDRINUSE")
        with open(path) as f:
            self.assertEqual(f.read(), "not a socket")

    def test_a_missing_directory_is_eacces_as_libuv_says(self) -> None:
        with self.assertRaises(errors.NodeSystemError) as raised:
            self.listen(os.path.join(self.directory, "missing", "s"))
        self.assertEqual(raised.exception.code, "EACCES")

    def test_a_path_longer_than_sun_path_is_einval(self) -> None:
        path = os.path.join(self.directory, "x" * SUN_PATH_MAX)
        with self.assertRaises(errors.NodeSystemError) as raised:
            self.listen(path)
        self.assertEqual(raised.exception.code, "EINVAL")

    def test_the_mode_is_the_umasks_unless_readable_or_writable_by_all(self) -> None:
        old = os.umask(0o077)
        self.addCleanup(os.umask, old)
        private = os.path.join(self.directory, "private")
        self.listen(private)
        self.assertEqual(stat.S_IMODE(os.stat(private).st_mode), 0o700)
        public = os.path.join(self.directory, "public")
        self.listen(public, readableAll=True, writableAll=True)
        # libuv's uv_pipe_chmod adds rw for everyone to the mode the socket got.
        self.assertEqual(stat.S_IMODE(os.stat(public).st_mode), 0o766)


class ListenFDTests(SynchronousTestCase):
    def test_a_bound_socket_is_listened_on_through_a_duplicate(self) -> None:
        bound = socket.socket()
        bound.bind(("127.0.0.1", 0))
        self.addCleanup(bound.close)
        port, isUNIX = listenFD(reactor, factory(), bound.fileno(), BACKLOG)
        self.assertFalse(isUNIX)
        self.assertNotEqual(portFileno(port), bound.fileno())
        closePort(port)
        # The caller's descriptor is still its own, and still bound.
        self.assertEqual(bound.getsockname()[0], "127.0.0.1")

    def test_a_descriptor_that_is_not_a_stream_socket_is_einval(self) -> None:
        readEnd, writeEnd = os.pipe()
        self.addCleanup(os.close, readEnd)
        self.addCleanup(os.close, writeEnd)
        datagram = socket.socket(type=socket.SOCK_DGRAM)
        self.addCleanup(datagram.close)
        for fd in (readEnd, datagram.fileno(), 9999):
            with self.assertRaises(errors.NodeSystemError) as raised:
                listenFD(reactor, factory(), fd, BACKLOG)
            self.assertEqual(raised.exception.code, "EINVAL", fd)


class ClosePortTests(SynchronousTestCase):
    def test_a_client_is_refused_as_soon_as_close_returns(self) -> None:
        port = listenTCP(
            reactor, factory(), 0, "127.0.0.1", BACKLOG, ipv6Only=None, reusePort=False
        )
        number = port.getHost().port  # type: ignore[attr-defined]
        closePort(port)
        self.assertTrue(refused(("127.0.0.1", number)))


class StopAcceptingTests(SynchronousTestCase):
    def test_the_port_stays_bound_but_the_reactor_no_longer_reads_it(self) -> None:
        port = listenTCP(
            reactor, factory(), 0, "127.0.0.1", BACKLOG, ipv6Only=None, reusePort=False
        )
        self.addCleanup(closePort, port)
        self.assertIn(port, reactor.getReaders())
        stopAccepting(port)
        self.assertNotIn(port, reactor.getReaders())
        number = port.getHost().port  # type: ignore[attr-defined]
        with socket.create_connection(("127.0.0.1", number), timeout=10):
            # Waiting in the backlog, for whoever accepts from the descriptor.
            listener = socket.socket(fileno=os.dup(portFileno(port)))  # type: ignore[arg-type]
            with listener:
                listener.settimeout(10)
                accepted, _ = listener.accept()
                accepted.close()


class ReactorKindTests(SynchronousTestCase):
    def test_a_memory_reactor_is_not_real(self) -> None:
        self.assertTrue(isRealReactor(reactor))
        self.assertFalse(isRealReactor(MemoryReactorClock()))

    def test_a_memory_port_has_no_descriptor(self) -> None:
        memory = MemoryReactorClock()
        port = listenTCP(
            memory, factory(), 8000, "127.0.0.1", BACKLOG, ipv6Only=None, reusePort=False
        )
        self.assertIsNone(portFileno(port))

    def test_the_umask_is_read_without_changing_it(self) -> None:
        old = os.umask(0o027)
        self.addCleanup(os.umask, old)
        self.assertEqual(currentUmask(), 0o027)
        self.assertEqual(currentUmask(), 0o027)
