"""
Shared pytest configuration: the reactor the suite runs on.

By default the suite runs on the reactor users get by default
(``txnetserver._reactorchoice.globalReactor``: txnetserver's NodeReactor).
``TXNETSERVER_TEST_REACTOR=NAME`` installs a reactor by its ``twistd -r`` name
first, the explicit-choice path (CI runs the suite again with ``epoll``,
Twisted's stock epoll reactor); ``lean`` is the same as ``txnetserver``.
"""

import os

_chosen = os.environ.get("TXNETSERVER_TEST_REACTOR", "")
if _chosen and _chosen != "default":
    from twisted.application.reactors import installReactor

    installReactor({"lean": "txnetserver"}.get(_chosen, _chosen))

from txnetserver._reactorchoice import globalReactor  # noqa: E402

globalReactor()

pytest_plugins = ["pytester"]
