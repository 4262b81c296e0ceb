"""What is on the port (issue 11 item 3) and hostile servers (issue 15 item 7): each
non-TLS endpoint gets its own one-line diagnosis and is never compliant; a ServerHello
outside the offer and an endless Certificate are failing checks. Control: a real TLS
server (``openssl s_server``) is diagnosed as TLS and its plaintext check passes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from harness.certify import ServerRequest, TrustOptions, certify_server
from harness.certify.server import ServerOutcome
from harness.checks.model import Verdict
from harness.cli import main
from harness.fix.settings import SessionSettings
from harness.fixnet import run_acceptor_in_thread
from harness.pki import TestPKI
from harness.profiles import Profile

from . import hostile
from .peers import s_server, server_args


def _outcome(port: int, guide: Profile, workdir: Path, **kw: object) -> ServerOutcome:
    return certify_server(
        ServerRequest("127.0.0.1", port, guide, case="3b", timeout=1.5, **kw),  # type: ignore[arg-type]
        workdir / "out",
    )


def _verdicts(outcome: ServerOutcome) -> dict[str, Verdict]:
    return {c.id: c.verdict for c in outcome.run.results[0].checks}


def _plaintext_fix() -> AbstractContextManager[object]:
    return run_acceptor_in_thread(SessionSettings(sender_comp_id="S", target_comp_id="C"))


@pytest.fixture
def alert_server(pki: TestPKI, workdir: Path) -> Iterator[int]:
    """A real TLS server that can agree on nothing: no certificate, certificate suites
    only, TLS 1.2 only: every ClientHello gets a fatal alert."""
    args = ["-nocert", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]
    with s_server(args, workdir / "alert.log") as port:
        yield port


ENDPOINTS: dict[str, Callable[[], AbstractContextManager[object]]] = {
    "http": hostile.http_server,
    "silent": lambda: hostile.raw_server(None),
    "closed": lambda: hostile.raw_server(hostile.close_after_read),
    "not-tls": lambda: hostile.raw_server(hostile.garbage),
}


@pytest.mark.parametrize("kind", sorted(ENDPOINTS))
def test_non_tls_endpoint_is_diagnosed_and_inconclusive(
    kind: str, guide: Profile, workdir: Path
) -> None:
    with ENDPOINTS[kind]() as port:
        outcome = _outcome(port, guide, workdir)  # type: ignore[arg-type]
    assert outcome.scan.diagnosis().kind == kind
    assert outcome.exit_code == 2
    assert outcome.headline is not None and "\n" not in outcome.headline
    assert "unreachable" not in outcome.headline
    check = next(c for c in outcome.run.results[0].checks if c.id == "endpoint.tls")
    assert check.verdict is Verdict.INCONCLUSIVE and check.observed == outcome.headline
    if kind == "http":
        assert 'plaintext HTTP answered, not TLS: "HTTP/1.0 400' in outcome.headline
    if kind == "silent":
        assert "no TLS reply within 1.5 s" in outcome.headline


def test_tls_alert_to_every_hello(alert_server: int, guide: Profile, workdir: Path) -> None:
    outcome = _outcome(alert_server, guide, workdir)
    assert outcome.scan.diagnosis().kind == "alert"
    assert outcome.headline and "TLS alert to every ClientHello" in outcome.headline
    assert outcome.exit_code == 2


def test_plaintext_fix_engine_on_the_port_fails(guide: Profile, workdir: Path) -> None:
    with _plaintext_fix() as acceptor:
        outcome = _outcome(acceptor.address[1], guide, workdir)  # type: ignore[attr-defined]
    assert outcome.scan.diagnosis().kind == "plaintext-fix"
    assert outcome.headline and outcome.headline.startswith("a FIX engine answered in plaintext")
    assert _verdicts(outcome) == {
        "endpoint.tls": Verdict.FAIL,
        "fix.plaintext-refused": Verdict.FAIL,
    }
    assert outcome.exit_code == 1


def test_tls_server_control(pki: TestPKI, guide: Profile, workdir: Path) -> None:
    """Negative control: a real TLS server is TLS, refuses the plaintext Logon."""
    with s_server(server_args(pki), workdir / "s.log") as port:
        outcome = _outcome(port, guide, workdir, trust=TrustOptions(cafile=pki.root_ca_path))
    assert outcome.scan.diagnosis().is_tls
    verdicts = _verdicts(outcome)
    assert "endpoint.tls" not in verdicts
    assert verdicts["fix.plaintext-refused"] is Verdict.PASS
    assert verdicts["tls.server-hello.valid"] is Verdict.PASS
    assert verdicts["tls.server-flight.bounded"] is Verdict.PASS


def test_cli_headline_for_http(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with hostile.http_server() as port:
        code = main(["certify", "server", f"127.0.0.1:{port}", "--timeout", "1.5",
                     "--report-dir", str(workdir), "--format", "json"])  # fmt: skip
    out = " ".join(capsys.readouterr().out.split())
    assert code == 2
    assert 'plaintext HTTP answered, not TLS: "HTTP/1.0 400' in out


@pytest.mark.parametrize("kind", ["http", "silent", "not-tls", "closed"])
def test_pin_gives_the_same_diagnosis(
    kind: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ENDPOINTS[kind]() as port:
        code = main(["pin", f"127.0.0.1:{port}", "-o", str(workdir / "x.pem"), "--timeout", "1.5"])  # fmt: skip
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    expected = {
        "http": "plaintext HTTP answered",
        "silent": "silent",
        "not-tls": "not TLS",
        "closed": "closed right after the ClientHello",
    }[kind]
    assert expected in err
    assert "TLS handshake failed: ]" not in err and not err.rstrip().endswith("failed:")


def test_pin_alert_to_every_hello(
    alert_server: int, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["pin", f"127.0.0.1:{alert_server}", "-o", str(workdir / "x.pem"), "--timeout", "2"])  # fmt: skip
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert "TLS alert to every ClientHello" in err


# -- issue 15 item 7: hostile TLS servers ---------------------------------------------


@pytest.mark.parametrize(("suite", "version"), [(0xFFFF, 0x0303), (0xC030, 0x0305)])
def test_server_hello_outside_the_offer_is_a_violation(
    suite: int, version: int, guide: Profile, workdir: Path
) -> None:
    """A ServerHello naming a suite (0xFFFF) or a version (0x0305) the client never
    offered was read as a refusal (judged compliant); it is a protocol violation."""
    with hostile.raw_server(hostile.bogus_server_hello(suite, version)) as port:
        outcome = _outcome(port, guide, workdir, scope="tls")
    verdicts = _verdicts(outcome)
    assert verdicts["tls.server-hello.valid"] is Verdict.FAIL
    assert outcome.exit_code == 1
    assert outcome.run.results[0].negotiated is None or (
        outcome.run.results[0].negotiated.cipher is None  # never "negotiated 0xFFFF"
    )


def test_endless_certificate_ends_quickly(guide: Profile, workdir: Path) -> None:
    """An endless Certificate cost 578-775 MB and 24-45 s; the read is capped now."""
    started = time.monotonic()
    with hostile.raw_server(hostile.endless_certificate) as port:
        outcome = _outcome(port, guide, workdir, scope="tls")
    elapsed = time.monotonic() - started
    verdicts = _verdicts(outcome)
    assert verdicts["tls.server-flight.bounded"] is Verdict.FAIL
    assert outcome.exit_code == 1
    assert elapsed < 20, elapsed
