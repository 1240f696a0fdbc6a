"""
Every default value of txnetserver, defined once, with its reason.

Other modules import these names; no default is written out anywhere else.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DEFAULT_BACKLOG",
    "DEFAULT_HIGH_WATER_MARK",
    "LOG_BURST",
    "LOG_INTERVAL",
    "PROXY_HEADER_TIMEOUT",
    "TLS_HANDSHAKE_TIMEOUT",
    "TRUSTED_PROXIES",
    "TWISTD_GRACEFUL_TIMEOUT",
    "WORKER_RESTART_DELAY",
]

DEFAULT_BACKLOG: Final = 511
"""``listen()``'s backlog, Node's default (Twisted's is 50); the kernel rounds backlog+1 up to a
power of two."""

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
"""Seconds before ``--workers`` starts a crashed worker again."""
