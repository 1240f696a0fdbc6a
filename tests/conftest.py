"""
Shared pytest configuration.

``TXNETSERVER_TEST_REACTOR`` picks the global reactor the whole suite runs on
(CI runs each), so every reactor is held to exactly the same behaviour:

- unset or ``default``: Twisted's default (epoll on Linux);
- ``lean``: the opt-in txnetserver.reactor.NodeReactor (the fast path);
- ``asyncio``: Twisted's asyncio reactor, as in an asyncio application.
"""

import os

_REACTOR = os.environ.get("TXNETSERVER_TEST_REACTOR", "default")

if _REACTOR == "lean":
    import txnetserver.reactor

    txnetserver.reactor.install()
elif _REACTOR == "asyncio":
    import asyncio

    from twisted.internet import asyncioreactor

    asyncioreactor.install(asyncio.new_event_loop())
elif _REACTOR != "default":
    raise ValueError(f"TXNETSERVER_TEST_REACTOR={_REACTOR!r}: use default, lean or asyncio")

pytest_plugins = ["pytester"]
