"""Suite-wide rules.

Under ``CI=true`` a skipped test is a failure: a green CI must mean every backend and
tool really ran (stunnel, Docker, tshark, chromium, ...). A test may opt out with the
``ci_may_skip`` marker when its skip reflects a legitimate environment difference,
not a missing component (and says why).
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ci_may_skip(reason): this test's skip is allowed under CI=true"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if (
        os.environ.get("CI") == "true"
        and report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker("ci_may_skip") is None
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true (a green CI must mean it ran): {reason}"
