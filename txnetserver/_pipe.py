"""
``readable.pipe(destination)``: the listeners one pipe adds, as bound methods
of one slotted object (less memory per connection than four closures).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from txnetserver._socketreading import SocketReading

__all__ = ["Pipe"]


class Pipe:
    """
    One ``source.pipe(destination)``: its four listeners are this object's
    bound methods (less memory per connection than four closures).  A bound
    method made again compares equal, so ``cleanup`` removes them by value.
    """

    __slots__ = ("destination", "source")

    def __init__(self, source: SocketReading, destination: Any) -> None:
        self.source = source
        self.destination = destination

    def onData(self, chunk: bytes | str) -> None:
        if self.destination.write(chunk) is False:
            self.source.pause()

    def onDrain(self) -> None:
        if self.source._flowing is False:
            self.source.resume()

    def onEnd(self) -> None:
        self.destination.end()

    def cleanup(self, *_: object) -> None:
        self.source.removeListener("data", self.onData)
        if self.source._echoListener == self.onData:
            # The socket's direct echo path referred to this pipe: a cycle
            # that left each closed connection to the garbage collector.
            self.source._echoListener = None
        self.source.removeListener("end", self.onEnd)
        self.destination.removeListener("drain", self.onDrain)
        self.destination.removeListener("close", self.cleanup)
