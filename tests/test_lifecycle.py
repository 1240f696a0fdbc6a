"""
Tests for txnetserver._lifecycle: the socket's state machine, without a
reactor.  Node's rules (lib/net.js, lib/internal/streams) are restated here
independently of the module's own derivation, and hypothesis drives random
event sequences through the table.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txnetserver._lifecycle import (
    ACCEPTED,
    INITIAL,
    Connection,
    Event,
    LifecycleError,
    Reading,
    SocketState,
    Writing,
)


def walk(state: SocketState, *events: Event) -> SocketState:
    for event in events:
        state = state.after(event)
    return state


def nodeReadyState(state: SocketState) -> str:
    """lib/net.js's readyState getter, over Node's own readable/writable rules."""
    destroyed = state.connection is Connection.DESTROYED
    readable = not destroyed and state.reading is not Reading.ENDED
    writable = not destroyed and state.writing is Writing.WRITING
    if state.connection is Connection.CONNECTING:
        return "opening"
    if readable and writable:
        return "open"
    if readable:
        return "readOnly"
    if writable:
        return "writeOnly"
    return "closed"


def reachable() -> list[SocketState]:
    seen = {INITIAL}
    frontier = [INITIAL]
    while frontier:
        state = frontier.pop()
        for event in Event:
            if state.allows(event):
                following = state.after(event)
                if following not in seen:
                    seen.add(following)
                    frontier.append(following)
    return sorted(seen, key=repr)


events = st.lists(st.sampled_from(list(Event)), max_size=12)


def test_a_new_socket_is_pending_not_connecting_and_open() -> None:
    # Node: new net.Socket() is pending, not connecting, readyState 'open'.
    assert (INITIAL.pending, INITIAL.connecting, INITIAL.readyState) == (True, False, "open")
    assert (INITIAL.readable, INITIAL.writable, INITIAL.destroyed) == (True, True, False)


def test_connecting_is_opening_and_pending() -> None:
    state = INITIAL.after(Event.CONNECT)
    assert (state.readyState, state.pending, state.connecting) == ("opening", True, True)
    assert not state.sending  # writes are queued, not sent


def test_an_accepted_socket_is_open_and_sends() -> None:
    assert ACCEPTED.connection is Connection.OPEN
    assert (ACCEPTED.readyState, ACCEPTED.pending, ACCEPTED.sending) == ("open", False, True)


def test_peer_fin_keeps_the_socket_readable_until_end_is_emitted() -> None:
    peerEnded = ACCEPTED.after(Event.PEER_EOF)
    assert (peerEnded.peerEnded, peerEnded.readable, peerEnded.readyState) == (True, True, "open")
    ended = peerEnded.after(Event.EMIT_END)
    assert (ended.readableEnded, ended.readable, ended.readyState) == (True, False, "writeOnly")


def test_end_then_finish_on_the_writing_side() -> None:
    ending = ACCEPTED.after(Event.END)
    assert (ending.writableEnded, ending.writableFinished, ending.readyState) == (
        True,
        False,
        "readOnly",
    )
    finished = ending.after(Event.FINISH)
    assert (finished.writableFinished, finished.sending) == (True, False)


def test_both_sides_done_is_closed_but_not_destroyed() -> None:
    state = walk(ACCEPTED, Event.PEER_EOF, Event.EMIT_END, Event.END, Event.FINISH)
    assert (state.readyState, state.destroyed, state.pending) == ("closed", False, False)


def test_destroyed_is_closed_and_pending_as_node_drops_the_handle() -> None:
    state = ACCEPTED.after(Event.DESTROY)
    assert (state.readyState, state.destroyed, state.pending) == ("closed", True, True)
    assert (state.readable, state.writable, state.writableEnded) == (False, False, False)


def test_end_while_connecting_is_queued_and_sent_on_attach() -> None:
    state = walk(INITIAL, Event.CONNECT, Event.END)
    assert (state.readyState, state.writableEnded) == ("opening", True)
    attached = state.after(Event.ATTACH)
    assert (attached.readyState, attached.writing) == ("readOnly", Writing.ENDING)


@pytest.mark.parametrize(
    ("start", "event"),
    [
        (ACCEPTED, Event.CONNECT),  # connect() on a connected socket
        (ACCEPTED, Event.ATTACH),  # a second transport
        (INITIAL, Event.PEER_EOF),  # a FIN with no transport
        (INITIAL.after(Event.END), Event.FINISH),  # 'finish' with no transport
        (ACCEPTED, Event.EMIT_END),  # 'end' before the peer's FIN
        (ACCEPTED, Event.FINISH),  # 'finish' before end()
        (ACCEPTED.after(Event.DESTROY), Event.DESTROY),  # destroyed twice
        (ACCEPTED.after(Event.DESTROY), Event.END),  # end() after destroy
        (walk(ACCEPTED, Event.PEER_EOF, Event.DESTROY), Event.EMIT_END),  # 'end' after destroy
        (ACCEPTED.after(Event.DESTROY), Event.ATTACH),  # a transport after destroy
    ],
)
def test_transitions_the_table_lacks_raise_a_lifecycle_error(
    start: SocketState, event: Event
) -> None:
    assert not start.allows(event)
    with pytest.raises(LifecycleError, match=event.name):
        start.after(event)


def test_the_states_are_interned() -> None:
    assert walk(INITIAL, Event.ATTACH) is ACCEPTED
    assert walk(ACCEPTED, Event.END, Event.FINISH) is walk(ACCEPTED, Event.END).after(Event.FINISH)


def test_every_reachable_state_reports_nodes_ready_state() -> None:
    states = reachable()
    assert len(states) > 20
    for state in states:
        assert state.readyState == nodeReadyState(state), state


@given(events)
def test_any_event_sequence_follows_the_table_or_raises(sequence: list[Event]) -> None:
    state = INITIAL
    for event in sequence:
        if not state.allows(event):
            with pytest.raises(LifecycleError):
                state.after(event)
            continue
        following = state.after(event)
        # An event moves exactly one side.
        changed = [
            following.connection != state.connection,
            following.reading != state.reading,
            following.writing != state.writing,
        ]
        assert changed.count(True) == 1, (state, event, following)
        # Nothing comes back: destroyed, ended and finished are for good.
        assert not (state.destroyed and not following.destroyed)
        assert not (state.readableEnded and not following.readableEnded)
        assert not (state.writableEnded and not following.writableEnded)
        assert not (state.peerEnded and not following.peerEnded)
        state = following
        assert state.readyState == nodeReadyState(state)
        assert state.pending == (state.connection is not Connection.OPEN)
        assert state.sending == (state.writable and state.connection is Connection.OPEN)


@given(events)
def test_nothing_is_emitted_or_ended_after_destroy(sequence: list[Event]) -> None:
    state = ACCEPTED.after(Event.DESTROY)
    for event in sequence:
        if state.allows(event):
            assert event in (Event.PEER_EOF, Event.FINISH), event
            state = state.after(event)
    assert state.destroyed
