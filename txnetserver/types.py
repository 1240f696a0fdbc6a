"""
Names for annotating code that uses txnetserver: the types its signatures
mention, importable from one public place (``from txnetserver.types import Event``).

Each is defined beside the code that uses it and named here: its
``__module__`` is ``txnetserver.types`` (zope interfaces keep theirs, which is
part of their identity).
"""

from typing import TypeVar

from txnetserver._abort import (
    AbortSignalLike,
    Event,
    EventListener,
    EventListenerObject,
    ReactorTime,
)
from txnetserver._address import Family
from txnetserver._socketowner import ISocketOwner
from txnetserver._typing import (
    ConnectionListener,
    Destination,
    DropInfo,
    ListenOptions,
    PipeDestination,
    ServerEventMethod,
    ServerOptions,
    SocketEventMethod,
    StreamServerEndpointLike,
)

__all__ = [
    "AbortSignalLike",
    "ConnectionListener",
    "Destination",
    "DropInfo",
    "Event",
    "EventListener",
    "EventListenerObject",
    "Family",
    "ISocketOwner",
    "ListenOptions",
    "PipeDestination",
    "ReactorTime",
    "ServerEventMethod",
    "ServerOptions",
    "SocketEventMethod",
    "StreamServerEndpointLike",
]

for _name in __all__:
    _exported = globals()[_name]
    if isinstance(_exported, type | TypeVar):
        _exported.__module__ = __name__
del _name, _exported
