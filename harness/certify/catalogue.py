"""certify's checks as registered units: one spec and one pure judge per id.

Theory of operation
-------------------
Each id ``certify server`` or ``certify client`` reports is a
:class:`~harness.checks.registry.Check`: its spec (:mod:`.specs`, the one place
naming title and section) and a judge, a pure function from frozen facts
(:class:`.facts.ServerFacts` / :class:`.facts.ClientFacts`) to a result, or ``None``
when the check does not apply to this run. :func:`judge_server` and
:func:`judge_client` fold the registries; nothing else builds certify verdicts
(the use-case step, :func:`.rules.apply_defining_checks`, only adds or downgrades
*defining* checks after the fold).

Two registries, the same shape as ``run``'s:

* ``certify server``: :func:`server_checks` (``Registry[ServerFacts]``), built per run
  by a factory because two families are parametric: ``tls.cipher.required.<0xCODE>``
  (one unit per suite the profile requires) and ``cert.validity.chain-<i>`` (one unit
  per certificate above the leaf). The client-certificate checks of a use case carry
  that case's section. Which checks apply follows how far the probes got
  (:attr:`.facts.ServerFacts.stage`): unreachable → ``connect`` only; not TLS →
  ``endpoint.tls`` and ``fix.plaintext-refused``; no version accepted →
  ``tls.server-hello.valid`` and ``tls.handshake``; otherwise every TLS check, then
  ``fix.plaintext-refused``, then the FIX Logon probe's checks.
* ``certify client``: :data:`CLIENT_CHECKS` (``Registry[ClientFacts]``).

Every unit has table rows (tests/checks/certify_cases.py) with a pass, a fail and an
inconclusive case, and scripts/mutation-gate replaces each judge by "always pass" /
"always inconclusive" and requires a row to notice.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from harness.certify import rules, specs
from harness.certify.facts import Attempt, ClientFacts, ServerFacts, Stage, VersionProbe
from harness.certify.hello import is_ip_address
from harness.checks.model import CheckResult, Verdict
from harness.checks.registry import Check, CheckSpec, Judge, Registry
from harness.tls.registry import format_code, suite_by_code, suite_label, version_name
from harness.tls.versions import TLS_VERSIONS
from harness.tunnel import x509util

PASS, FAIL, INCONCLUSIVE, NA = (
    Verdict.PASS,
    Verdict.FAIL,
    Verdict.INCONCLUSIVE,
    Verdict.NOT_APPLICABLE,
)
WEAK_SIGNATURE_HASHES = ("md5", "sha1")

ServerJudge = Callable[[CheckSpec, ServerFacts], CheckResult | None]


def at(stages: tuple[Stage, ...], judge: ServerJudge) -> Judge[ServerFacts]:
    """``judge`` only when the probes got to one of ``stages`` (else not applicable)."""

    def staged(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
        return judge(spec, f) if f.stage in stages else None

    staged.__name__ = getattr(judge, "__name__", "judge")
    return staged


TLS: tuple[Stage, ...] = ("tls",)
#: a TLS server answered (the FIX Logon probe runs even when no version was accepted)
SPOKE_TLS: tuple[Stage, ...] = ("no-handshake", "tls")


def vid(version: str) -> str:
    """``TLSv1.1`` → ``tls1_1`` (check-id spelling)."""
    return version.lower().replace("v", "").replace(".", "_")


# -- what is on the port ------------------------------------------------------------------
def _connect(spec: CheckSpec, f: ServerFacts) -> CheckResult:
    reason = "; ".join(f.errors) or "no probe reached the server"
    return spec.result(INCONCLUSIVE, f"a TCP connection to {f.target_label}", "unreachable", reason)


def _endpoint_tls(spec: CheckSpec, f: ServerFacts) -> CheckResult:
    return rules.endpoint_tls(f.diagnosis)


def _plaintext(spec: CheckSpec, f: ServerFacts) -> CheckResult:
    return rules.plaintext_refused(f.plaintext)


def _handshake(spec: CheckSpec, f: ServerFacts) -> CheckResult:
    return spec.result(
        INCONCLUSIVE,
        "a ServerHello for some version",
        "; ".join(f"{v.name}: {v.alerts}" for v in f.versions),
        "the server accepted no ClientHello",
    )


def _server_hello_valid(spec: CheckSpec, f: ServerFacts) -> CheckResult:
    return rules.server_hello_valid(f.hellos)


def _flight(spec: CheckSpec, f: ServerFacts) -> CheckResult:
    return rules.server_flight_bounded(f.flight, f.flight_cap)


# -- versions ---------------------------------------------------------------------------------
def _version_refused(name: str) -> ServerJudge:
    def judge(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
        probe = f.version(name)
        if f.profile.allows_version(name):
            return None
        if probe is None:
            probe = VersionProbe(name, None, error="probe did not run")
        expected = f"{name} refused (the profile allows {', '.join(f.profile.tls_versions)})"
        if probe.accepted is None:
            return spec.result(
                INCONCLUSIVE,
                expected,
                "probe failed",
                probe.error or "the answer broke the protocol (tls.server-hello.valid)",
            )
        if probe.accepted:
            return spec.result(FAIL, expected, f"{name} accepted ({probe.suite})")
        return spec.result(PASS, expected, f"refused ({probe.alerts})")

    return judge


def _version_supported(spec: CheckSpec, f: ServerFacts) -> CheckResult:
    accepted = f.accepted_versions
    ok = [v for v in accepted if f.profile.allows_version(v)]
    return spec.result(
        PASS if ok else FAIL,
        f"one of {', '.join(f.profile.tls_versions)}",
        f"accepted: {', '.join(accepted) or 'none'}",
    )


# -- cipher suites ----------------------------------------------------------------------------
def not_applicable(code: int, key_types: frozenset[str], psk_only: bool) -> str | None:
    """Why a required suite cannot be served by this server (None: it could)."""
    suite = suite_by_code(code)
    if suite is None:
        return None
    if psk_only and not suite.psk:
        return "use case 2 (pre-shared keys): the server has no certificate"
    if suite.psk or suite.tls13 or not key_types:
        return None
    need = {"ECDSA": "EC", "RSA": "RSA", "DSS": "DSA"}.get(suite.auth)
    if need is not None and need not in key_types:
        return f"the server's certificate is {'/'.join(sorted(key_types))}; {suite.iana_name} needs {suite.auth}"
    return None


def _required_suite(code: int) -> ServerJudge:
    def judge(spec: CheckSpec, f: ServerFacts) -> CheckResult:
        s = f.suites
        if code in s.accepted:
            return spec.result(PASS, "accepted", f"accepted ({', '.join(s.accepted[code])})")
        na = not_applicable(code, s.key_types, f.psk_only)
        if na:
            return spec.result(NA, "accepted", "not applicable", f"not applicable: {na}")
        if code in s.failed or code not in s.probed:
            reason = "probe failed" if code in s.failed else "no allowed version was accepted"
            return spec.result(INCONCLUSIVE, "accepted", "not probed", reason)
        return spec.result(FAIL, "accepted", "refused (missing)")

    return judge


def _required_applicable(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
    s = f.suites
    psk_only = f.psk_only
    if not (s.key_types or psk_only):
        return None
    reasons = tuple(
        na
        for code in f.profile.required_suites
        if code not in s.accepted and (na := not_applicable(code, s.key_types, psk_only))
    )
    return rules.required_applicable(len(f.profile.required_suites), reasons, f.case == "2")


def _forbidden(spec: CheckSpec, f: ServerFacts) -> CheckResult:
    forbidden = [(c, v) for c, v in f.suites.accepted.items() if not f.profile.allows_suite(c)]
    if forbidden:
        observed = "; ".join(f"{suite_label(c)} ({', '.join(v)})" for c, v in forbidden)
        return spec.result(FAIL, "none", observed)
    if not f.suites.batches_ran or not f.suites.batches_ok:
        return spec.result(INCONCLUSIVE, "none", "not probed", "batched probe failed")
    return spec.result(PASS, "none", "none accepted")


# -- key exchange, compression ----------------------------------------------------------------
def _dhe_bits(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
    if not f.dh_bits:
        return None
    low, code = min(f.dh_bits)
    need = f.profile.min_key_bits.dhe
    return spec.result(
        PASS if low >= need else FAIL, f">= {need} bits", f"{low} bits (with {format_code(code)})"
    )


def _compression(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
    if not f.tls12_accepted:
        return None
    method = f.compression
    if method is None:
        return spec.result(INCONCLUSIVE, "null compression", "ServerHello not readable")
    return spec.result(
        PASS if method == 0 else FAIL,
        "null compression when DEFLATE is offered",
        "null" if method == 0 else f"method {method} (DEFLATE)",
    )


# -- the server certificate --------------------------------------------------------------------
def _certificates_judged(f: ServerFacts) -> bool:
    """The certificate checks apply (not under PSK, use case 2)."""
    return f.stage == "tls" and f.case != "2"


def _cert_present(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
    if not _certificates_judged(f):
        return None
    if f.chain_error is not None:
        return spec.result(FAIL, "a parseable certificate", f.chain_error)
    if not f.chain:
        return spec.result(
            INCONCLUSIVE if not f.suites.accepted else FAIL,
            "a certificate chain (TLS 1.2 cleartext)",
            "none seen",
            "no TLS ≤ 1.2 handshake carried a certificate",
        )
    return None  # a chain was seen: the checks below judge it


def _with_chain(
    judge: Callable[[CheckSpec, ServerFacts, list[x509.Certificate]], CheckResult | None],
) -> Judge[ServerFacts]:
    """A judge that needs the parsed chain (not applicable without one)."""

    def wrapped(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
        if not _certificates_judged(f) or not f.chain:
            return None
        return judge(spec, f, list(f.chain))

    return wrapped


def _validity(spec: CheckSpec, f: ServerFacts, chain: list[x509.Certificate]) -> CheckResult:
    leaf, now = chain[0], f.now
    nb, na = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    valid = nb <= now <= na
    return spec.result(
        PASS if valid else FAIL,
        "not_before <= now <= not_after",
        f"{nb.isoformat()} .. {na.isoformat()}"
        + ("" if valid else (" (expired)" if now > na else " (not yet valid)")),
    )


def _chain_validity(i: int) -> Callable[..., CheckResult | None]:
    def judge(spec: CheckSpec, f: ServerFacts, chain: list[x509.Certificate]) -> CheckResult | None:
        if i >= len(chain):
            return None
        cert = chain[i]
        if cert.not_valid_before_utc <= f.now <= cert.not_valid_after_utc:
            return None  # reported only when out of its validity period
        return spec.result(
            FAIL,
            "valid",
            f"{x509util.name_text(cert.subject)} valid "
            f"{cert.not_valid_before_utc.isoformat()} .. {cert.not_valid_after_utc.isoformat()}",
        )

    return judge


def _key_size(spec: CheckSpec, f: ServerFacts, chain: list[x509.Certificate]) -> CheckResult | None:
    key = chain[0].public_key()
    mins = f.profile.min_key_bits
    if isinstance(key, rsa.RSAPublicKey):
        bits, need, kind = key.key_size, mins.rsa, "RSA"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        bits, need, kind = key.curve.key_size, mins.ecdsa, f"EC {key.curve.name}"
    else:
        return None  # a note names the key type
    return spec.result(
        PASS if bits >= need else FAIL, f"{kind.split()[0]} >= {need} bits", f"{kind} {bits} bits"
    )


def _signature(spec: CheckSpec, f: ServerFacts, chain: list[x509.Certificate]) -> CheckResult:
    weak = []
    for i, cert in enumerate(chain):
        if i > 0 and cert.subject == cert.issuer:
            continue  # a root's self-signature is not relied upon
        algo = cert.signature_hash_algorithm
        name = algo.name if algo is not None else "none"
        if name in WEAK_SIGNATURE_HASHES:
            weak.append(f"{x509util.name_text(cert.subject)}: {name}")
    leaf_algo = chain[0].signature_hash_algorithm
    return spec.result(
        FAIL if weak else PASS,
        "SHA-256 or stronger",
        "; ".join(weak) if weak else f"leaf signed with {leaf_algo.name if leaf_algo else 'n/a'}",
    )


def _san(spec: CheckSpec, f: ServerFacts, chain: list[x509.Certificate]) -> CheckResult:
    leaf, host = chain[0], f.target_host
    if is_ip_address(host):
        ok = x509util.check_ip(leaf, host)
        how = f"IP address SAN {host} (guide 3.4.2 checkIP)"
    else:
        ok = x509util.check_host(leaf, host)
        how = f"DNS SAN (or CN without DNS SANs) {host}"
    try:
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = ", ".join(str(getattr(n, "value", n)) for n in sans)
    except x509.ExtensionNotFound:
        names = "no SAN"
    return spec.result(
        PASS if ok else FAIL, how, f"subject {x509util.name_text(leaf.subject)}; SAN {names}"
    )


def _chain_complete(
    spec: CheckSpec, f: ServerFacts, chain: list[x509.Certificate]
) -> CheckResult | None:
    if f.trust.cafile is None:
        return None
    expected = f"each certificate signed by the next; the last by a CA in {f.trust.cafile}"
    if not f.trust.anchors:
        return spec.result(
            INCONCLUSIVE, expected, "no trust anchor", f"{f.trust.cafile} holds no certificate"
        )
    problems = []
    for child, parent in itertools.pairwise(chain):
        try:
            child.verify_directly_issued_by(parent)
        except Exception as exc:
            problems.append(f"{x509util.name_text(child.subject)} not signed by the next: {exc}")
    last = chain[-1]
    anchored = any(
        a.subject == last.subject and a.public_key() == last.public_key() for a in f.trust.anchors
    )
    if not anchored:
        for anchor in f.trust.anchors:
            try:
                last.verify_directly_issued_by(anchor)
                anchored = True
                break
            except Exception:
                continue
    if not anchored:
        problems.append(f"chain ends at {x509util.name_text(last.issuer)}, not in {f.trust.cafile}")
    return spec.result(
        FAIL if problems else PASS,
        expected,
        "; ".join(problems) if problems else f"{len(chain)} certificate(s), anchored",
    )


def _pin(spec: CheckSpec, f: ServerFacts, chain: list[x509.Certificate]) -> CheckResult | None:
    if f.trust.pin is None:
        return None
    expected = f"subject and public key of a certificate in {f.trust.pin}"
    if not f.trust.pinned:
        return spec.result(
            INCONCLUSIVE, expected, "no pinned certificate", f"{f.trust.pin} holds no certificate"
        )
    leaf = chain[0]
    want = x509util.public_key_bytes(leaf)
    ok = any(
        p.subject == leaf.subject and x509util.public_key_bytes(p) == want for p in f.trust.pinned
    )
    return spec.result(
        PASS if ok else FAIL,
        expected,
        f"{x509util.name_text(leaf.subject)} " + ("matches" if ok else "is not pinned"),
    )


def _revocation(
    spec: CheckSpec, f: ServerFacts, chain: list[x509.Certificate]
) -> CheckResult | None:
    t, leaf = f.trust, chain[0]
    if t.crl_given:
        expected = "not revoked (CRL)"
        if t.crl_error is not None:
            return spec.result(INCONCLUSIVE, expected, "CRL unreadable", t.crl_error)
        relevant = [c for c in t.crls if c.issuer == leaf.issuer]
        if not relevant:
            return spec.result(
                INCONCLUSIVE, expected, "no CRL from the leaf's issuer",
                f"issuer {x509util.name_text(leaf.issuer)}",
            )  # fmt: skip
        revoked = any(
            c.get_revoked_certificate_by_serial_number(leaf.serial_number) for c in relevant
        )
        return spec.result(
            FAIL if revoked else PASS, expected, "revoked" if revoked else "not on the CRL"
        )
    if not t.ocsp_given:
        return None
    if t.ocsp is None:
        r = spec.result(INCONCLUSIVE, "good (OCSP)", "no issuer certificate sent")
    else:
        status, text = t.ocsp
        verdict = {"good": PASS, "revoked": FAIL}.get(status, INCONCLUSIVE)
        r = spec.result(verdict, "good (OCSP)", status, text if verdict is INCONCLUSIVE else None)
    return replace(r, guide_section="2.4.1.7")  # OCSP is guide 2.4.1.7


# -- client authentication -----------------------------------------------------------------------
def _client_cert_required(f: ServerFacts) -> bool:
    return f.stage == "tls" and f.use_case is not None and f.use_case.client_certificate_required


def _cc_required(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
    if not _client_cert_required(f):
        return None
    expected = f"use case {f.case}: a client certificate is required"
    none = f.client_auth.get("none")
    if none is None or none.error:
        error = none.error if none is not None else "probe did not run"
        return spec.result(INCONCLUSIVE, expected, "probe failed", error)
    verdict = PASS if none.refused else INCONCLUSIVE if none.refused is None else FAIL
    return spec.result(
        verdict,
        "handshake without a client certificate refused",
        f"{none.how}; CertificateRequest {'sent' if none.certificate_request else 'not sent'}",
    )


def _cc_accepted(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
    if not _client_cert_required(f):
        return None
    expected = "handshake with --cert/--key completes"
    valid = f.client_auth.get("valid")
    if valid is None:
        return spec.result(
            INCONCLUSIVE, expected, "not tested", "no client certificate given (--cert/--key)"
        )
    if valid.error:
        return spec.result(INCONCLUSIVE, expected, valid.error)
    verdict = PASS if valid.refused is False else FAIL if valid.refused else INCONCLUSIVE
    return spec.result(verdict, expected, valid.how)


def _bad_client_cert(kind: str) -> ServerJudge:
    def judge(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
        wire = f.client_auth.get(kind)
        if not _client_cert_required(f) or wire is None:
            return None
        if wire.error:
            return spec.result(INCONCLUSIVE, "refused", "probe failed", wire.error)
        if wire.certificate_request is False:
            # Never asked for a certificate: ours was not even sent, so this probe says
            # nothing about verification (auth.client-certificate.required carries it).
            return spec.result(
                INCONCLUSIVE,
                "handshake refused",
                "no CertificateRequest: our certificate was not sent",
                "the server does not ask for client certificates",
            )
        verdict = PASS if wire.refused else FAIL if wire.refused is False else INCONCLUSIVE
        return spec.result(verdict, "handshake refused", wire.how)

    return judge


def _psk_judged(f: ServerFacts) -> bool:
    return f.stage == "tls" and (f.case == "2" or bool(f.psk))


def _psk_accepted(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
    if not _psk_judged(f):
        return None
    valid = f.psk.get("valid")
    if valid is None:
        return spec.result(
            INCONCLUSIVE,
            "handshake with the given identity and key completes",
            "not tested",
            "no --psk-identity/--psk-secrets given",
        )
    ok = valid.refused is False and valid.psk_suite
    verdict = PASS if ok else INCONCLUSIVE if valid.refused is None or valid.error else FAIL
    return spec.result(
        verdict,
        "handshake with the given identity and key completes with a PSK suite",
        valid.how
        + (f"; identity {valid.psk_identity!r} on the wire" if valid.psk_identity else ""),
    )


def _bad_psk(kind: str) -> ServerJudge:
    def judge(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
        wire = f.psk.get(kind)
        if not _psk_judged(f) or "valid" not in f.psk or wire is None:
            return None
        verdict = PASS if wire.refused else FAIL if wire.refused is False else INCONCLUSIVE
        return spec.result(verdict, "handshake refused", wire.how)

    return judge


# -- the FIX Logon probe ----------------------------------------------------------------------------
def _logon(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
    if f.fix is None:
        return None
    if f.fix.logon is None:
        return spec.result(
            INCONCLUSIVE,
            "Logon answered with Logon",
            "not attempted",
            f"the local TLS client could not start: {f.fix.start_error}",
        )
    return rules.logon_accepted(f.fix.logon)


def _bad_credentials(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
    if f.fix is None or f.fix.bad is None:
        return None
    return rules.bad_credentials_refused(f.fix.bad)


_OWN_NOT_ACCEPTED = "our own Logon was not accepted, so a refusal would prove nothing"


def _own_accepted(f: ServerFacts) -> bool:
    return f.fix is not None and f.fix.logon is not None and f.fix.logon.accepted


def _compid_bound(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
    if f.fix is None or f.fix.logon is None or f.fix.foreign_sender is None:
        return None
    return rules.must_be_refused(
        spec.id,
        f"a Logon as {f.fix.foreign_sender} with our credentials refused",
        f.fix.foreign if _own_accepted(f) else None,
        _OWN_NOT_ACCEPTED,
    )


def _other_identity(spec: CheckSpec, f: ServerFacts) -> CheckResult | None:
    if f.fix is None or not f.fix.other_given:
        return None
    if f.fix.other_start_error is not None:
        return rules.missing(
            spec.id,
            "handshake or Logon refused",
            f"the local TLS client could not start with --other-cert: {f.fix.other_start_error}",
        )
    return rules.must_be_refused(
        spec.id,
        "another counterparty's certificate: handshake or Logon refused",
        f.fix.other if _own_accepted(f) else None,
        _OWN_NOT_ACCEPTED,
    )


def server_checks(f: ServerFacts) -> Registry[ServerFacts]:
    """The registry of ``certify server`` for these facts, in report order.

    Built per run: one ``tls.cipher.required.<0xCODE>`` unit per suite the profile
    requires, one ``cert.validity.chain-<i>`` unit per certificate above the leaf,
    and the client-certificate checks carry the use case's section.
    """
    section = f.use_case.section if f.use_case is not None else None
    cc_required = replace(specs.CLIENT_CERT_REQUIRED, section=section or "2.4.1.4")
    cc_accepted = replace(specs.CLIENT_CERT_ACCEPTED, section=section or "2.4.1.4")
    both: tuple[Stage, ...] = ("not-tls", "tls")
    return Registry(
        "certify-server",
        [
            Check(specs.CONNECT, at(("unreachable",), _connect)),
            Check(specs.ENDPOINT_TLS, at(("not-tls",), _endpoint_tls)),
            Check(specs.SERVER_HELLO_VALID, at(("no-handshake", "tls"), _server_hello_valid)),
            Check(specs.HANDSHAKE, at(("no-handshake",), _handshake)),
            Check(specs.SERVER_FLIGHT_BOUNDED, at(TLS, _flight)),
            *(
                Check(specs.version_refused(name, vid(name)), at(TLS, _version_refused(name)))
                for name in TLS_VERSIONS
            ),
            Check(specs.VERSION_SUPPORTED, at(TLS, _version_supported)),
            *(
                Check(specs.required_suite(code), at(TLS, _required_suite(code)))
                for code in f.profile.required_suites
            ),
            Check(specs.REQUIRED_APPLICABLE, at(TLS, _required_applicable)),
            Check(specs.FORBIDDEN_ACCEPTED, at(TLS, _forbidden)),
            Check(specs.DHE_BITS, at(TLS, _dhe_bits)),
            Check(specs.COMPRESSION, at(TLS, _compression)),
            Check(specs.CERT_PRESENT, _cert_present),
            Check(specs.CERT_VALIDITY, _with_chain(_validity)),
            *(
                Check(specs.chain_validity(i), _with_chain(_chain_validity(i)))
                for i in range(1, len(f.chain))
            ),
            Check(specs.KEY_SIZE, _with_chain(_key_size)),
            Check(specs.SIGNATURE, _with_chain(_signature)),
            Check(specs.SAN, _with_chain(_san)),
            Check(specs.CHAIN, _with_chain(_chain_complete)),
            Check(specs.PIN, _with_chain(_pin)),
            Check(specs.REVOCATION, _with_chain(_revocation)),
            Check(cc_required, _cc_required),
            Check(cc_accepted, _cc_accepted),
            *(Check(specs.bad_client_cert(k), _bad_client_cert(k)) for k in specs.BAD_CLIENT_CERTS),
            Check(specs.PSK_ACCEPTED, _psk_accepted),
            *(Check(specs.bad_psk(k), _bad_psk(k)) for k in specs.BAD_PSKS),
            Check(specs.PLAINTEXT_REFUSED, at(both, _plaintext)),
            Check(specs.LOGON_ACCEPTED, at(SPOKE_TLS, _logon)),
            Check(specs.BAD_CREDENTIALS, at(SPOKE_TLS, _bad_credentials)),
            Check(specs.COMPID_BOUND, at(SPOKE_TLS, _compid_bound)),
            Check(specs.OTHER_IDENTITY, at(SPOKE_TLS, _other_identity)),
        ],
    )


def judge_server(f: ServerFacts) -> list[CheckResult]:
    """Fold the ``certify server`` registry over the facts."""
    return server_checks(f).evaluate(f)


# -- certify client ------------------------------------------------------------------------------------
def _client_connected(spec: CheckSpec, f: ClientFacts) -> CheckResult | None:
    if f.connected:
        return None
    return spec.result(
        INCONCLUSIVE, "a connection", "none within the wait time", "no connection for round 1"
    )


def _connected(judge: Callable[[CheckSpec, ClientFacts], CheckResult]) -> Judge[ClientFacts]:
    def wrapped(spec: CheckSpec, f: ClientFacts) -> CheckResult | None:
        return judge(spec, f) if f.connected else None

    return wrapped


def _client_plaintext(spec: CheckSpec, f: ClientFacts) -> CheckResult:
    return rules.client_plaintext(f.first_bytes)


def _versions_offered(spec: CheckSpec, f: ClientFacts) -> CheckResult:
    offered = f.versions_offered
    outside = [version_name(v) for v in offered if not f.profile.allows_version(version_name(v))]
    return spec.result(
        FAIL if outside else PASS if offered else INCONCLUSIVE,
        f"only {', '.join(f.profile.tls_versions)}",
        f"offered {', '.join(version_name(v) for v in offered) or 'nothing'}",
    )


def _offered_forbidden(spec: CheckSpec, f: ClientFacts) -> CheckResult:
    suites = f.suites_offered
    forbidden = [c for c in suites if not f.profile.allows_suite(c)]
    return spec.result(
        FAIL if forbidden else PASS if suites else INCONCLUSIVE,
        "none",
        ", ".join(format_code(c) for c in forbidden) if forbidden else "none",
    )


def _offered_allowed(spec: CheckSpec, f: ClientFacts) -> CheckResult:
    suites = f.suites_offered
    common = [c for c in suites if f.profile.allows_suite(c)]
    return spec.result(
        PASS if common else FAIL if suites else INCONCLUSIVE,
        "at least one",
        ", ".join(format_code(c) for c in common) or "none",
    )


def _valid_ok(f: ClientFacts) -> bool:
    valid = f.rounds.get("valid")
    return valid is not None and valid.refused is False


def _valid_accepted(spec: CheckSpec, f: ClientFacts) -> CheckResult:
    valid = f.rounds.get("valid")
    ok = _valid_ok(f)
    return spec.result(
        PASS if ok else INCONCLUSIVE,
        "handshake completes",
        valid.how if valid is not None else "no connection",
        None
        if ok
        else "the client refused even the valid certificate: does it trust the test root?",
    )


def _bad_server_cert(kind: str) -> Callable[[CheckSpec, ClientFacts], CheckResult]:
    def judge(spec: CheckSpec, f: ClientFacts) -> CheckResult:
        attempt: Attempt | None = f.rounds.get(kind)
        if attempt is None:  # no connection for this round (or the rounds stopped)
            return spec.result(
                INCONCLUSIVE,
                "refused",
                "no connection",
                "the client did not connect for this round",
            )
        if attempt.refused is None or not _valid_ok(f):
            reason = "the valid round failed" if not _valid_ok(f) else attempt.how
            return spec.result(INCONCLUSIVE, "refused", attempt.how, reason)
        return spec.result(PASS if attempt.refused else FAIL, "refused", attempt.how)

    return judge


CLIENT_CHECKS: Registry[ClientFacts] = Registry(
    "certify-client",
    [
        Check(specs.CLIENT_CONNECTED, _client_connected),
        Check(specs.CLIENT_PLAINTEXT, _connected(_client_plaintext)),
        Check(specs.VERSION_OFFERED, _connected(_versions_offered)),
        Check(specs.OFFERED_FORBIDDEN, _connected(_offered_forbidden)),
        Check(specs.OFFERED_ALLOWED, _connected(_offered_allowed)),
        Check(specs.VALID_SERVER_CERT, _connected(_valid_accepted)),
        *(
            Check(specs.bad_server_cert(k), _connected(_bad_server_cert(k)))
            for k in specs.BAD_SERVER_CERTS
        ),
    ],
)


def judge_client(f: ClientFacts) -> list[CheckResult]:
    """Fold the ``certify client`` registry over the facts."""
    return CLIENT_CHECKS.evaluate(f)
