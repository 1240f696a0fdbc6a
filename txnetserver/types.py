"""
Names for annotating code that uses txnetserver: the types its signatures
mention, importable from one public place (``from txnetserver.types import Event``).

Each is defined beside the code that uses it and named here: its
``__module__`` is ``txnetserver.types`` (zope interfaces keep theirs, which is
part of their identity).
"""

from txnetserver._abort import (
    AbortSignalLike,
    Event,
    EventListener,
    EventListenerObject,
    ReactorTime,
)
from txnetserver._address import Family
from txnetserver._socketowner import ISocketOwner

__all__ = [
    "AbortSignalLike",
    "Event",
    "EventListener",
    "EventListenerObject",
    "Family",
    "ISocketOwner",
    "ReactorTime",
]

for _name in __all__:
    _exported = globals()[_name]
    if isinstance(_exported, type):
        _exported.__module__ = __name__
del _name, _exported
