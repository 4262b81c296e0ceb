"""Scenario alert names are the TLS registry's, so a scenario can expect any alert a
capture can show, and nothing else."""

from __future__ import annotations

import pytest

from harness.scenario.alerts import ALERTS, alert_code
from harness.tls.registry import alert_name


def test_table_is_the_registry() -> None:
    assert ALERTS[40] == alert_name(40) == "handshake_failure"
    assert ALERTS[121] == alert_name(121) == "ech_required"
    # Withdrawn alerts: the registry marks them, scenarios name them plainly.
    assert alert_name(41) == "no_certificate_RESERVED"
    assert ALERTS[41] == "no_certificate"
    assert 200 not in ALERTS and alert_name(200) == "unknown(200)"


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("handshake_failure", 40),
        ("Handshake-Failure", 40),
        (40, 40),
        ("40", 40),
        ("no_certificate", 41),
        ("ech_required", 121),
    ],
)
def test_alert_code(given: object, code: int) -> None:
    assert alert_code(given) == code


@pytest.mark.parametrize("given", ["oops", 200, "200", True, None, "no_certificate_RESERVED"])
def test_unknown_alert_is_refused(given: object) -> None:
    with pytest.raises(ValueError, match="unknown TLS alert"):
        alert_code(given)
