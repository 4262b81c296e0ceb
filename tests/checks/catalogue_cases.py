"""The check table: made-up observations and the verdict each registered check must
give for them (no network, no tunnels).

Shared by tests/checks/test_catalogue.py (one pytest case per row) and
scripts/mutation-gate (which runs every row against each mutant in-process). Every
registered id of :data:`harness.checks.catalogue.RUN_CHECKS` needs at least one
``pass``, one ``fail`` and one ``inconclusive`` row; a row with ``verdict=None``
says the check must not apply.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from harness.checks import catalogue
from harness.checks.catalogue import RunFacts
from harness.checks.model import CheckResult, Verdict
from harness.checks.observation import (
    FixOutcome,
    LoggedConnection,
    Observation,
    ProxyFacts,
    ProxyRequest,
    SocketReading,
)
from harness.dissect.model import Alert, CertInfo, Handshake
from harness.profiles import Profile, SocketRule, load_profile
from harness.scenario.model import (
    Alert as AlertExpectation,
)
from harness.scenario.model import (
    AuthExpectation,
    CipherExpectation,
    Expectations,
    FixExpectation,
    TlsExpectation,
)

P, F, I, W = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.WARN  # noqa: E741

GUIDE = load_profile("stunnel-guide-2017")
FIXS10 = load_profile("fixs-1.0")  # no socket rule: the config's own value is judged
GUIDE_WARN = replace(
    GUIDE,
    name="guide-nagle-warns",
    socket_rules=tuple(replace(r, when_not_met="warn") for r in GUIDE.socket_rules),
)
GUIDE_REQUIRES = replace(
    GUIDE,
    name="guide-nagle-required",
    socket_rules=(SocketRule("TCP_NODELAY", 1, ("l", "r"), "requirement", "fail", "2.1.4"),),
)

CERT = CertInfo(
    subject="CN=fix-server.test",
    issuer="CN=test CA",
    sans=("fix-server.test",),
    key_type="RSA",
    key_bits=2048,
    not_before="2026-01-01T00:00:00Z",
    not_after="2027-01-01T00:00:00Z",
    sha256="00" * 32,
    serial="01",
)
FATAL = 2
HANDSHAKE_FAILURE, INTERNAL_ERROR = 40, 80
TLS12, TLS13 = 0x0303, 0x0304
DHE_RSA_AES128_SHA256 = 0x0067  # in the guide profile
RSA_AES256_SHA = 0x0035  # in no profile
PSK_AES128_CBC_SHA = 0x008C  # the guide's PSK errata pair

# what a tunnel logs about a connection it negotiated, and the decisive lines of a
# client that refused the server's certificate on a checkIP mismatch
LOG_OK = LoggedConnection(version="TLSv1.2", cipher="DHE-RSA-AES128-SHA256")
SUBJECT_CHECK_FAILED = "CERT: Subject checks failed"
LOG_REFUSED = LoggedConnection(
    errors=("SSL_connect: certificate verify failed",),
    decisive=(
        SUBJECT_CHECK_FAILED,
        "Rejected by CERT at depth=0: CN=fix-server.test",
        "SSL_connect: certificate verify failed",
    ),
)


def hs(**kw: Any) -> Handshake:
    """A complete TLS 1.2 handshake, mutual certificates, unless told otherwise."""
    base: dict[str, Any] = {
        "complete": True,
        "incomplete_reason": None,
        "negotiated": True,
        "versions_offered": (TLS12,),
        "ciphers_offered": (DHE_RSA_AES128_SHA256,),
        "version_selected": TLS12,
        "cipher_selected": DHE_RSA_AES128_SHA256,
        "server_certificates": (CERT,),
        "client_certificates": (CERT,),
        "certificate_request": True,
    }
    base.update(kw)
    return Handshake(**base)


def alert(sender: str, description: int | None, *, level: int | None = FATAL) -> Alert:
    return Alert(sender, level, description, description is None, 0.0)  # type: ignore[arg-type]


REFUSED_HS = hs(
    negotiated=False,
    client_certificates=None,
    alerts=(alert("client", INTERNAL_ERROR),),
)
INCOMPLETE_HS = hs(complete=False, incomplete_reason="server stream ends inside a record")
LOST_FRAMES = "the kernel dropped 2 of 31 frame(s) (the capture socket's receive buffer was full)"
PSK_HS = hs(
    cipher_selected=PSK_AES128_CBC_SHA,
    server_certificates=(),
    client_certificates=(),
    certificate_request=False,
    psk_identity="CLIENT1",
)
TLS13_PSK_HS = hs(
    version_selected=TLS13,
    cipher_selected=0x1301,
    extensions_selected=(41, 43),
    server_certificates=None,
    client_certificates=None,
    negotiated=None,
)

FIX_OK = FixOutcome(ok=True, logon_accepted=True, execution_reports=3)
FIX_REFUSED = FixOutcome(
    ok=False,
    logon_accepted=False,
    failures=("<default script>:2: expect Logon: expected Logon, but the connection closed",),
)
FIX_LOGOUT = FixOutcome(
    ok=False, logon_accepted=False, logout_text="Invalid password", failures=("x",)
)


def sockets(nodelay: bool | None, configured: str | None = "1") -> tuple[SocketReading, ...]:
    return tuple(
        SocketReading(t, k, configured, nodelay, "pid 1 fd 3")  # type: ignore[arg-type]
        for t in ("client", "server")
        for k in ("l", "r")
    )


OBS_OK = Observation(
    handshake=hs(),
    client_log=LOG_OK,
    server_log=LOG_OK,
    fix=FIX_OK,
    acceptor_orders=3,
    sockets=sockets(True),
)
OBS_CHECKIP = Observation(
    handshake=REFUSED_HS,
    client_log=LOG_REFUSED,
    server_log=LoggedConnection(decisive=("SSL_accept: tlsv1 alert internal error",)),
    fix=FIX_REFUSED,
    sockets_skipped="no FIX session was established to probe",
)
OBS_NO_CAPTURE = replace(
    OBS_OK, handshake=None, handshake_missing="no TCP connection to the server tunnel"
)


def expect(
    *,
    version: str | None = "TLSv1.2",
    cipher: tuple[int, ...] | None = (DHE_RSA_AES128_SHA256,),
    auth: str | None = "mutual-certificate",
    alerts: tuple[int, ...] = (),
    refused_by: str | None = None,
    logon: str | None = "accepted",
    text: str | None = None,
    messages: int | None = 3,
) -> Expectations:
    return Expectations(
        tls=TlsExpectation(
            version=version, cipher=CipherExpectation(codes=cipher) if cipher else None
        ),
        auth=AuthExpectation(
            auth,  # type: ignore[arg-type]
            alerts=tuple(AlertExpectation(a, f"alert{a}") for a in alerts),
            refused_by=refused_by,  # type: ignore[arg-type]
        )
        if auth
        else None,
        fix=FixExpectation(logon, text) if logon else None,  # type: ignore[arg-type]
        messages=messages,
    )


EXPECT_OK = expect()
EXPECT_FIX_CREDS = expect(auth="server-certificate+fix-credentials")
EXPECT_PSK = expect(auth="psk", cipher=None)
EXPECT_REFUSED = expect(
    auth="handshake-refused",
    alerts=(INTERNAL_ERROR,),
    refused_by="client",
    logon=None,
    messages=None,
    cipher=None,
)


@dataclass(frozen=True)
class Case:
    """One row: check ``id`` on these facts must give ``verdict`` (None: no result).

    ``evidence`` lists substrings that must each appear in some evidence line."""

    id: str
    name: str
    verdict: Verdict | None
    obs: Observation
    expect: Expectations = EXPECT_OK
    profile: Profile = GUIDE
    evidence: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.id}: {self.name}"


def run_case(case: Case) -> CheckResult | None:
    """The registered check's result on the row's facts (the registry is read at call
    time, so the mutation gate's mutants are what runs)."""
    check = catalogue.RUN_CHECKS.check(case.id)
    return check.run(RunFacts(case.expect, case.profile, case.obs))


def problem(case: Case) -> str | None:
    """What is wrong with the check's answer for this row, or None when it is right."""
    r = run_case(case)
    got = r.verdict if r is not None else None
    if got != case.verdict:
        return f"expected {case.verdict}, got {got} ({r})"
    for needle in case.evidence:
        if r is None or not any(needle in line for line in r.evidence):
            return f"evidence lacks {needle!r}: {r.evidence if r else ()}"
    return None


def _nodelay_rows(tunnel: str, kind: str) -> list[Case]:
    cid = f"socket.nodelay.{tunnel}.{kind}"
    nagle = sockets(False, configured="0")
    return [
        Case(cid, "TCP_NODELAY=1 on the live socket", P, OBS_OK),
        Case(
            cid,
            "Nagle on (config says 0) fails under the guide profile",
            F,
            replace(OBS_OK, sockets=nagle),
        ),
        Case(
            cid,
            "Nagle on under a profile that requires TCP_NODELAY",
            F,
            replace(OBS_OK, sockets=nagle),
            profile=GUIDE_REQUIRES,
        ),
        Case(
            cid,
            "a profile that keeps the recommendation a warning",
            W,
            replace(OBS_OK, sockets=nagle),
            profile=GUIDE_WARN,
        ),
        Case(cid, "the socket could not be read", I, replace(OBS_OK, sockets=sockets(None))),
        Case(
            cid,
            "the probe did not run though a session was expected",
            I,
            replace(OBS_OK, sockets=(), sockets_skipped="probe connection failed"),
        ),
        Case(
            cid,
            "no probe and no session expected",
            None,
            replace(OBS_OK, sockets=()),
            expect=EXPECT_REFUSED,
        ),
        Case(
            cid,
            "no profile rule: the config's TCP_NODELAY=1 is held against the live socket",
            F,
            replace(OBS_OK, sockets=sockets(False, configured="1")),
            profile=FIXS10,
        ),
        Case(
            cid,
            "no profile rule and the config turned it off: nothing to judge",
            None,
            replace(OBS_OK, sockets=nagle),
            profile=FIXS10,
        ),
    ]


def _outcome_rows(outcome: str, ok: Observation, exp: Expectations) -> list[Case]:
    cid = f"auth.{outcome}"
    return [
        Case(cid, "the handshake completed", P, ok, exp),
        Case(
            cid,
            "refused: quotes the tunnels' decisive lines and the alert",
            F,
            OBS_CHECKIP,
            exp,
            evidence=(SUBJECT_CHECK_FAILED, "internal_error(80) from the client"),
        ),
        Case(cid, "incomplete capture", I, replace(ok, handshake=INCOMPLETE_HS), exp),
        Case(cid, "another outcome is expected", None, ok, EXPECT_REFUSED),
    ]


def _log_rows(side: str) -> list[Case]:
    cid = f"log.matches-wire.{side}"
    other = LoggedConnection(version="TLSv1.2", cipher="ECDHE-RSA-AES256-GCM-SHA384")
    return [
        Case(cid, "log and wire agree", P, OBS_OK),
        Case(cid, "log names another cipher", F, replace(OBS_OK, **{f"{side}_log": other})),
        Case(
            cid,
            "log claims a negotiation the wire refused",
            F,
            replace(OBS_CHECKIP, **{f"{side}_log": LOG_OK}),
            EXPECT_REFUSED,
        ),
        Case(
            cid,
            "no connection logged for a completed handshake",
            F,
            replace(OBS_OK, **{f"{side}_log": None}),
        ),
        Case(cid, "no capture", I, OBS_NO_CAPTURE),
    ]


CASES: tuple[Case, ...] = (
    # -- tls.handshake.captured
    Case("tls.handshake.captured", "complete handshake", P, OBS_OK),
    Case(
        "tls.handshake.captured",
        "the leg between the tunnels is not TLS",
        F,
        replace(
            OBS_OK,
            handshake=hs(
                complete=False,
                incomplete_reason="client stream is not TLS: it starts with 'GET / HT'",
            ),
        ),
    ),
    Case("tls.handshake.captured", "nothing captured", I, OBS_NO_CAPTURE),
    Case(
        "tls.handshake.captured", "truncated capture", I, replace(OBS_OK, handshake=INCOMPLETE_HS)
    ),
    Case(
        "tls.handshake.captured",
        "a complete handshake, but the capture lost frames",
        I,
        replace(OBS_OK, capture_gap=LOST_FRAMES),
    ),
    Case(
        "tls.handshake.captured",
        "a client alert instead of a ClientHello is a whole story",
        P,
        replace(
            OBS_OK,
            handshake=hs(
                complete=False,
                incomplete_reason="no ClientHello",
                ciphers_offered=(),
                alerts=(alert("client", 70),),
            ),
        ),
    ),
    # -- tls.version
    Case("tls.version", "TLSv1.2 as expected", P, OBS_OK),
    Case(
        "tls.version",
        "TLSv1.3 where 1.2 is expected",
        F,
        replace(OBS_OK, handshake=hs(version_selected=TLS13)),
    ),
    Case(
        "tls.version",
        "no ServerHello",
        F,
        replace(OBS_OK, handshake=hs(version_selected=None, negotiated=False)),
    ),
    Case("tls.version", "incomplete capture", I, replace(OBS_OK, handshake=INCOMPLETE_HS)),
    Case("tls.version", "the capture lost frames", I, replace(OBS_OK, capture_gap=LOST_FRAMES)),
    Case("tls.version", "no version expected", None, OBS_OK, expect(version=None)),
    # -- tls.version.in-profile
    Case("tls.version.in-profile", "TLSv1.2 in the guide profile", P, OBS_OK),
    Case(
        "tls.version.in-profile",
        "TLSv1.3 is not in the guide profile",
        F,
        replace(OBS_OK, handshake=hs(version_selected=TLS13)),
        expect(version=None),
    ),
    Case(
        "tls.version.in-profile",
        "ServerHello seen, capture incomplete",
        I,
        replace(OBS_OK, handshake=INCOMPLETE_HS),
    ),
    Case(
        "tls.version.in-profile",
        "refused handshake: nothing was used",
        None,
        OBS_CHECKIP,
        EXPECT_REFUSED,
    ),
    # -- tls.cipher.expected
    Case("tls.cipher.expected", "0x0067 as expected", P, OBS_OK),
    Case("tls.cipher.expected", "another suite", F, OBS_OK, expect(cipher=(0xC030,))),
    Case(
        "tls.cipher.expected",
        "any suite in the profile, none allowed",
        F,
        replace(OBS_OK, handshake=hs(cipher_selected=RSA_AES256_SHA)),
        replace(EXPECT_OK, tls=TlsExpectation(cipher=CipherExpectation(any_in_profile=True))),
    ),
    Case("tls.cipher.expected", "incomplete capture", I, replace(OBS_OK, handshake=INCOMPLETE_HS)),
    Case("tls.cipher.expected", "no cipher expected", None, OBS_OK, expect(cipher=None)),
    # -- tls.cipher.in-profile
    Case("tls.cipher.in-profile", "0x0067 is a guide suite", P, OBS_OK),
    Case(
        "tls.cipher.in-profile",
        "0x0035 is in no profile",
        F,
        replace(OBS_OK, handshake=hs(cipher_selected=RSA_AES256_SHA)),
        expect(cipher=None),
    ),
    Case(
        "tls.cipher.in-profile",
        "ServerHello seen, capture incomplete",
        I,
        replace(OBS_OK, handshake=INCOMPLETE_HS),
    ),
    Case("tls.cipher.in-profile", "refused handshake", None, OBS_CHECKIP, EXPECT_REFUSED),
    # -- the outcome gates
    *_outcome_rows("mutual-certificate", OBS_OK, EXPECT_OK),
    *_outcome_rows(
        "server-certificate+fix-credentials",
        replace(OBS_OK, handshake=hs(client_certificates=())),
        EXPECT_FIX_CREDS,
    ),
    *_outcome_rows("psk", replace(OBS_OK, handshake=PSK_HS), EXPECT_PSK),
    # -- certificates
    Case("auth.server-certificate", "server certificate sent", P, OBS_OK),
    Case(
        "auth.server-certificate",
        "no server certificate",
        F,
        replace(OBS_OK, handshake=hs(server_certificates=())),
    ),
    Case(
        "auth.server-certificate",
        "TLS 1.3 without a key log",
        I,
        replace(OBS_OK, handshake=hs(server_certificates=None)),
    ),
    Case(
        "auth.server-certificate",
        "PSK: not judged",
        None,
        replace(OBS_OK, handshake=PSK_HS),
        EXPECT_PSK,
    ),
    Case("auth.client-certificate", "client certificate sent", P, OBS_OK),
    Case(
        "auth.client-certificate",
        "no client certificate",
        F,
        replace(OBS_OK, handshake=hs(client_certificates=())),
    ),
    Case(
        "auth.client-certificate",
        "TLS 1.3 without a key log",
        I,
        replace(OBS_OK, handshake=hs(client_certificates=None)),
    ),
    Case("auth.client-certificate", "refused: the gate judges", None, OBS_CHECKIP),
    Case(
        "auth.no-client-certificate",
        "none sent",
        P,
        replace(OBS_OK, handshake=hs(client_certificates=())),
        EXPECT_FIX_CREDS,
    ),
    Case(
        "auth.no-client-certificate", "a client certificate was sent", F, OBS_OK, EXPECT_FIX_CREDS
    ),
    Case(
        "auth.no-client-certificate",
        "TLS 1.3 without a key log",
        I,
        replace(OBS_OK, handshake=hs(client_certificates=None)),
        EXPECT_FIX_CREDS,
    ),
    # -- PSK
    Case(
        "auth.psk-identity",
        "the configured identity",
        P,
        replace(OBS_OK, handshake=PSK_HS, expected_psk_identity="CLIENT1"),
        EXPECT_PSK,
    ),
    Case(
        "auth.psk-identity",
        "another identity",
        F,
        replace(OBS_OK, handshake=PSK_HS, expected_psk_identity="OTHER"),
        EXPECT_PSK,
    ),
    Case(
        "auth.psk-identity",
        "TLS 1.2 without an identity",
        F,
        replace(OBS_OK, handshake=replace(PSK_HS, psk_identity=None)),
        EXPECT_PSK,
    ),
    Case(
        "auth.psk-identity",
        "TLS 1.3: the identity is not in the clear",
        I,
        replace(OBS_OK, handshake=TLS13_PSK_HS),
        EXPECT_PSK,
    ),
    Case("auth.psk-suite", "a PSK suite", P, replace(OBS_OK, handshake=PSK_HS), EXPECT_PSK),
    Case(
        "auth.psk-suite",
        "TLS 1.3 pre_shared_key accepted",
        P,
        replace(OBS_OK, handshake=TLS13_PSK_HS),
        EXPECT_PSK,
    ),
    Case("auth.psk-suite", "a certificate suite", F, OBS_OK, EXPECT_PSK),
    Case(
        "auth.psk-suite",
        "TLS 1.3 without pre_shared_key",
        F,
        replace(OBS_OK, handshake=replace(TLS13_PSK_HS, extensions_selected=(43,))),
        EXPECT_PSK,
    ),
    Case(
        "auth.psk-suite",
        "no cipher seen",
        I,
        replace(OBS_OK, handshake=replace(PSK_HS, cipher_selected=None)),
        EXPECT_PSK,
    ),
    Case(
        "auth.no-certificates", "none under PSK", P, replace(OBS_OK, handshake=PSK_HS), EXPECT_PSK
    ),
    Case(
        "auth.no-certificates",
        "TLS 1.3 PSK accepted: no Certificate follows",
        P,
        replace(OBS_OK, handshake=TLS13_PSK_HS),
        EXPECT_PSK,
    ),
    Case(
        "auth.no-certificates",
        "a server certificate under PSK",
        F,
        replace(OBS_OK, handshake=replace(PSK_HS, server_certificates=(CERT,))),
        EXPECT_PSK,
    ),
    Case(
        "auth.no-certificates",
        "encrypted and no PSK accepted",
        I,
        replace(OBS_OK, handshake=replace(TLS13_PSK_HS, extensions_selected=(43,))),
        EXPECT_PSK,
    ),
    # -- refusals
    Case(
        "auth.refused-with-alert",
        "internal_error from the client, quoted",
        P,
        OBS_CHECKIP,
        EXPECT_REFUSED,
        evidence=(SUBJECT_CHECK_FAILED,),
    ),
    Case("auth.refused-with-alert", "the handshake completed", F, OBS_OK, EXPECT_REFUSED),
    Case(
        "auth.refused-with-alert",
        "another alert",
        F,
        replace(
            OBS_CHECKIP, handshake=replace(REFUSED_HS, alerts=(alert("client", HANDSHAKE_FAILURE),))
        ),
        EXPECT_REFUSED,
    ),
    Case(
        "auth.refused-with-alert",
        "refused by the other side",
        F,
        replace(
            OBS_CHECKIP, handshake=replace(REFUSED_HS, alerts=(alert("server", INTERNAL_ERROR),))
        ),
        EXPECT_REFUSED,
    ),
    Case(
        "auth.refused-with-alert",
        "an encrypted alert",
        I,
        replace(
            OBS_CHECKIP, handshake=replace(REFUSED_HS, alerts=(alert("client", None, level=None),))
        ),
        EXPECT_REFUSED,
    ),
    Case("auth.refused-with-alert", "no capture", I, OBS_NO_CAPTURE, EXPECT_REFUSED),
    Case("auth.refused-with-alert", "no refusal expected", None, OBS_OK),
    # -- proxy
    Case(
        "proxy.connect",
        "200 CONNECT to the server",
        P,
        replace(
            OBS_OK,
            proxy=ProxyFacts("127.0.0.1:7777", (ProxyRequest(200, "CONNECT", "127.0.0.1:7777"),)),
        ),
    ),
    Case(
        "proxy.connect",
        "proxy refused",
        F,
        replace(
            OBS_OK,
            proxy=ProxyFacts("127.0.0.1:7777", (ProxyRequest(407, "CONNECT", "127.0.0.1:7777"),)),
        ),
    ),
    Case(
        "proxy.connect",
        "another target",
        F,
        replace(
            OBS_OK,
            proxy=ProxyFacts("127.0.0.1:7777", (ProxyRequest(200, "CONNECT", "127.0.0.1:7778"),)),
        ),
    ),
    Case("proxy.connect", "no request", F, replace(OBS_OK, proxy=ProxyFacts("127.0.0.1:7777", ()))),
    Case(
        "proxy.connect",
        "requests not read",
        I,
        replace(OBS_OK, proxy=ProxyFacts("127.0.0.1:7777", None)),
    ),
    Case("proxy.connect", "no proxy in the scenario", None, OBS_OK),
    # -- FIX
    Case("fix.no-session", "no session through a refusal", P, OBS_CHECKIP, EXPECT_REFUSED),
    Case(
        "fix.no-session",
        "a session through a refusal",
        F,
        replace(OBS_CHECKIP, fix=FIX_OK),
        EXPECT_REFUSED,
    ),
    Case(
        "fix.no-session",
        "orders reached the acceptor",
        F,
        replace(OBS_CHECKIP, acceptor_orders=1),
        EXPECT_REFUSED,
    ),
    Case(
        "fix.no-session", "no conversation ran", I, replace(OBS_CHECKIP, fix=None), EXPECT_REFUSED
    ),
    Case("fix.logon", "accepted", P, OBS_OK),
    Case("fix.logon", "not accepted", F, replace(OBS_OK, fix=FIX_REFUSED)),
    Case(
        "fix.logon",
        "rejected with the expected text",
        P,
        replace(OBS_OK, fix=FIX_LOGOUT),
        expect(logon="rejected", text="password"),
    ),
    Case(
        "fix.logon",
        "rejected with another text",
        F,
        replace(OBS_OK, fix=FIX_LOGOUT),
        expect(logon="rejected", text="locked"),
    ),
    Case(
        "fix.logon", "accepted where a rejection is expected", F, OBS_OK, expect(logon="rejected")
    ),
    Case("fix.logon", "no conversation ran", I, replace(OBS_OK, fix=None)),
    Case("fix.roundtrip", "3 orders, 3 reports", P, OBS_OK),
    Case(
        "fix.roundtrip",
        "reports missing",
        F,
        replace(OBS_OK, fix=replace(FIX_OK, execution_reports=2)),
    ),
    Case("fix.roundtrip", "orders missing at the acceptor", F, replace(OBS_OK, acceptor_orders=2)),
    Case("fix.roundtrip", "no conversation ran", I, replace(OBS_OK, fix=None)),
    Case(
        "fix.roundtrip",
        "no round trips through a refusal",
        None,
        OBS_CHECKIP,
        replace(EXPECT_REFUSED, messages=3),
    ),
    Case("fix.script", "every step held", P, OBS_OK),
    Case(
        "fix.script",
        "a step failed",
        F,
        replace(OBS_OK, fix=replace(FIX_OK, ok=False, failures=("step 3",))),
    ),
    Case("fix.script", "no conversation ran", I, replace(OBS_OK, fix=None)),
    Case(
        "fix.script",
        "a rejection is expected",
        None,
        replace(OBS_OK, fix=FIX_LOGOUT),
        expect(logon="rejected"),
    ),
    # -- logs, sockets
    *_log_rows("client"),
    *_log_rows("server"),
    *(row for t in ("client", "server") for k in ("l", "r") for row in _nodelay_rows(t, k)),
)
