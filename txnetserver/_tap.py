"""
``twistd netserver``: command-line options and ``makeService``.

``twisted/plugins/netserver.py`` only points here (Twisted's own plugins are
one ``ServiceMaker`` line too).  Nothing in this module imports the reactor or
the rest of txnetserver at import time or while parsing options: ``twistd -r
asyncio`` must still be able to install its reactor after the plugins are
scanned, and without ``-r`` :func:`makeService` installs txnetserver's default
reactor (twistd only installs Twisted's after ``makeService``, if none is).
"""

from __future__ import annotations

import importlib
import inspect
import math
import sys
from collections.abc import Callable
from typing import Any

from twisted.application.service import IService
from twisted.python import usage

from txnetserver._defaults import (
    DEFAULT_BACKLOG,
    PROXY_HEADER_TIMEOUT,
    TLS_HANDSHAKE_TIMEOUT,
    TWISTD_GRACEFUL_TIMEOUT,
)

__all__ = ["Options", "makeService"]

DEFAULT_PORT = 8000  # the README's main job: twistd -n netserver --port 8000


def _echo(socket: Any) -> None:
    """Echo every byte back, with backpressure: Node's ``socket.pipe(socket)``."""
    socket.on("error", _ignore)  # a peer's reset is routine for a demo server
    socket.pipe(socket)


def _discard(socket: Any) -> None:
    """Read and drop everything (RFC 863's discard service)."""
    socket.on("error", _ignore)
    socket.on("data", _ignore)


def _ignore(*args: object) -> None:
    pass


_BUILTIN_HANDLERS: dict[str, Callable[[Any], None]] = {"echo": _echo, "discard": _discard}


def _wholeNumber(name: str, minimum: int = 0, maximum: int | None = None) -> Callable[[str], int]:
    """A coerce function for ``optParameters``: a bad value names the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise usage.UsageError(f"--{name} must be a whole number, not {text!r}") from None
        if value < minimum:
            raise usage.UsageError(f"--{name} must be at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise usage.UsageError(f"--{name} must be at most {maximum}, not {value}")
        return value

    parse.coerceDoc = (  # type: ignore[attr-defined]
        f"A whole number from {minimum} to {maximum}."
        if maximum is not None
        else f"A whole number, at least {minimum}."
    )
    return parse


def _milliseconds(name: str) -> Callable[[str], float]:
    """A coerce function for a timeout in ms: a whole number, or ``none``/``inf`` for none."""
    whole = _wholeNumber(name)

    def parse(text: str) -> float:
        # "inf" too: the value a worker of --workers is given for none.
        if text.strip().lower() in ("none", "inf", "infinity"):
            return math.inf
        return whole(text)

    parse.coerceDoc = "Milliseconds (a whole number), or none."  # type: ignore[attr-defined]
    return parse


def _timeout(value: float | None) -> float | None:
    """A timeout option's value for the service: ``None`` for none."""
    return None if value is None or math.isinf(value) else value


class Options(usage.Options):
    """``twistd netserver`` options (see ``twistd netserver --help``)."""

    synopsis = "[options]"
    longdesc = (
        "Run a Node.js-style net.Server. Without --port, --path or --endpoint it "
        f"listens on port {DEFAULT_PORT} on every address (dual-stack ::)."
    )
    # No short "-h": twistd needs it for --help.
    optParameters: list[list[Any]] = [
        [
            "port",
            "p",
            None,
            f"TCP port to listen on; 0 picks a free one (default {DEFAULT_PORT})",
            _wholeNumber("port", 0, 65535),
        ],
        ["host", None, None, "Address or host name to bind (default: all, dual stack)."],
        ["path", None, None, "UNIX socket path to listen on."],
        ["endpoint", None, None, "A Twisted server endpoint description, e.g. tcp:8000."],
        [
            "handler",
            None,
            "echo",
            "echo, discard, or package.module:callable: a connection listener, or a "
            "function of no arguments returning a Server or a connection listener.",
        ],
        [
            "backlog",
            None,
            None,
            f"listen(2) backlog (default {DEFAULT_BACKLOG})",
            _wholeNumber("backlog", 1),
        ],
        [
            "max-connections",
            None,
            None,
            "Drop connections beyond this many (server.maxConnections)",
            _wholeNumber("max-connections"),
        ],
        [
            "graceful-timeout",
            None,
            round(TWISTD_GRACEFUL_TIMEOUT * 1000),
            "On stop, destroy connections still open after this many ms (none: wait for ever)",
            _milliseconds("graceful-timeout"),
        ],
        [
            "idle-timeout",
            None,
            None,
            "Destroy a connection idle for this many ms (socket.setTimeout; default none)",
            _milliseconds("idle-timeout"),
        ],
        [
            "tls-handshake-timeout",
            None,
            round(TLS_HANDSHAKE_TIMEOUT * 1000),
            "With --endpoint ssl:..., destroy a connection whose TLS handshake takes longer "
            "(ms; none: no limit)",
            _milliseconds("tls-handshake-timeout"),
        ],
        [
            "proxy-header-timeout",
            None,
            round(PROXY_HEADER_TIMEOUT * 1000),
            "With --proxy-protocol, close a connection whose PROXY header takes longer "
            "(ms; none: no limit)",
            _milliseconds("proxy-header-timeout"),
        ],
        [
            "trusted-proxy",
            None,
            None,
            "With --proxy-protocol, believe the PROXY header only from ADDR[/PREFIX] "
            "(repeatable or comma-separated; default loopback: 127.0.0.0/8,::1).",
        ],
        [
            "workers",
            None,
            1,
            "Run this many worker processes on one shared socket (restarted if they die).",
            _wholeNumber("workers", 1),
        ],
    ]
    optFlags: list[list[Any]] = [
        ["ipv6-only", None, "With an IPv6 --host, refuse IPv4 clients."],
        ["reuse-port", None, "Set SO_REUSEPORT, so several processes share the port."],
        ["allow-half-open", None, "Keep sockets writable after the peer ends."],
        ["pause-on-connect", None, "Start sockets paused."],
        ["no-delay", None, "Disable Nagle's algorithm on accepted sockets."],
        ["keep-alive", None, "Enable TCP keep-alive on accepted sockets."],
        ["proxy-protocol", None, "Read a PROXY protocol header (HAProxy send-proxy) first."],
    ]

    def opt_trusted_proxy(self, value: str) -> None:
        """With --proxy-protocol, believe the PROXY header only from ADDR[/PREFIX] (repeatable or comma-separated; default loopback: 127.0.0.0/8,::1)."""  # noqa: E501
        before = self["trusted-proxy"]
        self["trusted-proxy"] = value if before is None else f"{before},{value}"

    def parseOptions(self, options: Any = None) -> None:
        """
        Under twistd (as its subcommand), a usage error prints the usage and
        the error and exits 1, as twistd itself does from Twisted 23 on
        (before, it printed them and exited 0, which a script or a service
        manager takes for success).  Used alone, it raises ``UsageError``.
        """
        parent = getattr(self, "parent", None)
        try:
            super().parseOptions(options)  # type: ignore[no-untyped-call]
        except usage.UsageError as e:
            if parent is None:
                raise
            print(parent)
            print(f"{' '.join(sys.argv[0:2])}: {e}")
            raise SystemExit(1) from None

    def postOptions(self) -> None:
        if self["workers"] > 1 and self["endpoint"] is not None:
            raise usage.UsageError(
                "--workers shares one socket the parent binds: use --port or --path, not --endpoint"
            )
        places = [name for name in ("port", "path", "endpoint") if self[name] is not None]
        if len(places) > 1:
            raise usage.UsageError(
                "give only one of --port, --path and --endpoint, not "
                + " and ".join(f"--{name}" for name in places)
            )
        place = places[0] if places else "port"
        tcpOnly = ["host", "ipv6-only", "reuse-port"]
        if place != "port":
            for name in tcpOnly:
                if self[name]:
                    raise usage.UsageError(f"--{name} goes with --port, not --{place}")
        if place == "endpoint" and self["backlog"] is not None:
            raise usage.UsageError(
                "--backlog goes with --port or --path; an endpoint takes its own "
                "(tcp:8000:backlog=511)"
            )
        if self["ipv6-only"] and not self["host"]:
            raise usage.UsageError("--ipv6-only needs --host (Node ignores it without a host)")
        if self["endpoint"] is not None:
            _checkEndpoint(self["endpoint"])
        if self["trusted-proxy"] is not None:
            if not self["proxy-protocol"]:
                raise usage.UsageError("--trusted-proxy goes with --proxy-protocol")
            self["trustedProxies"] = _trustedProxies(self["trusted-proxy"])
        self["handlerObject"] = _resolveHandler(self["handler"])


def _checkEndpoint(description: str) -> None:
    """Parse ``--endpoint`` now, so a typo is a usage error, not a traceback later."""
    # Parsed against a memory reactor: importing the global one here would
    # install Twisted's default before makeService can choose (no -r given).
    # Server endpoints only keep the reactor they are given; the real one is
    # built again by listen() on the reactor that runs.
    from twisted.internet.endpoints import serverFromString
    from twisted.internet.testing import MemoryReactor

    try:
        serverFromString(MemoryReactor(), description)
    except ImportError as e:
        if e.name is not None and e.name.split(".")[0] in ("OpenSSL", "service_identity"):
            raise usage.UsageError(
                f"--endpoint {description!r} needs TLS support, which is not installed: "
                "pip install 'txnetserver[tls]'"
            ) from None
        raise usage.UsageError(f"--endpoint {description!r} is not usable: {e}") from None
    except Exception as e:  # the parsers raise ValueError, KeyError, ...
        raise usage.UsageError(f"--endpoint {description!r} is not usable: {e}") from None


def _trustedProxies(text: str) -> Any:
    """``--trusted-proxy`` entries as the ``trustedProxies`` option (a usage error if bad)."""
    from txnetserver._errors import NodeError
    from txnetserver._proxytrust import trustedProxies

    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    try:
        return trustedProxies(entries)
    except NodeError:
        bad = next(e for e in entries if _notAnAddress(e))
        raise usage.UsageError(
            f"--trusted-proxy takes ADDR or ADDR/PREFIX (an IP address or subnet), not {bad!r}"
        ) from None


def _notAnAddress(entry: str) -> bool:
    from txnetserver._errors import NodeError
    from txnetserver._proxytrust import trustedProxies

    try:
        trustedProxies([entry])
    except NodeError:
        return True
    return False


def _resolveHandler(spec: str) -> Callable[..., Any]:
    """The object ``--handler`` names: a built-in, or ``package.module:callable``."""
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
    if not _takesNoArguments(target):
        _checkListener(target, f"--handler {spec}")
    return target  # type: ignore[no-any-return]


def _checkListener(listener: Callable[..., Any], what: str) -> None:
    """A usage error unless ``listener`` can be called with one socket."""
    try:
        signature = inspect.signature(listener)
    except (TypeError, ValueError):
        return  # a builtin without a signature: it will have to do
    try:
        signature.bind(object())
    except TypeError:
        raise usage.UsageError(
            f"{what} cannot take a socket: it is neither a connection listener "
            f"(socket) nor a factory of no arguments, its signature is {signature}"
        ) from None


def _takesNoArguments(function: Callable[..., Any]) -> bool:
    """Whether ``function`` can be called with no arguments (a factory, not a listener)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False  # a builtin without a signature: call it with each socket
    return all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY)
        for p in signature.parameters.values()
    )


def _listenArguments(options: Options) -> dict[str, Any]:
    """The ``server.listen()`` options the command line asks for."""
    if options["endpoint"] is not None:
        return {"endpoint": options["endpoint"]}
    backlog = options["backlog"] if options["backlog"] is not None else DEFAULT_BACKLOG
    if options["path"] is not None:
        return {"path": options["path"], "backlog": backlog}
    port = options["port"] if options["port"] is not None else DEFAULT_PORT
    listen: dict[str, Any] = {"port": port, "backlog": backlog}
    if options["host"]:
        listen["host"] = options["host"]
    if options["ipv6-only"]:
        listen["ipv6Only"] = True
    if options["reuse-port"]:
        listen["reusePort"] = True
    return listen


# The options the parent of --workers uses itself to bind the shared socket.
_PARENT_ONLY = frozenset(
    {"port", "host", "path", "endpoint", "backlog", "workers", "ipv6-only", "reuse-port"}
)


def _workerArguments(options: Options) -> list[str]:
    """What each worker of ``--workers`` needs: every option but where to listen."""
    arguments: list[str] = []
    for parameter in Options.optParameters:
        name = parameter[0]
        if name not in _PARENT_ONLY and options[name] is not None:
            arguments += [f"--{name}", str(options[name])]
    for flag in Options.optFlags:
        name = flag[0]
        if name not in _PARENT_ONLY and options[name]:
            arguments.append(f"--{name}")
    return arguments


def makeService(options: Options, *, listen: dict[str, Any] | None = None) -> IService:
    """
    The service that ``twistd netserver`` runs (:mod:`txnetserver._twistd`):
    it binds before ``twistd`` drops privileges, exits non-zero with Node's
    message in one line if it cannot, logs where it listens, and what it
    drops, fails and stops, at a rate no peer can flood.  ``listen`` replaces
    where the options say to listen (a worker of ``--workers`` listens on the
    descriptor its parent hands it).  Without ``twistd -r``, it installs
    txnetserver's default reactor first (:class:`~txnetserver.reactor.NodeReactor`)
    and logs which reactor runs.
    """
    # Imported here, not at module level: see the module docstring.
    from txnetserver._reactorchoice import globalReactor

    # Without -r, nothing has installed a reactor yet: txnetserver's default
    # (NodeReactor) goes in now, before twistd would install Twisted's.
    globalReactor()

    if options["workers"] > 1 and listen is None:
        from txnetserver._workers import WorkersService

        workers = WorkersService(
            options["workers"], _listenArguments(options), _workerArguments(options)
        )
        workers.exitOnListenFailure = True
        return workers

    from txnetserver._server import Server, createServer
    from txnetserver._twistd import Timeouts, TwistdService, watch

    flags = {
        "allowHalfOpen": options["allow-half-open"],
        "pauseOnConnect": options["pause-on-connect"],
        "noDelay": options["no-delay"],
        "keepAlive": options["keep-alive"],
        "proxyProtocol": options["proxy-protocol"],
    }
    handler = options["handlerObject"]
    if handler in _BUILTIN_HANDLERS.values() or not _takesNoArguments(handler):
        server = createServer(flags, handler)
    else:
        try:
            made = handler()
        except Exception as e:
            raise SystemExit(
                f"twistd netserver: --handler {options['handler']} "
                f"raised {e.__class__.__name__}: {e}"
            ) from None
        if isinstance(made, Server):
            server = made
            # Accepted sockets read these from the server, so the flags given
            # on the command line apply to the user's server too.
            for name, value in flags.items():
                if value:
                    setattr(server, name, value)
        elif callable(made):
            try:
                _checkListener(made, f"--handler {options['handler']} returned {made!r}, which")
            except usage.UsageError as e:
                raise SystemExit(f"twistd netserver: {e}") from None
            server = createServer(flags, made)
        else:
            raise SystemExit(
                f"twistd netserver: --handler {options['handler']} returned {made!r}, "
                "not a Server or a connection listener"
            )
    if options["max-connections"] is not None:
        server.maxConnections = options["max-connections"]
    if options["trusted-proxy"] is not None:
        server.trustedProxies = options["trustedProxies"]
    server.proxyHeaderTimeout = _timeout(options["proxy-header-timeout"]) or 0
    limited = watch(
        server,
        Timeouts(
            idle=_timeout(options["idle-timeout"]),
            tlsHandshake=_timeout(options["tls-handshake-timeout"]),
        ),
    )
    return TwistdService(
        server,
        _listenArguments(options) if listen is None else listen,
        gracefulTimeout=_timeout(options["graceful-timeout"]),
        limited=limited,
    )
