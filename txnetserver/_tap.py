"""
``twistd netserver``: command-line options and ``makeService``.

``twisted/plugins/netserver.py`` only points here.  Nothing in this module
imports the reactor at import time: ``twistd -r asyncio`` must still be able
to install its reactor after plugins are scanned.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from twisted.application.service import IService
from twisted.python import usage

__all__ = ["Options", "makeService"]

DEFAULT_PORT = 8000  # the README's main job: twistd -n netserver --port 8000


def _echo(socket: Any) -> None:
    """Echo every byte back, with backpressure (``socket.pipe(socket)``)."""
    socket.on("error", lambda error: None)  # a peer's reset is routine here
    socket.pipe(socket)


def _discard(socket: Any) -> None:
    """Read and drop everything."""
    socket.on("error", lambda error: None)
    socket.on("data", lambda data: None)


_BUILTIN_HANDLERS: dict[str, Callable[[Any], None]] = {"echo": _echo, "discard": _discard}


def _wholeNumber(name: str, minimum: int = 0) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise usage.UsageError(f"--{name} must be a whole number, not {text!r}") from None
        if value < minimum:
            raise usage.UsageError(f"--{name} must be at least {minimum}, not {value}")
        return value

    parse.coerceDoc = "A whole number."  # type: ignore[attr-defined]
    return parse


class Options(usage.Options):
    """``twistd netserver`` options (see ``twistd netserver --help``)."""

    synopsis = "[options]"
    longdesc = (
        "Run a Node.js-style net.Server. Without --port, --path or --endpoint it "
        f"listens on port {DEFAULT_PORT}, on every address (dual-stack ::)."
    )
    optParameters = [
        ["port", "p", None, "TCP port to listen on (0 picks a free one).", _wholeNumber("port")],
        ["host", None, None, "Address or host name to bind (default: all, dual stack)."],
        ["path", None, None, "UNIX socket path to listen on."],
        ["endpoint", None, None, "A Twisted server endpoint description, e.g. tcp:8000."],
        [
            "handler",
            None,
            "echo",
            "echo, discard, or package.module:callable returning a connection "
            "listener or a Server.",
        ],
        ["backlog", None, 511, "listen(2) backlog.", _wholeNumber("backlog", 1)],
        [
            "max-connections",
            None,
            None,
            "Drop connections beyond this many.",
            _wholeNumber("max-connections"),
        ],
        [
            "graceful-timeout",
            None,
            None,
            "On stop, destroy connections still open after this many ms.",
            _wholeNumber("graceful-timeout"),
        ],
    ]
    optFlags = [
        ["ipv6-only", None, "With --host ::, refuse IPv4 clients."],
        ["reuse-port", None, "Set SO_REUSEPORT, so several processes share the port."],
        ["allow-half-open", None, "Keep sockets writable after the peer ends."],
        ["pause-on-connect", None, "Start sockets paused."],
        ["no-delay", None, "Disable Nagle's algorithm on accepted sockets."],
        ["keep-alive", None, "Enable TCP keep-alive on accepted sockets."],
        ["proxy-protocol", None, "Read a PROXY protocol header (HAProxy send-proxy) first."],
    ]

    def postOptions(self) -> None:
        places = [name for name in ("port", "path", "endpoint") if self[name] is not None]
        if len(places) > 1:
            raise usage.UsageError(
                "give only one of --port, --path and --endpoint, not "
                + " and ".join(f"--{name}" for name in places)
            )
        if self["port"] is not None and self["port"] > 65535:
            raise usage.UsageError(f"--port must be below 65536, not {self['port']}")
        if self["host"] is not None and self["port"] is None and places:
            raise usage.UsageError("--host goes with --port")
        if self["ipv6-only"] and not self["host"]:
            raise usage.UsageError("--ipv6-only needs --host (Node ignores it without a host)")
        self["handlerFactory"] = _resolveHandler(self["handler"])


def _resolveHandler(spec: str) -> Callable[..., Any]:
    builtin = _BUILTIN_HANDLERS.get(spec)
    if builtin is not None:
        return builtin
    moduleName, _, attribute = spec.partition(":")
    if not moduleName or not attribute:
        raise usage.UsageError(
            f"--handler must be echo, discard or package.module:callable, not {spec!r}"
        )
    try:
        module = importlib.import_module(moduleName)
    except ImportError as e:
        raise usage.UsageError(f"--handler: cannot import {moduleName!r}: {e}") from None
    target: Any = module
    for part in attribute.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise usage.UsageError(f"--handler: {moduleName!r} has no {attribute!r}")
    if not callable(target):
        raise usage.UsageError(f"--handler: {spec!r} is not callable")
    return target  # type: ignore[no-any-return]


def _listenArguments(options: Options) -> dict[str, Any]:
    if options["endpoint"] is not None:
        return {"endpoint": options["endpoint"]}
    if options["path"] is not None:
        return {"path": options["path"], "backlog": options["backlog"]}
    port = options["port"] if options["port"] is not None else DEFAULT_PORT
    listen: dict[str, Any] = {"port": port, "backlog": options["backlog"]}
    if options["host"]:
        listen["host"] = options["host"]
    if options["ipv6-only"]:
        listen["ipv6Only"] = True
    if options["reuse-port"]:
        listen["reusePort"] = True
    return listen


def makeService(options: Options) -> IService:
    """Build the :class:`~txnetserver.NetServerService` ``twistd`` runs."""
    # Imported here, not at module level: twistd installs its reactor after
    # scanning plugins, and importing txnetserver early must not interfere.
    from twisted.logger import Logger

    from txnetserver._server import Server, createServer
    from txnetserver._service import NetServerService

    log = Logger(namespace="txnetserver")
    serverOptions = {
        "allowHalfOpen": options["allow-half-open"],
        "pauseOnConnect": options["pause-on-connect"],
        "noDelay": options["no-delay"],
        "keepAlive": options["keep-alive"],
        "proxyProtocol": options["proxy-protocol"],
    }
    handler = options["handlerFactory"]
    if handler in _BUILTIN_HANDLERS.values():
        server = createServer(serverOptions, handler)
    else:
        # A user's callable is either the connection listener or a factory
        # of a whole Server; a function of no arguments is the latter.
        made = _callUserHandler(handler)
        server = made if isinstance(made, Server) else createServer(serverOptions, handler)
    if options["max-connections"] is not None:
        server.maxConnections = options["max-connections"]

    def onListening() -> None:
        address = server.address()
        if isinstance(address, str) or address is None:
            log.info("txnetserver listening on {path}", path=address)
        else:
            log.info(
                "txnetserver listening on {address} port {port}",
                address=address.address,
                port=address.port,
            )

    def onDrop(info: Any = None) -> None:
        if info is None:
            log.info("txnetserver dropped a connection (maxConnections reached)")
        else:
            log.info(
                "txnetserver dropped a connection from {address} port {port} "
                "(maxConnections reached)",
                address=info["remoteAddress"],
                port=info["remotePort"],
            )

    server.on("listening", onListening)
    server.on("drop", onDrop)
    service = NetServerService(
        server, _listenArguments(options), gracefulTimeout=options["graceful-timeout"]
    )
    service.stopReactorOnListenFailure = True
    return service


def _callUserHandler(handler: Callable[..., Any]) -> Any:
    """``handler()`` if it takes no arguments (a Server factory), else ``None``."""
    import inspect

    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return None
    required = [
        p
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if required:
        return None
    return handler()
