"""
The lifecycle of a ``net.Socket`` as data: states, events and the transition
table, with no reactor, transport or emitter in sight (sans-IO, as h11's
``_state.py``).

A socket's state is three sides that move on their own, each through a short
table that reads like Node's stream rules:

- the connection: ``new net.Socket()`` is :attr:`Connection.UNCONNECTED`;
  ``connect()`` makes it :attr:`~Connection.CONNECTING` (Node's ``'opening'``);
  a transport makes it :attr:`~Connection.OPEN`; ``destroy()`` or the
  transport's loss make it :attr:`~Connection.DESTROYED`.
- the reading side: the peer's FIN (:attr:`Event.PEER_EOF`) ends the input;
  ``'end'`` is emitted later (:attr:`Event.EMIT_END`) once buffered data is
  consumed.
- the writing side: ``end()`` (:attr:`Event.END`) stops writes; ``'finish'``
  (:attr:`Event.FINISH`) follows once our FIN went out.

A :class:`SocketState` is one combination of the three, interned: every
reachable state and every transition is computed once, at import, so a
socket's transition is one dictionary lookup and Node's flags (``readyState``,
``readable``, ``writable``, ``pending``, ...) are attributes of the state
value, derived from the three sides by :func:`_derive` and never stored on the
socket.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "ACCEPTED",
    "ATTACH",
    "CONNECT",
    "DESTROY",
    "EMIT_END",
    "END",
    "FINISH",
    "INITIAL",
    "PEER_EOF",
    "Connection",
    "Event",
    "LifecycleError",
    "Reading",
    "SocketState",
    "Writing",
]


class _FastEnum(enum.Enum):
    # Members are singletons compared by identity: hash them by identity too,
    # in C, instead of Enum's Python-level hash of the name (transitions are
    # dictionary lookups keyed by these).
    __hash__ = object.__hash__


class Connection(_FastEnum):
    """Whether the socket has a transport."""

    UNCONNECTED = "unconnected"
    """``new net.Socket()``: no transport and no ``connect()`` yet."""
    CONNECTING = "connecting"
    """``connect()`` is under way: writes and ``end()`` are queued."""
    OPEN = "open"
    """A transport is attached (accepted sockets start here)."""
    DESTROYED = "destroyed"
    """``destroy()`` ran or the transport was lost: no more I/O."""


class Reading(_FastEnum):
    """The input: the peer's bytes, then its FIN, then ``'end'``."""

    READING = "reading"
    PEER_ENDED = "peerEnded"
    """The peer's FIN arrived; ``'end'`` waits for buffered data to be read."""
    ENDED = "ended"
    """``'end'`` was emitted (Node's ``readableEnded``)."""


class Writing(_FastEnum):
    """The output: writes, then ``end()``, then ``'finish'``."""

    WRITING = "writing"
    ENDING = "ending"
    """``end()`` was called (Node's ``writableEnded``); our FIN is on its way."""
    FINISHED = "finished"
    """``'finish'`` was emitted: our FIN went out after every queued byte."""


class Event(_FastEnum):
    """What moves a socket from one state to the next."""

    CONNECT = "connect"
    """``socket.connect()`` started connecting."""
    ATTACH = "attach"
    """A transport arrived (Twisted's ``makeConnection``)."""
    PEER_EOF = "peerEof"
    """The peer's FIN (``readConnectionLost``, or a clean close without one)."""
    EMIT_END = "emitEnd"
    """``'end'`` is being emitted."""
    END = "end"
    """``socket.end()``."""
    FINISH = "finish"
    """``'finish'`` is being emitted."""
    DESTROY = "destroy"
    """``destroy()``, a failed listener, or the transport's loss."""


# The events by module-level name, for the socket: looking a member up on an
# Enum class costs ~200 ns on Python 3.11, a module global ~20 ns.
CONNECT: Final = Event.CONNECT
ATTACH: Final = Event.ATTACH
PEER_EOF: Final = Event.PEER_EOF
EMIT_END: Final = Event.EMIT_END
END: Final = Event.END
FINISH: Final = Event.FINISH
DESTROY: Final = Event.DESTROY


class LifecycleError(RuntimeError):
    """
    A transition the table does not allow: a bug in txnetserver (the socket
    checks its state before moving), never a user error.
    """


# Each side's table: state -> {event: next state}.  An event belongs to one
# side; an event missing from its side's row is not allowed in that state.
CONNECTION_TRANSITIONS: Final[dict[Connection, dict[Event, Connection]]] = {
    Connection.UNCONNECTED: {
        Event.CONNECT: Connection.CONNECTING,
        Event.ATTACH: Connection.OPEN,  # a Twisted client endpoint connects it
        Event.DESTROY: Connection.DESTROYED,
    },
    Connection.CONNECTING: {
        Event.ATTACH: Connection.OPEN,
        Event.DESTROY: Connection.DESTROYED,
    },
    Connection.OPEN: {Event.DESTROY: Connection.DESTROYED},
    Connection.DESTROYED: {},
}

READING_TRANSITIONS: Final[dict[Reading, dict[Event, Reading]]] = {
    Reading.READING: {Event.PEER_EOF: Reading.PEER_ENDED},
    Reading.PEER_ENDED: {Event.EMIT_END: Reading.ENDED},
    Reading.ENDED: {},
}

WRITING_TRANSITIONS: Final[dict[Writing, dict[Event, Writing]]] = {
    Writing.WRITING: {Event.END: Writing.ENDING},
    Writing.ENDING: {Event.FINISH: Writing.FINISHED},
    Writing.FINISHED: {},
}

# What the reading and writing sides need of the connection.  Only a
# transport reports the peer's FIN or sends ours (it may still report what it
# read just before destroy() closed it); nothing is emitted or ended once the
# socket is destroyed (Node's streams do neither after destroy()).
_HAD_TRANSPORT: Final = frozenset({Connection.OPEN, Connection.DESTROYED})
_ALIVE: Final = frozenset({Connection.UNCONNECTED, Connection.CONNECTING, Connection.OPEN})
CONNECTION_NEEDED: Final[dict[Event, frozenset[Connection]]] = {
    Event.PEER_EOF: _HAD_TRANSPORT,
    Event.FINISH: _HAD_TRANSPORT,
    Event.EMIT_END: _ALIVE,
    Event.END: _ALIVE,
}


@dataclass(frozen=True, slots=True)
class SocketState:
    """
    One state of a socket: its three sides, and Node's flags derived from
    them (computed once per state, so reading one is an attribute read).
    Instances are interned: compare them with ``is`` or ``==``.
    """

    connection: Connection
    reading: Reading
    writing: Writing

    # Node's public flags (lib/net.js and lib/internal/streams).
    readyState: str = field(init=False, compare=False)
    readable: bool = field(init=False, compare=False)
    writable: bool = field(init=False, compare=False)
    readableEnded: bool = field(init=False, compare=False)
    writableEnded: bool = field(init=False, compare=False)
    writableFinished: bool = field(init=False, compare=False)
    pending: bool = field(init=False, compare=False)
    connecting: bool = field(init=False, compare=False)
    destroyed: bool = field(init=False, compare=False)
    # The socket's own questions.
    peerEnded: bool = field(init=False, compare=False)
    """The peer's FIN arrived (``'end'`` may still be waiting)."""
    sending: bool = field(init=False, compare=False)
    """``write()`` goes straight to a transport (writable and open)."""
    transitions: dict[Event, SocketState] = field(init=False, compare=False, repr=False)
    """This state's row of the table: the events it allows and where each leads."""

    def __post_init__(self) -> None:
        for name, value in _derive(self.connection, self.reading, self.writing).items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "transitions", {})  # filled below, once every state exists

    def after(self, event: Event) -> SocketState:
        """
        The state ``event`` leads to.

        :raises LifecycleError: ``event`` is not allowed in this state.
        """
        try:
            return self.transitions[event]
        except KeyError:
            raise LifecycleError(f"{event.name} is not allowed in {self!r}") from None

    def allows(self, event: Event) -> bool:
        """Whether :meth:`after` would accept ``event``."""
        return event in self.transitions

    def __repr__(self) -> str:
        return (
            f"<SocketState {self.connection.name} {self.reading.name} "
            f"{self.writing.name} ({self.readyState})>"
        )


def _derive(connection: Connection, reading: Reading, writing: Writing) -> dict[str, object]:
    """Node's flags for one combination of the three sides."""
    destroyed = connection is Connection.DESTROYED
    connecting = connection is Connection.CONNECTING
    # Node's readable/writable: not destroyed, 'end' not emitted / end() not called.
    readable = not destroyed and reading is not Reading.ENDED
    writable = not destroyed and writing is Writing.WRITING
    if connecting:
        readyState = "opening"
    elif readable and writable:
        readyState = "open"
    elif readable:
        readyState = "readOnly"
    elif writable:
        readyState = "writeOnly"
    else:
        readyState = "closed"
    return {
        "readyState": readyState,
        "readable": readable,
        "writable": writable,
        "readableEnded": reading is Reading.ENDED,
        "writableEnded": writing is not Writing.WRITING,
        "writableFinished": writing is Writing.FINISHED,
        # Node: `!this._handle || this.connecting`; destroy() drops the handle.
        "pending": connection is not Connection.OPEN,
        "connecting": connecting,
        "destroyed": destroyed,
        "peerEnded": reading is not Reading.READING,
        "sending": writable and connection is Connection.OPEN,
    }


def _nextSides(
    connection: Connection, reading: Reading, writing: Writing, event: Event
) -> tuple[Connection, Reading, Writing] | None:
    needed = CONNECTION_NEEDED.get(event)
    if needed is not None and connection not in needed:
        return None
    if event in CONNECTION_TRANSITIONS[connection]:
        return CONNECTION_TRANSITIONS[connection][event], reading, writing
    if event in READING_TRANSITIONS[reading]:
        return connection, READING_TRANSITIONS[reading][event], writing
    if event in WRITING_TRANSITIONS[writing]:
        return connection, reading, WRITING_TRANSITIONS[writing][event]
    return None


_STATES: Final = {
    (c, r, w): SocketState(c, r, w) for c in Connection for r in Reading for w in Writing
}
for _state in _STATES.values():
    for _event in Event:
        _sides = _nextSides(_state.connection, _state.reading, _state.writing, _event)
        if _sides is not None:
            _state.transitions[_event] = _STATES[_sides]
del _state, _event, _sides

INITIAL: Final = _STATES[Connection.UNCONNECTED, Reading.READING, Writing.WRITING]
"""``new net.Socket()``."""

ACCEPTED: Final = INITIAL.after(Event.ATTACH)
"""A socket with its transport, as every accepted socket starts."""
