"""The checks: what the wire (and the FIX conversation, and the tunnels' logs) showed,
against the scenario's expectations and its profile.

Each check has a stable id, cites the guide section it enforces, and gives expected
vs observed. Facts come from the captured handshake; tunnel logs are only the
subject of ``log.matches-wire`` (a disagreement between a log and the wire is itself
a finding). A check whose fact the capture cannot show (a TLS 1.3 client certificate
without a key log, an encrypted alert) is ``inconclusive`` with the reason, never
``pass``.
"""

from __future__ import annotations

from harness.checks.model import CheckResult, Verdict
from harness.dissect import Handshake
from harness.profiles import Profile
from harness.runner.execute import Observation
from harness.scenario.model import Expectations
from harness.stunnelconf.logfacts import ConnectionFacts
from harness.tls.registry import (
    alert_name,
    format_code,
    suite_by_code,
    suite_by_openssl_name,
    version_name,
)

PASS, FAIL, INCONCLUSIVE = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE


def _suite_label(code: int | None) -> str:
    if code is None:
        return "none"
    suite = suite_by_code(code)
    return f"{format_code(code)} {suite.iana_name}" if suite else format_code(code)


def _version(hs: Handshake | None) -> str | None:
    if hs is None or hs.version_selected is None:
        return None
    return version_name(hs.version_selected)


class _Checks:
    def __init__(self) -> None:
        self.results: list[CheckResult] = []

    def add(
        self,
        id: str,
        title: str,
        section: str | None,
        verdict: Verdict,
        expected: str,
        observed: str,
        reason: str | None = None,
    ) -> None:
        self.results.append(CheckResult(id, title, section, verdict, expected, observed, reason))


def _handshake_unusable(obs: Observation) -> str | None:
    hs = obs.handshake
    if hs is None:
        return obs.handshake_missing or "no handshake captured"
    if not hs.complete:
        if _refused_before_hello(hs):
            return None  # the client's alert is the whole exchange: nothing is missing
        return f"capture incomplete: {hs.incomplete_reason}"
    return None


def _refused_before_hello(hs: Handshake) -> bool:
    """A client whose TLS library will not offer what it is configured for (e.g. TLS
    1.0 at OpenSSL 3.5's default security level) sends a fatal alert instead of a
    ClientHello: a complete, if short, story on the wire."""
    return (
        not hs.ciphers_offered
        and bool(hs.alerts)
        and all(a.sender == "client" or a.description is not None for a in hs.alerts)
        and any(a.sender == "client" and a.description is not None for a in hs.alerts)
    )


def evaluate(expect: Expectations, profile: Profile, obs: Observation) -> list[CheckResult]:
    c = _Checks()
    hs = obs.handshake
    unusable = _handshake_unusable(obs)
    refused_expected = expect.auth is not None and expect.auth.outcome == "handshake-refused"

    c.add(
        "tls.handshake.captured",
        "The TLS handshake was captured on the wire",
        None,
        PASS if unusable is None else INCONCLUSIVE,
        "a complete handshake in the capture",
        "complete" if unusable is None else "missing or incomplete",
        unusable,
    )

    # ---- version
    wire_version = _version(hs) if unusable is None else None
    if expect.tls is not None and expect.tls.version is not None:
        if unusable is not None:
            c.add(
                "tls.version",
                "Negotiated TLS version",
                "2.2",
                INCONCLUSIVE,
                expect.tls.version,
                "unknown",
                unusable,
            )
        else:
            c.add(
                "tls.version",
                "Negotiated TLS version",
                "2.2",
                PASS if wire_version == expect.tls.version else FAIL,
                expect.tls.version,
                wire_version or "none (no ServerHello)",
            )
    if wire_version is not None and hs is not None and hs.negotiated is not False:
        allowed = profile.allows_version(wire_version)
        c.add(
            "tls.version.in-profile",
            f"TLS version allowed by profile {profile.name}",
            "2.2",
            PASS if allowed else FAIL,
            ", ".join(profile.tls_versions),
            wire_version,
        )

    # ---- cipher
    wire_cipher = hs.cipher_selected if (hs is not None and unusable is None) else None
    if expect.tls is not None and expect.tls.cipher is not None:
        want = expect.tls.cipher
        if unusable is not None:
            c.add(
                "tls.cipher.expected",
                "Negotiated cipher suite",
                "2.3",
                INCONCLUSIVE,
                want.describe(),
                "unknown",
                unusable,
            )
        else:
            ok = wire_cipher is not None and (
                profile.allows_suite(wire_cipher)
                if want.any_in_profile
                else wire_cipher in want.codes
            )
            c.add(
                "tls.cipher.expected",
                "Negotiated cipher suite (IANA code on the wire)",
                "2.3",
                PASS if ok else FAIL,
                want.describe(),
                _suite_label(wire_cipher),
            )
    if wire_cipher is not None and hs is not None and hs.negotiated is not False:
        allowed = profile.allows_suite(wire_cipher)
        erratum = profile.erratum_for(wire_cipher)
        c.add(
            "tls.cipher.in-profile",
            f"Cipher suite allowed by profile {profile.name}",
            "2.3",
            PASS if allowed else FAIL,
            f"one of the {len(profile.suites)} suites of {profile.name}",
            _suite_label(wire_cipher),
            erratum.text if erratum is not None else None,
        )

    # ---- authentication
    if expect.auth is not None:
        _auth_checks(c, expect, obs, unusable)

    # ---- FIX
    conv = obs.conversation
    if refused_expected:
        accepted = conv is not None and conv.logon_accepted
        c.add(
            "fix.no-session",
            "No FIX session through a refused TLS handshake",
            "1.2",
            FAIL if accepted or obs.acceptor_orders else PASS,
            "no Logon reaches the acceptor",
            "a FIX session was established" if accepted else "no FIX session",
        )
    if expect.fix is not None:
        if conv is None:
            c.add(
                "fix.logon",
                "FIX Logon outcome",
                "3.4",
                INCONCLUSIVE,
                expect.fix.logon,
                "no conversation ran",
            )
        elif expect.fix.logon == "accepted":
            c.add(
                "fix.logon",
                "FIX Logon accepted",
                "3.4",
                PASS if conv.logon_accepted else FAIL,
                "Logon answered with Logon",
                "accepted"
                if conv.logon_accepted
                else f"not accepted ({'; '.join(conv.failures[:1]) or conv.logout_text or 'no reply'})",
            )
        else:
            text_ok = expect.fix.text is None or (
                conv.logout_text is not None and expect.fix.text.lower() in conv.logout_text.lower()
            )
            ok = not conv.logon_accepted and conv.logout_text is not None and text_ok
            c.add(
                "fix.logon",
                "FIX Logon rejected with Logout(58)",
                "3.4",
                PASS if ok else FAIL,
                "Logout"
                + (f" with Text containing {expect.fix.text!r}" if expect.fix.text else ""),
                "accepted" if conv.logon_accepted else f"Logout Text={conv.logout_text!r}",
            )
    if expect.messages is not None and not refused_expected:
        reports = 0
        if conv is not None:
            reports = sum(1 for m in conv.application_messages if m.get(35) == "8")
        ok = reports == expect.messages and obs.acceptor_orders == expect.messages
        c.add(
            "fix.roundtrip",
            "NewOrderSingle → ExecutionReport round trips",
            None,
            PASS if ok else FAIL,
            f"{expect.messages} orders, {expect.messages} execution reports",
            f"{obs.acceptor_orders} orders at the acceptor, {reports} reports at the initiator",
        )
    # A script that ran is judged whatever `expect` says (issue 15: a frozen tunnel
    # passed when only tls/auth were expected); not where the scenario expects no
    # session (refused handshake) or a refused Logon, which the script cannot outlive.
    if (
        conv is not None
        and not refused_expected
        and (expect.fix is None or expect.fix.logon == "accepted")
    ):
        c.add(
            "fix.script",
            "FIX conversation script held",
            None,
            PASS if conv.ok else FAIL,
            "every script step holds",
            "all held" if conv.ok else "; ".join(conv.failures[:3]) or (conv.error or "failed"),
        )

    # ---- HTTP CONNECT proxy
    if obs.proxy_expected_target is not None:
        first = obs.proxy_requests[0] if obs.proxy_requests else "no request"
        wanted_request = f"200 CONNECT {obs.proxy_expected_target}"
        c.add(
            "proxy.connect",
            "The client tunnel reached the server through the HTTP CONNECT proxy",
            "2.1.1.2",
            PASS if first.startswith(wanted_request) else FAIL,
            wanted_request,
            first,
        )

    # ---- logs vs wire
    _log_checks(c, obs, unusable, refused_expected)

    # ---- sockets
    if obs.nodelay:
        for n in obs.nodelay:
            if not n.expected:
                continue
            verdict = INCONCLUSIVE if n.observed is None else PASS if n.observed else FAIL
            c.add(
                f"socket.nodelay.{n.tunnel}.{n.kind}",
                f"TCP_NODELAY on the {n.tunnel} tunnel's {'accepted local' if n.kind == 'l' else 'outgoing remote'} socket",
                "2.1.4",
                verdict,
                "TCP_NODELAY=1",
                "unknown" if n.observed is None else f"TCP_NODELAY={int(n.observed)}",
                n.detail,
            )
    elif not refused_expected and (expect.fix is None or expect.fix.logon == "accepted"):
        c.add(
            "socket.nodelay",
            "TCP_NODELAY on the tunnels' data sockets",
            "2.1.4",
            INCONCLUSIVE,
            "TCP_NODELAY=1",
            "not read",
            obs.nodelay_skipped or "not probed",
        )
    return c.results


def _auth_checks(c: _Checks, expect: Expectations, obs: Observation, unusable: str | None) -> None:
    assert expect.auth is not None
    hs = obs.handshake
    outcome = expect.auth.outcome
    if unusable is not None or hs is None:
        c.add(
            f"auth.{outcome}",
            f"Authentication: {outcome}",
            "2.4",
            INCONCLUSIVE,
            outcome,
            "unknown",
            unusable,
        )
        return
    if outcome == "handshake-refused":
        allowed = {a.code for a in expect.auth.alerts}
        names = " or ".join(a.name for a in expect.auth.alerts) or "any fatal alert"
        side = expect.auth.refused_by
        expected = f"{names} sent by the {side or 'refusing side'}"
        if hs.negotiated:
            c.add(
                "auth.refused-with-alert",
                "Handshake refused with the expected alert",
                "2.4.1",
                FAIL,
                expected,
                "the handshake completed",
            )
            return
        fatal = [
            a for a in hs.alerts if (a.fatal or a.encrypted) and (side is None or a.sender == side)
        ]
        if not fatal:
            others = ", ".join(f"{a.name} from {a.sender}" for a in hs.alerts) or "no alert"
            verdict = INCONCLUSIVE if hs.negotiated is None else FAIL
            c.add(
                "auth.refused-with-alert",
                "Handshake refused with the expected alert",
                "2.4.1",
                verdict,
                expected,
                others,
            )
            return
        alert = fatal[0]
        if alert.description is None:
            c.add(
                "auth.refused-with-alert",
                "Handshake refused with the expected alert",
                "2.4.1",
                INCONCLUSIVE,
                expected,
                f"an encrypted alert from the {alert.sender}",
                "the alert is encrypted (TLS 1.3) and no key log could decrypt it",
            )
            return
        ok = not allowed or alert.description in allowed
        c.add(
            "auth.refused-with-alert",
            "Handshake refused with the expected alert",
            "2.4.1",
            PASS if ok else FAIL,
            expected,
            f"{alert_name(alert.description)}({alert.description}) from the {alert.sender}",
        )
        return
    negotiated_ok = hs.negotiated is True
    if hs.negotiated is False:
        alerts = ", ".join(f"{a.name} from {a.sender}" for a in hs.alerts) or "no alert"
        c.add(
            f"auth.{outcome}",
            f"Authentication: {outcome}",
            "2.4",
            FAIL,
            f"{outcome}, handshake completed",
            f"handshake refused ({alerts})",
        )
        return
    # server certificate: every certificate outcome but PSK
    if outcome != "psk":
        _present(
            c,
            "auth.server-certificate",
            "Server authenticated by certificate",
            "2.4.1.3",
            hs.server_certificates,
            True,
            negotiated_ok,
        )
    if outcome == "mutual-certificate":
        _present(
            c,
            "auth.client-certificate",
            "Client authenticated by certificate (mutual TLS)",
            "2.4.1.4",
            hs.client_certificates,
            True,
            negotiated_ok,
        )
    elif outcome == "server-certificate+fix-credentials":
        _present(
            c,
            "auth.no-client-certificate",
            "No client certificate in TLS (FIX credentials authenticate)",
            "3.4",
            hs.client_certificates,
            False,
            negotiated_ok,
        )
    elif outcome == "psk":
        identity = hs.psk_identity or (
            hs.psk_identities_offered[0] if hs.psk_identities_offered else None
        )
        want = obs.expected_psk_identity
        if identity is None:
            c.add(
                "auth.psk-identity",
                "PSK identity on the wire",
                "2.4.2",
                INCONCLUSIVE if hs.version_selected == 0x0304 else FAIL,
                want or "the client's PSKidentity",
                "not seen",
            )
        else:
            c.add(
                "auth.psk-identity",
                "PSK identity on the wire",
                "2.4.2",
                PASS if want is None or identity == want else FAIL,
                want or "any",
                identity,
            )
        suite = suite_by_code(hs.cipher_selected) if hs.cipher_selected is not None else None
        if hs.version_selected == 0x0304:
            # TLS 1.3 suites carry no key exchange: the server accepts a PSK with the
            # pre_shared_key extension (41) in its ServerHello
            is_psk = 41 in hs.extensions_selected
            observed = f"{_suite_label(hs.cipher_selected)}, pre_shared_key " + (
                "accepted" if is_psk else "not accepted"
            )
        else:
            is_psk = suite is not None and "PSK" in (suite.kex or "").upper()
            observed = _suite_label(hs.cipher_selected)
        c.add(
            "auth.psk-suite",
            "A PSK key exchange was negotiated",
            "2.3.1",
            PASS if is_psk else FAIL,
            "a PSK suite (TLS 1.3: the server's pre_shared_key extension)",
            observed,
        )
        if hs.server_certificates is None and hs.version_selected == 0x0304 and is_psk:
            # encrypted, but RFC 8446 4.2.11: a server that accepts a PSK in its
            # ServerHello authenticates with it and sends no Certificate
            c.add(
                "auth.no-certificates",
                "No certificates exchanged under PSK",
                "2.4.2",
                PASS,
                "no certificate",
                "none: the ServerHello accepts the PSK (TLS 1.3 then sends no Certificate)",
            )
        else:
            _present(
                c,
                "auth.no-certificates",
                "No certificates exchanged under PSK",
                "2.4.2",
                hs.server_certificates,
                False,
                negotiated_ok,
            )


def _present(
    c: _Checks,
    id: str,
    title: str,
    section: str,
    certs: tuple[object, ...] | None,
    wanted: bool,
    negotiated: bool,
) -> None:
    if certs is None:
        c.add(
            id,
            title,
            section,
            INCONCLUSIVE,
            "certificate sent" if wanted else "no certificate",
            "not visible",
            "encrypted (TLS 1.3) and no key log could decrypt it",
        )
        return
    sent = len(certs) > 0
    ok = sent == wanted and (negotiated or not wanted)
    observed = f"{len(certs)} certificate(s) sent" if sent else "no certificate sent"
    if wanted and sent and not negotiated:
        observed += ", handshake not completed"
    c.add(
        id,
        title,
        section,
        PASS if ok else FAIL,
        "certificate sent and accepted" if wanted else "no certificate",
        observed,
    )


def _log_checks(c: _Checks, obs: Observation, unusable: str | None, refused_expected: bool) -> None:
    hs = obs.handshake
    for side in ("client", "server"):
        conn: ConnectionFacts | None = obs.first_connection(side)
        check_id = f"log.matches-wire.{side}"
        title = f"The {side} tunnel's log agrees with the wire"
        if unusable is not None or hs is None:
            c.add(check_id, title, "2.6.3", INCONCLUSIVE, "log = wire", "unknown", unusable)
            continue
        wire_v = _version(hs)
        wire_c = hs.cipher_selected
        if conn is None:
            # a peer that resets at once can be gone before stunnel logs the accept;
            # a log that claims nothing contradicts only a handshake that completed
            c.add(
                check_id,
                title,
                "2.6.3",
                FAIL if hs.negotiated else PASS,
                "the negotiation in the log" if hs.negotiated else "no negotiation",
                "no connection logged",
            )
            continue
        if not conn.negotiated:
            ok = hs.negotiated is not True
            c.add(
                check_id,
                title,
                "2.6.3",
                PASS if ok else FAIL,
                f"{wire_v} {_suite_label(wire_c)}" if hs.negotiated else "no negotiation",
                "no negotiation logged" + (f" ({conn.errors[0]})" if conn.errors else ""),
            )
            continue
        suite = suite_by_openssl_name(conn.cipher or "")
        log_code = suite.code if suite else None
        agree = conn.version == wire_v and log_code == wire_c
        if hs.negotiated is False:
            # under TLS 1.3 the client logs "TLS connected" before the server judged
            # its certificate; a later refusal is not a disagreement
            tls13_client = side == "client" and wire_v == "TLSv1.3"
            verdict = PASS if tls13_client and agree else FAIL
            c.add(
                check_id,
                title,
                "2.6.3",
                verdict,
                "no negotiation (refused on the wire)",
                f"log: {conn.version} {conn.cipher}",
                "TLS 1.3: the client logs 'connected' before the server's verdict"
                if tls13_client
                else None,
            )
            continue
        c.add(
            check_id,
            title,
            "2.6.3",
            PASS if agree else FAIL,
            f"{wire_v} {_suite_label(wire_c)}",
            f"{conn.version} {_suite_label(log_code) if log_code is not None else conn.cipher}",
        )
