"""
``txnetserver.connect()`` / ``createConnection()``: Node's ``net.connect``,
a new :class:`~txnetserver.Socket` that is connecting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from txnetserver._connectargs import parseConnectArgs
from txnetserver._jsvalues import jsTruthy
from txnetserver._socket import Socket

__all__ = ["connect", "createConnection"]

ConnectListener = Callable[[], object]


@overload
def connect(
    options: dict[str, Any],
    connectListener: ConnectListener | None = None,
    /,
    *,
    reactor: Any = None,
    **kwargs: Any,
) -> Socket: ...
@overload
def connect(
    port: int | str,
    host: str | None = None,
    connectListener: ConnectListener | None = None,
    /,
    *,
    reactor: Any = None,
    **kwargs: Any,
) -> Socket: ...
@overload
def connect(
    port: int | str,
    connectListener: ConnectListener,
    /,
    *,
    reactor: Any = None,
    **kwargs: Any,
) -> Socket: ...
@overload
def connect(
    path: str,
    connectListener: ConnectListener | None = None,
    /,
    *,
    reactor: Any = None,
    **kwargs: Any,
) -> Socket: ...
@overload
def connect(*, reactor: Any = None, **kwargs: Any) -> Socket: ...
def connect(*args: Any, reactor: Any = None, **kwargs: Any) -> Socket:
    """
    Node's ``net.connect()``: a new :class:`~txnetserver.Socket`, already
    connecting, in every form of Node's::

        connect({"port": 8000, "host": "::1"}, onConnect)
        connect(8000, "localhost", onConnect)
        connect("/run/app.sock", onConnect)
        connect(port=8000, host="::1", callback=onConnect)

    Options, as Node's: ``port``, ``host`` (``'localhost'``), ``path``,
    ``localAddress``, ``localPort``, ``family`` (0, 4, 6), ``hints``,
    ``lookup(hostname, options, callback)``, ``autoSelectFamily`` (default
    :func:`getDefaultAutoSelectFamily`), ``autoSelectFamilyAttemptTimeout``
    (ms, at least 10), ``timeout`` (``setTimeout``, counted while connecting
    too), ``noDelay``, ``keepAlive``, ``keepAliveInitialDelay``,
    ``allowHalfOpen``, ``signal`` (an ``AbortSignal``: its abort destroys the
    socket with ``AbortError``); and ours: ``endpoint``, a Twisted
    ``IStreamClientEndpoint`` or client endpoint description
    (``"tcp:host=example.com:port=443"``, ``"unix:/run/x.sock"``, ``"tls:..."``).

    Events: ``'lookup'(err, address, family, host)`` for each looked-up
    address, ``'connectionAttempt'(ip, port, family)``,
    ``'connectionAttemptFailed'(ip, port, family, error)``,
    ``'connectionAttemptTimeout'(ip, port, family)``, then ``'connect'`` and
    ``'ready'``, or ``'error'(err)`` and ``'close'(True)``.

    :param reactor: the reactor to use (the global one by default).
    :raises txnetserver.errors.NodeError: Node's argument errors.
    """
    parsed = parseConnectArgs(args, kwargs)
    socket = Socket(parsed.options, reactor=reactor)
    timeout = parsed.options.get("timeout")
    if jsTruthy(timeout):
        socket.setTimeout(timeout)  # type: ignore[arg-type]
    return socket.connect(parsed)


createConnection = connect
"""Node's ``net.createConnection()``, the same function as :func:`connect`."""
