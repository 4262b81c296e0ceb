"""The checks of ``fixs-harness run``, one registered unit per id (:data:`RUN_CHECKS`).

Each unit is a :class:`~harness.checks.registry.CheckSpec` (the one place that names
its id, title, guide section, what it judges and whether that is a requirement or
a recommendation) and a judge: a small pure function from :class:`RunFacts` (the
scenario's expectations, its profile and the frozen
:class:`~harness.checks.observation.Observation`) to a result, or ``None`` when the
check does not apply to the scenario.

Facts come from the captured handshake; tunnel logs are the subject of
``log.matches-wire`` (a disagreement between a log and the wire is itself a
finding) and the evidence a failed handshake check quotes (the decisive log lines
and the alert on the wire). A check whose fact the capture cannot show (a TLS 1.3
client certificate without a key log, an encrypted alert) is ``inconclusive`` with
the reason, never ``pass``. The live sockets are judged against the profile's
socket rules, whatever the tunnels' configs say.

Order matters twice: reports list the checks in registry order, and a check's
``after`` names earlier checks whose failure makes it ``not-reached`` (the FIX
checks after a refused handshake).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.checks.model import CheckResult, Verdict
from harness.checks.observation import Observation, SocketKind, SocketReading, TunnelSide
from harness.checks.registry import Check, CheckSpec, Registry
from harness.dissect import Handshake
from harness.profiles import Profile
from harness.scenario.model import Expectations
from harness.tls.registry import (
    suite_by_code,
    suite_by_openssl_name,
    suite_label,
    version_name,
)
from harness.tls.versions import TLS13

PASS, FAIL, INCONCLUSIVE, WARN = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.WARN


@dataclass(frozen=True)
class RunFacts:
    """What a run check judges: what was expected, the policy, what was seen."""

    expect: Expectations
    profile: Profile
    obs: Observation

    @property
    def hs(self) -> Handshake | None:
        return self.obs.handshake

    @property
    def unusable(self) -> str | None:
        return self.obs.unusable()

    @property
    def outcome(self) -> str | None:
        return self.expect.auth.outcome if self.expect.auth is not None else None

    @property
    def refused_expected(self) -> bool:
        return self.outcome == "handshake-refused"

    @property
    def session_expected(self) -> bool:
        """A FIX session should have come up (and the live sockets be probed)."""
        return not self.refused_expected and (
            self.expect.fix is None or self.expect.fix.logon == "accepted"
        )

    def failure_evidence(self) -> tuple[str, ...]:
        return self.obs.decisive_evidence()


def _wire_version(hs: Handshake | None) -> str | None:
    if hs is None or hs.version_selected is None:
        return None
    return version_name(hs.version_selected)


def _judged(
    spec: CheckSpec,
    f: RunFacts,
    ok: bool,
    expected: str,
    observed: str,
    reason: str | None = None,
) -> CheckResult:
    """Pass or fail; a failure quotes the root cause (tunnel logs, wire alerts)."""
    if ok:
        return spec.result(PASS, expected, observed, reason)
    return spec.result(FAIL, expected, observed, reason, evidence=f.failure_evidence())


# ---------------------------------------------------------------- the proxy
PROXY = CheckSpec(
    "proxy.connect",
    "The client tunnel reached the server through the HTTP CONNECT proxy",
    "2.1.1.2",
    "scenario proxy (protocol = connect; protocolHost = the server)",
)


def _proxy(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    proxy = f.obs.proxy
    if proxy is None:
        return None
    wanted = f"200 CONNECT {proxy.expected_target}"
    if proxy.requests is None:
        return spec.result(INCONCLUSIVE, wanted, "unknown", "the proxy's requests were not read")
    if not proxy.requests:
        return spec.result(FAIL, wanted, "no request")
    first = proxy.requests[0]
    ok = first.status == 200 and first.method == "CONNECT" and first.target == proxy.expected_target
    return spec.result(PASS if ok else FAIL, wanted, first.describe())


# ---------------------------------------------------------------- the handshake
CAPTURED = CheckSpec(
    "tls.handshake.captured",
    "The TLS handshake was captured on the wire",
    None,
    "wire: a TLS exchange on the leg between the tunnels",
    # a proxy that refused the client tunnel explains a missing handshake
    after=(PROXY.id,),
)


def _captured(spec: CheckSpec, f: RunFacts) -> CheckResult:
    unusable = f.unusable
    if unusable is None:
        return spec.result(PASS, "a complete handshake in the capture", "complete")
    if f.hs is not None and "is not TLS" in (f.hs.incomplete_reason or ""):
        # the leg between the tunnels carried something else: the link is not protected
        return spec.result(
            FAIL,
            "a TLS handshake in the capture",
            f"not TLS: {f.hs.incomplete_reason}",
            evidence=f.failure_evidence(),
        )
    return spec.result(
        INCONCLUSIVE, "a complete handshake in the capture", "missing or incomplete", unusable
    )


VERSION = CheckSpec("tls.version", "Negotiated TLS version", "2.2", "expect.tls.version")


def _version(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    if f.expect.tls is None or f.expect.tls.version is None:
        return None
    want = f.expect.tls.version
    if f.unusable is not None:
        return spec.result(INCONCLUSIVE, want, "unknown", f.unusable)
    wire = _wire_version(f.hs)
    return _judged(spec, f, wire == want, want, wire or "none (no ServerHello)")


VERSION_IN_PROFILE = CheckSpec(
    "tls.version.in-profile",
    "TLS version allowed by the profile",
    "2.2",
    "profile.tls_versions",
)


def _version_in_profile(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    hs = f.hs
    wire = _wire_version(hs)
    if hs is None or wire is None or hs.negotiated is False:
        return None  # no ServerHello, or a refused handshake: nothing was used
    allowed = ", ".join(f.profile.tls_versions) + f" (profile {f.profile.name})"
    if f.unusable is not None:
        return spec.result(INCONCLUSIVE, allowed, wire, f.unusable)
    return _judged(spec, f, f.profile.allows_version(wire), allowed, wire)


CIPHER_EXPECTED = CheckSpec(
    "tls.cipher.expected",
    "Negotiated cipher suite (IANA code on the wire)",
    "2.3",
    "expect.tls.cipher",
)


def _cipher_expected(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    if f.expect.tls is None or f.expect.tls.cipher is None:
        return None
    want = f.expect.tls.cipher
    if f.unusable is not None or f.hs is None:
        return spec.result(INCONCLUSIVE, want.describe(), "unknown", f.unusable)
    wire = f.hs.cipher_selected
    ok = wire is not None and (
        f.profile.allows_suite(wire) if want.any_in_profile else wire in want.codes
    )
    return _judged(spec, f, ok, want.describe(), suite_label(wire))


CIPHER_IN_PROFILE = CheckSpec(
    "tls.cipher.in-profile",
    "Cipher suite allowed by the profile",
    "2.3",
    "profile.suites",
)


def _cipher_in_profile(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    hs = f.hs
    if hs is None or hs.cipher_selected is None or hs.negotiated is False:
        return None
    code = hs.cipher_selected
    expected = f"one of the {len(f.profile.suites)} suites of {f.profile.name}"
    if f.unusable is not None:
        return spec.result(INCONCLUSIVE, expected, suite_label(code), f.unusable)
    erratum = f.profile.erratum_for(code)
    return _judged(
        spec,
        f,
        f.profile.allows_suite(code),
        expected,
        suite_label(code),
        erratum.text if erratum is not None else None,
    )


# ---------------------------------------------------------------- authentication
def _outcome_spec(outcome: str, section: str) -> CheckSpec:
    return CheckSpec(
        f"auth.{outcome}",
        f"Authentication: {outcome} (the handshake completed)",
        section,
        "expect.auth.outcome",
    )


AUTH_MUTUAL = _outcome_spec("mutual-certificate", "2.4.1")
AUTH_SERVER_CERT_FIX = _outcome_spec("server-certificate+fix-credentials", "2.4.1")
AUTH_PSK = _outcome_spec("psk", "2.4.2")
_AUTH_GATES = (AUTH_MUTUAL.id, AUTH_SERVER_CERT_FIX.id, AUTH_PSK.id)


def _outcome_gate(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    """The expected authentication let the handshake complete (the gate the
    certificate and PSK checks, and every FIX check, stand behind)."""
    outcome = spec.id.removeprefix("auth.")
    if f.outcome != outcome:
        return None
    expected = f"{outcome}, handshake completed"
    if f.unusable is not None or f.hs is None:
        return spec.result(INCONCLUSIVE, expected, "unknown", f.unusable)
    hs = f.hs
    if hs.negotiated is None:
        return None  # TLS 1.3 without a key log: the checks below say what can be seen
    if hs.negotiated is False:
        alerts = ", ".join(f"{a.name} from {a.sender}" for a in hs.alerts) or "no alert"
        return spec.result(
            FAIL, expected, f"handshake refused ({alerts})", evidence=f.failure_evidence()
        )
    return spec.result(PASS, expected, "handshake completed")


def _certificates(
    spec: CheckSpec, f: RunFacts, certs: tuple[object, ...] | None, wanted: bool
) -> CheckResult:
    if certs is None:
        return spec.result(
            INCONCLUSIVE,
            "certificate sent" if wanted else "no certificate",
            "not visible",
            "encrypted (TLS 1.3) and no key log could decrypt it",
        )
    assert f.hs is not None
    negotiated = f.hs.negotiated is True
    sent = len(certs) > 0
    ok = sent == wanted and (negotiated or not wanted)
    observed = f"{len(certs)} certificate(s) sent" if sent else "no certificate sent"
    if wanted and sent and not negotiated:
        observed += ", handshake not completed"
    return _judged(
        spec, f, ok, "certificate sent and accepted" if wanted else "no certificate", observed
    )


def _auth_applies(f: RunFacts, outcomes: tuple[str, ...]) -> bool:
    """The detail checks of an outcome judge a usable handshake that was not refused."""
    return (
        f.outcome in outcomes
        and f.unusable is None
        and f.hs is not None
        and f.hs.negotiated is not False
    )


SERVER_CERT = CheckSpec(
    "auth.server-certificate",
    "Server authenticated by certificate",
    "2.4.1.3",
    "expect.auth.outcome",
)


def _server_certificate(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    if not _auth_applies(f, ("mutual-certificate", "server-certificate+fix-credentials")):
        return None
    assert f.hs is not None
    return _certificates(spec, f, f.hs.server_certificates, True)


CLIENT_CERT = CheckSpec(
    "auth.client-certificate",
    "Client authenticated by certificate (mutual TLS)",
    "2.4.1.4",
    "expect.auth.outcome",
)


def _client_certificate(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    if not _auth_applies(f, ("mutual-certificate",)):
        return None
    assert f.hs is not None
    return _certificates(spec, f, f.hs.client_certificates, True)


NO_CLIENT_CERT = CheckSpec(
    "auth.no-client-certificate",
    "No client certificate in TLS (FIX credentials authenticate)",
    "3.4",
    "expect.auth.outcome",
)


def _no_client_certificate(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    if not _auth_applies(f, ("server-certificate+fix-credentials",)):
        return None
    assert f.hs is not None
    return _certificates(spec, f, f.hs.client_certificates, False)


PSK_IDENTITY = CheckSpec(
    "auth.psk-identity",
    "PSK identity on the wire",
    "2.4.2",
    "expect.auth.outcome (identity: the client config's PSKidentity)",
)


def _psk_identity(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    if not _auth_applies(f, ("psk",)):
        return None
    hs = f.hs
    assert hs is not None
    identity = hs.psk_identity or (
        hs.psk_identities_offered[0] if hs.psk_identities_offered else None
    )
    want = f.obs.expected_psk_identity
    if identity is None:
        if hs.version_selected == TLS13:
            return spec.result(
                INCONCLUSIVE,
                want or "the client's PSKidentity",
                "not seen",
                "TLS 1.3: no identity in the clear",
            )
        return _judged(spec, f, False, want or "the client's PSKidentity", "not seen")
    return _judged(spec, f, want is None or identity == want, want or "any", identity)


PSK_SUITE = CheckSpec(
    "auth.psk-suite", "A PSK key exchange was negotiated", "2.3.1", "expect.auth.outcome"
)


def _psk_suite(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    if not _auth_applies(f, ("psk",)):
        return None
    hs = f.hs
    assert hs is not None
    expected = "a PSK suite (TLS 1.3: the server's pre_shared_key extension)"
    if hs.cipher_selected is None:
        return spec.result(
            INCONCLUSIVE, expected, "no cipher seen", "no ServerHello in the capture"
        )
    if hs.version_selected == TLS13:
        # TLS 1.3 suites carry no key exchange: the server accepts a PSK with the
        # pre_shared_key extension (41) in its ServerHello
        is_psk = 41 in hs.extensions_selected
        observed = f"{suite_label(hs.cipher_selected)}, pre_shared_key " + (
            "accepted" if is_psk else "not accepted"
        )
    else:
        suite = suite_by_code(hs.cipher_selected)
        is_psk = suite is not None and "PSK" in (suite.kex or "").upper()
        observed = suite_label(hs.cipher_selected)
    return _judged(spec, f, is_psk, expected, observed)


NO_CERTIFICATES = CheckSpec(
    "auth.no-certificates",
    "No certificates exchanged under PSK",
    "2.4.2",
    "expect.auth.outcome",
)


def _no_certificates(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    if not _auth_applies(f, ("psk",)):
        return None
    hs = f.hs
    assert hs is not None
    if (
        hs.server_certificates is None
        and hs.version_selected == TLS13
        and 41 in (hs.extensions_selected)
    ):
        # encrypted, but RFC 8446 4.2.11: a server that accepts a PSK in its
        # ServerHello authenticates with it and sends no Certificate
        return spec.result(
            PASS,
            "no certificate",
            "none: the ServerHello accepts the PSK (TLS 1.3 then sends no Certificate)",
        )
    return _certificates(spec, f, hs.server_certificates, False)


REFUSED = CheckSpec(
    "auth.refused-with-alert",
    "Handshake refused with the expected alert",
    "2.4.1",
    "expect.auth.outcome handshake-refused, expect.auth.alert, expect.auth.refused_by",
)


def _refused(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    if not f.refused_expected:
        return None
    auth = f.expect.auth
    assert auth is not None
    allowed = {a.code for a in auth.alerts}
    names = " or ".join(a.name for a in auth.alerts) or "any fatal alert"
    side = auth.refused_by
    expected = f"{names} sent by the {side or 'refusing side'}"
    hs = f.hs
    if f.unusable is not None or hs is None:
        return spec.result(INCONCLUSIVE, expected, "unknown", f.unusable)
    evidence = f.failure_evidence()
    if hs.negotiated:
        return spec.result(FAIL, expected, "the handshake completed", evidence=evidence)
    refusal = hs.refusal
    alert = refusal.alert
    if alert is None or (side is not None and refusal.by != side):
        others = ", ".join(f"{a.name} from {a.sender}" for a in hs.alerts) or "no alert"
        verdict = INCONCLUSIVE if hs.negotiated is None else FAIL
        return spec.result(verdict, expected, others, evidence=evidence)
    if alert.description is None:
        return spec.result(
            INCONCLUSIVE,
            expected,
            f"an encrypted alert from the {alert.sender}",
            "the alert is encrypted (TLS 1.3) and no key log could decrypt it",
            evidence=evidence,
        )
    ok = not allowed or alert.description in allowed
    return spec.result(PASS if ok else FAIL, expected, refusal.how, evidence=evidence)


# ---------------------------------------------------------------- FIX
_SESSION_GATES = (CAPTURED.id, *_AUTH_GATES, PROXY.id)

NO_SESSION = CheckSpec(
    "fix.no-session",
    "No FIX session through a refused TLS handshake",
    "1.2",
    "expect.auth.outcome handshake-refused",
)


def _no_session(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    if not f.refused_expected:
        return None
    fix = f.obs.fix
    expected = "no Logon reaches the acceptor"
    if fix is None:
        return spec.result(INCONCLUSIVE, expected, "unknown", "no FIX conversation ran")
    accepted = fix.logon_accepted
    return spec.result(
        FAIL if accepted or f.obs.acceptor_orders else PASS,
        expected,
        "a FIX session was established" if accepted else "no FIX session",
    )


LOGON = CheckSpec(
    "fix.logon",
    "FIX Logon outcome",
    "3.4",
    "expect.fix.logon, expect.fix.text",
    after=_SESSION_GATES,
)


def _logon(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    want = f.expect.fix
    if want is None:
        return None
    fix = f.obs.fix
    if fix is None:
        return spec.result(INCONCLUSIVE, want.logon, "no conversation ran")
    if want.logon == "accepted":
        detail = "; ".join(fix.failures[:1]) or fix.logout_text or "no reply"
        return spec.result(
            PASS if fix.logon_accepted else FAIL,
            "Logon answered with Logon",
            "accepted" if fix.logon_accepted else f"not accepted ({detail})",
        )
    text_ok = want.text is None or (
        fix.logout_text is not None and want.text.lower() in fix.logout_text.lower()
    )
    ok = not fix.logon_accepted and fix.logout_text is not None and text_ok
    return spec.result(
        PASS if ok else FAIL,
        "Logout" + (f" with Text containing {want.text!r}" if want.text else ""),
        "accepted" if fix.logon_accepted else f"Logout Text={fix.logout_text!r}",
    )


ROUNDTRIP = CheckSpec(
    "fix.roundtrip",
    "NewOrderSingle → ExecutionReport round trips",
    None,
    "expect.messages",
    after=(*_SESSION_GATES, LOGON.id),
)


def _roundtrip(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    n = f.expect.messages
    if n is None or f.refused_expected:
        return None
    expected = f"{n} orders, {n} execution reports"
    fix = f.obs.fix
    if fix is None:
        return spec.result(INCONCLUSIVE, expected, "unknown", "no FIX conversation ran")
    ok = fix.execution_reports == n and f.obs.acceptor_orders == n
    return spec.result(
        PASS if ok else FAIL,
        expected,
        f"{f.obs.acceptor_orders} orders at the acceptor, {fix.execution_reports} reports at the initiator",
    )


SCRIPT = CheckSpec(
    "fix.script",
    "FIX conversation script held",
    None,
    "scenario fix.script (default: logon, orders, logout)",
    after=(*_SESSION_GATES, LOGON.id),
)


def _script(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    # A script that ran is judged whatever `expect` says (a frozen tunnel passed when
    # only tls/auth were expected); not where the scenario expects no session (refused
    # handshake) or a refused Logon, which the script cannot outlive.
    if not f.session_expected:
        return None
    fix = f.obs.fix
    if fix is None:
        if f.expect.fix is None:
            return None  # nothing ran and nothing was asked of a session
        return spec.result(
            INCONCLUSIVE, "every script step holds", "unknown", "no conversation ran"
        )
    return spec.result(
        PASS if fix.ok else FAIL,
        "every script step holds",
        "all held" if fix.ok else "; ".join(fix.failures[:3]) or (fix.error or "failed"),
    )


# ---------------------------------------------------------------- logs vs wire
def _log_spec(side: TunnelSide) -> CheckSpec:
    return CheckSpec(
        f"log.matches-wire.{side}",
        f"The {side} tunnel's log agrees with the wire",
        "2.6.3",
        "wire: the captured handshake",
        after=(CAPTURED.id,),
    )


LOG_CLIENT = _log_spec("client")
LOG_SERVER = _log_spec("server")


def _log_matches_wire(spec: CheckSpec, f: RunFacts) -> CheckResult:
    side: TunnelSide = "client" if spec.id.endswith(".client") else "server"
    hs = f.hs
    if f.unusable is not None or hs is None:
        return spec.result(INCONCLUSIVE, "log = wire", "unknown", f.unusable)
    conn = f.obs.log(side)
    wire_v = _wire_version(hs)
    wire_c = hs.cipher_selected
    if conn is None:
        # a peer that resets at once can be gone before stunnel logs the accept;
        # a log that claims nothing contradicts only a handshake that completed
        return spec.result(
            FAIL if hs.negotiated else PASS,
            "the negotiation in the log" if hs.negotiated else "no negotiation",
            "no connection logged",
        )
    if not conn.negotiated:
        return spec.result(
            PASS if hs.negotiated is not True else FAIL,
            f"{wire_v} {suite_label(wire_c)}" if hs.negotiated else "no negotiation",
            "no negotiation logged" + (f" ({conn.errors[0]})" if conn.errors else ""),
        )
    suite = suite_by_openssl_name(conn.cipher or "")
    log_code = suite.code if suite else None
    agree = conn.version == wire_v and log_code == wire_c
    if hs.negotiated is False:
        # under TLS 1.3 the client logs "TLS connected" before the server judged
        # its certificate; a later refusal is not a disagreement
        tls13_client = side == "client" and wire_v == "TLSv1.3"
        return spec.result(
            PASS if tls13_client and agree else FAIL,
            "no negotiation (refused on the wire)",
            f"log: {conn.version} {conn.cipher}",
            "TLS 1.3: the client logs 'connected' before the server's verdict"
            if tls13_client
            else None,
        )
    return spec.result(
        PASS if agree else FAIL,
        f"{wire_v} {suite_label(wire_c)}",
        f"{conn.version} {suite_label(log_code) if log_code is not None else conn.cipher}",
    )


# ---------------------------------------------------------------- live sockets
_SOCKET_ROLE = {"l": "accepted local", "r": "outgoing remote"}


def _nodelay_spec(tunnel: TunnelSide, kind: SocketKind) -> CheckSpec:
    return CheckSpec(
        f"socket.nodelay.{tunnel}.{kind}",
        f"TCP_NODELAY on the {tunnel} tunnel's {_SOCKET_ROLE[kind]} socket",
        "2.1.4",
        "profile.socket_rules TCP_NODELAY (without one: the config's own socket = "
        f"{kind}:TCP_NODELAY)",
        rule="recommendation",
        after=(*_SESSION_GATES, LOGON.id),
    )


_SOCKETS: tuple[tuple[TunnelSide, SocketKind], ...] = (
    ("client", "l"),
    ("client", "r"),
    ("server", "l"),
    ("server", "r"),
)
NODELAY = {key: _nodelay_spec(*key) for key in _SOCKETS}


def _nodelay(spec: CheckSpec, f: RunFacts) -> CheckResult | None:
    """TCP_NODELAY on one live data socket against the profile's rule; a profile
    without one holds the socket to what its config set (only when it set 1)."""
    _, _, tunnel, kind = spec.id.split(".")
    reading: SocketReading | None = next(
        (s for s in f.obs.sockets if s.tunnel == tunnel and s.kind == kind), None
    )
    rule = f.profile.socket_rule("TCP_NODELAY")
    if rule is not None and kind in rule.sockets:
        want = bool(rule.value)
        source = f"profile {f.profile.name}, {rule.rule}"
        miss = WARN if rule.when_not_met == "warn" else FAIL
        kind_of_rule = rule.rule
    elif reading is not None and reading.configured not in (None, "0"):
        want, source, miss, kind_of_rule = True, "the tunnel's config", FAIL, "requirement"
    else:
        return None
    expected = f"TCP_NODELAY={int(want)} ({source})"
    if reading is None:
        if not f.session_expected:
            return None
        return spec.result(
            INCONCLUSIVE,
            expected,
            "not read",
            f.obs.sockets_skipped or "not probed",
            rule=kind_of_rule,
        )
    if reading.configured is not None:
        expected += f"; config: {reading.configured}"
    if reading.nodelay is None:
        return spec.result(INCONCLUSIVE, expected, "unknown", reading.detail, rule=kind_of_rule)
    observed = f"TCP_NODELAY={int(reading.nodelay)}"
    verdict = PASS if reading.nodelay == want else miss
    return spec.result(verdict, expected, observed, reading.detail, rule=kind_of_rule)


#: Every check of ``fixs-harness run``, in report order.
RUN_CHECKS: Registry[RunFacts] = Registry(
    "run",
    [
        Check(PROXY, _proxy),
        Check(CAPTURED, _captured),
        Check(VERSION, _version),
        Check(VERSION_IN_PROFILE, _version_in_profile),
        Check(CIPHER_EXPECTED, _cipher_expected),
        Check(CIPHER_IN_PROFILE, _cipher_in_profile),
        Check(AUTH_MUTUAL, _outcome_gate),
        Check(AUTH_SERVER_CERT_FIX, _outcome_gate),
        Check(AUTH_PSK, _outcome_gate),
        Check(SERVER_CERT, _server_certificate),
        Check(CLIENT_CERT, _client_certificate),
        Check(NO_CLIENT_CERT, _no_client_certificate),
        Check(PSK_IDENTITY, _psk_identity),
        Check(PSK_SUITE, _psk_suite),
        Check(NO_CERTIFICATES, _no_certificates),
        Check(REFUSED, _refused),
        Check(NO_SESSION, _no_session),
        Check(LOGON, _logon),
        Check(ROUNDTRIP, _roundtrip),
        Check(SCRIPT, _script),
        Check(LOG_CLIENT, _log_matches_wire),
        Check(LOG_SERVER, _log_matches_wire),
        *(Check(spec, _nodelay) for spec in NODELAY.values()),
    ],
)
