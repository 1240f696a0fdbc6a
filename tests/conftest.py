"""
Shared pytest configuration.

``TXNETSERVER_TEST_REACTOR=lean`` runs the whole suite on the opt-in
txnetserver.reactor.NodeReactor (CI does both), so the fast path is held to
exactly the same behaviour as Twisted's own epoll reactor.
"""

import os
from collections.abc import Generator

import pytest

if os.environ.get("TXNETSERVER_TEST_REACTOR") == "lean":
    import txnetserver.reactor

    txnetserver.reactor.install()

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
