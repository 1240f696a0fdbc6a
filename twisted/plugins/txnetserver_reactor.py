"""``twistd -r txnetserver``: the lean epoll reactor of txnetserver.reactor."""

from twisted.application.reactors import Reactor

txnetserver = Reactor(
    "txnetserver", "txnetserver.reactor", "epoll with a lean per-event dispatch (txnetserver)"
)
