"""
Shared pytest configuration: the reactor the suite runs on.

By default the suite runs on the reactor users get by default
(``txnetserver._reactorchoice.globalReactor``: txnetserver's NodeReactor).
``TXNETSERVER_TEST_REACTOR=NAME`` installs a reactor by its ``twistd -r`` name
first, the explicit-choice path, so every reactor is held to exactly the same
behaviour: CI runs the suite again with ``epoll`` (Twisted's stock epoll
reactor) and ``asyncio`` (Twisted's asyncio reactor, as in an asyncio
application); ``lean`` is the same as ``txnetserver``.
"""

import os
from collections.abc import Generator

import pytest

_chosen = os.environ.get("TXNETSERVER_TEST_REACTOR", "")
if _chosen == "asyncio":
    # An event loop of its own: asyncio.get_event_loop() without a running
    # loop is deprecated from Python 3.12.
    import asyncio

    from twisted.internet import asyncioreactor

    asyncioreactor.install(asyncio.new_event_loop())
elif _chosen and _chosen != "default":
    from twisted.application.reactors import installReactor

    installReactor({"lean": "txnetserver"}.get(_chosen, _chosen))

from txnetserver._reactorchoice import globalReactor  # noqa: E402

globalReactor()

pytest_plugins = ["pytester"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "conformance(area, scenarios=1): a differential test against Node, counted on the "
        "conformance status page (tests/_conformance_status.py)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "call" and item.get_closest_marker("conformance") is not None:
        from tests import _conformance_status

        _conformance_status.record(item, passed=report.passed)
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("TXNETSERVER_CONFORMANCE_SUMMARY")
    if path:
        from tests import _conformance_status, test_conformance

        _conformance_status.writeSummary(path, test_conformance)
