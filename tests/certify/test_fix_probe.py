"""certify's FIX probes behind real stunnel: the standalone ``fix acceptor`` serving a
whole certify run (--sessions), the probe's explanations (certificate rejected by our
tunnel, engine closed, Logon refused with Text(58), no answer), QuickFIX accepting and
refusing passwords, and the FIXS probes (--foreign-sender, --other-cert); each with
its negative control."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.certify import Credentials, ServerRequest, TrustOptions, certify_server
from harness.certify.badcerts import CertPair
from harness.certify.fixlogon import FixLogon
from harness.certify.server import ServerOutcome
from harness.checks.model import CheckResult, Verdict
from harness.fix.settings import Credentials as FixCredentials
from harness.fixnet import SessionSettings, run_acceptor_in_thread
from harness.pki import TestPKI
from harness.profiles import Profile
from harness.stunnelconf import StunnelConfig
from tests.tunnel.kit import guide_config, require_stunnel

from . import hostile

PASSWORD = "Fix-Logon-Pa55word"
CLI = [sys.executable, "-m", "harness"]


def _fix(outcome: ServerOutcome) -> dict[str, CheckResult]:
    return {c.id: c for c in outcome.run.results[0].checks if c.id.startswith("fix.logon")}


@contextmanager
def stunnel_in_front(conf: StunnelConfig, workdir: Path) -> Iterator[int]:
    with require_stunnel().start(conf, workdir, label="server") as server:
        yield server.address()[1]


def _certify(
    port: int, guide: Profile, workdir: Path, fix: FixLogon, **kw: object
) -> ServerOutcome:
    return certify_server(
        ServerRequest("127.0.0.1", port, guide, case="3b", fix=fix, timeout=3.0, **kw),  # type: ignore[arg-type]
        workdir / "out",
    )


def _logon(password: str = PASSWORD, **kw: object) -> FixLogon:
    return FixLogon("CLIENT1", "SERVER1", username="clientQA1", password=password, **kw)  # type: ignore[arg-type]


@contextmanager
def cli_acceptor(password_env: str, *extra: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc = subprocess.Popen(
        [*CLI, "fix", "acceptor", "--listen", "127.0.0.1:0", "--sessions", "0", "--orders", "0",
         "--sender", "SERVER1", "--target", "CLIENT1", "--username", "clientQA1",
         "--password-env", password_env, "--timeout", "5", "--quiet", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "ACC_PW": PASSWORD, "OTHER_PW": "Another-Pa55word"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:"), line
        yield proc, int(line.rsplit(":", 1)[1])
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


@pytest.mark.parametrize(("acceptor_pw", "compliant"), [("ACC_PW", True), ("OTHER_PW", False)])
def test_certify_behind_stunnel_in_front_of_standalone_fix_acceptor(
    acceptor_pw: str, compliant: bool, pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    """The standalone acceptor serves every session of a certify run (the TLS probes'
    connections that never send a Logon are ignored). Control: an acceptor expecting
    another password refuses our Logon, and the check says so with its Text(58)."""
    with cli_acceptor(acceptor_pw) as (proc, port):
        conf = guide_config("3-server", pki, connect=("127.0.0.1", port))
        with stunnel_in_front(conf, workdir) as tls_port:
            outcome = _certify(
                tls_port, guide, workdir, _logon(), trust=TrustOptions(cafile=pki.chain_path)
            )
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    fix = _fix(outcome)
    if compliant:
        assert fix["fix.logon.accepted"].verdict is Verdict.PASS, fix
        assert fix["fix.logon.bad-credentials-refused"].verdict is Verdict.PASS
        assert outcome.exit_code == 0
        assert "session 1: OK" in out and "session 2: FAILED" in out
        assert "ignored connection without a Logon" in out
    else:
        assert fix["fix.logon.accepted"].verdict is Verdict.FAIL
        assert "Logon refused: Logout Text(58)=" in fix["fix.logon.accepted"].observed
        assert outcome.exit_code == 1
    assert PASSWORD not in out + err


def test_quickfix_accepts_and_refuses_passwords(
    pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    """QuickFIX behind stunnel, refusing wrong passwords itself (RejectLogon).
    Control: our own wrong password is refused with QuickFIX's Text(58)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        qf_port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.certify.quickfix_acceptor", str(qf_port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "QF_CERTIFY_PASSWORD": PASSWORD},
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        conf = guide_config("3-server", pki, connect=("127.0.0.1", qf_port))
        with stunnel_in_front(conf, workdir) as tls_port:
            trust = TrustOptions(cafile=pki.chain_path)
            good = _certify(tls_port, guide, workdir, _logon(), trust=trust)
            bad = _certify(tls_port, guide, workdir / "bad", _logon("Wrong-Pa55"), trust=trust)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)
    fix = _fix(good)
    assert fix["fix.logon.accepted"].verdict is Verdict.PASS, fix
    assert fix["fix.logon.bad-credentials-refused"].verdict is Verdict.PASS
    assert good.exit_code == 0
    refused = _fix(bad)["fix.logon.accepted"]
    assert refused.verdict is Verdict.FAIL
    assert "invalid password" in refused.observed


def test_our_tunnel_rejecting_the_server_certificate_is_explained(
    pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    """A wrong pin: our probe tunnel refuses the server; the check says so and why
    (it used to read 'Connection reset by peer')."""
    with run_acceptor_in_thread(_acceptor()) as acceptor:
        conf = guide_config("3-server", pki, connect=acceptor.address)
        with stunnel_in_front(conf, workdir) as port:
            outcome = _certify(port, guide, workdir, _logon(),
                               trust=TrustOptions(pin=pki.server_ecdsa.pin_path))  # fmt: skip
    check = _fix(outcome)["fix.logon.accepted"]
    assert check.verdict is Verdict.FAIL
    assert check.observed.startswith("our TLS client rejected the server's certificate: ")
    assert "Rejected by CERT" in check.observed or "depth" in check.observed


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (hostile.close_after_read, "TLS fine, but the FIX engine closed the connection"),
        (hostile.stall_after_read, "no answer to the Logon within"),
    ],
)
def test_engine_closed_or_silent_is_explained(
    handler: object, expected: str, pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    with hostile.raw_server(handler) as backend:  # type: ignore[arg-type]
        conf = guide_config("3-server", pki, connect=("127.0.0.1", backend))
        with stunnel_in_front(conf, workdir) as port:
            outcome = _certify(port, guide, workdir, FixLogon("CLIENT1", "SERVER1"),
                               trust=TrustOptions(cafile=pki.chain_path))  # fmt: skip
    check = _fix(outcome)["fix.logon.accepted"]
    assert check.verdict is Verdict.FAIL
    assert expected in check.observed, check.observed


def _acceptor(bound: bool = True) -> list[SessionSettings]:
    """Two counterparties on one acceptor: CLIENT1 (ours) and OTHER. ``bound``: OTHER
    needs its own credentials; otherwise OTHER's session takes any (our) credentials."""
    ours = SessionSettings(sender_comp_id="SERVER1", target_comp_id="CLIENT1",
                           credentials=FixCredentials(username="clientQA1", password=PASSWORD))  # fmt: skip
    other_creds = FixCredentials(username="otherQA", password="Other-Pa55word") if bound else None
    other = SessionSettings(sender_comp_id="SERVER1", target_comp_id="OTHER",
                            credentials=other_creds)  # fmt: skip
    return [ours, other]


@pytest.mark.parametrize(("bound", "verdict"), [(True, Verdict.PASS), (False, Verdict.FAIL)])
def test_compid_bound_to_credentials(
    bound: bool, verdict: Verdict, pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    """--foreign-sender: our credentials under another counterparty's SenderCompID must
    be refused. Control: an acceptor that ignores the binding fails."""
    with run_acceptor_in_thread(_acceptor(bound)) as acceptor:
        conf = guide_config("3-server", pki, connect=acceptor.address)
        with stunnel_in_front(conf, workdir) as port:
            outcome = _certify(port, guide, workdir, _logon(foreign_sender="OTHER"),
                               trust=TrustOptions(cafile=pki.chain_path))  # fmt: skip
    assert _fix(outcome)["fix.logon.compid-bound"].verdict is verdict
    assert outcome.exit_code == (0 if bound else 1)


@pytest.mark.parametrize(("pins_other", "verdict"), [(False, Verdict.PASS), (True, Verdict.FAIL)])
def test_other_counterparty_certificate(
    pins_other: bool, verdict: Verdict, pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    """--other-cert: a certificate the server trusts for another counterparty must not
    log on as us. A stunnel that pins only our certificate refuses it at the
    handshake; one that pins both (one service for two counterparties, FIX acceptor
    blind to the TLS identity) lets it log on as us: the finding."""
    pins = workdir / "pins.pem"
    pins.write_bytes(
        pki.client_rsa.pin_path.read_bytes()
        + (pki.client_ecdsa.pin_path.read_bytes() if pins_other else b"")
    )
    session = SessionSettings(sender_comp_id="SERVER1", target_comp_id="CLIENT1")
    with run_acceptor_in_thread(session) as acceptor:
        conf = guide_config("1-server", pki, connect=acceptor.address)
        conf = conf.set_option(conf.service_names[0], "CAfile", str(pins))
        with stunnel_in_front(conf, workdir) as port:
            other = CertPair("other", pki.client_ecdsa.pem_path, pki.client_ecdsa.pem_path)
            outcome = certify_server(
                ServerRequest("127.0.0.1", port, guide, case="1a", timeout=3.0,
                              credentials=Credentials(cert=pki.client_rsa.pem_path),
                              trust=TrustOptions(pin=pki.server_rsa.pin_path),
                              fix=FixLogon("CLIENT1", "SERVER1", other=other)),
                workdir / "out",
            )  # fmt: skip
    fix = _fix(outcome)
    assert fix["fix.logon.accepted"].verdict is Verdict.PASS, fix
    assert fix["fix.logon.other-identity-refused"].verdict is verdict
