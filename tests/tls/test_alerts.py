"""Alert names are the TLS registry's, so a scenario can expect any alert a capture
can show, and nothing else; one ``alert_code`` reads every spelling."""

from __future__ import annotations

import pytest

from harness.scenario import ALERTS as SCENARIO_ALERTS
from harness.scenario import alert_code as scenario_alert_code
from harness.tls.alerts import ALERTS, USUAL_SENDER, alert_code, usual_sender
from harness.tls.registry import alert_name


def test_table_is_the_registry() -> None:
    assert ALERTS[40] == alert_name(40) == "handshake_failure"
    assert ALERTS[121] == alert_name(121) == "ech_required"
    # Withdrawn alerts: the registry marks them, users may name them plainly.
    assert alert_name(41) == "no_certificate_RESERVED"
    assert ALERTS[41] == "no_certificate"
    assert 200 not in ALERTS and alert_name(200) == "unknown(200)"


def test_scenario_exports_are_the_same_objects() -> None:
    assert SCENARIO_ALERTS is ALERTS
    assert scenario_alert_code is alert_code


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("handshake_failure", 40),
        ("Handshake-Failure", 40),
        (" handshake failure ", 40),
        (40, 40),
        ("40", 40),
        (0, 0),
        ("close_notify", 0),
        ("no_certificate", 41),
        ("no_certificate_RESERVED", 41),  # the registry's own spelling
        ("ech_required", 121),
        ("certificate_required", 116),
        ("unknown_psk_identity", 115),
    ],
)
def test_alert_code(given: object, code: int) -> None:
    assert alert_code(given) == code


@pytest.mark.parametrize("given", ["oops", 200, "200", -1, True, None, 40.0, "", "0x28"])
def test_unknown_alert_is_refused(given: object) -> None:
    with pytest.raises(ValueError, match="unknown TLS alert"):
        alert_code(given)


def test_round_trip_name_code() -> None:
    for code, name in ALERTS.items():
        assert alert_code(name) == code
        assert alert_code(code) == code


@pytest.mark.parametrize(
    ("code", "side"),
    [
        (116, "server"),
        (115, "server"),
        (70, "server"),
        (113, "client"),
        (40, "either"),
        (0, "either"),
    ],
)
def test_usual_sender(code: int, side: str) -> None:
    assert usual_sender(code) == side


def test_usual_sender_names_only_assigned_alerts() -> None:
    assert set(USUAL_SENDER) <= set(ALERTS)
    assert set(USUAL_SENDER.values()) <= {"client", "server"}
