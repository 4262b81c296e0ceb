"""Defect-card knowledge (harness.checks.guidance): every check id run and certify
produce has a quote and a fix; quotes are verbatim; annotate fills only defects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.checks.guidance import RULES, annotate, guidance_for
from harness.checks.model import CheckResult, Verdict

GUIDE_TEXT = Path("/work/shared/reference/stunnel-guide-for-fix-2017.txt")
FIXS_NOTES = Path("/work/shared/reference/fixs-notes.md")

#: every id (or one instance of an id family) that evaluate.py, certify/policy.py,
#: certify/client.py and certify/fixlogon.py produce
CHECK_IDS = [
    # run
    "tls.version", "tls.version.in-profile", "tls.cipher.expected", "tls.cipher.in-profile",
    "auth.refused-with-alert", "auth.server-certificate", "auth.client-certificate",
    "auth.no-client-certificate", "auth.psk-identity", "auth.psk-suite", "auth.no-certificates",
    "auth.mutual-certificate", "auth.psk", "auth.server-certificate+fix-credentials",
    "fix.no-session", "fix.logon", "fix.roundtrip", "fix.script", "proxy.connect",
    "log.matches-wire.client", "log.matches-wire.server", "socket.nodelay",
    "socket.nodelay.client.l", "socket.nodelay.server.r",
    # certify server
    "tls.version.supported", "tls.version.tls1_1.refused", "tls.version.ssl3.refused",
    "tls.cipher.required.0xC030", "tls.cipher.forbidden-accepted", "tls.compression.refused",
    "tls.kx.dhe-bits", "cert.present", "cert.validity", "cert.validity.chain-1", "cert.key-size",
    "cert.signature-algorithm", "cert.san-matches", "cert.chain-complete", "cert.pin-matches",
    "cert.revocation", "auth.client-certificate.required", "auth.client-certificate.accepted",
    "auth.client-certificate.self-signed.refused", "auth.client-certificate.unpinned.refused",
    "auth.psk.accepted", "auth.psk.wrong-key.refused", "auth.psk.unknown-identity.refused",
    "fix.logon.accepted", "fix.logon.bad-credentials-refused",
    # certify client
    "tls.version.offered", "tls.cipher.offered-forbidden", "tls.cipher.offered-allowed",
    "auth.server-certificate.valid.accepted", "auth.server-certificate.wrong-host.refused",
    "auth.server-certificate.expired.refused",
]  # fmt: skip


@pytest.mark.parametrize("cid", CHECK_IDS)
def test_every_check_id_has_a_quote_and_a_fix(cid: str) -> None:
    advice = guidance_for(cid)
    assert advice is not None, cid
    assert advice.quote and advice.remedy and advice.quote_source


def test_unknown_id_has_none() -> None:
    assert guidance_for("no.such.check") is None
    assert guidance_for("tls.handshake.captured") is None  # only ever inconclusive


def test_specific_fixes() -> None:
    nodelay = guidance_for("socket.nodelay.server.r")
    assert nodelay is not None and "`socket = r:TCP_NODELAY=1`" in nodelay.remedy
    assert "server tunnel" in nodelay.remedy
    v11 = guidance_for("tls.version.tls1_1.refused")
    assert v11 is not None and "sslVersionMin = TLSv1.2" in v11.remedy
    assert v11.quote_source.endswith("§2.2")
    suite = guidance_for("tls.cipher.required.0xC02F")
    assert suite is not None and suite.remedy.startswith("add ECDHE-RSA-AES128-GCM-SHA256")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("`", "")).strip()


@pytest.mark.skipif(not GUIDE_TEXT.is_file(), reason="guide text not on this machine")
def test_quotes_are_verbatim() -> None:
    guide = _squash(GUIDE_TEXT.read_text())
    notes = _squash(FIXS_NOTES.read_text())
    for rule in RULES:
        source = notes if rule.source.startswith("FIXS") else guide
        assert _squash(rule.quote) in source, rule.pattern
        if not rule.source.startswith("FIXS"):
            # the section heading is in the guide too
            assert re.search(rf"\b{re.escape(rule.section)} ", guide), rule.section


def test_annotate_only_defects() -> None:
    def c(cid: str, v: Verdict) -> CheckResult:
        return CheckResult(cid, cid, "2.2", v, "e", "o")

    out = annotate(
        [
            c("tls.version", Verdict.PASS),
            c("tls.version", Verdict.FAIL),
            c("socket.nodelay", Verdict.WARN),
            c("tls.version", Verdict.INCONCLUSIVE),
            c("tls.version", Verdict.NOT_REACHED),
            c("no.such", Verdict.FAIL),
        ]
    )
    assert [x.remedy is not None for x in out] == [False, True, True, False, False, False]
    assert out[1].quote is not None and "TLS 1.2" in out[1].quote
