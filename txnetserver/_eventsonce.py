"""
Node's ``events.once(emitter, name[, {signal}])``, as a ``Deferred``.
"""

from __future__ import annotations

from collections.abc import Hashable

from twisted.internet.defer import Deferred, fail

from txnetserver._abort import AbortSignalLike
from txnetserver._errors import ERR_INVALID_ARG_TYPE, ERR_UNHANDLED_ERROR, AbortError
from txnetserver._events import EventEmitter

__all__ = ["once"]


def once(
    emitter: EventEmitter, name: Hashable, *, signal: AbortSignalLike | None = None
) -> Deferred[list[object]]:
    """
    Node's ``events.once(emitter, name[, {signal}])``: a ``Deferred`` firing
    with the list of the arguments of the next ``name`` event.

    It fails with the error if ``'error'`` is emitted first (a non-exception is
    wrapped in ``ERR_UNHANDLED_ERROR``), or with ``AbortError`` (``cause`` =
    ``signal.reason``) if ``signal`` is or gets aborted.  Either way its
    listeners are removed; cancelling the ``Deferred`` removes them too.

    >>> async def main(server):
    ...     [socket] = await once(server, "connection")
    """
    if signal is not None and not hasattr(signal, "aborted"):
        return fail(ERR_INVALID_ARG_TYPE("options.signal", "AbortSignal", signal))
    if signal is not None and signal.aborted:
        return fail(AbortError(cause=signal.reason))

    def removeListeners() -> None:
        emitter.removeListener(name, resolve)
        if name != "error":
            emitter.removeListener("error", reject)
        if signal is not None:
            signal.removeEventListener("abort", abort)

    def resolve(*args: object) -> None:
        removeListeners()
        deferred.callback(list(args))

    def reject(error: object = None, *rest: object) -> None:
        removeListeners()
        deferred.errback(error if isinstance(error, BaseException) else ERR_UNHANDLED_ERROR(error))

    def abort(*event: object) -> None:
        removeListeners()
        if not deferred.called:
            deferred.errback(AbortError(cause=signal.reason if signal is not None else None))

    def cancel(cancelled: Deferred[list[object]]) -> None:
        removeListeners()

    deferred: Deferred[list[object]] = Deferred(cancel)
    emitter.once(name, resolve)
    if name != "error":
        emitter.once("error", reject)
    if signal is not None:
        signal.addEventListener("abort", abort)
    return deferred
