"""
Listening sockets and server transports: every socket option and OS quirk of
``listen()`` lives here.

Node binds synchronously, never raises OS errors from ``listen()`` and closes
its listening socket at once on ``close()``.  Twisted's ports raise
``CannotListenError`` and close on the next iteration, so this module wraps
them: functions here raise :class:`~txnetserver.errors.NodeSystemError` (which
the Server turns into an ``'error'`` event), and :func:`closePort` closes a
port before returning, so a client connecting right after ``close()`` is
refused and a UNIX path can be listened on again at once.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from typing import Any

from twisted.internet import error as twistedError
from twisted.internet import tcp, unix
from twisted.internet.interfaces import IListeningPort, IProtocolFactory
from twisted.internet.posixbase import PosixReactorBase
from twisted.python.failure import Failure

from txnetserver._syserrors import NodeSystemError, uvExceptionWithHostPort
from txnetserver._transport import NodeTCPServerTransport, NodeUNIXServerTransport
from txnetserver._twistedinternals import PortInternals, UNIXPortInternals

__all__ = [
    "closePort",
    "isRealReactor",
    "listenFD",
    "listenTCP",
    "listenUNIX",
    "releaseFailedUNIXLock",
]

# sizeof(sockaddr_un.sun_path) on Linux, including the terminating NUL.
SUN_PATH_MAX = 108


class NodeTCPPort(PortInternals, tcp.Port):
    """
    A TCP port with Node's socket options set before ``bind``: ``IPV6_V6ONLY``
    explicitly (0 = dual stack, whatever the host's sysctl says),
    ``SO_REUSEPORT`` on request, ``SO_REUSEADDR`` always (libuv's default).

    Set here rather than through ``tcp.makeBinding`` (Twisted 26.10 only):
    ``createInternetSocket`` is the step before ``bind`` on every Twisted
    release, and from 26.10 it sets ``SO_REUSEADDR`` only for a binding.
    """

    transport = NodeTCPServerTransport
    _nodeV6Only: bool | None = None
    _nodeReusePort = False
    _nodeSocket: socket.socket | None = None

    def createInternetSocket(self) -> socket.socket:
        s: socket.socket = super().createInternetSocket()  # type: ignore[no-untyped-call]
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self._nodeReusePort:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if self.addressFamily == socket.AF_INET6 and self._nodeV6Only is not None:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(self._nodeV6Only))
        self._nodeSocket = s
        return s

    def startListening(self) -> None:
        """
        ``tcp.Port.startListening``, closing the new socket when ``bind`` or
        ``listen`` fails (Twisted before 26.10 leaves it to the garbage
        collector, holding the descriptor until then).
        """
        try:
            super().startListening()
        except BaseException:
            created = getattr(self, "_nodeSocket", None)
            if created is not None:
                created.close()
            raise
        finally:
            self._nodeSocket = None


class NodeUNIXPort(UNIXPortInternals, unix.Port):
    """
    A UNIX port that, on close, unlinks its path only if it created it and the
    path is still its socket (same device and inode): a file that replaced
    the socket, or the socket of a server started later at the same path, is
    left alone (Node unlinks the path whatever it now is).
    """

    transport = NodeUNIXServerTransport
    _unlinkPath: str | None = None
    _boundFile: tuple[int, int] | None = None

    def connectionLost(self, reason: Failure) -> None:
        unlinkPath, self._unlinkPath = self._unlinkPath, None
        if unlinkPath is not None and self._boundFile is not None:
            try:
                now = os.lstat(unlinkPath)
                if stat.S_ISSOCK(now.st_mode) and (now.st_dev, now.st_ino) == self._boundFile:
                    os.unlink(unlinkPath)
            except OSError:
                pass
        super().connectionLost(reason)


def isRealReactor(reactor: object) -> bool:
    """Whether ``reactor`` drives real descriptors (not a MemoryReactor)."""
    return isinstance(reactor, PosixReactorBase)


def _fromCannotListen(
    e: twistedError.CannotListenError | OSError, address: str | None, port: int | None
) -> NodeSystemError:
    socketError = e.socketError if isinstance(e, twistedError.CannotListenError) else e
    errnum = getattr(socketError, "errno", None)
    if not isinstance(errnum, int):
        errnum = errno.EINVAL
    return uvExceptionWithHostPort(errnum, "listen", address, port)


def listenTCP(
    reactor: Any,
    factory: IProtocolFactory,
    port: int,
    host: str,
    backlog: int,
    *,
    ipv6Only: bool | None,
    reusePort: bool,
) -> IListeningPort:
    """
    Bind and listen on ``host:port`` now; :class:`NodeSystemError` on failure
    (its address and port are Node's: the host as given, the port asked for).
    """
    if not isRealReactor(reactor):
        try:
            return reactor.listenTCP(port, factory, backlog, host)  # type: ignore[no-any-return]
        except twistedError.CannotListenError as e:
            raise _fromCannotListen(e, host, port) from None
    listeningPort = NodeTCPPort(port, factory, backlog, host, reactor=reactor)
    listeningPort._nodeReusePort = reusePort
    listeningPort._nodeV6Only = ipv6Only if ":" in host else None
    try:
        listeningPort.startListening()
    except (twistedError.CannotListenError, OSError) as e:
        raise _fromCannotListen(e, host, port) from None
    return listeningPort


def listenDefaultTCP(
    reactor: Any, factory: IProtocolFactory, port: int, backlog: int, reusePort: bool
) -> IListeningPort:
    """
    Node's no-host listen (``setupListenHandle`` in ``lib/net.js``): one
    dual-stack ``::`` socket; only when the IPv6 socket cannot be *bound* (no
    IPv6, or EACCES) retry on ``0.0.0.0``.
    EADDRINUSE does not fall back (libuv reports it from listen(2)), so a busy
    port reports ``::``.
    """
    try:
        return listenTCP(reactor, factory, port, "::", backlog, ipv6Only=False, reusePort=reusePort)
    except NodeSystemError as e:
        if e.errno == errno.EADDRINUSE:
            raise
    return listenTCP(reactor, factory, port, "0.0.0.0", backlog, ipv6Only=None, reusePort=reusePort)


def currentUmask() -> int:
    """The process umask, read without changing it where Linux allows."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def listenUNIX(
    reactor: Any,
    factory: IProtocolFactory,
    path: str,
    backlog: int,
    *,
    readableAll: bool,
    writableAll: bool,
) -> IListeningPort:
    """
    Listen on a UNIX path (or an abstract ``"\\0name"``) now.  Like Node: an
    existing file is never unlinked (EADDRINUSE), a missing directory is
    EACCES, a path longer than ``sun_path`` is EINVAL (Node 22), and the file
    mode is the umask's unless ``readableAll``/``writableAll`` add bits.
    """
    abstract = path.startswith("\0")
    if len(os.fsencode(path)) >= SUN_PATH_MAX + (1 if abstract else 0):
        raise uvExceptionWithHostPort(errno.EINVAL, "listen", path, -1)
    # Twisted always chmods the socket file; give it the mode Node would get.
    mode = 0o777 & ~currentUmask()
    if readableAll:
        mode |= 0o444
    if writableAll:
        mode |= 0o222
    if not isRealReactor(reactor):
        try:
            return reactor.listenUNIX(path, factory, backlog, mode)  # type: ignore[no-any-return]
        except twistedError.CannotListenError as e:
            raise _fromCannotListen(e, path, -1) from None
    listeningPort = NodeUNIXPort(path, factory, backlog, mode, reactor=reactor)  # type: ignore[arg-type]
    try:
        listeningPort.startListening()  # type: ignore[no-untyped-call]
    except (twistedError.CannotListenError, OSError) as e:
        failure = _fromCannotListen(e, path, -1)
        if failure.errno == errno.ENOENT:
            # libuv maps a missing directory to EACCES.
            failure = uvExceptionWithHostPort(errno.EACCES, "listen", path, -1)
        raise failure from None
    if not abstract:
        listeningPort._unlinkPath = os.path.abspath(path)
        try:
            bound = os.lstat(path)
        except OSError:
            pass  # already gone: nothing of ours to unlink on close
        else:
            listeningPort._boundFile = (bound.st_dev, bound.st_ino)
    return listeningPort


def listenFD(
    reactor: Any, factory: IProtocolFactory, fd: int, backlog: int
) -> tuple[IListeningPort, bool]:
    """
    Listen on a bound socket descriptor that stays the caller's (Node's
    ``listen({fd})``): the port works on a duplicate.  Returns the port and
    whether it is a UNIX socket.  Anything but a stream socket is EINVAL.
    """
    invalid = uvExceptionWithHostPort(errno.EINVAL, "listen", None, None)
    try:
        duplicate = os.dup(fd)
    except OSError:
        raise invalid from None
    try:
        sock = socket.socket(fileno=duplicate)
    except OSError:
        os.close(duplicate)
        raise invalid from None
    try:
        if sock.type != socket.SOCK_STREAM or not stat.S_ISSOCK(os.fstat(sock.fileno()).st_mode):
            raise invalid
        family = sock.family
        sock.listen(backlog)
        sock.setblocking(False)
        listeningPort: tcp.Port
        if family == socket.AF_UNIX:
            listeningPort = NodeUNIXPort.fromListeningDescriptor(reactor, sock.fileno(), factory)
        elif family in (socket.AF_INET, socket.AF_INET6):
            listeningPort = NodeTCPPort.fromListeningDescriptor(
                reactor, sock.fileno(), family, factory
            )
        else:
            raise invalid
        listeningPort.startListening()
    except OSError as e:
        if isinstance(e, NodeSystemError):
            raise
        raise uvExceptionWithHostPort(e.errno or errno.EINVAL, "listen", None, None) from None
    finally:
        sock.close()
    return listeningPort, family == socket.AF_UNIX


def releaseFailedUNIXLock(path: str) -> None:
    """
    After a failed listen on Twisted's ``unix:`` endpoint (``lockfile=1``, its
    default): remove ``PATH.lock`` if it names this process.  Twisted takes
    the lock before ``bind`` and does not release it when ``bind`` fails; left
    behind, it is stale at the next start, and Twisted then removes whatever
    socket is at ``PATH`` as a leftover of ours.
    """
    lock = path + ".lock"
    try:
        if os.readlink(lock) == str(os.getpid()):
            os.unlink(lock)
    except OSError:
        pass


def portFileno(listeningPort: object) -> int | None:
    """The descriptor of a real listening port, to share it (``listen(server)``)."""
    sock = getattr(listeningPort, "socket", None)
    if isinstance(sock, socket.socket):
        return sock.fileno()
    return None


def closePort(listeningPort: IListeningPort) -> None:
    """
    Stop listening *now* where the port allows it (Node closes the handle
    synchronously): new connections are refused and a UNIX path is removed
    before this returns.  Other ports get ``stopListening()``.
    """
    if isinstance(listeningPort, tcp.Port) and listeningPort.connected:
        listeningPort.stopReading()
        listeningPort.disconnecting = True
        listeningPort.connectionLost(Failure(twistedError.ConnectionDone()))
        return
    result = listeningPort.stopListening()
    if result is not None and hasattr(result, "addErrback"):
        result.addErrback(lambda f: None)


def stopAccepting(listeningPort: IListeningPort) -> None:
    """
    Keep a port bound and listening (connections wait in its backlog) but
    accept nothing in this process: the parent of ``--workers`` holds the
    socket its workers accept from.  Called right after the bind, before the
    reactor can accept anything.
    """
    if isinstance(listeningPort, tcp.Port):
        listeningPort.stopReading()
