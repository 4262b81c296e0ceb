"""``certify server``, step 2: judge a :class:`ServerScan` against a profile and a use case.

Every requirement becomes a :class:`~harness.checks.model.CheckResult` with a stable
id; observations that no profile makes a requirement (preference order, session
resumption, secure renegotiation, ECDHE groups) become
:class:`~harness.checks.model.Note` s. The rules that keep a defective server from
ever reading "compliant":

* a probe that could not run gives ``inconclusive`` with the reason, never
  ``pass``; any inconclusive requirement makes the whole run inconclusive;
* a required suite counts as *missing* only when the server could serve it: an
  ECDSA suite against a server whose certificate is RSA (or the certificate
  suites against a PSK-only server in use case 2) passes as "not applicable",
  with that reason;
* what the use case makes a requirement (a client certificate for 1a/1b, a PSK for
  2) is checked as such; for the other cases the same facts are notes.

Check ids (stable): ``tls.version.supported``, ``tls.version.<V>.refused``,
``tls.cipher.required.<0xCODE>``, ``tls.cipher.forbidden-accepted``,
``tls.compression.refused``, ``tls.kx.dhe-bits``, ``cert.present``,
``cert.validity``, ``cert.key-size``, ``cert.signature-algorithm``,
``cert.san-matches``, ``cert.chain-complete``, ``cert.pin-matches``,
``cert.revocation``, ``auth.client-certificate.required``,
``auth.client-certificate.accepted``,
``auth.client-certificate.<self-signed|unrelated-ca|expired|unpinned>.refused``,
``auth.psk.accepted``, ``auth.psk.<wrong-key|unknown-identity>.refused``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from harness.certify.hello import VERSIONS, is_ip_address
from harness.certify.probe import Wire
from harness.certify.scan import ServerScan
from harness.checks.model import CheckResult, Note, Verdict
from harness.dissect import Handshake, alert_summary
from harness.profiles import Profile
from harness.tls.registry import format_code, group_name, suite_by_code, suite_label
from harness.tunnel import x509util

PASS, FAIL, INCONCLUSIVE = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE
WEAK_SIGNATURE_HASHES = ("md5", "sha1")


@dataclass(frozen=True)
class TrustOptions:
    """How the user wants the server's certificate judged."""

    cafile: Path | None = None
    pin: Path | None = None
    crl: Path | None = None
    ocsp_url: str | None = None


def _check(
    cid: str,
    title: str,
    section: str | None,
    verdict: Verdict,
    expected: str,
    observed: str,
    reason: str | None = None,
) -> CheckResult:
    return CheckResult(cid, title, section, verdict, expected, observed, reason)


def _refusal(h: Handshake) -> tuple[bool | None, str]:
    """Did the server refuse this handshake? (None: cannot tell) and how."""
    server_alert = next((a for a in h.alerts if a.sender == "server" and a.fatal), None)
    if server_alert is not None:
        return True, f"refused: server sent {server_alert.name}({server_alert.description})"
    client_alert = next((a for a in h.alerts if a.sender == "client" and a.fatal), None)
    if h.negotiated:
        # Both Finished seen: the server accepted. (An encrypted alert after that is
        # its close_notify; under TLS 1.3 the key log makes a late refusal visible,
        # and it was caught above as a fatal alert.)
        return False, f"accepted: handshake completed ({h.version_name}, {_suite(h)})"
    if h.negotiated is False:
        if client_alert is not None:
            return None, f"our client gave up: {alert_summary(h)}"
        return True, "refused: the server closed the connection without finishing"
    if any(a.sender == "server" and a.encrypted for a in h.alerts):
        return True, "refused: the server sent an (encrypted) alert"
    return None, f"cannot tell: {h.incomplete_reason or 'outcome not visible'}"


def _suite(h: Handshake) -> str:
    return suite_label(h.cipher_selected) if h.cipher_selected is not None else "no suite"


def _probe_error(wire: Wire | None) -> str | None:
    if wire is None:
        return "probe did not run"
    if wire.error and not wire.s2c:
        return wire.error
    return None


class _Judge:
    def __init__(
        self, scan: ServerScan, profile: Profile, case: str | None, trust: TrustOptions
    ) -> None:
        self.scan = scan
        self.profile = profile
        self.case = profile.use_case(case) if case else None
        self.case_id = case
        self.trust = trust
        self.checks: list[CheckResult] = []
        self.notes: list[Note] = []

    def add(self, *args: object, **kw: object) -> None:
        self.checks.append(_check(*args, **kw))  # type: ignore[arg-type]

    def note(self, nid: str, title: str, text: str) -> None:
        self.notes.append(Note(nid, title, text))

    # -- versions ------------------------------------------------------------
    def versions(self) -> None:
        allowed = ", ".join(self.profile.tls_versions)
        accepted = self.scan.accepted_versions()
        for name, _ in VERSIONS:
            if self.profile.allows_version(name):
                continue
            state = self.scan.version_accepted(name)
            wire = self.scan.versions.get(name)
            if state is None:
                self.add(
                    f"tls.version.{_vid(name)}.refused",
                    f"{name} refused",
                    "2.2",
                    INCONCLUSIVE,
                    f"{name} refused",
                    "probe failed",
                    _probe_error(wire),
                )
                continue
            observed = (
                f"{name} accepted ({_suite(wire.handshake())})"
                if state and wire
                else f"refused ({alert_summary(wire.handshake())})"
                if wire
                else "refused"
            )
            self.add(
                f"tls.version.{_vid(name)}.refused",
                f"{name} refused (profile allows {allowed})",
                "2.2",
                FAIL if state else PASS,
                f"{name} refused",
                observed,
            )
        ok = [v for v in accepted if self.profile.allows_version(v)]
        self.add(
            "tls.version.supported",
            "a profile version is accepted",
            "2.2",
            PASS if ok else FAIL,
            f"one of {allowed}",
            f"accepted: {', '.join(accepted) or 'none'}",
        )

    # -- cipher suites --------------------------------------------------------
    def ciphers(self) -> None:
        scan, profile = self.scan, self.profile
        accepted = scan.accepted_suites()
        key_types = scan.server_key_types()
        probed = {p.code for p in scan.suites if p.accepted is not None}
        failed = {p.code for p in scan.suites if p.accepted is None}
        psk_only = self.case_id == "2" or (
            not key_types and any((s := suite_by_code(c)) is not None and s.psk for c in accepted)
        )
        for code in profile.required_suites:
            suite = suite_by_code(code)
            label = suite_label(code)
            cid = f"tls.cipher.required.{format_code(code)}"
            title = f"required suite {label} accepted"
            if code in accepted:
                versions = ", ".join(accepted[code])
                self.add(cid, title, "2.3.1", PASS, "accepted", f"accepted ({versions})")
                continue
            na = _not_applicable(suite, key_types, psk_only)
            if na:
                self.add(
                    cid, title, "2.3.1", Verdict.NOT_APPLICABLE, "accepted", "not applicable", na
                )
            elif code in failed or code not in probed:
                reason = "probe failed" if code in failed else "no allowed version was accepted"
                self.add(cid, title, "2.3.1", INCONCLUSIVE, "accepted", "not probed", reason)
            else:
                self.add(cid, title, "2.3.1", FAIL, "accepted", "refused (missing)")
        forbidden = [
            (code, versions)
            for code, versions in accepted.items()
            if not profile.allows_suite(code)
        ]
        batches_ok = all(
            wires and not (wires[-1].error and not wires[-1].s2c)
            for v, wires in scan.batches.items()
            if not v.startswith("order")
        )
        if forbidden:
            observed = "; ".join(f"{suite_label(c)} ({', '.join(v)})" for c, v in forbidden)
            self.add(
                "tls.cipher.forbidden-accepted",
                "no suite outside the profile is accepted",
                "2.3",
                FAIL,
                "none",
                observed,
            )
        elif not scan.batches or not batches_ok:
            self.add(
                "tls.cipher.forbidden-accepted",
                "no suite outside the profile is accepted",
                "2.3",
                INCONCLUSIVE,
                "none",
                "not probed",
                "batched probe failed",
            )
        else:
            self.add(
                "tls.cipher.forbidden-accepted",
                "no suite outside the profile is accepted",
                "2.3",
                PASS,
                "none",
                "none accepted",
            )
        allowed_seen = sorted(c for c in accepted if profile.allows_suite(c))
        if allowed_seen:
            self.note(
                "tls.cipher.accepted",
                "profile suites the server accepts",
                ", ".join(suite_label(c) for c in allowed_seen),
            )
        for version, (server_order, order) in scan.preference.items():
            if server_order is None:
                continue
            text = " > ".join(format_code(c) for c in order)
            self.note(
                f"tls.cipher.preference.{_vid(version)}",
                f"cipher preference ({version})",
                f"server's own order: {text}"
                if server_order
                else "the server follows the client's order",
            )
        for code in allowed_seen:
            erratum = profile.erratum_for(code)
            if erratum is not None:
                self.note(f"erratum.{erratum.id}", erratum.title, erratum.text)
                break

    # -- key exchange, compression, renegotiation ------------------------------
    def key_exchange(self) -> None:
        scan = self.scan
        dh_bits: list[tuple[int, int]] = []
        groups: set[int] = set()
        for p in scan.suites:
            if p.accepted and p.wire.s2c:
                h = p.wire.handshake()
                if h.dh_prime_bits:
                    dh_bits.append((h.dh_prime_bits, p.code))
                if h.kx_group is not None:
                    groups.add(h.kx_group)
        if dh_bits:
            low, code = min(dh_bits)
            need = self.profile.min_key_bits.dhe
            self.add(
                "tls.kx.dhe-bits",
                f"DHE group of at least {need} bits",
                None,
                PASS if low >= need else FAIL,
                f">= {need} bits",
                f"{low} bits (with {format_code(code)})",
            )
        if groups:
            self.note(
                "tls.kx.groups",
                "ECDHE groups the server chose",
                ", ".join(sorted(group_name(g) for g in groups)),
            )
        wire = scan.versions.get("TLSv1.2")
        if wire is not None and scan.version_accepted("TLSv1.2"):
            method = wire.handshake().compression_selected
            if method is None:
                self.add(
                    "tls.compression.refused",
                    "TLS compression refused",
                    None,
                    INCONCLUSIVE,
                    "null compression",
                    "ServerHello not readable",
                )
            else:
                self.add(
                    "tls.compression.refused",
                    "TLS compression refused (CRIME)",
                    None,
                    PASS if method == 0 else FAIL,
                    "null compression when DEFLATE is offered",
                    "null" if method == 0 else f"method {method} (DEFLATE)",
                )
            reneg = 0xFF01 in wire.handshake().extensions_selected
            self.note(
                "tls.renegotiation.secure",
                "secure renegotiation (RFC 5746)",
                "the server supports secure renegotiation (renegotiation_info)"
                if reneg
                else "the server does not announce secure renegotiation",
            )
        if scan.resumption:
            if len(scan.resumption) == 2:
                resumed = scan.resumption[1].handshake().resumed
                text = (
                    "a session was resumed (abbreviated handshake)"
                    if resumed
                    else "the server did not resume the session (full handshake again)"
                )
            else:
                text = "not tested: the first handshake did not complete"
            self.note("tls.session-resumption", "session resumption", text)

    # -- certificate ----------------------------------------------------------
    def certificate(self) -> None:
        if self.case_id == "2":
            return  # PSK: the server is authenticated by the key, not a certificate
        wire = self.scan.certificate_wire()
        ders = wire.server_certificates_der() if wire else ()
        if not ders:
            self.add(
                "cert.present",
                "server certificate presented",
                "2.4.1.3",
                INCONCLUSIVE if not self.scan.accepted_suites() else FAIL,
                "a certificate chain (TLS 1.2 cleartext)",
                "none seen",
                "no TLS ≤ 1.2 handshake carried a certificate",
            )
            return
        try:
            chain = [x509.load_der_x509_certificate(d) for d in ders]
        except ValueError as exc:
            self.add(
                "cert.present",
                "server certificate presented",
                "2.4.1.3",
                FAIL,
                "a parseable certificate",
                f"unparseable: {exc}",
            )
            return
        leaf = chain[0]
        now = datetime.now(UTC)
        nb, na = leaf.not_valid_before_utc, leaf.not_valid_after_utc
        valid = nb <= now <= na
        self.add(
            "cert.validity",
            "leaf certificate within its validity period",
            "2.4.1.5.1",
            PASS if valid else FAIL,
            "not_before <= now <= not_after",
            f"{nb.isoformat()} .. {na.isoformat()}"
            + ("" if valid else (" (expired)" if now > na else " (not yet valid)")),
        )
        for i, cert in enumerate(chain[1:], start=1):
            if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
                self.add(
                    f"cert.validity.chain-{i}",
                    f"chain certificate {i} within its validity period",
                    "2.4.1.5.1",
                    FAIL,
                    "valid",
                    f"{x509util.name_text(cert.subject)} valid "
                    f"{cert.not_valid_before_utc.isoformat()} .. {cert.not_valid_after_utc.isoformat()}",
                )
        self._key_size(leaf)
        self._signature(chain)
        self._san(leaf)
        if self.trust.cafile is not None:
            self._chain(chain)
        if self.trust.pin is not None:
            self._pin(leaf)
        if self.trust.crl is not None or self.trust.ocsp_url:
            self._revocation(chain)

    def _key_size(self, leaf: x509.Certificate) -> None:
        key = leaf.public_key()
        mins = self.profile.min_key_bits
        if isinstance(key, rsa.RSAPublicKey):
            bits, need, kind = key.key_size, mins.rsa, "RSA"
        elif isinstance(key, ec.EllipticCurvePublicKey):
            bits, need, kind = key.curve.key_size, mins.ecdsa, f"EC {key.curve.name}"
        else:
            self.note("cert.key-type", "certificate key type", type(key).__name__)
            return
        self.add(
            "cert.key-size",
            "certificate key large enough",
            None,
            PASS if bits >= need else FAIL,
            f"{kind.split()[0]} >= {need} bits",
            f"{kind} {bits} bits",
        )

    def _signature(self, chain: list[x509.Certificate]) -> None:
        weak = []
        for i, cert in enumerate(chain):
            if i > 0 and cert.subject == cert.issuer:
                continue  # a root's self-signature is not relied upon
            algo = cert.signature_hash_algorithm
            name = algo.name if algo is not None else "none"
            if name in WEAK_SIGNATURE_HASHES:
                weak.append(f"{x509util.name_text(cert.subject)}: {name}")
        leaf_algo = chain[0].signature_hash_algorithm
        self.add(
            "cert.signature-algorithm",
            "no MD5/SHA-1 signatures in the chain",
            None,
            FAIL if weak else PASS,
            "SHA-256 or stronger",
            "; ".join(weak)
            if weak
            else f"leaf signed with {leaf_algo.name if leaf_algo else 'n/a'}",
        )

    def _san(self, leaf: x509.Certificate) -> None:
        host = self.scan.target.host
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
        self.add(
            "cert.san-matches",
            "certificate names the host connected to",
            "3.4.2",
            PASS if ok else FAIL,
            how,
            f"subject {x509util.name_text(leaf.subject)}; SAN {names}",
        )

    def _chain(self, chain: list[x509.Certificate]) -> None:
        assert self.trust.cafile is not None
        anchors = x509util.load_pem_certificates(self.trust.cafile.read_bytes())
        problems = []
        for child, parent in itertools.pairwise(chain):
            try:
                child.verify_directly_issued_by(parent)
            except (ValueError, TypeError, Exception) as exc:
                problems.append(
                    f"{x509util.name_text(child.subject)} not signed by the next: {exc}"
                )
        last = chain[-1]
        anchored = any(
            a.subject == last.subject and a.public_key() == last.public_key() for a in anchors
        )
        if not anchored:
            for anchor in anchors:
                try:
                    last.verify_directly_issued_by(anchor)
                    anchored = True
                    break
                except Exception:
                    continue
        if not anchored:
            problems.append(
                f"chain ends at {x509util.name_text(last.issuer)}, not in {self.trust.cafile.name}"
            )
        self.add(
            "cert.chain-complete",
            "chain complete up to a trusted CA",
            "2.4.1.5.1",
            FAIL if problems else PASS,
            f"each certificate signed by the next; the last by a CA in {self.trust.cafile.name}",
            "; ".join(problems) if problems else f"{len(chain)} certificate(s), anchored",
        )

    def _pin(self, leaf: x509.Certificate) -> None:
        assert self.trust.pin is not None
        pinned = x509util.load_pem_certificates(self.trust.pin.read_bytes())
        want = x509util.public_key_bytes(leaf)
        ok = any(p.subject == leaf.subject and x509util.public_key_bytes(p) == want for p in pinned)
        self.add(
            "cert.pin-matches",
            "server leaf matches the pinned certificate",
            "2.4.1.5.2",
            PASS if ok else FAIL,
            f"subject and public key of a certificate in {self.trust.pin.name}",
            f"{x509util.name_text(leaf.subject)} " + ("matches" if ok else "is not pinned"),
        )

    def _revocation(self, chain: list[x509.Certificate]) -> None:
        leaf = chain[0]
        if self.trust.crl is not None:
            data = self.trust.crl.read_bytes()
            try:
                crls = (
                    [
                        x509.load_pem_x509_crl(b"-----BEGIN X509 CRL-----" + part)
                        for part in data.split(b"-----BEGIN X509 CRL-----")[1:]
                    ]
                    if b"BEGIN X509 CRL" in data
                    else [x509.load_der_x509_crl(data)]
                )
            except ValueError as exc:
                self.add("cert.revocation", "leaf not revoked", "2.4.1.6", INCONCLUSIVE,
                         "not revoked", "CRL unreadable", str(exc))  # fmt: skip
                return
            relevant = [c for c in crls if c.issuer == leaf.issuer]
            if not relevant:
                self.add("cert.revocation", "leaf not revoked (CRL)", "2.4.1.6", INCONCLUSIVE,
                         "not revoked", "no CRL from the leaf's issuer",
                         f"issuer {x509util.name_text(leaf.issuer)}")  # fmt: skip
                return
            revoked = any(
                c.get_revoked_certificate_by_serial_number(leaf.serial_number) for c in relevant
            )
            self.add("cert.revocation", "leaf not revoked (CRL)", "2.4.1.6",
                     FAIL if revoked else PASS, "not revoked",
                     "revoked" if revoked else "not on the CRL")  # fmt: skip
            return
        from harness.tunnel import ocsp

        if len(chain) < 2:
            self.add("cert.revocation", "leaf not revoked (OCSP)", "2.4.1.7", INCONCLUSIVE,
                     "good", "no issuer certificate sent", None)  # fmt: skip
            return
        assert self.trust.ocsp_url is not None
        outcome = ocsp.check(leaf, chain[1], self.trust.ocsp_url, timeout=5.0)
        verdict = {"good": PASS, "revoked": FAIL}.get(outcome.status, INCONCLUSIVE)
        self.add("cert.revocation", "leaf not revoked (OCSP)", "2.4.1.7", verdict, "good",
                 outcome.status, outcome.text if verdict is INCONCLUSIVE else None)  # fmt: skip

    # -- client authentication ------------------------------------------------
    def client_auth(self) -> None:
        scan = self.scan
        required = self.case is not None and self.case.client_certificate_required
        section = self.case.section if self.case else "2.4.1.4"
        none = scan.client_auth.get("none")
        if not required:
            if none is not None:
                h = none.handshake()
                self.note(
                    "auth.client-certificate.requested",
                    "client certificate requested",
                    f"CertificateRequest sent: {h.certificate_request}",
                )
            return
        expected = f"use case {self.case_id}: a client certificate is required"
        if none is None or _probe_error(none):
            self.add("auth.client-certificate.required", "client certificate required", section,
                     INCONCLUSIVE, expected, "probe failed", _probe_error(none))  # fmt: skip
        else:
            refused, how = _refusal(none.handshake())
            requested = none.handshake().certificate_request
            verdict = PASS if refused else INCONCLUSIVE if refused is None else FAIL
            self.add("auth.client-certificate.required", "client certificate required", section,
                     verdict, "handshake without a client certificate refused",
                     f"{how}; CertificateRequest {'sent' if requested else 'not sent'}")  # fmt: skip
        valid = scan.client_auth.get("valid")
        if valid is None:
            self.add("auth.client-certificate.accepted", "our client certificate accepted",
                     section, INCONCLUSIVE, "handshake with --cert/--key completes",
                     "not tested", "no client certificate given (--cert/--key)")  # fmt: skip
        else:
            refused, how = _refusal(valid.handshake())
            verdict = PASS if refused is False else FAIL if refused else INCONCLUSIVE
            if _probe_error(valid):
                verdict, how = INCONCLUSIVE, _probe_error(valid) or how
            self.add("auth.client-certificate.accepted", "our client certificate accepted",
                     section, verdict, "handshake with --cert/--key completes", how)  # fmt: skip
        for kind in ("self-signed", "unrelated-ca", "expired", "unpinned"):
            wire = scan.client_auth.get(kind)
            if wire is None:
                continue
            cid = f"auth.client-certificate.{kind}.refused"
            title = f"{kind} client certificate refused"
            if _probe_error(wire):
                self.add(cid, title, "2.4.1.5", INCONCLUSIVE, "refused", "probe failed",
                         _probe_error(wire))  # fmt: skip
                continue
            if wire.handshake().certificate_request is False:
                # Never asked for a certificate: ours was not even sent, so this probe
                # says nothing about verification (auth.client-certificate.required
                # carries the failure).
                self.add(cid, title, "2.4.1.5", INCONCLUSIVE, "handshake refused",
                         "no CertificateRequest: our certificate was not sent",
                         "the server does not ask for client certificates")  # fmt: skip
                continue
            refused, how = _refusal(wire.handshake())
            verdict = PASS if refused else FAIL if refused is False else INCONCLUSIVE
            self.add(cid, title, "2.4.1.5", verdict, "handshake refused", how)

    def psk(self) -> None:
        scan = self.scan
        if self.case_id != "2" and not scan.psk:
            return
        valid = scan.psk.get("valid")
        if valid is None:
            self.add("auth.psk.accepted", "PSK handshake completes", "3.3", INCONCLUSIVE,
                     "handshake with the given identity and key completes", "not tested",
                     "no --psk-identity/--psk-secrets given")  # fmt: skip
            return
        refused, how = _refusal(valid.handshake())
        h = valid.handshake()
        suite = h.cipher_suite
        ok = refused is False and suite is not None and suite.psk
        verdict = PASS if ok else INCONCLUSIVE if refused is None or _probe_error(valid) else FAIL
        self.add("auth.psk.accepted", "PSK handshake completes", "3.3", verdict,
                 "handshake with the given identity and key completes with a PSK suite",
                 how + (f"; identity {h.psk_identity!r} on the wire" if h.psk_identity else ""))  # fmt: skip
        for kind in ("wrong-key", "unknown-identity"):
            wire = scan.psk.get(kind)
            if wire is None:
                continue
            r, how = _refusal(wire.handshake())
            verdict = PASS if r else FAIL if r is False else INCONCLUSIVE
            self.add(f"auth.psk.{kind}.refused", f"PSK with {kind.replace('-', ' ')} refused",
                     "2.4.2", verdict, "handshake refused", how)  # fmt: skip

    def run(self) -> tuple[list[CheckResult], list[Note]]:
        self.versions()
        self.ciphers()
        self.key_exchange()
        self.certificate()
        self.client_auth()
        self.psk()
        return self.checks, self.notes


def _vid(version: str) -> str:
    """``TLSv1.1`` → ``tls1_1`` (check-id spelling)."""
    return version.lower().replace("v", "").replace(".", "_")


def _not_applicable(suite: object, key_types: set[str], psk_only: bool) -> str | None:
    from harness.tls.registry import CipherSuite

    if not isinstance(suite, CipherSuite):
        return None
    if psk_only and not suite.psk:
        return "use case 2 (pre-shared keys): the server has no certificate"
    if suite.psk or suite.tls13 or not key_types:
        return None
    need = {"ECDSA": "EC", "RSA": "RSA", "DSS": "DSA"}.get(suite.auth)
    if need is not None and need not in key_types:
        return f"the server's certificate is {'/'.join(sorted(key_types))}; {suite.iana_name} needs {suite.auth}"
    return None


def evaluate(
    scan: ServerScan, profile: Profile, case: str | None, trust: TrustOptions
) -> tuple[list[CheckResult], list[Note]]:
    """Judge the scan: checks (requirements) and notes (observations)."""
    if not scan.reachable:
        reason = "; ".join(scan.errors) or "no probe reached the server"
        return [
            CheckResult(
                "connect",
                "server reachable",
                None,
                INCONCLUSIVE,
                f"a TCP connection to {scan.target.label}",
                "unreachable",
                reason,
            )
        ], []
    if not scan.accepted_versions():
        return [
            CheckResult(
                "tls.handshake",
                "a TLS handshake is possible",
                None,
                INCONCLUSIVE,
                "a ServerHello for some version",
                "; ".join(
                    f"{name}: {alert_summary(w.handshake())}" for name, w in scan.versions.items()
                ),
                "the server answered no ClientHello (not TLS, or nothing in common)",
            )
        ], []
    return _Judge(scan, profile, case, trust).run()
