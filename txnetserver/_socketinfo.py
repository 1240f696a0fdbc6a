"""
What a socket *is*, as Node reports it: addresses (cached the way
Node caches them), ``readyState``, the TCP options and ``ref``/``unref``.  A mixin of
:class:`txnetserver.Socket`, which owns the attributes it reads.
"""

from __future__ import annotations

import socket as _socketModule
from typing import Any, Self

from twisted.internet.interfaces import ISystemHandle

from txnetserver._address import AddressInfo, addressInfoFromTwisted
from txnetserver._events import EventEmitter
from txnetserver._handles import handlesFor
from txnetserver._lifecycle import SocketState

__all__ = ["SocketInfo"]

_UNSET: Any = object()


class SocketInfo(EventEmitter):
    """Addresses, state and socket options of a :class:`~txnetserver.Socket`."""

    __slots__ = ()

    # Owned by Socket.
    transport: Any
    _state: SocketState
    _remote: Any
    _local: Any
    _reactor: Any
    _refed: bool
    _noDelay: bool
    _keepAlive: bool
    _keepAliveInitialDelay: int

    # -- socket options -----------------------------------------------------------

    def setNoDelay(self, noDelay: bool = True) -> Self:
        """Node's ``socket.setNoDelay([noDelay])``: TCP_NODELAY (Nagle off)."""
        if self.transport is None:
            self._noDelay = bool(noDelay)  # for the connection to come (Node's kSetNoDelay)
            return self
        if not self._state.destroyed:
            self.transport.setTcpNoDelay(bool(noDelay))
        return self

    def setKeepAlive(self, enable: bool = False, initialDelay: float = 0) -> Self:
        """Node's ``socket.setKeepAlive([enable][, initialDelay])``, delay in ms."""
        transport = self.transport
        seconds = int(initialDelay / 1000) if initialDelay else 0
        if transport is None:
            # For the connection to come (Node's kSetKeepAlive).
            self._keepAlive, self._keepAliveInitialDelay = bool(enable), seconds
            return self
        if self._state.destroyed:
            return self
        transport.setTcpKeepAlive(bool(enable))
        if (
            enable
            and seconds >= 1
            and hasattr(_socketModule, "TCP_KEEPIDLE")
            and ISystemHandle.providedBy(transport)
        ):
            handle: Any = transport.getHandle()
            handle.setsockopt(_socketModule.IPPROTO_TCP, _socketModule.TCP_KEEPIDLE, seconds)
        return self

    # -- process lifetime: a ref'd socket keeps run() going ----------------------

    def ref(self) -> Self:
        """Node's ``socket.ref()``: this socket keeps a :func:`run` process alive."""
        if not self._refed:
            self._refed = True
            state = self._state
            if (self.transport is not None or state.connecting) and not state.destroyed:
                handlesFor(self._reactor).hold(self)
        return self

    def unref(self) -> Self:
        """Node's ``socket.unref()``: this socket alone does not keep the process alive."""
        if self._refed:
            self._refed = False
            handlesFor(self._reactor).release(self)
        return self

    # -- addresses and state --------------------------------------------------------

    def __repr__(self) -> str:
        return f"<Socket {self.readyState} remote={self._peerText()}>"

    def _peerText(self) -> str:
        peer = self._remote if self._remote is not _UNSET else None
        return f"{peer.address}:{peer.port}" if isinstance(peer, AddressInfo) else "-"

    def _peer(self) -> AddressInfo | None:
        remote = self._remote
        if remote is _UNSET:
            # Node caches on first read; after destroy an unread address is gone.
            if self._state.destroyed or self.transport is None:
                return None
            remote = addressInfoFromTwisted(self.transport.getPeer())
            self._remote = remote
        return remote  # type: ignore[no-any-return]

    def _host(self) -> AddressInfo | None:
        if self._state.destroyed or self.transport is None:
            return None
        local = self._local
        if local is _UNSET:
            local = addressInfoFromTwisted(self.transport.getHost())
            self._local = local
        return local  # type: ignore[no-any-return]

    @property
    def remoteAddress(self) -> str | None:
        """Node's ``socket.remoteAddress`` (``None`` for UNIX sockets)."""
        peer = self._peer()
        return peer.address if peer is not None else None

    @property
    def remotePort(self) -> int | None:
        """Node's ``socket.remotePort``."""
        peer = self._peer()
        return peer.port if peer is not None else None

    @property
    def remoteFamily(self) -> str | None:
        """Node's ``socket.remoteFamily``: ``'IPv4'`` or ``'IPv6'``."""
        peer = self._peer()
        return peer.family if peer is not None else None

    @property
    def localAddress(self) -> str | None:
        """Node's ``socket.localAddress``."""
        host = self._host()
        return host.address if host is not None else None

    @property
    def localPort(self) -> int | None:
        """Node's ``socket.localPort``."""
        host = self._host()
        return host.port if host is not None else None

    @property
    def localFamily(self) -> str | None:
        """Node's ``socket.localFamily``."""
        host = self._host()
        return host.family if host is not None else None

    def address(self) -> AddressInfo | dict[str, object]:
        """Node's ``socket.address()``: the local end; ``{}`` for UNIX sockets."""
        host = self._host()
        return host if host is not None else {}

    @property
    def readyState(self) -> str:
        """
        Node's ``readyState``: ``'opening'`` while connecting, else ``'open'``,
        ``'readOnly'``, ``'writeOnly'`` or ``'closed'`` from ``readable`` and
        ``writable``.
        """
        return self._state.readyState

    @property
    def destroyed(self) -> bool:
        """Node's ``socket.destroyed``: :meth:`destroy` ran or the connection closed."""
        return self._state.destroyed

    @property
    def pending(self) -> bool:
        """Node's ``socket.pending``: not connected yet, or closed (no handle)."""
        return self._state.pending

    @property
    def connecting(self) -> bool:
        """Node's ``socket.connecting``: ``connect()`` is under way."""
        return self._state.connecting
