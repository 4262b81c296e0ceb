"""The ``selftest`` key: loaded with its location, bad ids refused at their line, and
the shipped self-tests cover every check family issue 10 names."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checks.ids import check_ids
from harness.errors import LocatedError
from harness.scenario import load_scenario
from harness.scenario.loader import scenario_files

BASE = (Path(__file__).parent / "examples" / "guide-3a-bad-password.yaml").read_text()
SHIPPED = Path(__file__).resolve().parents[2] / "scenarios" / "selftest"


def _with(tmp_path: Path, selftest: str) -> tuple[Path, str]:
    text = BASE.replace("\nexpect:\n", f"\n{selftest}\nexpect:\n", 1)
    assert text != BASE
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path, text


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_loads_with_ids_and_location(tmp_path: Path) -> None:
    path, text = _with(
        tmp_path, "selftest:\n  must_fail: [fix.logon, tls.version]\n  misreport_log: server"
    )
    scenario = load_scenario(path)
    assert scenario.selftest is not None
    assert scenario.selftest.must_fail == ("fix.logon", "tls.version")
    assert scenario.selftest.misreport_log == "server"
    assert scenario.selftest.location.line == _line(text, "selftest:")


def test_a_scenario_without_the_key_is_not_a_selftest(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BASE)
    assert load_scenario(path).selftest is None


@pytest.mark.parametrize(
    ("block", "needle", "fragment"),
    [
        (
            "selftest:\n  must_fail:\n    - fix.logon\n    - tls.vresion",
            "tls.vresion",
            "unknown check id 'tls.vresion'; ids of that family: tls.cipher.expected",
        ),
        ("selftest:\n  must_fail: []", "must_fail", "at least 1"),
        ("selftest:\n  must_fail: [fix.logon, fix.logon]", "must_fail", "listed twice"),
        ("selftest:\n  must_fail: [fix.logon]\n  mustfail: [x]", "mustfail", "unknown key"),
        ("selftest:\n  must_fail: [fix.logon]\n  misreport_log: both", "misreport_log", "client"),
    ],
)
def test_bad_selftest_names_file_and_line(
    tmp_path: Path, block: str, needle: str, fragment: str
) -> None:
    path, text = _with(tmp_path, block)
    with pytest.raises(LocatedError) as err:
        load_scenario(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{_line(text, needle)}:"), message
    assert fragment in message


FAMILIES = {
    "TLS version": {"tls.version"},
    "version outside the profile": {"tls.version.in-profile"},
    "expected cipher": {"tls.cipher.expected"},
    "cipher outside the profile": {"tls.cipher.in-profile"},
    "mutual expected, no CertificateRequest": {"auth.client-certificate"},
    "PSK expected, certificates used": {"auth.psk-suite", "auth.no-certificates"},
    "refusal expected, accepted": {"auth.refused-with-alert", "fix.no-session"},
    "fix.logon": {"fix.logon"},
    "fix.roundtrip": {"fix.roundtrip"},
    "fix.script": {"fix.script"},
    "proxy.connect": {"proxy.connect"},
    "log.matches-wire": {"log.matches-wire.client", "log.matches-wire.server"},
    "socket.nodelay": {"socket.nodelay.client.l", "socket.nodelay.server.r"},
}


def test_the_shipped_selftests_load_and_cover_every_family() -> None:
    files = scenario_files([SHIPPED])
    assert len(files) >= 18
    named: set[str] = set()
    for path in files:
        scenario = load_scenario(path)
        assert scenario.selftest is not None, f"{path} has no selftest key"
        assert set(scenario.selftest.must_fail) <= check_ids()
        named.update(scenario.selftest.must_fail)
    for family, ids in FAMILIES.items():
        assert ids <= named, f"no self-test for {family}: {sorted(ids - named)}"
