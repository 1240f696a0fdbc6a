"""
What type checkers see of the Node-shaped signatures: the options of
``createServer()`` and ``listen()`` as ``TypedDict``s, the listener each known
event is called with (as ``on()``/``once()``/... overloads), and what
``pipe()`` needs of its destination. Nothing here runs: these are
declarations, re-exported for users by :mod:`txnetserver.types`.

Event listener types follow Node's documentation of each event; a name that
is not listed falls back to any callable, as ``EventEmitter`` accepts any
event name.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict, TypeVar, overload

from txnetserver._abort import AbortSignalLike

if TYPE_CHECKING:
    from txnetserver._blocklist import BlockList
    from txnetserver._server import Server
    from txnetserver._socket import Socket

__all__ = [
    "ConnectionListener",
    "Destination",
    "DropInfo",
    "ListenOptions",
    "PipeDestination",
    "ServerEventMethod",
    "ServerOptions",
    "SocketEventMethod",
    "StreamServerEndpointLike",
]

#: A ``'connection'`` listener (``createServer``'s ``connectionListener``).
ConnectionListener = Callable[["Socket"], object]


class ServerOptions(TypedDict, total=False):
    """``createServer()``'s options, as a dict or keyword arguments."""

    allowHalfOpen: bool
    pauseOnConnect: bool
    noDelay: bool
    keepAlive: bool
    keepAliveInitialDelay: float
    highWaterMark: int
    blockList: BlockList


class StreamServerEndpointLike(Protocol):
    """
    A Twisted ``IStreamServerEndpoint`` as type checkers see one: anything
    with its ``listen(protocolFactory)`` method (zope interfaces are not
    types to pyright, so this protocol stands for the interface).
    """

    def listen(self, protocolFactory: Any, /) -> Any:
        """Listen with ``protocolFactory``: a ``Deferred`` firing with an ``IListeningPort``."""
        ...


class ListenOptions(TypedDict, total=False):
    """``server.listen()``'s options, as a dict or keyword arguments."""

    port: int | str | None
    host: str | None
    path: str | None
    backlog: int | None
    exclusive: bool
    ipv6Only: bool
    reusePort: bool
    readableAll: bool
    writableAll: bool
    signal: AbortSignalLike | None
    fd: int
    handle: object
    endpoint: StreamServerEndpointLike | str


class DropInfo(TypedDict):
    """What ``'drop'`` is emitted with when ``maxConnections`` refuses a TCP connection."""

    localAddress: str
    localPort: int
    localFamily: str
    remoteAddress: str
    remotePort: int
    remoteFamily: str


class ServerEventMethod(Protocol):
    """
    ``Server.on()`` and its siblings (``addListener``, ``once``,
    ``prependListener``, ``prependOnceListener``): the listener each of
    Node's server events is called with.
    """

    @overload
    def __call__(
        self, eventName: Literal["connection"], listener: Callable[[Socket], object]
    ) -> Server: ...
    @overload
    def __call__(
        self, eventName: Literal["listening", "close"], listener: Callable[[], object]
    ) -> Server: ...
    @overload
    def __call__(
        self, eventName: Literal["error"], listener: Callable[[BaseException], object]
    ) -> Server: ...
    @overload
    def __call__(
        self, eventName: Literal["drop"], listener: Callable[[DropInfo | None], object]
    ) -> Server: ...
    @overload
    def __call__(self, eventName: Hashable, listener: Callable[..., object]) -> Server: ...


class SocketEventMethod(Protocol):
    """
    ``Socket.on()`` and its siblings: the listener each of Node's socket
    events is called with (``'data'``: ``bytes``, or ``str`` after
    ``setEncoding()``; ``'close'``: whether the socket closed on an error).
    """

    @overload
    def __call__(
        self, eventName: Literal["data"], listener: Callable[[bytes | str], object]
    ) -> Socket: ...
    @overload
    def __call__(
        self, eventName: Literal["close"], listener: Callable[[bool], object]
    ) -> Socket: ...
    @overload
    def __call__(
        self, eventName: Literal["error"], listener: Callable[[BaseException], object]
    ) -> Socket: ...
    @overload
    def __call__(
        self,
        eventName: Literal["end", "finish", "drain", "timeout", "connect", "ready"],
        listener: Callable[[], object],
    ) -> Socket: ...
    @overload
    def __call__(
        self,
        eventName: Literal["lookup"],
        listener: Callable[[BaseException | None, str | None, int | None, str], object],
    ) -> Socket: ...
    @overload
    def __call__(
        self,
        eventName: Literal["connectionAttempt", "connectionAttemptTimeout"],
        listener: Callable[[str, int, int], object],
    ) -> Socket: ...
    @overload
    def __call__(
        self,
        eventName: Literal["connectionAttemptFailed"],
        listener: Callable[[str, int, int, BaseException], object],
    ) -> Socket: ...
    @overload
    def __call__(self, eventName: Hashable, listener: Callable[..., object]) -> Socket: ...


class PipeDestination(Protocol):
    """What ``socket.pipe(destination)`` uses of ``destination``: a Node writable stream's calls."""

    def write(self, chunk: Any, /) -> object:
        """Write a chunk; ``False`` asks the source to pause until ``'drain'``."""
        ...

    def end(self) -> object:
        """End the stream (the source ended)."""
        ...

    def on(self, eventName: Any, listener: Callable[..., Any], /) -> object:
        """Listen for ``'drain'`` and ``'close'``."""
        ...

    def emit(self, eventName: Any, /, *args: Any) -> object:
        """Emit ``'pipe'``."""
        ...

    def removeListener(self, eventName: Any, listener: Callable[..., Any], /) -> object:
        """Stop listening (the pipe is undone)."""
        ...


#: ``socket.pipe(destination)`` returns ``destination``, typed as given.
Destination = TypeVar("Destination", bound=PipeDestination)
