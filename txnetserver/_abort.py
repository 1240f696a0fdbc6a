"""
Node's ``AbortController`` and ``AbortSignal``.

In Node these are WHATWG ``EventTarget`` objects, not ``EventEmitter``\\ s:
listeners are added with ``addEventListener('abort', listener)``, each
listener is registered once only, gets one ``Event`` argument, and an
exception raised by one listener does not stop the others (Node reports it as
an uncaught exception; we log it through ``twisted.logger``).

The listener list is a linked list walked the way Node's
``lib/internal/event_target.js`` walks it, so its quirks follow: a listener
removed during the dispatch is skipped, and one added during the dispatch runs
too unless it was added by the last listener.

Python's ``None`` stands for JavaScript's ``undefined`` *and* ``null``:
``abort(None)`` aborts with the default ``AbortError``, so ``signal.reason is
None`` exactly while the signal is not aborted.

>>> controller = AbortController()
>>> controller.signal.addEventListener("abort", lambda event: print(event.type))
>>> controller.abort()
abort
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from txnetserver._errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_OUT_OF_RANGE,
    AbortError,
    NodeError,
)
from txnetserver._errors import TimeoutError as NodeTimeoutError
from txnetserver._reactorchoice import globalReactor

__all__ = [
    "ERR_ILLEGAL_CONSTRUCTOR",
    "AbortController",
    "AbortSignal",
    "AddEventListenerArgumentTypeWarning",
    "Event",
    "EventListener",
    "EventListenerObject",
    "ReactorTime",
]

_log = Logger()

# Node's ``validateUint32(delay, 'delay', false)`` for ``AbortSignal.timeout``.
_MAX_UINT32 = 2**32 - 1


class ERR_ILLEGAL_CONSTRUCTOR(NodeError, TypeError):
    """``new AbortSignal()``: Node's ``TypeError [ERR_ILLEGAL_CONSTRUCTOR]``."""

    code = "ERR_ILLEGAL_CONSTRUCTOR"
    name = "TypeError"

    def __init__(self) -> None:
        super().__init__("Illegal constructor")


class AddEventListenerArgumentTypeWarning(Warning):
    """
    Node's ``AddEventListenerArgumentTypeWarning``: ``addEventListener`` was
    given ``None`` (Node: ``null``), which has no effect.
    """


class AbortSignalLike(Protocol):
    """
    What txnetserver needs of a ``signal`` option: our :class:`~txnetserver.AbortSignal` or
    anything shaped like one (Node checks ``'aborted' in signal``; we also call
    the listener methods and read ``reason``).
    """

    @property
    def aborted(self) -> bool: ...

    @property
    def reason(self) -> object: ...

    def addEventListener(self, type: str, listener: Any, *args: Any, **kwargs: Any) -> object: ...

    def removeEventListener(
        self, type: str, listener: Any, *args: Any, **kwargs: Any
    ) -> object: ...


class ReactorTime(Protocol):
    """The part of Twisted's ``IReactorTime`` that ``AbortSignal.timeout`` uses."""

    def callLater(self, delay: float, callable: Callable[..., object], /, *args: object) -> object:
        """Call ``callable(*args)`` in ``delay`` seconds."""
        ...


class EventListenerObject(Protocol):
    """An object listening with its ``handleEvent(event)`` method (the DOM's ``EventListener``)."""

    def handleEvent(self, event: Event) -> object:
        """Called with the ``Event`` when it is dispatched."""
        ...


#: What ``addEventListener`` accepts: a callable taking the ``Event``, or an
#: object with a ``handleEvent(event)`` method (Node's ``EventListener``).
EventListener = Callable[["Event"], object] | EventListenerObject


@dataclass(frozen=True, slots=True)
class Event:
    """
    The ``Event`` an ``'abort'`` listener receives (Node's ``Event``, reduced
    to what a listener of an ``AbortSignal`` can use).
    """

    type: str
    target: AbortSignal
    #: Node marks the events it dispatches itself as trusted.
    isTrusted: bool = True

    @property
    def currentTarget(self) -> AbortSignal:
        """The signal whose listeners run: the target, as nothing propagates."""
        return self.target


class _Listener:
    """One entry of Node's listener linked list (``class Listener`` in event_target.js)."""

    __slots__ = ("listener", "next", "once", "previous", "removed")

    def __init__(self, previous: _Listener | None, listener: object, once: bool) -> None:
        self.previous = previous
        self.next: _Listener | None = None
        self.listener = listener
        self.once = once
        self.removed = False
        if previous is not None:
            previous.next = self

    def remove(self) -> None:
        # The removed entry keeps its own ``next``: a dispatch standing on it
        # carries on from there, as in Node.
        if self.previous is not None:
            self.previous.next = self.next
        if self.next is not None:
            self.next.previous = self.previous
        self.removed = True


class _EventHandler:
    """
    The listener behind ``onabort``: registered on the first assignment (even
    of ``None``) and kept, so its place among the listeners never changes
    (Node's ``defineEventHandler``).
    """

    __slots__ = ("handler",)

    def __init__(self, handler: object) -> None:
        self.handler = handler

    def __call__(self, event: Event) -> object:
        # Node ignores a handler that is not a function.
        if callable(self.handler):
            return self.handler(event)
        return None


def _isListener(listener: object) -> bool:
    return callable(listener) or hasattr(listener, "handleEvent")


async def _awaitListener(result: Awaitable[object]) -> object:
    return await result


def _callListener(listener: object, event: Event) -> None:
    """Call one listener; what it raises is logged, never raised to ``abort()``'s caller."""
    try:
        if callable(listener):
            result = listener(event)
        else:
            result = listener.handleEvent(event)  # type: ignore[attr-defined]
    except Exception:
        # Node: emitUncaughtException(err), after which the dispatch goes on.
        _log.failure("Uncaught exception in an 'abort' listener")
        return
    if inspect.isawaitable(result):
        # Node: an async listener's rejection is an unhandled rejection.
        failed = Deferred.fromCoroutine(_awaitListener(result))
        failed.addErrback(_logAsyncFailure)


def _logAsyncFailure(failure: Failure) -> None:
    _log.failure("Unhandled failure of an async 'abort' listener", failure)


class AbortSignal:
    """
    Node's ``AbortSignal``: ``aborted``, ``reason``, ``throwIfAborted()``,
    ``addEventListener('abort', ...)``/``removeEventListener``, ``onabort``,
    and the factories ``AbortSignal.abort()``, ``AbortSignal.timeout(ms)`` and
    ``AbortSignal.any(signals)``.  Get one from an :class:`AbortController`:
    ``AbortSignal()`` raises ``ERR_ILLEGAL_CONSTRUCTOR`` as in Node.
    """

    __slots__ = (
        "__weakref__",
        "_aborted",
        "_dependents",
        "_handler",
        "_reason",
        "_roots",
        "_sources",
    )

    _aborted: bool
    _reason: object
    _roots: dict[str, _Listener]
    _handler: _EventHandler | None
    # AbortSignal.any(): signals that abort with this one, and the reverse.
    _dependents: list[AbortSignal]
    _sources: list[AbortSignal]

    def __init__(self) -> None:
        raise ERR_ILLEGAL_CONSTRUCTOR()

    @classmethod
    def _create(cls) -> AbortSignal:
        signal = cls.__new__(cls)
        signal._aborted = False
        signal._reason = None
        signal._roots = {}
        signal._handler = None
        signal._dependents = []
        signal._sources = []
        return signal

    def __repr__(self) -> str:
        return f"AbortSignal(aborted={self._aborted!r})"

    @property
    def aborted(self) -> bool:
        """Node's ``signal.aborted``."""
        return self._aborted

    @property
    def reason(self) -> object:
        """Node's ``signal.reason``: ``None`` until aborted, then the abort reason."""
        return self._reason

    def throwIfAborted(self) -> None:
        """
        Node's ``signal.throwIfAborted()``: raise the reason if the signal is
        aborted.  Node throws any value; Python can raise only exceptions, so a
        reason that is not one is raised as ``AbortError`` with ``cause=reason``.
        """
        if not self._aborted:
            return
        reason = self._reason
        if isinstance(reason, BaseException):
            raise reason
        raise AbortError(cause=reason)

    @property
    def onabort(self) -> object:
        """Node's ``signal.onabort`` event handler attribute (``None`` when unset)."""
        return None if self._handler is None else self._handler.handler

    @onabort.setter
    def onabort(self, handler: object) -> None:
        if self._handler is None:
            self._handler = _EventHandler(handler)
            self.addEventListener("abort", self._handler)
        else:
            self._handler.handler = handler

    def addEventListener(
        self, type: str, listener: EventListener | None, *, once: bool = False
    ) -> None:
        """
        Node's ``EventTarget.addEventListener(type, listener, {once})``.  A
        listener already registered for ``type`` is not added again.

        :raises ERR_INVALID_ARG_TYPE: ``listener`` is neither callable nor has a
            ``handleEvent`` method.
        """
        if listener is None:
            warnings.warn(
                AddEventListenerArgumentTypeWarning(
                    "addEventListener called with None which has no effect."
                ),
                stacklevel=2,
            )
            return
        if not _isListener(listener):
            raise ERR_INVALID_ARG_TYPE("listener", "EventListener", listener)
        root = self._roots.get(type)
        if root is None:
            root = self._roots[type] = _Listener(None, None, False)
        last = root
        while last.next is not None:
            last = last.next
            # ``==`` so that a bound method, created anew on each attribute
            # access, is recognised (Node compares with ``===``).
            if last.listener == listener:
                return
        _Listener(last, listener, once)

    def removeEventListener(self, type: str, listener: EventListener | None) -> None:
        """
        Node's ``EventTarget.removeEventListener(type, listener)``; a listener
        that is not registered is ignored.

        :raises ERR_INVALID_ARG_TYPE: ``listener`` is neither ``None``, callable,
            nor has a ``handleEvent`` method.
        """
        if listener is None:
            return
        if not _isListener(listener):
            raise ERR_INVALID_ARG_TYPE("listener", "EventListener", listener)
        root = self._roots.get(type)
        entry = root.next if root is not None else None
        while entry is not None:
            if entry.listener == listener:
                entry.remove()
                return
            entry = entry.next

    def _dispatchAbort(self) -> None:
        """Fire ``'abort'`` once, walking the list as Node's ``dispatchEvent`` does."""
        root = self._roots.get("abort")
        if root is None:
            return
        event = Event("abort", self)
        entry = root.next
        while entry is not None:
            # Node caches ``next`` before the call: a listener appended by the
            # last listener is not reached.
            following = entry.next
            if not entry.removed:
                if entry.once:
                    entry.remove()
                _callListener(entry.listener, event)
            entry = following

    @staticmethod
    def abort(reason: object = None) -> AbortSignal:
        """
        Node's ``AbortSignal.abort(reason)``: a signal that is already aborted,
        with ``reason`` or, when it is ``None``, an ``AbortError``.
        """
        signal = AbortSignal._create()
        signal._aborted = True
        signal._reason = AbortError() if reason is None else reason
        return signal

    @staticmethod
    def timeout(ms: float, *, reactor: ReactorTime | None = None) -> AbortSignal:
        """
        Node's ``AbortSignal.timeout(ms)``: a signal aborted with a
        ``TimeoutError`` once ``ms`` milliseconds have passed on ``reactor``'s
        clock (the global reactor by default).  As in Node, the pending timer
        does not keep :func:`txnetserver.run` alive.

        :raises ERR_INVALID_ARG_TYPE: ``ms`` is not a number.
        :raises ERR_OUT_OF_RANGE: ``ms`` is not an integer in ``[0, 2**32 - 1]``.
        """
        _validateDelay(ms)
        if reactor is None:
            reactor = cast(ReactorTime, globalReactor())
        signal = AbortSignal._create()
        # The TimeoutError is made when the timer fires, as in Node.
        reactor.callLater(ms / 1000, lambda: _abortSignal(signal, NodeTimeoutError()))
        return signal

    @staticmethod
    def any(signals: Iterable[AbortSignal]) -> AbortSignal:
        """
        Node's ``AbortSignal.any(signals)``: a signal that aborts, with the same
        reason, as soon as one of ``signals`` does (already aborted if one of
        them is).  The sources hold the new signal until it or they abort.

        :raises ERR_INVALID_ARG_TYPE: ``signals`` is a string or not iterable,
            or one of its items is not an ``AbortSignal``.
        """
        if isinstance(signals, (str, bytes)) or not isinstance(signals, Iterable):
            raise ERR_INVALID_ARG_TYPE("signals", "Array", signals)
        sources = list(signals)
        for index, source in enumerate(sources):
            if not isinstance(source, AbortSignal):
                raise ERR_INVALID_ARG_TYPE(f"signals[{index}]", "AbortSignal", source)
        combined = AbortSignal._create()
        for source in sources:
            if source._aborted:
                combined._aborted = True
                combined._reason = source._reason
                return combined
        for source in sources:
            if combined not in source._dependents:
                source._dependents.append(combined)
                combined._sources.append(source)
        return combined


def _validateDelay(ms: object) -> None:
    """Node's ``validateUint32(delay, 'delay', false)``; ``bool`` is not a number."""
    if isinstance(ms, bool) or not isinstance(ms, (int, float)):
        raise ERR_INVALID_ARG_TYPE("delay", "number", ms)
    if isinstance(ms, float) and not (math.isfinite(ms) and ms.is_integer()):
        raise ERR_OUT_OF_RANGE("delay", "an integer", ms)
    if not 0 <= ms <= _MAX_UINT32:
        raise ERR_OUT_OF_RANGE("delay", f">= 0 && <= {_MAX_UINT32}", ms)


def _abortSignal(signal: AbortSignal, reason: object) -> None:
    """
    Node's ``abortSignal()``: set the reason, fire ``'abort'``, then abort the
    signals made by ``AbortSignal.any()`` from this one (a no-op once aborted).
    """
    if signal._aborted:
        return
    signal._aborted = True
    signal._reason = reason
    # An aborted composite no longer needs its other sources, nor they it.
    for source in signal._sources:
        if signal in source._dependents:
            source._dependents.remove(signal)
    signal._sources = []
    signal._dispatchAbort()
    dependents, signal._dependents = signal._dependents, []
    for dependent in dependents:
        _abortSignal(dependent, reason)


class AbortController:
    """
    Node's ``AbortController``: owns a :class:`AbortSignal` (``.signal``) and
    aborts it with ``abort(reason)``.

    >>> controller = AbortController()
    >>> controller.abort()
    >>> controller.signal.reason
    AbortError [ABORT_ERR]: This operation was aborted
    """

    __slots__ = ("_signal",)

    def __init__(self) -> None:
        self._signal = AbortSignal._create()

    def __repr__(self) -> str:
        return f"AbortController(signal={self._signal!r})"

    @property
    def signal(self) -> AbortSignal:
        """Node's ``controller.signal``."""
        return self._signal

    def abort(self, reason: object = None) -> None:
        """
        Node's ``controller.abort(reason)``: abort the signal and run its
        ``'abort'`` listeners now, synchronously.  Without a reason (or with
        ``None``) the reason is an ``AbortError``.  A second call does nothing.
        """
        # Node's default reason: a DOMException 'AbortError', "This operation was aborted".
        _abortSignal(self._signal, AbortError() if reason is None else reason)
