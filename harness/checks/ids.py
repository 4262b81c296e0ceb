"""The check ids ``evaluate()`` can emit, for validating references to checks.

A self-test scenario names the checks that must fail (``selftest.must_fail``); the
scenario loader refuses an id not listed here, with the file and line, so a typo
cannot make a self-test that waits for a check that never runs. The list is the
check catalogue's own (:data:`harness.checks.catalogue.RUN_CHECKS`), read lazily:
the catalogue imports the scenario model, which the loader builds.
"""

from __future__ import annotations


def check_ids() -> frozenset[str]:
    """Every id the run's check registry can emit."""
    from harness.checks.catalogue import RUN_CHECKS

    return frozenset(RUN_CHECKS.ids)
