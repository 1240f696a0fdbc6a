"""
Node's listener limit: ``MaxListenersExceededWarning`` and the validation of
``setMaxListeners`` / ``EventEmitter.defaultMaxListeners``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import TYPE_CHECKING

from txnetserver._errors import ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE

if TYPE_CHECKING:
    from txnetserver._events import EventEmitter

__all__ = ["MaxListenersExceededWarning", "maxListenersWarning", "validateMaxListeners"]


def validateMaxListeners(value: object, what: str) -> float:
    """Node's ``validateNumber(value, what, 0)``; ``bool`` is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ERR_INVALID_ARG_TYPE(what, "number", value)
    if math.isnan(value) or value < 0:
        raise ERR_OUT_OF_RANGE(what, ">= 0", value)
    return value


class MaxListenersExceededWarning(Warning):
    """
    Node's ``MaxListenersExceededWarning``: issued (with :func:`warnings.warn`)
    the first time an event's listener list grows past the emitter's limit.

    :ivar emitter: the :class:`~txnetserver.EventEmitter` concerned.
    :ivar type: the event name.
    :ivar count: the number of listeners once the limit was exceeded.
    """

    name = "MaxListenersExceededWarning"

    def __init__(
        self,
        message: str,
        *,
        emitter: EventEmitter | None = None,
        type: Hashable = None,
        count: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.emitter = emitter
        self.type = type
        self.count = count


def maxListenersWarning(
    emitter: EventEmitter, eventName: Hashable, count: int, limit: float
) -> MaxListenersExceededWarning:
    """Node's warning text; the emitter shows as ``inspect(emitter, {depth: -1})`` would."""
    shownLimit = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
    return MaxListenersExceededWarning(
        f"Possible EventEmitter memory leak detected. {count} {eventName} listeners "
        f"added to [{emitter.__class__.__name__}]. MaxListeners is {shownLimit}. "
        "Use emitter.setMaxListeners() to increase limit",
        emitter=emitter,
        type=eventName,
        count=count,
    )
