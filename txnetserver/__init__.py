"""
txnetserver: Node.js's ``net.Server`` API, done right, in Python on Twisted.

Importing this package never installs a reactor: the global reactor is looked
up lazily, the first time an object without an explicit ``reactor=`` needs it.
"""

from txnetserver import errors
from txnetserver._abort import AbortController, AbortSignal
from txnetserver._address import AddressInfo
from txnetserver._blocklist import BlockList
from txnetserver._events import EventEmitter, MaxListenersExceededWarning, errorMonitor, once
from txnetserver._runner import run
from txnetserver._server import Server, createServer
from txnetserver._service import NetServerService
from txnetserver._socket import Socket
from txnetserver._transport import nodeTransportFor
from txnetserver._workers import WorkersService

__all__ = [
    "AbortController",
    "AbortSignal",
    "AddressInfo",
    "BlockList",
    "EventEmitter",
    "MaxListenersExceededWarning",
    "NetServerService",
    "Server",
    "Socket",
    "WorkersService",
    "createServer",
    "errorMonitor",
    "errors",
    "nodeTransportFor",
    "once",
    "run",
]
