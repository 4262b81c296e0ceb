"""cert.expiry-horizon: a real ``openssl s_server`` serving a leaf that expires in 10
days fails it under the guide profile (date and days left in the observation), a
400-day leaf passes (control); the horizon flag, pin/CA files, the JSON's
``not_after`` per certificate, the pure check's other verdicts, and lint's rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harness.certify import ServerRequest, certify_server, lint_text
from harness.certify.expiry import ExpiryFacts, check_expiry_horizon, days_left
from harness.checks.model import CheckResult, Verdict
from harness.checks.watch import CertExpiry
from harness.cli import main
from harness.pki import TestPKI
from harness.profiles import Profile
from tests.certify.peers import s_server
from tests.certify.watchkit import issue_leaf

GCM = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"


def expiry_check(port: int, guide: Profile, out: Path, **kw: object) -> CheckResult:
    outcome = certify_server(ServerRequest("127.0.0.1", port, guide, case="3b", **kw), out)  # type: ignore[arg-type]
    return next(c for c in outcome.run.results[0].checks if c.id == "cert.expiry-horizon")


def test_leaf_expiring_in_10_days_fails_with_the_guide_profile(
    pki: TestPKI, guide: Profile, tmp_path: Path
) -> None:
    assert guide.expiry_horizon_days == 30
    chain, key = issue_leaf(pki, tmp_path, "soon", days=10)
    with s_server(
        ["-cert", chain, "-key", key, "-cipher", GCM, "-tls1_2"], tmp_path / "s.log"
    ) as port:
        check = expiry_check(port, guide, tmp_path / "a")
        relaxed = expiry_check(port, guide, tmp_path / "b", expiry_days=5)
    when = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    assert check.verdict is Verdict.FAIL
    assert check.observed.startswith(
        f"expires {when} (10 days left): CN=soon [served chain depth 0]"
    )
    assert relaxed.verdict is Verdict.PASS  # --expiry-days 5: ten days is far enough


def test_control_leaf_with_400_days_passes(pki: TestPKI, guide: Profile, tmp_path: Path) -> None:
    chain, key = issue_leaf(pki, tmp_path, "later", days=400)
    with s_server(
        ["-cert", chain, "-key", key, "-cipher", GCM, "-tls1_2"], tmp_path / "s.log"
    ) as port:
        check = expiry_check(port, guide, tmp_path / "a")
    assert check.verdict is Verdict.PASS, check
    assert "soonest" in check.observed


def test_pin_file_within_the_horizon_fails_and_json_lists_every_not_after(
    pki: TestPKI, guide: Profile, tmp_path: Path
) -> None:
    """The served chain is fine; the pin file the user gave expires in 10 days."""
    chain, key = issue_leaf(pki, tmp_path, "served", days=400)
    pin, _ = issue_leaf(pki, tmp_path / "pin", "pinned", days=10)
    with s_server(
        ["-cert", chain, "-key", key, "-cipher", GCM, "-tls1_2"], tmp_path / "s.log"
    ) as port:
        code = main(["certify", "server", f"127.0.0.1:{port}", "--case", "3b", "--format", "json",
                     "--pin", str(pin), "--cafile", str(pki.root_ca_path),
                     "--report-dir", str(tmp_path / "r")])  # fmt: skip
    result = json.loads((tmp_path / "r" / "report.json").read_text())["results"][0]
    check = next(c for c in result["checks"] if c["id"] == "cert.expiry-horizon")
    assert code == 1
    assert check["verdict"] == "fail" and "CN=pinned [pin file pinned.crt]" in check["observed"]
    sources = sorted((e["source"], e["subject"]) for e in result["expiry"])
    assert ("served chain", "CN=served") in sources
    assert ("pin file pinned.crt", "CN=pinned") in sources
    assert any(s.startswith("CA file") for s, _ in sources)
    assert all(e["not_after"] and isinstance(e["days_left"], int) for e in result["expiry"])


def _fact(days: int) -> CertExpiry:
    return CertExpiry("served chain", "CN=x", "AA", "2030-01-01T00:00:00+00:00", days, 0)


def test_pure_check_verdicts() -> None:
    pin = CertExpiry("pin file p.pem", "CN=p", "BB", "2030-01-01T00:00:00+00:00", -3)
    fail = check_expiry_horizon(ExpiryFacts((_fact(40), pin), 30))
    assert fail.verdict is Verdict.FAIL and "expired 3 days ago" in fail.observed
    # an expired served leaf is cert.validity's failure: one defect, one failure
    expired = check_expiry_horizon(ExpiryFacts((_fact(-3),), 30))
    assert (expired.verdict, expired.consequence_of) == (Verdict.NOT_REACHED, "cert.validity")
    both = check_expiry_horizon(ExpiryFacts((_fact(-3), _fact(5)), 30))
    assert both.verdict is Verdict.FAIL and "5 days left" in both.observed
    assert check_expiry_horizon(ExpiryFacts((_fact(31),), 30)).verdict is Verdict.PASS
    assert check_expiry_horizon(ExpiryFacts((_fact(30),), 30)).verdict is Verdict.FAIL
    unseen = ExpiryFacts((), 30, chain_expected=True, chain_seen=False)
    assert check_expiry_horizon(unseen).verdict is Verdict.INCONCLUSIVE
    psk = ExpiryFacts((), 30, chain_expected=False, chain_seen=False)
    assert check_expiry_horizon(psk).verdict is Verdict.NOT_APPLICABLE
    bad = ExpiryFacts((_fact(100),), 30, unreadable=("x.pem: no certificate in the file",))
    assert check_expiry_horizon(bad).verdict is Verdict.INCONCLUSIVE
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert days_left(now + timedelta(days=10, seconds=-5), now) == 10
    assert days_left(now - timedelta(hours=1), now) == -1


def test_lint_flags_expiring_files(pki: TestPKI, guide: Profile, tmp_path: Path) -> None:
    """The test PKI's expired leaf is a finding with its line; its valid leaf is not
    (control), until the horizon is longer than its 397 days."""

    def conf(cert: Path) -> str:
        return f"[fix-server]\naccept = 127.0.0.1:7777\nconnect = 127.0.0.1:3003\ncert = {cert}\n"

    expired = [f for f in lint_text(conf(pki.expired_server.pem_path), guide, path="x.conf")
               if f.rule == "cert.expiry-horizon"]  # fmt: skip
    valid = [f for f in lint_text(conf(pki.server_rsa.pem_path), guide, path="x.conf")
             if f.rule == "cert.expiry-horizon"]  # fmt: skip
    longer = [f for f in lint_text(conf(pki.server_rsa.pem_path), guide, path="x.conf",
                                   expiry_days=500) if f.rule == "cert.expiry-horizon"]  # fmt: skip
    assert [f.location.line for f in expired] == [4]
    assert "expired" in expired[0].message and expired[0].to_dict()["not_after"]
    assert valid == []
    assert longer and "days left" in longer[0].message


@pytest.mark.parametrize("flag", ["--expiry-days=-1"])
def test_bad_horizon_is_a_usage_error(flag: str, tmp_path: Path) -> None:
    assert main(["certify", "server", "127.0.0.1:1", flag, "--report-dir", str(tmp_path)]) == 2
