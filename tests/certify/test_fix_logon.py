"""certify server's optional FIX Logon probe, through a real TLS endpoint (the guide's
case 3 server section on our tunnel and on stunnel) with the mock FIX acceptor behind
it; negative controls: an acceptor that takes any password, and a wrong password of
ours."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.certify import ServerRequest, TrustOptions, certify_server
from harness.certify.fixlogon import FixLogon
from harness.checks.model import Verdict
from harness.fix.settings import Credentials as FixCredentials
from harness.fixnet import SessionSettings, run_acceptor_in_thread
from harness.pki import TestPKI
from harness.profiles import Profile
from tests.tunnel.kit import backend_named, guide_config

PASSWORD = "Fix-Logon-Pa55word"


def _acceptor(password: str | None) -> SessionSettings:
    creds = FixCredentials(username="clientQA1", password=password) if password else None
    return SessionSettings(sender_comp_id="SERVER1", target_comp_id="CLIENT1", credentials=creds)


def _verdicts(outcome: object) -> dict[str, Verdict]:
    checks = outcome.run.results[0].checks  # type: ignore[attr-defined]
    return {c.id: c.verdict for c in checks if c.id.startswith("fix.")}


@pytest.mark.parametrize("server_kind", ["python", "stunnel"])
def test_fix_logon_accepted_and_wrong_password_refused(
    server_kind: str, pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    with run_acceptor_in_thread(_acceptor(PASSWORD)) as acceptor:
        assert acceptor.address is not None
        conf = guide_config("3-server", pki, connect=acceptor.address)
        with backend_named(server_kind).start(conf, workdir, label="server") as server:
            port = server.address()[1]
            outcome = certify_server(
                ServerRequest(
                    "127.0.0.1",
                    port,
                    guide,
                    case="3b",
                    trust=TrustOptions(cafile=pki.chain_path),
                    fix=FixLogon("CLIENT1", "SERVER1", username="clientQA1", password=PASSWORD),
                ),
                workdir / "out",
            )
    assert _verdicts(outcome) == {
        "fix.logon.accepted": Verdict.PASS,
        "fix.logon.bad-credentials-refused": Verdict.PASS,
        "fix.plaintext-refused": Verdict.PASS,
    }
    assert outcome.exit_code == 0
    assert len(acceptor.refusals) == 1 and "554=***" in acceptor.refusals[0]


def test_acceptor_taking_any_password_fails(pki: TestPKI, guide: Profile, workdir: Path) -> None:
    """Control: a counterparty that does not check FIX credentials is non-compliant."""
    with run_acceptor_in_thread(_acceptor(None)) as acceptor:
        assert acceptor.address is not None
        conf = guide_config("3-server", pki, connect=acceptor.address)
        with backend_named("python").start(conf, workdir, label="server") as server:
            outcome = certify_server(
                ServerRequest(
                    "127.0.0.1",
                    server.address()[1],
                    guide,
                    case="3b",
                    trust=TrustOptions(cafile=pki.chain_path),
                    fix=FixLogon("CLIENT1", "SERVER1", username="clientQA1", password=PASSWORD),
                ),
                workdir / "out",
            )
    assert _verdicts(outcome)["fix.logon.bad-credentials-refused"] is Verdict.FAIL
    assert outcome.exit_code == 1


def test_cli_wrong_password_of_ours_fails_logon_and_never_leaks(
    pki: TestPKI, workdir: Path
) -> None:
    with run_acceptor_in_thread(_acceptor(PASSWORD)) as acceptor:
        assert acceptor.address is not None
        conf = guide_config("3-server", pki, connect=acceptor.address)
        with backend_named("python").start(conf, workdir, label="server") as server:
            port = server.address()[1]
            proc = subprocess.run(
                [sys.executable, "-m", "harness", "certify", "server", f"127.0.0.1:{port}",
                 "--case", "3b", "--cafile", str(pki.chain_path),
                 "--sender", "CLIENT1", "--target", "SERVER1", "--username", "clientQA1",
                 "--password-env", "FIXS_TEST_PW", "--report-dir", str(workdir / "r")],
                capture_output=True, text=True, timeout=120,
                env={**os.environ, "FIXS_TEST_PW": "Not-The-Password-9"},
            )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "fix.logon.accepted" in proc.stdout
    reports = "".join(
        p.read_text()
        for p in (workdir / "r").iterdir()
        if p.suffix in (".json", ".xml", ".html", ".md")
    )
    assert "Not-The-Password-9" not in proc.stdout + proc.stderr + reports


def test_cli_fix_flags_need_compids(workdir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "certify", "server", "127.0.0.1:1", "--username", "x"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "need --sender and --target" in proc.stderr
