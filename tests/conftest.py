"""
Shared pytest configuration.

``TXNETSERVER_TEST_REACTOR=lean`` runs the whole suite on the opt-in
txnetserver.reactor.NodeReactor (CI does both), so the fast path is held to
exactly the same behaviour as Twisted's own epoll reactor.
"""

import os

if os.environ.get("TXNETSERVER_TEST_REACTOR") == "lean":
    import txnetserver.reactor

    txnetserver.reactor.install()

pytest_plugins = ["pytester"]
