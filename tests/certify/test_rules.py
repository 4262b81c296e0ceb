"""Table tests of certify's check units (harness.certify.rules, .diagnose): each with a
pass, a fail and an inconclusive case, from frozen facts."""

from __future__ import annotations

import pytest

from harness.certify.diagnose import PortDiagnosis, ProbeFacts, diagnose
from harness.certify.probe import RecordScanner
from harness.certify.rules import (
    SPECS,
    HelloFacts,
    LogonFacts,
    apply_defining_checks,
    client_plaintext,
    endpoint_tls,
    missing_flags,
    must_be_refused,
    plaintext_refused,
    required_applicable,
    server_flight_bounded,
    server_hello_valid,
)
from harness.checks.model import CheckResult, Verdict
from harness.profiles import load_profile

P, F, INC, NA = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.NOT_APPLICABLE


def facts(
    *,
    connected: bool = True,
    end: str | None = "timeout",
    data: bytes = b"",
    hello: bool = False,
    alert: str | None = None,
) -> ProbeFacts:
    return ProbeFacts("p", connected, end, data[:120], len(data), hello, alert)


@pytest.mark.parametrize(
    ("probes", "kind"),
    [
        ([facts(hello=True, data=b"\x16\x03\x03")], "tls"),
        ([facts(connected=False, end=None)], "unreachable"),
        ([facts(), facts(data=b"8=FIX.4.4\x019=5\x0135=5\x01")], "plaintext-fix"),
        ([facts(data=b"HTTP/1.1 400 Bad Request\r\n\r\n")], "http"),
        ([facts(data=b"\x00\x01junk")], "not-tls"),
        ([facts(data=b"\x15\x03\x03\x00\x02\x02\x28", alert="handshake_failure(40)")], "alert"),
        ([facts(end="eof")], "closed"),
        ([facts(end="timeout")], "silent"),
    ],
)
def test_diagnose(probes: list[ProbeFacts], kind: str) -> None:
    assert diagnose(probes, 2.0).kind == kind


@pytest.mark.parametrize(
    ("diagnosis", "verdict"),
    [
        (PortDiagnosis("tls", "a TLS server answered"), P),
        (PortDiagnosis("plaintext-fix", "a FIX engine answered in plaintext"), F),
        (PortDiagnosis("silent", "silent"), INC),
    ],
)
def test_endpoint_tls(diagnosis: PortDiagnosis, verdict: Verdict) -> None:
    assert endpoint_tls(diagnosis).verdict is verdict


@pytest.mark.parametrize(
    ("probe", "verdict"),
    [
        (facts(end="eof"), P),
        (facts(data=b"8=FIX.4.4\x019=5\x0135=5\x0158=bad\x01"), F),
        (facts(connected=False), INC),
        (None, INC),
    ],
)
def test_plaintext_refused(probe: ProbeFacts | None, verdict: Verdict) -> None:
    assert plaintext_refused(probe).verdict is verdict


@pytest.mark.parametrize(
    ("hellos", "verdict"),
    [
        ([HelloFacts("a", (0xC030,), (0x0303,), 0xC030, 0x0303)], P),
        ([HelloFacts("a", (0xC030,), (0x0303,), 0xFFFF, 0x0303)], F),
        ([HelloFacts("a", (0xC030,), (0x0303,), 0xC030, 0x0305)], F),
        ([HelloFacts("a", (0xC030,), (0x0302,), 0xC030, 0x0303)], F),
        ([HelloFacts("a", (0xC030,), (0x0303,), None, None)], INC),
    ],
)
def test_server_hello_valid(hellos: list[HelloFacts], verdict: Verdict) -> None:
    assert server_hello_valid(hellos).verdict is verdict


@pytest.mark.parametrize(
    ("ends", "verdict"),
    [
        ([("v", "flight", 3000)], P),
        ([("v", "flight", 3000), ("s", "oversize", 300_000)], F),
        ([("v", "timeout", 0)], INC),
    ],
)
def test_server_flight_bounded(ends: list[tuple[str, str | None, int]], verdict: Verdict) -> None:
    assert server_flight_bounded(ends, 256 * 1024).verdict is verdict


@pytest.mark.parametrize(
    ("required", "na", "psk", "verdict"),
    [(12, ("x",) * 4, False, P), (12, ("x",) * 12, False, F), (12, ("x",) * 12, True, NA)],
)
def test_required_applicable(
    required: int, na: tuple[str, ...], psk: bool, verdict: Verdict
) -> None:
    assert required_applicable(required, na, psk).verdict is verdict


@pytest.mark.parametrize(
    ("first", "verdict"),
    [(b"\x16\x03\x01\x02\x00", P), (b"8=FIX.4.4\x019=5\x01", F), (b"", INC), (b"GET /", INC)],
)
def test_client_plaintext(first: bytes, verdict: Verdict) -> None:
    assert client_plaintext(first).verdict is verdict


@pytest.mark.parametrize(
    ("logon", "verdict"),
    [
        (LogonFacts(False, logout_text="CompID not bound to your identity"), P),
        (LogonFacts(True), F),
        (LogonFacts(False, error="connect: refused"), INC),
        (None, INC),
    ],
)
def test_must_be_refused(logon: LogonFacts | None, verdict: Verdict) -> None:
    assert must_be_refused("fix.logon.compid-bound", "refused", logon, "no flag").verdict is verdict


def _passed(cid: str) -> CheckResult:
    return CheckResult(cid, cid, None, P, "x", "y")


def test_defining_checks_pass_fail_inconclusive() -> None:
    case = load_profile("stunnel-guide-2017").use_case("3b")
    assert case is not None
    every = [_passed(d.id) for d in case.defining_checks]
    # pass: all ran and passed
    assert all(c.verdict is P for c in apply_defining_checks(every, case))
    # inconclusive: --cafile not given, named
    without = [c for c in every if c.id != "cert.chain-complete"]
    out = {c.id: c for c in apply_defining_checks(without, case)}
    assert out["cert.chain-complete"].verdict is INC
    assert "--cafile" in (out["cert.chain-complete"].reason or "")
    assert missing_flags(list(out.values()), case, "full") == ["--cafile"]
    case_1a = load_profile("stunnel-guide-2017").use_case("1a")
    not_tested = [
        *[
            _passed(d.id)
            for d in case_1a.defining_checks
            if d.id != "auth.client-certificate.accepted"
        ],  # type: ignore[union-attr]
        CheckResult("auth.client-certificate.accepted", "t", None, INC, "x", "not tested"),
    ]
    assert missing_flags(not_tested, case_1a, "full") == ["--cert/--key"]
    # a failed defining check stays failed
    failed = [*without, CheckResult("cert.chain-complete", "t", None, F, "x", "y")]
    assert {c.id: c.verdict for c in apply_defining_checks(failed, case)}[
        "cert.chain-complete"
    ] is F
    # not applicable is not a pass of a defining check
    na = [*without, CheckResult("cert.chain-complete", "t", None, NA, "x", "y")]
    assert {c.id: c.verdict for c in apply_defining_checks(na, case)}["cert.chain-complete"] is INC
    # scope tls leaves out the FIX checks
    tls_only = [c for c in every if not c.id.startswith("fix.")]
    assert {c.verdict for c in apply_defining_checks(tls_only, case, "tls")} == {P}
    assert {c.id for c in apply_defining_checks(tls_only, case, "full")} >= {"fix.logon.accepted"}


def test_every_defining_check_of_the_builtin_profiles_is_a_certify_check() -> None:
    known = set(SPECS) | {
        "cert.pin-matches", "cert.chain-complete", "cert.san-matches",
        "auth.client-certificate.required", "auth.client-certificate.accepted",
        "auth.client-certificate.self-signed.refused",
        "auth.client-certificate.unrelated-ca.refused",
        "auth.client-certificate.expired.refused", "auth.psk.accepted",
        "auth.psk.wrong-key.refused", "auth.psk.unknown-identity.refused",
    }  # fmt: skip
    for name in ("stunnel-guide-2017", "fixs-1.0", "fixs-1.1", "fixs-cipherlist-2021.1"):
        for case in load_profile(name).use_cases:
            assert case.defining_checks, (name, case.id)
            assert {d.id for d in case.defining_checks} <= known, (name, case.id)


def test_record_scanner_boundaries() -> None:
    r = RecordScanner()
    assert r.feed(b"\x16\x03\x03\x00\x02ab") is True
    assert r.feed(b"\x16\x03") is False
    assert r.feed(b"\x03\x00\x01") is False
    assert r.feed(b"x") is True
    bad = RecordScanner()
    bad.feed(b"HTTP/1.1 400")
    assert bad.not_tls


@pytest.mark.parametrize(
    ("logon", "verdict", "text"),
    [
        (LogonFacts(True), P, "accepted"),
        (LogonFacts(False, logout_text="invalid password"), F, "Logon refused: Logout Text(58)"),
        (LogonFacts(False, explanation="our TLS client rejected the server's certificate: x"), F,
         "our TLS client rejected"),
        (LogonFacts(False, error="cannot connect to 127.0.0.1:1: refused"), INC, "cannot connect"),
    ],
)  # fmt: skip
def test_logon_accepted(logon: LogonFacts, verdict: Verdict, text: str) -> None:
    from harness.certify.fixlogon import logon_accepted

    check = logon_accepted(logon)
    assert check.verdict is verdict and text in check.observed


@pytest.mark.parametrize(
    ("logon", "verdict"),
    [
        (LogonFacts(False, logout_text="invalid password"), P),
        (LogonFacts(True), F),
        (LogonFacts(False, error="cannot connect"), INC),
    ],
)
def test_bad_credentials_refused(logon: LogonFacts, verdict: Verdict) -> None:
    from harness.certify.fixlogon import bad_credentials_refused

    assert bad_credentials_refused(logon).verdict is verdict


def test_explain_reads_the_tunnel_log() -> None:
    from harness.certify.fixlogon import explain
    from harness.fixnet.conversation import ConversationResult
    from harness.fixnet.transcript import Transcript
    from harness.stunnelconf.logfacts import ConnectionFacts

    empty = ConversationResult(False, [], Transcript(label="t"))
    rejected = ConnectionFacts("1", rejected=["Rejected by CERT at depth=0: CN=x"])
    assert explain(empty, [rejected], 2).startswith("our TLS client rejected the server's")
    tls_ok = ConnectionFacts("2", cipher="ECDHE-RSA-AES256-GCM-SHA384")
    assert explain(empty, [tls_ok], 2).startswith("TLS fine, but the FIX engine closed")
    waited = ConversationResult(
        False, ["x: expect Logon: nothing arrived within 2s"], Transcript("t")
    )
    assert explain(waited, [tls_ok], 2) == "no answer to the Logon within 2 s"
    failed = ConnectionFacts("3", errors=["SSL_connect: ssl/record/rec_layer_s3.c: wrong version"])
    assert explain(empty, [failed], 2).startswith("the TLS handshake failed: SSL_connect")
