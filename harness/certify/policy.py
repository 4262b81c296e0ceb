"""``certify server``, step 2: judge a :class:`ServerScan` against a profile and a use case.

The scan is frozen into :class:`.facts.ServerFacts` and the ``certify server``
registry (:func:`.catalogue.server_checks`: one registered unit per check id, titles
and sections from :mod:`.specs`) is folded over it: every requirement becomes a
:class:`~harness.checks.model.CheckResult` with a stable id; observations that no profile makes a requirement (preference order, session
resumption, secure renegotiation, ECDHE groups) become
:class:`~harness.checks.model.Note` s. The rules that keep a defective server from
ever reading "compliant":

* a probe that could not run gives ``inconclusive`` with the reason, never
  ``pass``; any inconclusive requirement makes the whole run inconclusive;
* a required suite counts as *missing* only when the server could serve it: an
  ECDSA suite against a server whose certificate is RSA (or the certificate
  suites against a PSK-only server in use case 2) is ``not-applicable`` (its own
  verdict, never a pass), with that reason; when every required suite is
  not applicable, ``tls.cipher.required-applicable`` fails;
* a ServerHello naming a suite or version the client never offered is a protocol
  violation (``tls.server-hello.valid`` fails), never read as a refusal;
* when no probe got a ServerHello, :mod:`.diagnose` says what is on the port
  (``endpoint.tls``: plaintext FIX fails, anything else is inconclusive);
* what the use case makes a requirement (a client certificate for 1a/1b, a PSK for
  2) is checked as such; for the other cases the same facts are notes.

Check ids (stable): every id registered in :func:`.catalogue.server_checks`, with
title and section in :mod:`.specs` (docs/checks.md lists them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec, rsa

# WEAK_SIGNATURE_HASHES and vid: kept importable from here (the judges live in .catalogue)
from harness.certify.catalogue import WEAK_SIGNATURE_HASHES, judge_server, vid  # noqa: F401
from harness.certify.facts import FixFacts, ServerFacts, server_facts
from harness.certify.scan import ServerScan
from harness.checks.model import CheckResult, Note
from harness.profiles import Profile
from harness.tls.registry import format_code, group_name, suite_label


@dataclass(frozen=True)
class TrustOptions:
    """How the user wants the server's certificate judged."""

    cafile: Path | None = None
    pin: Path | None = None
    crl: Path | None = None
    ocsp_url: str | None = None


def _notes(scan: ServerScan, f: ServerFacts) -> list[Note]:
    """Observations no profile makes a requirement (never verdicts)."""
    if f.stage == "not-tls":
        return [Note("endpoint.diagnosis", "what is on the port", f.diagnosis.text)]
    if f.stage != "tls":
        return []
    notes: list[Note] = []
    profile = f.profile
    allowed_seen = sorted(c for c in f.suites.accepted if profile.allows_suite(c))
    if allowed_seen:
        notes.append(
            Note(
                "tls.cipher.accepted",
                "profile suites the server accepts",
                ", ".join(suite_label(c) for c in allowed_seen),
            )
        )
    for version, (server_order, order) in scan.preference.items():
        if server_order is None:
            continue
        text = " > ".join(format_code(c) for c in order)
        notes.append(
            Note(
                f"tls.cipher.preference.{vid(version)}",
                f"cipher preference ({version})",
                f"server's own order: {text}"
                if server_order
                else "the server follows the client's order",
            )
        )
    for code in allowed_seen:
        erratum = profile.erratum_for(code)
        if erratum is not None:
            notes.append(Note(f"erratum.{erratum.id}", erratum.title, erratum.text))
            break
    groups = {
        h.kx_group
        for p in scan.suites
        if p.accepted and p.wire.s2c and (h := p.wire.handshake()).kx_group is not None
    }
    if groups:
        notes.append(
            Note(
                "tls.kx.groups",
                "ECDHE groups the server chose",
                ", ".join(sorted(group_name(g) for g in groups if g is not None)),
            )
        )
    wire = scan.versions.get("TLSv1.2")
    if wire is not None and f.tls12_accepted:
        reneg = 0xFF01 in wire.handshake().extensions_selected
        notes.append(
            Note(
                "tls.renegotiation.secure",
                "secure renegotiation (RFC 5746)",
                "the server supports secure renegotiation (renegotiation_info)"
                if reneg
                else "the server does not announce secure renegotiation",
            )
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
        notes.append(Note("tls.session-resumption", "session resumption", text))
    if f.case != "2" and f.chain:
        key = f.chain[0].public_key()
        if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            notes.append(Note("cert.key-type", "certificate key type", type(key).__name__))
    required = f.use_case is not None and f.use_case.client_certificate_required
    none = scan.client_auth.get("none")
    if not required and none is not None:
        notes.append(
            Note(
                "auth.client-certificate.requested",
                "client certificate requested",
                f"CertificateRequest sent: {none.handshake().certificate_request}",
            )
        )
    return notes


def evaluate(
    scan: ServerScan,
    profile: Profile,
    case: str | None,
    trust: TrustOptions,
    *,
    fix: FixFacts | None = None,
) -> tuple[list[CheckResult], list[Note]]:
    """Judge the scan (and the FIX Logon probe's facts, when it ran): checks
    (requirements, the registry folded over the frozen facts) and notes
    (observations)."""
    facts = server_facts(scan, profile, case, trust, fix=fix)
    return judge_server(facts), _notes(scan, facts)
