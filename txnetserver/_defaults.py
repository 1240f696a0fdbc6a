"""
Every default value of txnetserver, defined once, with its reason.

Other modules import these names; no default is written out anywhere else.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DEFAULT_AUTO_SELECT_FAMILY",
    "DEFAULT_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT",
    "DEFAULT_BACKLOG",
    "DEFAULT_CONNECT_HOST",
    "DEFAULT_HIGH_WATER_MARK",
    "DEFAULT_MAX_LISTENERS",
    "LOG_BURST",
    "LOG_INTERVAL",
    "MIN_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT",
    "PROXY_HEADER_TIMEOUT",
    "READ_SIZE",
    "TLS_HANDSHAKE_TIMEOUT",
    "TRUSTED_PROXIES",
    "TWISTD_GRACEFUL_TIMEOUT",
    "WORKER_QUICK_EXIT",
    "WORKER_RESTART_DELAY",
    "WORKER_RESTART_DELAY_MAX",
]

DEFAULT_BACKLOG: Final = 511
"""``listen()``'s backlog, Node's default (Twisted's is 50); the kernel rounds backlog+1 up to a
power of two."""

DEFAULT_MAX_LISTENERS: Final = 10
"""``EventEmitter.defaultMaxListeners`` at start: past this many listeners for one event, Node
warns (``MaxListenersExceededWarning``)."""

READ_SIZE: Final = 262144
"""Bytes an accepted TCP connection asks ``recv`` for at most (Twisted's default is 64 KiB): a
stream moves in a quarter of the reads and ``'data'`` events, as the python floor and uvloop do
(stream C=10 went from 0.50x to 0.97x the floor, docs/performance.md); a small message costs the
same, the buffer is sized down to what arrived."""

DEFAULT_HIGH_WATER_MARK: Final = 65536
"""A socket's read and write ``highWaterMark`` in bytes: Node 22's stream default (16384 in
Node 20); we follow Node 22."""

PROXY_HEADER_TIMEOUT: Final = 10.0
"""Seconds a peer behind ``proxyProtocol`` may take to send its PROXY header before it is closed
(``proxyHeaderTimeout``, ``--proxy-header-timeout``).  A balancer writes the header with the
connection, so a legitimate one arrives within a round trip; a peer that sends nothing holds a
descriptor and a ``maxConnections`` slot until then."""

TRUSTED_PROXIES: Final = ("127.0.0.0/8", "::1")
"""The sources whose PROXY header is believed unless ``trustedProxies`` says otherwise: loopback
only (a balancer on the same host).  Any other peer of a ``proxyProtocol`` server is refused."""

TLS_HANDSHAKE_TIMEOUT: Final = 10.0
"""Seconds ``twistd netserver --endpoint ssl:...`` gives a client to finish its TLS handshake
(``--tls-handshake-timeout``)."""

TWISTD_GRACEFUL_TIMEOUT: Final = 30.0
"""Seconds ``twistd netserver`` waits on stop for open connections before destroying them
(``--graceful-timeout``): well inside systemd's default 90 s stop timeout."""

LOG_BURST: Final = 10
"""Lines of one kind (drops, handler failures, ...) ``twistd netserver`` logs per
:data:`LOG_INTERVAL` before it only counts them."""

LOG_INTERVAL: Final = 10.0
"""Seconds over which ``twistd netserver`` rate-limits its per-connection lines."""

WORKER_RESTART_DELAY: Final = 0.5
"""Seconds before ``--workers`` starts a crashed worker again; doubled after each quick exit."""

WORKER_QUICK_EXIT: Final = 1.0
"""A worker that ends within this many seconds of its start failed to start: its next restart waits
twice as long as the last (a worker that cannot start must not spin)."""

WORKER_RESTART_DELAY_MAX: Final = 30.0
"""The longest wait, in seconds, before ``--workers`` starts a worker that keeps failing again."""

DEFAULT_CONNECT_HOST: Final = "localhost"
"""The host ``connect()`` uses when none is given (Node's ``options.host || 'localhost'``)."""

DEFAULT_AUTO_SELECT_FAMILY: Final = True
"""Whether ``connect()`` races IPv6 and IPv4 addresses (RFC 8305) when a name resolves to both:
Node 20's default; ``setDefaultAutoSelectFamily()`` changes it for the process."""

DEFAULT_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT: Final = 250
"""Milliseconds a racing connection attempt gets before the next address is tried (Node's)."""

MIN_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT: Final = 10
"""Node raises smaller attempt timeouts to 10 ms."""
