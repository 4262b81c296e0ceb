"""The certify check table: made-up scan facts and the verdict each registered certify
check must give for them (no network, no servers).

Shared by tests/checks/test_certify_catalogue.py (one pytest case per row) and
scripts/mutation-gate (which runs the rows of each id against that id's mutants
in-process). Every id registered in the certify registries built for these rows
(:func:`harness.certify.catalogue.server_checks`, :data:`~harness.certify.catalogue.CLIENT_CHECKS`)
needs rows for every verdict it can give: pass, fail and inconclusive, unless
:data:`CANNOT` says why a verdict is impossible by construction; ``verdict=None``
says the check must not apply.

The parametric families are registered one unit per concrete id; the table's profile
(:data:`TABLE`) requires two suites, so each family member has its own rows
(``tls.cipher.required.0x009E`` for an RSA suite, ``.0xC02B`` for an ECDSA one), and
chains here are at most two certificates long (``cert.validity.chain-1``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from harness.certify.catalogue import CLIENT_CHECKS, server_checks
from harness.certify.diagnose import PortDiagnosis, ProbeFacts
from harness.certify.facts import (
    Attempt,
    ClientFacts,
    FixFacts,
    ServerFacts,
    SuiteFacts,
    TrustFacts,
    VersionProbe,
)
from harness.certify.rules import HelloFacts, LogonFacts
from harness.checks.model import CheckResult, Verdict
from harness.checks.registry import Judge, Registry
from harness.profiles import load_profile

P, F, I, NA = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.NOT_APPLICABLE  # noqa: E741

GUIDE = load_profile("stunnel-guide-2017")
RSA_SUITE, ECDSA_SUITE = 0x009E, 0xC02B  # DHE-RSA-AES128-GCM-SHA256, ECDHE-ECDSA-AES128-GCM
OUTSIDE = 0x0035  # RSA-AES256-SHA: in no profile
TABLE = replace(GUIDE, name="certify-table", required_suites=(RSA_SUITE, ECDSA_SUITE))
TLS13_ONLY = replace(TABLE, name="certify-table-tls13", tls_versions=("TLSv1.3",))
NOW = datetime(2026, 6, 1, tzinfo=UTC)

#: Verdicts a unit cannot give by construction, and why (every other verdict of
#: pass/fail/inconclusive needs a row). Keys are ids or family prefixes (ending in ``.`` or ``-``).
CANNOT: dict[str, dict[Verdict, str]] = {
    "connect": {
        P: "reported only when no probe connected (a reachable server shows in the others)",
        F: "an unreachable server is not shown non-compliant, only not certified",
    },
    "endpoint.tls": {P: "reported only when no probe got a ServerHello"},
    "tls.handshake": {
        P: "reported only when the server accepted no ClientHello",
        F: "no accepted version says nothing certifiable: inconclusive",
    },
    "client.connected": {
        P: "reported only when the client never connected",
        F: "a client that never connects is not certified, not failed",
    },
    "tls.version.supported": {I: "judged only once some version was accepted"},
    "tls.cipher.required-applicable": {I: "computed from the single-suite probes' facts"},
    "tls.kx.dhe-bits": {I: "judged only when a DHE prime was read off the wire"},
    "cert.present": {P: "reported only when no usable chain was seen"},
    "cert.validity": {I: "judged from the parsed leaf and the clock"},
    "cert.validity.chain-": {
        P: "reported only for a chain certificate out of its validity period",
        I: "judged from the parsed chain and the clock",
    },
    "cert.key-size": {I: "judged from the parsed leaf (other key types are a note)"},
    "cert.signature-algorithm": {I: "judged from the parsed chain"},
    "cert.san-matches": {I: "judged from the parsed leaf and the target"},
    "auth.server-certificate.valid.accepted": {
        F: "a client refusing even the valid certificate makes its refusals unprovable: "
        "inconclusive by design",
    },
}


def cannot(cid: str) -> dict[Verdict, str]:
    for key, why in CANNOT.items():
        if cid == key or (key.endswith((".", "-")) and cid.startswith(key)):
            return why
    return {}


# -- certificates (made once; EC keys are fast, one RSA 2048) ------------------
def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: Any,
    issuer: str,
    issuer_key: Any,
    *,
    days: tuple[int, int] = (-150, 210),
    ip: str | None = "127.0.0.1",
    ca: bool = False,
    serial: int = 2,
) -> x509.Certificate:
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW + timedelta(days=days[0]))
        .not_valid_after(NOW + timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ip is not None:
        import ipaddress

        b = b.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        )
    return b.sign(issuer_key, hashes.SHA256())


CA_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_CA_KEY = ec.generate_private_key(ec.SECP256R1())
LEAF_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CA = _cert("table CA", CA_KEY, "table CA", CA_KEY, days=(-400, 400), ip=None, ca=True, serial=1)
OTHER_CA = _cert("other CA", OTHER_CA_KEY, "other CA", OTHER_CA_KEY, ip=None, ca=True, serial=1)
LEAF = _cert("fix-server.test", LEAF_KEY, "table CA", CA_KEY)
#: RSA 1024, self-signed with SHA-1 (made once with ``openssl req -x509 -sha1``: the
#: cryptography package no longer signs with SHA-1); its key was thrown away.
WEAK_LEAF = x509.load_pem_x509_certificate(
    b"""
-----BEGIN CERTIFICATE-----
MIICDjCCAXegAwIBAgIBAzANBgkqhkiG9w0BAQUFADAaMRgwFgYDVQQDDA9maXgt
c2VydmVyLnRlc3QwHhcNMjYxMTMwMTk0ODI4WhcNMzYxMTI3MTk0ODI4WjAaMRgw
FgYDVQQDDA9maXgtc2VydmVyLnRlc3QwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJ
AoGBANndqkHt6SQ1jvZLOxOAnOLmq8Ym+E6eqav/80Q9tnqoFOpuNm+DjziA+N5b
ssBGkGXXXIfsliczl0jKuft+8qqt8FIOSqyRhxPt9u8lxWrmlpIbUEjQntknV/hJ
x3uXsOxdaNHYAQNMt+9ZAUhbX6OBKIYNWJVMgmwIVoCBSXyjAgMBAAGjZDBiMB0G
A1UdDgQWBBRhQHB+ttPYke1GiaykXtxce8GURjAfBgNVHSMEGDAWgBRhQHB+ttPY
ke1GiaykXtxce8GURjAPBgNVHRMBAf8EBTADAQH/MA8GA1UdEQQIMAaHBH8AAAEw
DQYJKoZIhvcNAQEFBQADgYEAKRKmb9K5U7i2VPCsmt2C+zcWxXpm/UX3tvZ6ZmPW
ztM0L+sQfE53UbQ8rmghpZYemDKBo8f2+Fa5dL1xIs4G5I4LTaD+h3TgORc1yHxL
perTpKKMpKtdHI5nQriJBIsZsPRC6yzVHVrwNazUEogbJhBUqrdBk0V6Xt5vquq9
K/g=
-----END CERTIFICATE-----
"""
)
EXPIRED_CA = _cert("table CA", CA_KEY, "table CA", CA_KEY, days=(-400, -10), ip=None, ca=True)


def _crl(
    *serials: int, issuer_key: Any = CA_KEY, issuer: str = "table CA"
) -> x509.CertificateRevocationList:
    b = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(_name(issuer))
        .last_update(NOW - timedelta(days=1))
        .next_update(NOW + timedelta(days=6))
    )
    for s in serials:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(s).revocation_date(NOW).build()
        )
    return b.sign(issuer_key, hashes.SHA256())


# -- server facts ----------------------------------------------------------------------------------
def _versions(*accepted: str) -> tuple[VersionProbe, ...]:
    names = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
    return tuple(
        VersionProbe(n, True, suite="0x009E TLS_DHE_RSA_WITH_AES_128_GCM_SHA256")
        if n in accepted
        else VersionProbe(n, False, alerts="fatal alert protocol_version(70) from the server")
        for n in names
    )


def server(**kw: Any) -> ServerFacts:
    """A good TLS 1.2 server with an RSA leaf for 127.0.0.1, unless told otherwise."""
    base: dict[str, Any] = {
        "profile": TABLE,
        "case": None,
        "use_case": None,
        "target_host": "127.0.0.1",
        "target_label": "127.0.0.1:7777",
        "now": NOW,
        "plaintext": ProbeFacts("plaintext", True, "eof", b"", 0, False, None),
        "hellos": (HelloFacts("TLSv1.2", (RSA_SUITE,), (0x0303,), RSA_SUITE, 0x0303),),
        "flight": (("TLSv1.2", "flight", 3000),),
        "versions": _versions("TLSv1.2"),
        "suites": SuiteFacts(
            accepted={RSA_SUITE: ("TLSv1.2",)},
            probed=frozenset({RSA_SUITE, ECDSA_SUITE}),
            key_types=frozenset({"RSA"}),
            batches_ran=True,
            batches_ok=True,
        ),
        "dh_bits": ((2048, RSA_SUITE),),
        "tls12_accepted": True,
        "compression": 0,
        "chain": (LEAF, CA),
    }
    base.update(kw)
    return ServerFacts(**base)


def case(cid: str, **kw: Any) -> ServerFacts:
    """A server judged for guide use case ``cid``."""
    return server(case=cid, use_case=TABLE.use_case(cid), **kw)


OK = server()
UNREACHABLE = server(reachable=False, errors=("connect 127.0.0.1:1: Connection refused",))
PLAINTEXT_FIX = server(
    diagnosis=PortDiagnosis("plaintext-fix", "a FIX engine answered in plaintext", ("8=FIX.4.4|",)),
    plaintext=ProbeFacts(
        "plaintext", True, "eof", b"8=FIX.4.4\x019=5\x0135=A\x01", 20, False, None
    ),
)
SILENT = server(diagnosis=PortDiagnosis("silent", "TCP accepted, no TLS reply"), plaintext=None)
NO_HANDSHAKE = server(versions=_versions(), hellos=())
NO_CHAIN = server(chain=())
REFUSED = Attempt(True, "refused: server sent handshake_failure(40)", certificate_request=True)
ACCEPTED = Attempt(
    False, "accepted: handshake completed (TLSv1.2, 0xC02F)", certificate_request=True
)
UNKNOWN = Attempt(None, "cannot tell: server stream ends inside a record", certificate_request=True)
FAILED = Attempt(None, "probe failed", error="connect: Connection reset by peer")
PSK_OK = Attempt(
    False, "accepted: handshake completed (TLSv1.2, 0x00A8)", psk_suite=True, psk_identity="CLIENT1"
)
CERT_AUTH = {
    "none": REFUSED,
    "valid": ACCEPTED,
    **{k: REFUSED for k in ("self-signed", "unrelated-ca", "expired", "unpinned")},
}
PSK_AUTH = {"valid": PSK_OK, "wrong-key": REFUSED, "unknown-identity": REFUSED}
LOGON_OK = LogonFacts(True)
LOGON_REFUSED = LogonFacts(False, logout_text="Invalid password")
LOGON_ERROR = LogonFacts(False, error="cannot connect to 127.0.0.1:1: refused")
FIX_OK = FixFacts(
    logon=LOGON_OK,
    bad=LOGON_REFUSED,
    foreign_sender="OTHER",
    foreign=LOGON_REFUSED,
    other_given=True,
    other=LogonFacts(False, explanation="the TLS handshake failed: x"),
)


def fix(**kw: Any) -> ServerFacts:
    return server(fix=replace(FIX_OK, **kw))


# -- client facts -------------------------------------------------------------------------------------
CLIENT_REFUSED = Attempt(True, "refused: client sent bad_certificate(42)")
CLIENT_ACCEPTED = Attempt(False, "accepted: handshake completed (TLSv1.2, 0x009E)")
CLIENT_SILENT = Attempt(
    None, "silent: the client stalled (no alert, no Finished, no close for 2 s)"
)
GOOD_ROUNDS: dict[str, Attempt | None] = {
    "valid": CLIENT_ACCEPTED,
    "wrong-host": CLIENT_REFUSED,
    "unrelated-ca": CLIENT_REFUSED,
    "expired": CLIENT_REFUSED,
}


def client(rounds: Mapping[str, Attempt | None] | None = None, **kw: Any) -> ClientFacts:
    base: dict[str, Any] = {
        "profile": TABLE,
        "rounds": dict(GOOD_ROUNDS, **(rounds or {})),
        "first_bytes": b"\x16\x03\x01\x02\x00\x01",
        "versions_offered": (0x0303,),
        "suites_offered": (RSA_SUITE,),  # grease and SCSVs are removed by client_facts
    }
    base.update(kw)
    return ClientFacts(**base)


NO_CLIENT = client(rounds={"valid": None}, first_bytes=b"", versions_offered=(), suites_offered=())


@dataclass(frozen=True)
class Case:
    """One row: certify check ``id`` on these facts must give ``verdict`` (None: no
    result)."""

    id: str
    name: str
    verdict: Verdict | None
    facts: ServerFacts | ClientFacts

    @property
    def label(self) -> str:
        return f"{self.id}: {self.name}"


def registry_for(facts: ServerFacts | ClientFacts) -> Registry[Any]:
    """The registry certify builds for these facts."""
    if isinstance(facts, ServerFacts):
        return server_checks(facts)
    return CLIENT_CHECKS


def run_case(case: Case, mutants: Mapping[str, Judge[Any]] | None = None) -> CheckResult | None:
    """The registered check's result on the row's facts, with ``mutants`` (id → judge)
    installed in place of the registered judges (the mutation gate)."""
    registry = registry_for(case.facts)
    if mutants and case.id in mutants:
        registry = registry.with_judge(case.id, mutants[case.id])
    return registry.check(case.id).run(case.facts)


def problem(case: Case, mutants: Mapping[str, Judge[Any]] | None = None) -> str | None:
    """What is wrong with the check's answer for this row, or None when it is right."""
    try:
        r = run_case(case, mutants)
    except KeyError:
        return f"{case.id} is not registered for these facts"
    got = r.verdict if r is not None else None
    if got != case.verdict:
        return f"expected {case.verdict}, got {got} ({r})"
    return None


def _version_rows(vid: str, name: str) -> list[Case]:
    cid = f"tls.version.{vid}.refused"
    if name == "TLSv1.2":  # allowed by the table profile: judged under a TLS 1.3-only one
        prof = TLS13_ONLY
        return [
            Case(cid, "refused", P, server(profile=prof, versions=_versions("TLSv1.3"))),
            Case(
                cid, "accepted", F, server(profile=prof, versions=_versions("TLSv1.2", "TLSv1.3"))
            ),
            Case(
                cid,
                "probe failed",
                I,
                server(
                    profile=prof,
                    versions=(
                        *_versions("TLSv1.3")[:3],
                        VersionProbe("TLSv1.2", None, error="reset"),
                        _versions("TLSv1.3")[4],
                    ),
                ),
            ),
            Case(cid, "allowed by the profile: not judged", None, OK),
        ]
    others = tuple(v for v in _versions("TLSv1.2") if v.name != name)
    return [
        Case(cid, "refused", P, OK),
        Case(cid, "accepted", F, server(versions=_versions("TLSv1.2", name))),
        Case(
            cid,
            "probe failed",
            I,
            server(versions=(*others, VersionProbe(name, None, error="reset"))),
        ),
        Case(cid, "probe did not run", I, server(versions=others)),
        Case(cid, "unreachable: not judged", None, UNREACHABLE),
    ]


def _required_rows() -> list[Case]:
    rsa_id, ec_id = (f"tls.cipher.required.0x{c:04X}" for c in (RSA_SUITE, ECDSA_SUITE))
    ec_server = SuiteFacts(
        accepted={ECDSA_SUITE: ("TLSv1.2",)},
        probed=frozenset({RSA_SUITE, ECDSA_SUITE}),
        key_types=frozenset({"EC"}),
        batches_ran=True,
        batches_ok=True,
    )
    none_accepted = replace(OK.suites, accepted={})
    return [
        Case(rsa_id, "accepted", P, OK),
        Case(rsa_id, "probed and refused", F, server(suites=none_accepted)),
        Case(
            rsa_id,
            "probe failed",
            I,
            server(suites=replace(none_accepted, failed=frozenset({RSA_SUITE}))),
        ),
        Case(rsa_id, "not probed", I, server(suites=replace(none_accepted, probed=frozenset()))),
        Case(
            rsa_id, "EC server: not applicable", NA, server(suites=replace(ec_server, accepted={}))
        ),
        Case(ec_id, "accepted by an EC server", P, server(suites=ec_server)),
        Case(ec_id, "EC server refuses it", F, server(suites=replace(ec_server, accepted={}))),
        Case(
            ec_id,
            "not probed",
            I,
            server(suites=replace(ec_server, accepted={}, probed=frozenset())),
        ),
        Case(ec_id, "RSA server: not applicable", NA, OK),
        Case(
            ec_id,
            "use case 2: not applicable",
            NA,
            case("2", suites=replace(OK.suites, key_types=frozenset()), psk=PSK_AUTH),
        ),
        Case(ec_id, "no handshake: not judged", None, NO_HANDSHAKE),
    ]


def _bad_client_cert_rows(kind: str) -> list[Case]:
    cid = f"auth.client-certificate.{kind}.refused"
    return [
        Case(cid, "refused", P, case("1a", client_auth=CERT_AUTH)),
        Case(cid, "accepted", F, case("1a", client_auth={**CERT_AUTH, kind: ACCEPTED})),
        Case(cid, "outcome not visible", I, case("1a", client_auth={**CERT_AUTH, kind: UNKNOWN})),
        Case(cid, "probe failed", I, case("1a", client_auth={**CERT_AUTH, kind: FAILED})),
        Case(
            cid,
            "no CertificateRequest: ours not sent",
            I,
            case(
                "1a", client_auth={**CERT_AUTH, kind: replace(ACCEPTED, certificate_request=False)}
            ),
        ),
        Case(
            cid,
            "not probed",
            None,
            case("1a", client_auth={k: v for k, v in CERT_AUTH.items() if k != kind}),
        ),
        Case(cid, "use case 3a: not judged", None, case("3a", client_auth=CERT_AUTH)),
    ]


def _bad_psk_rows(kind: str) -> list[Case]:
    cid = f"auth.psk.{kind}.refused"
    return [
        Case(cid, "refused", P, case("2", psk=PSK_AUTH)),
        Case(cid, "accepted", F, case("2", psk={**PSK_AUTH, kind: ACCEPTED})),
        Case(cid, "outcome not visible", I, case("2", psk={**PSK_AUTH, kind: UNKNOWN})),
        Case(cid, "no valid PSK given: not judged", None, case("2", psk={kind: REFUSED})),
    ]


def _bad_server_cert_rows(kind: str) -> list[Case]:
    cid = f"auth.server-certificate.{kind}.refused"
    return [
        Case(cid, "refused", P, client()),
        Case(cid, "accepted", F, client({kind: CLIENT_ACCEPTED})),
        Case(cid, "no connection for the round", I, client({kind: None})),
        Case(cid, "the client stalled", I, client({kind: CLIENT_SILENT})),
        Case(cid, "the valid round failed", I, client({"valid": CLIENT_REFUSED})),
        Case(cid, "never connected: not judged", None, NO_CLIENT),
    ]


CASES: tuple[Case, ...] = (
    # -- what is on the port
    Case("connect", "no probe connected", I, UNREACHABLE),
    Case("connect", "reachable: not judged", None, OK),
    Case("endpoint.tls", "plaintext FIX on the port", F, PLAINTEXT_FIX),
    Case("endpoint.tls", "silent port", I, SILENT),
    Case("endpoint.tls", "TLS: not reported", None, OK),
    Case("tls.handshake", "no version accepted", I, NO_HANDSHAKE),
    Case("tls.handshake", "a version accepted: not reported", None, OK),
    Case("fix.plaintext-refused", "closed without a FIX answer", P, OK),
    Case("fix.plaintext-refused", "a FIX answer in plaintext", F, PLAINTEXT_FIX),
    Case("fix.plaintext-refused", "probe did not run", I, server(plaintext=None)),
    Case("fix.plaintext-refused", "unreachable: not judged", None, UNREACHABLE),
    # -- the server's answers
    Case("tls.server-hello.valid", "within the offer", P, OK),
    Case(
        "tls.server-hello.valid",
        "a suite never offered",
        F,
        server(hellos=(HelloFacts("TLSv1.2", (RSA_SUITE,), (0x0303,), 0xFFFF, 0x0303),)),
    ),
    Case("tls.server-hello.valid", "no ServerHello", I, NO_HANDSHAKE),
    Case("tls.server-hello.valid", "not TLS: not judged", None, SILENT),
    Case("tls.server-flight.bounded", "flight ended", P, OK),
    Case(
        "tls.server-flight.bounded",
        "endless flight",
        F,
        server(flight=(("TLSv1.2", "flight", 3000), ("TLSv1.1", "oversize", 1 << 20))),
    ),
    Case("tls.server-flight.bounded", "no flight ended", I, server(flight=(("TLSv1.2", "timeout", 0),))),
    # -- versions
    *(
        row
        for name, vid in (("SSLv3", "ssl3"), ("TLSv1", "tls1"), ("TLSv1.1", "tls1_1"), ("TLSv1.2", "tls1_2"), ("TLSv1.3", "tls1_3"))
        for row in _version_rows(vid, name)
    ),
    Case("tls.version.supported", "TLSv1.2 accepted", P, OK),
    Case("tls.version.supported", "only TLSv1 accepted", F, server(versions=_versions("TLSv1"))),
    Case("tls.version.supported", "no handshake: not judged", None, NO_HANDSHAKE),
    # -- suites
    *_required_rows(),
    Case("tls.cipher.required-applicable", "RSA server: one of two applicable", P, OK),
    Case(
        "tls.cipher.required-applicable",
        "DSA server: none applicable",
        F,
        server(suites=replace(OK.suites, accepted={}, key_types=frozenset({"DSA"}))),
    ),
    Case(
        "tls.cipher.required-applicable",
        "use case 2: the PSK checks define it",
        NA,
        case("2", suites=replace(OK.suites, key_types=frozenset()), psk=PSK_AUTH),
    ),
    Case(
        "tls.cipher.required-applicable",
        "no key type seen: not judged",
        None,
        server(suites=replace(OK.suites, key_types=frozenset())),
    ),
    Case("tls.cipher.forbidden-accepted", "none accepted", P, OK),
    Case(
        "tls.cipher.forbidden-accepted",
        "a suite outside the profile accepted",
        F,
        server(suites=replace(OK.suites, accepted={RSA_SUITE: ("TLSv1.2",), OUTSIDE: ("TLSv1.2",)})),
    ),
    Case("tls.cipher.forbidden-accepted", "batched probe failed", I, server(suites=replace(OK.suites, batches_ok=False))),
    Case("tls.cipher.forbidden-accepted", "batches never ran", I, server(suites=replace(OK.suites, batches_ran=False))),
    Case("tls.kx.dhe-bits", "2048-bit group", P, OK),
    Case("tls.kx.dhe-bits", "1024-bit group", F, server(dh_bits=((1024, RSA_SUITE), (2048, RSA_SUITE)))),
    Case("tls.kx.dhe-bits", "no DHE: not judged", None, server(dh_bits=())),
    Case("tls.compression.refused", "null compression", P, OK),
    Case("tls.compression.refused", "DEFLATE chosen", F, server(compression=1)),
    Case("tls.compression.refused", "ServerHello not readable", I, server(compression=None)),
    Case("tls.compression.refused", "TLSv1.2 not accepted: not judged", None, server(tls12_accepted=False)),
    # -- the certificate
    Case("cert.present", "unparseable", F, server(chain=(), chain_error="unparseable: bad DER")),
    Case("cert.present", "no chain although suites were accepted", F, NO_CHAIN),
    Case("cert.present", "no chain, nothing accepted", I, server(chain=(), suites=replace(OK.suites, accepted={}))),
    Case("cert.present", "a chain: judged by the others", None, OK),
    Case("cert.present", "use case 2: not judged", None, case("2", chain=(), psk=PSK_AUTH)),
    Case("cert.validity", "within its period", P, OK),
    Case("cert.validity", "expired", F, server(now=NOW + timedelta(days=300))),
    Case("cert.validity", "not yet valid", F, server(now=NOW - timedelta(days=200))),
    Case("cert.validity", "no chain: not judged", None, NO_CHAIN),
    Case("cert.validity.chain-1", "CA expired", F, server(chain=(LEAF, EXPIRED_CA))),
    Case("cert.validity.chain-1", "CA valid: not reported", None, OK),
    Case("cert.key-size", "RSA 2048", P, OK),
    Case("cert.key-size", "RSA 1024", F, server(chain=(WEAK_LEAF,))),
    Case("cert.key-size", "no chain: not judged", None, NO_CHAIN),
    Case("cert.signature-algorithm", "SHA-256", P, OK),
    Case("cert.signature-algorithm", "SHA-1 leaf", F, server(chain=(WEAK_LEAF,))),
    Case("cert.signature-algorithm", "no chain: not judged", None, NO_CHAIN),
    Case("cert.san-matches", "IP SAN 127.0.0.1", P, OK),
    Case("cert.san-matches", "connected to 127.0.0.2", F, server(target_host="127.0.0.2")),
    Case("cert.san-matches", "connected by a name the leaf lacks", F, server(target_host="other.test")),
    Case("cert.san-matches", "no chain: not judged", None, NO_CHAIN),
    Case("cert.chain-complete", "anchored in --cafile", P, server(trust=TrustFacts(cafile="ca.pem", anchors=(CA,)))),
    Case("cert.chain-complete", "another CA", F, server(trust=TrustFacts(cafile="ca.pem", anchors=(OTHER_CA,)))),
    Case("cert.chain-complete", "CA file without certificates", I, server(trust=TrustFacts(cafile="ca.pem"))),
    Case("cert.chain-complete", "no --cafile: not judged", None, OK),
    Case("cert.pin-matches", "leaf pinned", P, server(trust=TrustFacts(pin="pin.pem", pinned=(LEAF,)))),
    Case("cert.pin-matches", "another certificate pinned", F, server(trust=TrustFacts(pin="pin.pem", pinned=(WEAK_LEAF,)))),
    Case("cert.pin-matches", "pin file without certificates", I, server(trust=TrustFacts(pin="pin.pem"))),
    Case("cert.pin-matches", "no --pin: not judged", None, OK),
    Case("cert.revocation", "not on the CRL", P, server(trust=TrustFacts(crl_given=True, crls=(_crl(99),)))),
    Case("cert.revocation", "revoked on the CRL", F, server(trust=TrustFacts(crl_given=True, crls=(_crl(2),)))),
    Case("cert.revocation", "CRL unreadable", I, server(trust=TrustFacts(crl_given=True, crl_error="bad PEM"))),
    Case(
        "cert.revocation",
        "CRL of another issuer",
        I,
        server(trust=TrustFacts(crl_given=True, crls=(_crl(2, issuer_key=OTHER_CA_KEY, issuer="other CA"),))),
    ),
    Case("cert.revocation", "OCSP good", P, server(trust=TrustFacts(ocsp_given=True, ocsp=("good", "")))),
    Case("cert.revocation", "OCSP revoked", F, server(trust=TrustFacts(ocsp_given=True, ocsp=("revoked", "")))),
    Case("cert.revocation", "OCSP unknown", I, server(trust=TrustFacts(ocsp_given=True, ocsp=("unknown", "responder: unknown")))),
    Case("cert.revocation", "OCSP: no issuer sent", I, server(trust=TrustFacts(ocsp_given=True))),
    Case("cert.revocation", "neither --crl nor --ocsp-url: not judged", None, OK),
    # -- client authentication
    Case("auth.client-certificate.required", "refused without a certificate", P, case("1a", client_auth=CERT_AUTH)),
    Case("auth.client-certificate.required", "accepted without one", F, case("1a", client_auth={**CERT_AUTH, "none": ACCEPTED})),
    Case("auth.client-certificate.required", "outcome not visible", I, case("1a", client_auth={**CERT_AUTH, "none": UNKNOWN})),
    Case("auth.client-certificate.required", "probe failed", I, case("1a", client_auth={**CERT_AUTH, "none": FAILED})),
    Case("auth.client-certificate.required", "use case 3a: not judged", None, case("3a", client_auth=CERT_AUTH)),
    Case("auth.client-certificate.accepted", "accepted", P, case("1b", client_auth=CERT_AUTH)),
    Case("auth.client-certificate.accepted", "refused", F, case("1b", client_auth={**CERT_AUTH, "valid": REFUSED})),
    Case("auth.client-certificate.accepted", "no --cert/--key", I, case("1b", client_auth={"none": REFUSED})),
    Case("auth.client-certificate.accepted", "probe failed", I, case("1b", client_auth={**CERT_AUTH, "valid": FAILED})),
    Case("auth.client-certificate.accepted", "no use case: not judged", None, server(client_auth=CERT_AUTH)),
    *(row for k in ("self-signed", "unrelated-ca", "expired", "unpinned") for row in _bad_client_cert_rows(k)),
    Case("auth.psk.accepted", "PSK suite negotiated", P, case("2", psk=PSK_AUTH)),
    Case("auth.psk.accepted", "refused", F, case("2", psk={**PSK_AUTH, "valid": REFUSED})),
    Case(
        "auth.psk.accepted",
        "completed without a PSK suite",
        F,
        case("2", psk={**PSK_AUTH, "valid": replace(PSK_OK, psk_suite=False)}),
    ),
    Case("auth.psk.accepted", "no --psk-secrets", I, case("2")),
    Case("auth.psk.accepted", "outcome not visible", I, case("2", psk={**PSK_AUTH, "valid": UNKNOWN})),
    Case("auth.psk.accepted", "certificate case, no PSK probe: not judged", None, case("1a")),
    *(row for k in ("wrong-key", "unknown-identity") for row in _bad_psk_rows(k)),
    # -- the FIX Logon probe
    Case("fix.logon.accepted", "Logon answered with Logon", P, server(fix=FIX_OK)),
    Case("fix.logon.accepted", "refused with Text(58)", F, fix(logon=LOGON_REFUSED)),
    Case("fix.logon.accepted", "engine closed", F, fix(logon=LogonFacts(False, explanation="TLS fine, but the FIX engine closed"))),
    Case("fix.logon.accepted", "probe could not run", I, fix(logon=LOGON_ERROR)),
    Case("fix.logon.accepted", "our tunnel could not start", I, server(fix=FixFacts(start_error="bad --cert"))),
    Case("fix.logon.accepted", "no --sender/--target: not judged", None, OK),
    Case("fix.logon.accepted", "not TLS: not judged", None, replace(PLAINTEXT_FIX, fix=FIX_OK)),
    Case("fix.logon.bad-credentials-refused", "refused", P, server(fix=FIX_OK)),
    Case("fix.logon.bad-credentials-refused", "accepted", F, fix(bad=LOGON_OK)),
    Case("fix.logon.bad-credentials-refused", "probe could not run", I, fix(bad=LOGON_ERROR)),
    Case("fix.logon.bad-credentials-refused", "no credentials: not judged", None, fix(bad=None)),
    Case("fix.logon.compid-bound", "refused", P, server(fix=FIX_OK)),
    Case("fix.logon.compid-bound", "accepted under another CompID", F, fix(foreign=LOGON_OK)),
    Case("fix.logon.compid-bound", "our own Logon refused", I, fix(logon=LOGON_REFUSED)),
    Case("fix.logon.compid-bound", "probe could not run", I, fix(foreign=LOGON_ERROR)),
    Case("fix.logon.compid-bound", "no --foreign-sender: not judged", None, fix(foreign_sender=None, foreign=None)),
    Case("fix.logon.other-identity-refused", "refused", P, server(fix=FIX_OK)),
    Case("fix.logon.other-identity-refused", "logged on as us", F, fix(other=LOGON_OK)),
    Case("fix.logon.other-identity-refused", "its tunnel could not start", I, fix(other=None, other_start_error="bad key")),
    Case("fix.logon.other-identity-refused", "our own Logon refused", I, fix(logon=LOGON_REFUSED)),
    Case("fix.logon.other-identity-refused", "no --other-cert: not judged", None, fix(other_given=False, other=None)),
    # -- certify client
    Case("client.connected", "never connected", I, NO_CLIENT),
    Case("client.connected", "connected: not reported", None, client()),
    Case("client.plaintext-fix", "a TLS record", P, client()),
    Case("client.plaintext-fix", "a plaintext Logon", F, client(first_bytes=b"8=FIX.4.4\x019=70\x0135=A\x01")),
    Case("client.plaintext-fix", "neither TLS nor FIX", I, client(first_bytes=b"GET / HTTP/1.1")),
    Case("client.plaintext-fix", "never connected: not judged", None, NO_CLIENT),
    Case("tls.version.offered", "TLSv1.2 only", P, client()),
    Case("tls.version.offered", "TLSv1 offered too", F, client(versions_offered=(0x0303, 0x0301))),
    Case("tls.version.offered", "nothing readable offered", I, client(versions_offered=())),
    Case("tls.cipher.offered-forbidden", "profile suites only", P, client()),
    Case("tls.cipher.offered-forbidden", "a suite outside the profile", F, client(suites_offered=(RSA_SUITE, OUTSIDE))),
    Case("tls.cipher.offered-forbidden", "no suites readable", I, client(suites_offered=())),
    Case("tls.cipher.offered-allowed", "a profile suite", P, client()),
    Case("tls.cipher.offered-allowed", "none of the profile's", F, client(suites_offered=(OUTSIDE,))),
    Case("tls.cipher.offered-allowed", "no suites readable", I, client(suites_offered=())),
    Case("auth.server-certificate.valid.accepted", "accepted", P, client()),
    Case("auth.server-certificate.valid.accepted", "refused even the valid one", I, client({"valid": CLIENT_REFUSED})),
    Case("auth.server-certificate.valid.accepted", "stalled", I, client({"valid": CLIENT_SILENT})),
    *(row for k in ("wrong-host", "unrelated-ca", "expired") for row in _bad_server_cert_rows(k)),
)  # fmt: skip
