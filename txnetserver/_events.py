"""
Node's ``events`` module (v20 ``lib/events.js``) in Python: :class:`EventEmitter`,
:data:`errorMonitor` (with :func:`~txnetserver.once` in ``_eventsonce`` and the
listener limit's warning in ``_maxlisteners``).

Listeners are called with the emitter's arguments only (Python has no ``this``:
bound methods are the idiom), and are compared with ``==`` so that
``e.off("x", self.onX)`` finds the bound method ``e.on("x", self.onX)`` added.

Storage mirrors Node's: one listener per name is stored bare, more as an
immutable tuple.  Adding or removing replaces the tuple (copy-on-write), which
gives ``emit`` Node's snapshot semantics without copying anything per emit.

A listener that returns an awaitable is not fire-and-forget: if it fails, the
failure reaches :meth:`EventEmitter._onAsyncListenerFailure`, which emits
``'error'`` (a deliberate difference from Node, which would leave an unhandled
promise rejection).
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Hashable
from inspect import isawaitable, iscoroutine
from typing import Any, NoReturn, Self, TypeAlias, cast

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from txnetserver._defaults import DEFAULT_MAX_LISTENERS
from txnetserver._errors import ERR_INVALID_ARG_TYPE, ERR_UNHANDLED_ERROR
from txnetserver._maxlisteners import (
    maxListenersWarning,
    validateMaxListeners,
)

__all__ = ["EventEmitter", "Listener", "errorMonitor"]

Listener: TypeAlias = Callable[..., object]
# What ``_events`` holds per name: the listener itself, or a tuple of two or more.
_Stored: TypeAlias = "Listener | tuple[Listener, ...]"

_log = Logger()

# Largest JavaScript array index: names that are such indexes (as int or as a
# canonical decimal string) come first in eventNames(), as Node's own keys do.
_MAX_ARRAY_INDEX = 2**32 - 2

# Marks "no argument given" where Node distinguishes it from undefined.
_ABSENT: Any = object()


class _Symbol:
    """A unique event name that renders like a JavaScript ``Symbol``."""

    __slots__ = ("description",)

    def __init__(self, description: str) -> None:
        self.description = description

    def __repr__(self) -> str:
        return f"Symbol({self.description})"


errorMonitor: Hashable = _Symbol("events.errorMonitor")
"""
Node's ``events.errorMonitor``: listeners for this name see every ``'error'``
emitted, before the ``'error'`` listeners run and also when there is none (the
error is then still raised).
"""

# EventEmitter.defaultMaxListeners, which a program may change (Node's static property).
_defaultMaxListeners: float = DEFAULT_MAX_LISTENERS


def _checkListener(listener: object) -> None:
    if not callable(listener):
        raise ERR_INVALID_ARG_TYPE("listener", "function", listener)


def _matches(entry: Listener, listener: object) -> bool:
    """Node's ``list[i] === listener || list[i].listener === listener``."""
    return entry == listener or getattr(entry, "listener", None) == listener


def _unwrapped(entry: Listener) -> Listener:
    """The listener a once-wrapper stands for (``listeners()``), else ``entry``."""
    original = getattr(entry, "listener", None)
    return original if callable(original) else entry


def _asTuple(stored: _Stored | None) -> tuple[Listener, ...]:
    if stored is None:
        return ()
    if type(stored) is tuple:
        return stored
    return (stored,)  # type: ignore[return-value]


def _arrayIndex(name: object) -> int | None:
    """The integer a name would be as a JavaScript property key, if it is an array index."""
    if isinstance(name, str):
        if name.isascii() and name.isdigit() and (name == "0" or name[0] != "0"):
            index = int(name)
            return index if index <= _MAX_ARRAY_INDEX else None
        return None
    if isinstance(name, bool) or not isinstance(name, (int, float)):
        return None
    if isinstance(name, float) and not name.is_integer():
        return None
    return int(name) if 0 <= name <= _MAX_ARRAY_INDEX else None


class _OnceWrapper:
    """
    Node's bound ``onceWrapper``: removes itself, then calls ``listener`` once.
    ``rawListeners()`` shows it; ``.listener`` is the original function.
    """

    __slots__ = ("fired", "listener", "target", "type")

    def __init__(self, target: EventEmitter, type: Hashable, listener: Listener) -> None:
        self.fired = False
        self.target = target
        self.type = type
        self.listener = listener

    def __call__(self, *args: object) -> object:
        if self.fired:
            return None
        # Removed before the call, so a re-entrant emit cannot run it twice.
        self.target.removeListener(self.type, self)
        self.fired = True
        return self.listener(*args)

    def __repr__(self) -> str:
        return f"<bound onceWrapper of {self.listener!r}>"


class _EventEmitterType(type):
    """Metaclass giving :class:`EventEmitter` Node's validated, live static property."""

    @property
    def defaultMaxListeners(cls) -> float:
        """
        Node's ``EventEmitter.defaultMaxListeners`` (10): the limit of every
        emitter that has no ``setMaxListeners()`` of its own, read live.
        """
        return _defaultMaxListeners

    @defaultMaxListeners.setter
    def defaultMaxListeners(cls, value: float) -> None:
        global _defaultMaxListeners
        _defaultMaxListeners = validateMaxListeners(value, "defaultMaxListeners")


class EventEmitter(metaclass=_EventEmitterType):
    """
    Node's ``events.EventEmitter`` with v20's exact semantics.

    >>> e = EventEmitter()
    >>> e.on("data", print).emit("data", b"chunk")
    b'chunk'
    True

    Like Node's, the emitter's state is created lazily: a subclass may call
    ``on``/``once``/``emit`` before ``super().__init__()``, or never call it.
    """

    __slots__ = ("__dict__", "__weakref__", "_events", "_maxListeners", "_warned")
    _events: dict[Hashable, _Stored]
    _maxListeners: float | None
    # Names whose current listener tuple has been warned about (Node's
    # `warned` flag on the listener array; lost when it collapses).
    _warned: set[Hashable] | None

    errorMonitor: Hashable = errorMonitor
    """Node's ``EventEmitter.errorMonitor``; see :data:`errorMonitor`."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        # The state exists from allocation, as Node's emitter creates it
        # lazily: a subclass may use the emitter before super().__init__(),
        # or never call it.  Not a __getattr__ fallback: defining one makes
        # CPython look up every attribute of every emitter (and Socket) the
        # slow way, ~300 ns per chunk on the echo path.
        self = super().__new__(cls)
        self._events = {}
        self._maxListeners = None
        self._warned = None
        return self

    def __init__(self) -> None:
        # Nothing to do: __new__ made the state, and Node's EventEmitter.init
        # keeps listeners added before it ran (lib/events.js;
        # test-event-emitter-subclass.js relies on it).
        pass

    def emit(self, eventName: Hashable, *args: object) -> bool:
        """
        Node's ``emitter.emit(eventName, ...args)``: call every listener of
        ``eventName``, in order, with ``args``.

        Listeners added during the emit are not called by it; listeners removed
        during it still are.  ``'error'`` runs the :data:`errorMonitor` listeners
        first; without an ``'error'`` listener it then raises its argument if
        that is an exception, else ``ERR_UNHANDLED_ERROR`` whose ``context`` is
        the argument (``None`` for ``emit('error')``).

        :return: whether ``eventName`` had listeners.
        """
        listeners = self._events.get(eventName)
        if listeners is None:
            if eventName == "error":
                return self.__emitError(args)
            return False
        if eventName == "error":
            return self.__emitError(args)
        # Inlined (Node does the same): this runs once per received chunk.
        # A result other than None, True or False (``on('data', sock.write)``
        # returns a bool per chunk) may be an awaitable to watch.
        if type(listeners) is tuple:
            for listener in listeners:
                result = listener(*args)
                if result is not None and result is not True and result is not False:
                    self.__adoptResult(eventName, args, result)
        else:
            result = listeners(*args)  # type: ignore[operator]
            if result is not None and result is not True and result is not False:
                self.__adoptResult(eventName, args, result)
        return True

    def __emitError(self, args: tuple[object, ...]) -> bool:
        """``emit('error', *args)``: :data:`errorMonitor` listeners first, then raise if unheard."""
        events = self._events
        if errorMonitor in events:
            self.emit(errorMonitor, *args)
        listeners = events.get("error")
        if listeners is None:
            self.__raiseUnhandledError(args)
        for listener in _asTuple(listeners):
            result = listener(*args)
            if result is not None:
                self.__adoptResult("error", args, result)
        return True

    @staticmethod
    def __raiseUnhandledError(args: tuple[object, ...]) -> NoReturn:
        """
        Node's unhandled ``'error'``: raise the argument itself if it is an
        exception, else ``ERR_UNHANDLED_ERROR`` whose ``context`` is the argument
        (``None`` for ``emit('error')``).
        """
        error = args[0] if args else None
        if isinstance(error, BaseException):
            raise error
        raise ERR_UNHANDLED_ERROR(error)

    def __adoptResult(self, eventName: Hashable, args: tuple[object, ...], result: object) -> None:
        """Make sure an awaitable returned by a listener cannot fail unnoticed."""
        if isinstance(result, Deferred):
            deferred: Deferred[object] = result
        elif iscoroutine(result):
            deferred = Deferred.fromCoroutine(result)
        elif isawaitable(result):
            deferred = Deferred.fromCoroutine(_awaitAny(result))
        else:
            return
        deferred.addErrback(self.__asyncListenerFailed, eventName, args)

    def __asyncListenerFailed(
        self, failure: Failure, eventName: Hashable, args: tuple[object, ...]
    ) -> None:
        try:
            self._onAsyncListenerFailure(eventName, args, cast(BaseException, failure.value))
        except BaseException:
            # Typically the unhandled 'error' raised back at us: there is no
            # caller left to raise it to, so it is logged rather than lost.
            _log.failure(
                "Unhandled error from an async {eventName!r} listener", eventName=eventName
            )

    def _onAsyncListenerFailure(
        self, eventName: Hashable, args: tuple[object, ...], error: BaseException
    ) -> None:
        """
        Called when the awaitable returned by a listener of ``eventName`` (emitted
        with ``args``) fails with ``error``.  Emits ``'error'`` with ``error``;
        a failing async ``'error'`` listener is logged instead, as re-emitting
        could loop.  Subclasses override this (a server destroys the socket).
        """
        if eventName == "error":
            _log.failure(
                "Async 'error' listener failed",
                failure=Failure(error, type(error), error.__traceback__),
            )
            return
        self.emit("error", error)

    def _addListener(self, eventName: Hashable, listener: Listener, prepend: bool) -> Self:
        """Node's ``_addListener``, shared by ``on``, ``once`` and the prepends."""
        if not callable(listener):
            _checkListener(listener)
        events = self._events
        if "newListener" in events:
            # Before adding, with once-wrappers unwrapped (Node's `listener.listener ?? listener`).
            original = getattr(listener, "listener", None)
            self.emit("newListener", eventName, listener if original is None else original)
        existing = events.get(eventName)
        if existing is None:
            events[eventName] = listener
            return self
        if type(existing) is not tuple:
            existing = (existing,)  # type: ignore[assignment]
        grown = (listener, *existing) if prepend else (*existing, listener)  # type: ignore[misc]
        events[eventName] = grown
        limit = self._maxListeners
        if limit is None:
            limit = _defaultMaxListeners
        if 0 < limit < len(grown):
            warned = self._warned
            if warned is None:
                warned = self._warned = set()
            if eventName not in warned:
                warned.add(eventName)
                warning = maxListenersWarning(self, eventName, len(grown), limit)
                # Points at the caller of on()/once()/prepend*().
                warnings.warn(warning, stacklevel=3)
        return self

    def on(self, eventName: Hashable, listener: Listener) -> Self:
        """
        Node's ``emitter.on(eventName, listener)``: call ``listener`` on every
        ``eventName`` event, after the listeners already there.  The same function
        may be added several times.

        :raises ERR_INVALID_ARG_TYPE: ``listener`` is not callable (also for the
            other adding and removing methods).
        """
        return self._addListener(eventName, listener, False)

    addListener = on

    def prependListener(self, eventName: Hashable, listener: Listener) -> Self:
        """Node's ``emitter.prependListener(eventName, listener)``: like :meth:`on`, but first."""
        return self._addListener(eventName, listener, True)

    def once(self, eventName: Hashable, listener: Listener) -> Self:
        """
        Node's ``emitter.once(eventName, listener)``: call ``listener`` on the
        next ``eventName`` event only.  ``rawListeners()`` shows a wrapper whose
        ``.listener`` is ``listener``; it removes itself before the call.
        """
        _checkListener(listener)
        return self._addListener(eventName, _OnceWrapper(self, eventName, listener), False)

    def prependOnceListener(self, eventName: Hashable, listener: Listener) -> Self:
        """Node's ``emitter.prependOnceListener(eventName, listener)``: :meth:`once`, first."""
        _checkListener(listener)
        return self._addListener(eventName, _OnceWrapper(self, eventName, listener), True)

    def removeListener(self, eventName: Hashable, listener: Listener) -> Self:
        """
        Node's ``emitter.removeListener(eventName, listener)`` (alias ``off``):
        remove the last-added entry that is ``listener`` or a once-wrapper of it,
        then emit ``'removeListener'``.  Does nothing if there is none.
        """
        if not callable(listener):
            _checkListener(listener)
        events = self._events
        existing = events.get(eventName)
        if existing is None:
            return self
        if type(existing) is not tuple:
            if existing is not listener and not _matches(existing, listener):  # type: ignore[arg-type]
                return self
            del events[eventName]
            if self._warned:
                self._warned.discard(eventName)
            if "removeListener" in events:
                # Node's quirk: a sole once-wrapper is reported unwrapped...
                self.emit(
                    "removeListener", eventName, getattr(existing, "listener", None) or listener
                )
            return self
        for position in range(len(existing) - 1, -1, -1):
            entry = existing[position]
            if entry is listener or _matches(entry, listener):
                break
        else:
            return self
        remaining = existing[:position] + existing[position + 1 :]
        if len(remaining) == 1:
            events[eventName] = remaining[0]
            if self._warned:
                self._warned.discard(eventName)
        else:
            events[eventName] = remaining
        if "removeListener" in events:
            # ...but one removed from a list is reported as exactly what was passed.
            self.emit("removeListener", eventName, listener)
        return self

    off = removeListener

    def removeAllListeners(self, eventName: Hashable = _ABSENT) -> Self:
        """
        Node's ``emitter.removeAllListeners([eventName])``: remove every listener
        of ``eventName`` (last first, each reported by ``'removeListener'``), or with
        no argument of every event, ``'removeListener'`` itself last.
        """
        events = self._events
        if not events:
            return self
        if "removeListener" not in events:
            if eventName is _ABSENT:
                events.clear()
                self._warned = None
            elif events.pop(eventName, None) is not None and self._warned:
                self._warned.discard(eventName)
            return self
        if eventName is _ABSENT:
            for key in self.eventNames():
                if key != "removeListener":
                    self.removeAllListeners(key)
            self.removeAllListeners("removeListener")
            events.clear()
            self._warned = None
            return self
        for listener in reversed(_asTuple(events.get(eventName))):
            self.removeListener(eventName, listener)
        return self

    def listeners(self, eventName: Hashable) -> list[Listener]:
        """Node's ``emitter.listeners(eventName)``: a copy, once-wrappers unwrapped."""
        return [_unwrapped(entry) for entry in _asTuple(self._events.get(eventName))]

    def rawListeners(self, eventName: Hashable) -> list[Listener]:
        """Node's ``emitter.rawListeners(eventName)``: a copy, once-wrappers included."""
        return list(_asTuple(self._events.get(eventName)))

    def listenerCount(self, eventName: Hashable, listener: Listener | None = None) -> int:
        """
        Node's ``emitter.listenerCount(eventName[, listener])``: the number of
        listeners of ``eventName``, or of those that are (or wrap) ``listener``.
        """
        entries = _asTuple(self._events.get(eventName))
        if listener is None:
            return len(entries)
        return sum(1 for entry in entries if _matches(entry, listener))

    def eventNames(self) -> list[Hashable]:
        """
        Node's ``emitter.eventNames()``: names with listeners, ordered as
        JavaScript orders property keys: array-index-like names (``2``,
        ``'10'``) ascending, then strings and other primitives, then other
        objects (Node's Symbols, e.g. :data:`errorMonitor`), by first addition.
        """
        indexes: list[tuple[int, Hashable]] = []
        primitives: list[Hashable] = []
        others: list[Hashable] = []
        for name in self._events:
            index = _arrayIndex(name)
            if index is not None:
                indexes.append((index, name))
            elif name is None or isinstance(name, (str, bytes, int, float)):
                primitives.append(name)
            else:
                others.append(name)
        if not indexes and not others:
            return primitives
        indexes.sort(key=lambda pair: pair[0])
        return [name for _, name in indexes] + primitives + others

    def setMaxListeners(self, n: float) -> Self:
        """
        Node's ``emitter.setMaxListeners(n)``: warn once an event has more than
        ``n`` listeners; ``0`` and ``math.inf`` mean no limit.

        :raises ERR_INVALID_ARG_TYPE: ``n`` is not an ``int`` or ``float``.
        :raises ERR_OUT_OF_RANGE: ``n`` is negative or NaN.
        """
        self._maxListeners = validateMaxListeners(n, "setMaxListeners")
        return self

    def getMaxListeners(self) -> float:
        """Node's ``emitter.getMaxListeners()``: own limit, else ``defaultMaxListeners``."""
        limit = self._maxListeners
        return _defaultMaxListeners if limit is None else limit


async def _awaitAny(awaitable: Awaitable[object]) -> object:
    return await awaitable
