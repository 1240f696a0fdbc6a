"""
Node's loop liveness, for Twisted: which handles are "ref'd".

libuv keeps a process alive while an active, ref'd handle exists.  Twisted's
reactor cannot tell us that (paused and half-closed transports are not even
readers), so every :class:`~txnetserver.Server` that listens and every open
:class:`~txnetserver.Socket` registers itself here while it is ref'd.
:func:`txnetserver.run` watches the registry of its reactor and stops the
reactor once it is empty.  Under ``twistd`` or a plain ``reactor.run()`` the
registry is only bookkeeping: nobody watches it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["HandleRegistry", "handlesFor"]


class HandleRegistry:
    """The ref'd handles of one reactor."""

    __slots__ = ("_onEmpty", "_onUncaught", "refs")

    def __init__(self) -> None:
        self.refs: set[object] = set()
        self._onEmpty: Callable[[], None] | None = None
        self._onUncaught: Callable[[BaseException], None] | None = None

    def hold(self, handle: object) -> None:
        """``handle`` is active and ref'd: it keeps the process alive."""
        self.refs.add(handle)

    def release(self, handle: object) -> None:
        """``handle`` was closed or unref'd."""
        refs = self.refs
        if handle in refs:
            refs.discard(handle)
            if not refs and self._onEmpty is not None:
                self._onEmpty()

    def watch(
        self,
        onEmpty: Callable[[], None] | None,
        onUncaught: Callable[[BaseException], None] | None = None,
    ) -> None:
        """
        Call ``onEmpty`` whenever the last ref'd handle is released, and
        ``onUncaught`` for every exception that no listener handled.
        """
        self._onEmpty = onEmpty
        self._onUncaught = onUncaught

    @property
    def watched(self) -> bool:
        """Whether someone (:func:`txnetserver.run`) owns this reactor's lifetime."""
        return self._onEmpty is not None or self._onUncaught is not None

    def uncaught(self, error: BaseException) -> None:
        """An exception escaped every handler (Node's ``uncaughtException``)."""
        if self._onUncaught is not None:
            self._onUncaught(error)


# Keyed by id(): reactors are long-lived singletons in practice, and tests'
# memory reactors are few; the reactor object is kept alongside so the id
# cannot be reused while the entry exists.
_registries: dict[int, tuple[Any, HandleRegistry]] = {}


def handlesFor(reactor: object) -> HandleRegistry:
    """The handle registry of ``reactor``."""
    entry = _registries.get(id(reactor))
    if entry is None or entry[0] is not reactor:
        entry = (reactor, HandleRegistry())
        _registries[id(reactor)] = entry
    return entry[1]
