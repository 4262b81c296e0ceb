"""Hand-built results covering every shape a report must render."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness.checks.model import (
    CertificateInfo,
    CheckResult,
    CipherInfo,
    HostFacts,
    Negotiated,
    Note,
    RunResult,
    ScenarioResult,
    Verdict,
)
from harness.errors import SourceLocation

P, F, INC = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE
C030 = CipherInfo(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384")


def tls12_messages(t: float = 100.0) -> list[dict[str, object]]:
    names = [
        ("client", "ClientHello"),
        ("server", "ServerHello"),
        ("server", "Certificate"),
        ("server", "ServerKeyExchange"),
        ("server", "CertificateRequest"),
        ("server", "ServerHelloDone"),
        ("client", "Certificate"),
        ("client", "ClientKeyExchange"),
        ("client", "CertificateVerify"),
        ("client", "ChangeCipherSpec"),
        ("client", "Finished"),
        ("server", "ChangeCipherSpec"),
        ("server", "Finished"),
    ]
    return [{"time": t + i * 0.001, "sender": s, "type": n} for i, (s, n) in enumerate(names)]


def check(
    cid: str, verdict: Verdict, expected: str, observed: str, reason: str | None = None
) -> CheckResult:
    return CheckResult(cid, cid.replace(".", " "), "3.2", verdict, expected, observed, reason)


CERT = CertificateInfo(
    side="server",
    subject="CN=fix-server",
    issuer="CN=fixs-harness test CA",
    serial="0x1F",
    not_before="2026-01-01T00:00:00Z",
    not_after="2027-01-01T00:00:00Z",
    key_type="RSA",
    key_bits=2048,
    sha256="AB:CD:" * 15 + "EF",
    san=("IP:127.0.0.1",),
)


def build_run() -> RunResult:
    src = SourceLocation("scenarios/guide/1a-mutual-leaf-pinning.yaml", 3)
    passing = ScenarioResult(
        scenario_id="guide-1a",
        title="Mutual TLS with leaf certificate pinning",
        source=src,
        backend_pair="python:python",
        guide_section="3.2",
        profile="stunnel-guide-2017",
        checks=(
            check("tls.version", P, "TLSv1.2", "TLSv1.2"),
            check(
                "tls.cipher.in-profile",
                P,
                "any suite in the profile",
                "0xC030 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            ),
            check(
                "auth.client-certificate",
                P,
                "client certificate sent and accepted",
                "CN=fix-client",
            ),
            check("fix.logon", P, "accepted", "accepted"),
            check("fix.roundtrip", P, "3 orders → 3 execution reports", "3 → 3"),
        ),
        handshake={"version": "TLSv1.2", "cipher": 0xC030, "messages": tls12_messages()},
        certificates=(CERT,),
        negotiated=Negotiated("TLSv1.2", C030, "X25519", None, False, True),
        fix_transcript=(
            {
                "time": 0.01,
                "direction": "initiator→acceptor",
                "msg_type": "A",
                "text": "8=FIX.4.4|35=A|553=alice|554=***|",
            },
            {
                "time": 0.02,
                "direction": "acceptor→initiator",
                "msg_type": "A",
                "text": "8=FIX.4.4|35=A|",
            },
        ),
        artifacts={
            "pcap": "guide-1a/python-python/tls.pcap",
            "keylog": "guide-1a/python-python/keylog.txt",
        },
        duration_s=0.42,
    )
    failing = ScenarioResult(
        scenario_id="guide-1a-wrong-expectation",
        title="Deliberately wrong cipher expectation",
        source=SourceLocation("scenarios/negative/wrong.yaml", 30),
        backend_pair="stunnel-local:python",
        guide_section="3.2",
        checks=(
            check("tls.version", P, "TLSv1.2", "TLSv1.2"),
            check(
                "tls.cipher.expected", F, "0xC02F", "0xC030 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
            ),
        ),
        handshake={"messages": tls12_messages()},
        negotiated=Negotiated("TLSv1.2", C030),
        duration_s=0.5,
    )
    inconclusive = ScenarioResult(
        scenario_id="guide-3b",
        title="Simple TLS with CA pinning & checkIP",
        source=SourceLocation("scenarios/guide/3b.yaml", 1),
        backend_pair="python:stunnel-local",
        checks=(
            check("tls.version", P, "TLSv1.2", "TLSv1.2"),
            check(
                "socket.nodelay",
                INC,
                "TCP_NODELAY=1",
                "unknown",
                "the backend does not expose its sockets",
            ),
        ),
        negotiated=Negotiated("TLSv1.2", CipherInfo(0xC02F)),
        duration_s=0.3,
    )
    refused = ScenarioResult(
        scenario_id="no-client-certificate",
        title="No client certificate <refused>",
        source=SourceLocation("scenarios/negative/no-client-cert.yaml", 2),
        backend_pair="python:python",
        checks=(
            check(
                "auth.refused-with-alert",
                P,
                "handshake_failure (40) from server",
                "handshake_failure (40) from server",
            ),
        ),
        handshake=None,
        negotiated=None,
        duration_s=0.1,
    )
    tls13 = ScenarioResult(
        scenario_id="fixs-1.1-tls13",
        title="TLS 1.3 with encrypted handshake",
        source=SourceLocation("scenarios/fixs/tls13.yaml", 5),
        backend_pair="python:python",
        profile="fixs-1.1",
        checks=(check("tls.version", P, "TLSv1.3", "TLSv1.3"),),
        handshake={
            "messages": [
                {"time": 5.0, "sender": "client", "type": "ClientHello"},
                {"time": 5.001, "sender": "server", "type": "ServerHello"},
                {
                    "time": 5.001,
                    "sender": "server",
                    "type": "encrypted handshake",
                    "encrypted": True,
                },
                {"time": 5.002, "sender": "client", "type": "encrypted handshake"},
                {"time": 5.003, "sender": "server", "type": "Alert (encrypted)"},
            ]
        },
        negotiated=Negotiated(
            "TLSv1.3", CipherInfo(0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384")
        ),
        notes=(Note("override", "Override applied", "python server sends certificate_required"),),
        duration_s=0.2,
    )
    psk = ScenarioResult(
        scenario_id="guide-2",
        title="PSK",
        source=SourceLocation("scenarios/guide/2-psk.yaml", 1),
        backend_pair="python:python",
        checks=(check("auth.psk-identity", P, "clientQA1", "clientQA1"),),
        negotiated=Negotiated(
            "TLSv1.2",
            CipherInfo(0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", "PSK-AES128-CBC-SHA"),
            psk_identity="clientQA1",
        ),
        notes=(
            Note(
                "guide-psk-table",
                "The guide's PSK table and its PSK configuration name different suites",
                "Seen 0x008C; the guide's table names 0x0090.",
            ),
        ),
    )
    errored = ScenarioResult(
        scenario_id="broken",
        title="Broken scenario",
        source=SourceLocation("scenarios/broken.yaml", 7),
        backend_pair="python:python",
        error="unknown stunnel option 'verifyPeers'",
    )
    started = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    return RunResult(
        started=started,
        finished=started + timedelta(seconds=4.2),
        harness_version="0.1.0",
        host=HostFacts(python="3.11.7", openssl="OpenSSL 3.0.x", stunnel="5.68", platform="linux"),
        results=(passing, failing, inconclusive, refused, tls13, psk, errored),
    )


@pytest.fixture
def run() -> RunResult:
    return build_run()
