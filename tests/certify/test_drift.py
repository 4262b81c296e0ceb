"""Drift: a real stunnel endpoint certified, its config changed (new certificate, one
more suite), certified again with --baseline: the changes name both. Control: the
same config restarted on the same port gives no drift. ``fixs-harness diff`` on the
saved reports says the same; a run report diffs too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.certify import ServerRequest, TrustOptions, certify_server
from harness.certify.drift import ReportFileError, compare, load_report, snapshot_of_document
from harness.cli import main
from harness.pki import TestPKI
from harness.profiles import Profile
from harness.report import write_reports
from tests.certify.watchkit import free_port, issue_leaf, stunnel_server
from tests.tunnel.kit import require_stunnel

TWO = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
THREE = TWO + ":ECDHE-ECDSA-AES128-SHA256"
FOUR = THREE + ":ECDHE-ECDSA-AES256-SHA384"  # the guide's four ECDSA suites


def certify(port: int, guide: Profile, out: Path, baseline: Path | None = None) -> Path:
    outcome = certify_server(
        ServerRequest("127.0.0.1", port, guide, case="3b", baseline=baseline,
                      trust=TrustOptions(cafile=None)),
        out,
    )  # fmt: skip
    write_reports(outcome.run, out, ["json", "markdown", "html", "junit"])
    return out / "report.json"


@pytest.fixture
def leaves(pki: TestPKI, tmp_path: Path) -> tuple[tuple[Path, Path], tuple[Path, Path]]:
    return (
        issue_leaf(pki, tmp_path / "certs", "fix-server-2025", days=400),
        issue_leaf(pki, tmp_path / "certs", "fix-server-2026", days=500),
    )


def test_changed_certificate_and_added_suite_are_named(
    pki: TestPKI,
    guide: Profile,
    tmp_path: Path,
    leaves: tuple[tuple[Path, Path], tuple[Path, Path]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    require_stunnel()
    port = free_port()
    (old_cert, old_key), (new_cert, new_key) = leaves
    with stunnel_server(tmp_path / "v1", port, old_cert, old_key, TWO):
        first = certify(port, guide, tmp_path / "r1")
    with stunnel_server(tmp_path / "v2", port, new_cert, new_key, THREE):
        second = certify(port, guide, tmp_path / "r2", baseline=first)
    doc = json.loads(second.read_text())
    changes = doc["drift"]["changes"]
    kinds = {(c["kind"], c["subject"]) for c in changes}
    assert ("suite", "TLSv1.2 0xC023") in kinds, changes
    assert ("certificate", "server certificate leaf fingerprint") in kinds
    assert ("certificate", "server certificate leaf subject") in kinds
    assert ("certificate", "server certificate leaf expiry") in kinds
    added = next(c for c in changes if c["kind"] == "suite")
    assert added["after"] == "0xC023 TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"
    # every format carries the section
    assert "Changes since" in (tmp_path / "r2" / "summary.md").read_text()
    assert 'id="drift"' in (tmp_path / "r2" / "report.html").read_text()
    assert "drift.0." in (tmp_path / "r2" / "junit.xml").read_text()
    # the diff command on the two saved reports says the same
    assert main(["diff", str(first), str(second)]) == 1
    out = capsys.readouterr().out
    assert "suite added 0xC023" in out and "fingerprint changed" in out
    assert main(["diff", str(first), str(second), "--json"]) == 1
    as_json = json.loads(capsys.readouterr().out)
    assert as_json["changes"] == changes and as_json["since"] == doc["drift"]["since"]


def test_unchanged_config_restarted_gives_no_drift(
    pki: TestPKI,
    guide: Profile,
    tmp_path: Path,
    leaves: tuple[tuple[Path, Path], tuple[Path, Path]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    require_stunnel()
    port = free_port()
    cert, key = leaves[0]
    with stunnel_server(tmp_path / "v1", port, cert, key, TWO):
        first = certify(port, guide, tmp_path / "r1")
    with stunnel_server(tmp_path / "v1b", port, cert, key, TWO):
        second = certify(port, guide, tmp_path / "r2", baseline=first)
    assert json.loads(second.read_text())["drift"]["changes"] == []
    assert "No changes." in (tmp_path / "r2" / "summary.md").read_text()
    assert main(["diff", str(first), str(second)]) == 0
    assert "no changes since" in capsys.readouterr().out


def test_fail_on_drift_sets_the_exit_code(
    pki: TestPKI,
    tmp_path: Path,
    leaves: tuple[tuple[Path, Path], tuple[Path, Path]],
) -> None:
    """Through the CLI: a compliant endpoint whose certificate was renewed stays exit
    0, and exits 1 only with --fail-on-drift; the baseline may be the report in the
    very report directory the run writes to."""
    require_stunnel()
    port = free_port()
    base = [
        "certify",
        "server",
        f"127.0.0.1:{port}",
        "--case",
        "3b",
        "--scope",
        "tls",
        "--cafile",
        str(pki.root_ca_path),
        "--format",
        "json",
    ]
    with stunnel_server(tmp_path / "v1", port, *leaves[0], FOUR):
        assert main([*base, "--report-dir", str(tmp_path / "a")]) == 0
        first = tmp_path / "a" / "report.json"
    with stunnel_server(tmp_path / "v2", port, *leaves[1], FOUR):
        strict = main([*base, "--report-dir", str(tmp_path / "c"), "--baseline", str(first),
                       "--fail-on-drift"])  # fmt: skip
        # the usual workflow: the same report directory, its last report the baseline
        # (read before the directory is claimed, which removes it)
        plain = main([*base, "--report-dir", str(tmp_path / "a"), "--baseline", str(first)])
    drift = json.loads(first.read_text())["drift"]
    assert {c["kind"] for c in drift["changes"]} == {"certificate"}
    assert (plain, strict) == (0, 1)
    assert main(["diff", str(first), str(first)]) == 0


def test_run_reports_diff_by_scenario(tmp_path: Path) -> None:
    """A run report (scenario × pair): a verdict and a negotiated suite that changed,
    and a result that appeared, each named; identical documents give nothing."""

    def doc(verdict: str, code: str, extra: bool) -> dict[str, object]:
        results = [
            {"scenario_id": "guide-1a", "backend_pair": "python:python", "verdict": verdict,
             "negotiated": {"version": "TLSv1.2", "cipher": {"code": code}},
             "checks": [{"id": "tls.cipher.expected", "verdict": verdict, "observed": code}],
             "certificates": [], "notes": []},
        ]  # fmt: skip
        if extra:
            results.append({"scenario_id": "guide-2", "backend_pair": "python:python",
                            "verdict": "pass", "checks": []})  # fmt: skip
        return {"schema_version": "1.1", "started": "2026-01-01T00:00:00+00:00", "results": results}

    a = snapshot_of_document(doc("pass", "0xC030", False))
    b = snapshot_of_document(doc("fail", "0xC02F", True))
    texts = [c.text for c in compare(a, b).changes]
    assert "verdict changed: pass → fail" in texts
    assert "negotiated suite changed: 0xC030 → 0xC02F" in texts
    assert "result guide-2@python:python new" in texts
    assert compare(a, a).changes == ()


def test_client_auth_and_fix_logon_behaviour_changes_are_named() -> None:
    def doc(alert: str, logon: str) -> dict[str, object]:
        checks = [
            {"id": "auth.client-certificate.expired.refused", "verdict": "pass",
             "observed": f"refused: {alert}"},
            {"id": "fix.logon.accepted", "verdict": "pass" if logon == "Logon" else "fail",
             "observed": logon},
            {"id": "tls.version.supported", "verdict": "pass", "observed": "TLSv1.2"},
        ]  # fmt: skip
        result = {"scenario_id": "certify-server", "backend_pair": "certify-server:h:1",
                  "verdict": "pass", "checks": checks}  # fmt: skip
        return {"schema_version": "1.2", "started": "2026-01-01", "results": [result]}

    before = snapshot_of_document(doc("alert certificate_expired", "Logon"))
    after = snapshot_of_document(doc("alert bad_certificate", "Logout: bad password"))
    kinds = {c.kind: c for c in compare(before, after).changes}
    assert set(kinds) == {"client-auth", "fix-logon"}
    assert "certificate_expired" in kinds["client-auth"].before
    assert "bad_certificate" in kinds["client-auth"].after
    assert kinds["fix-logon"].text.startswith("fix.logon.accepted: pass → fail")


def test_bad_report_files_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "1.1",\n  "results": [}\n')
    with pytest.raises(ReportFileError, match=r"bad\.json:2:\d+: not JSON"):
        load_report(bad)
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(ReportFileError, match="not a fixs-harness report"):
        load_report(other)
    assert main(["diff", str(other), str(bad)]) == 2
    odd = tmp_path / "odd.json"
    odd.write_text('{"schema_version": "1.2", "results": [{"certificates": [1]}]}')
    with pytest.raises(ReportFileError, match=r"results\[0\] is malformed"):
        load_report(odd)
