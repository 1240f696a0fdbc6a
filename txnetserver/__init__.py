"""
txnetserver: Node.js's ``net.Server`` API, done right, in Python on Twisted.

Importing this package never installs a reactor: the global reactor is looked
up lazily, the first time an object without an explicit ``reactor=`` needs it.

The modules, in layers; each imports only from its own layer and the ones listed before it,
except that any may ask ``_reactorchoice`` for the default reactor when it is given none (as
``AbortSignal.timeout()`` does); ``tests/test_imports.py`` holds the package to this map and
to no import cycle:

1. Node semantics that need no reactor, tested without one: ``_events``
   (EventEmitter), ``_eventsonce`` (``events.once``), ``_maxlisteners`` (the
   listener limit), ``_errors`` (Node's ``ERR_*`` codes and messages),
   ``_syserrors`` (system errors in libuv's format), ``_jsvalues``
   (JavaScript value semantics and shared validators), ``_listen``,
   ``_serveroptions``, ``_connectargs`` and ``_socketoptions`` (``listen()``,
   ``createServer()``, ``connect()`` and ``Socket()`` arguments to frozen
   records), ``_proxytrust`` (who may send a PROXY header), ``_lifecycle``
   (the socket's states and transitions), ``_netutil`` (``isIP``,
   ``SocketAddress``), ``_address``, ``_blocklist``, ``_abort``,
   ``_encoding``, ``_typing`` (what type checkers see), and ``_defaults``
   (every default value, once).
2. The Twisted seam, where Node's events meet the reactor:
   ``_twistedinternals`` (every use of a private Twisted name, guarded by
   tests), ``_ports`` (listening sockets, socket options, OS quirks),
   ``_transport`` (server transports and the adapter for any other),
   ``interfaces`` (``INodeTransport``), ``_tick`` (``process.nextTick``),
   ``_handles`` (which handles keep the process alive), ``_resolve``
   (``dns.lookup``), ``_connector`` (``connect()`` on Twisted's client
   endpoints) with ``_attempts`` (its attempts as Node's events),
   ``_reactorchoice`` (which reactor runs when nobody chose) and ``reactor``
   (``NodeReactor``).
3. The objects: ``_server`` (``Server``: its state, the one accept path,
   ``close()``, with ``_serverlisten`` for how it gets its listening socket
   and ``_acceptprotocols`` for the Twisted side of accepting; ``_proxy``
   reads a PROXY protocol header before it) and ``_socket``
   (``Socket``: the Twisted protocol side and closing, with its sides
   ``_socketreading``, ``_socketwriting``, ``_socketinfo``, ``_timeouts``,
   ``_pipe`` and ``_connecting``; it reports to its owner, the server,
   through ``ISocketOwner`` (``_socketowner``) and imports nothing of
   it); ``_client`` (``connect()``); ``errors`` and ``types``, the public
   names of the above.
4. Process and application: ``_runner`` (``run()``: Node's process lifetime),
   ``_service`` (``NetServerService`` for Twisted applications), ``_tap``
   and ``_twistd`` (``twistd netserver``), ``_workers`` and ``_worker``
   (``--workers``), and ``testing`` with ``_pytest_plugin`` (handlers tested
   without sockets).
"""

from txnetserver import errors
from txnetserver import types as types  # named there; not in __all__ (a stdlib name)
from txnetserver._abort import AbortController, AbortSignal
from txnetserver._address import AddressInfo
from txnetserver._blocklist import BlockList
from txnetserver._client import connect, createConnection
from txnetserver._events import EventEmitter, errorMonitor
from txnetserver._eventsonce import once
from txnetserver._maxlisteners import MaxListenersExceededWarning
from txnetserver._netutil import (
    SocketAddress,
    getDefaultAutoSelectFamily,
    getDefaultAutoSelectFamilyAttemptTimeout,
    isIP,
    isIPv4,
    isIPv6,
    setDefaultAutoSelectFamily,
    setDefaultAutoSelectFamilyAttemptTimeout,
)
from txnetserver._runner import run
from txnetserver._server import Server, createServer
from txnetserver._service import NetServerService
from txnetserver._socket import Socket
from txnetserver._transport import nodeTransportFor
from txnetserver._workers import WorkersService

__version__ = "0.2.0.dev0"
"""This release's version (PEP 440); the packaging metadata reads it from here."""

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
    "SocketAddress",
    "WorkersService",
    "__version__",
    "connect",
    "createConnection",
    "createServer",
    "errorMonitor",
    "errors",
    "getDefaultAutoSelectFamily",
    "getDefaultAutoSelectFamilyAttemptTimeout",
    "isIP",
    "isIPv4",
    "isIPv6",
    "nodeTransportFor",
    "once",
    "run",
    "setDefaultAutoSelectFamily",
    "setDefaultAutoSelectFamilyAttemptTimeout",
]
