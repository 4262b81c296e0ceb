"""``cert.expiry-horizon``: which certificate of this connection expires soon.

A certificate that is valid today but expires next week breaks the connection next
week. This check looks ahead: every certificate in the chain the server sent, and in
the pin and CA files the user gave (the trust side expires too), is held against a
horizon of ``--expiry-days`` days (the profile's ``expiry_horizon_days`` by
default: 30 for the guide's profile). Within the horizon (or already expired) the
check fails, and its observation names the soonest certificate with its date and
days left.

Shape: a check spec plus a small pure function of frozen facts
(:func:`check_expiry_horizon`), and the readers that make those facts from
certificates on the wire or in files (:func:`facts_of_der`, :func:`facts_of_file`).
The same facts serve ``lint``'s ``cert.expiry-horizon`` rule for the files a
stunnel.conf names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness.checks.model import CheckResult, Verdict
from harness.checks.watch import CertExpiry

if TYPE_CHECKING:
    from cryptography import x509

    from harness.certify.lint import Finding
    from harness.stunnelconf import ServiceSettings

#: Horizon when neither the flag nor the profile gives one (days).
DEFAULT_HORIZON_DAYS = 30


@dataclass(frozen=True)
class CheckSpec:
    """What a check is, apart from any run: stable id, title, guide section, rule."""

    id: str
    title: str
    guide_section: str | None
    rule: str = "requirement"


SPEC = CheckSpec(
    id="cert.expiry-horizon",
    title="no certificate expires within the horizon",
    guide_section="2.4.1.5.1",
)


@dataclass(frozen=True)
class ExpiryFacts:
    """Inputs of :func:`check_expiry_horizon`.

    Attributes:
        certificates: every certificate found (served chain, pin and CA files).
        horizon_days: the horizon.
        chain_expected: the server should have sent a certificate chain (not PSK).
        chain_seen: a chain was read off the wire.
        unreadable: files that could not be read or held no certificate.
    """

    certificates: tuple[CertExpiry, ...]
    horizon_days: int
    chain_expected: bool = True
    chain_seen: bool = True
    unreadable: tuple[str, ...] = ()


def _describe(c: CertExpiry) -> str:
    where = c.source + (f" depth {c.depth}" if c.depth is not None else "")
    left = f"{c.days_left} days left" if c.days_left >= 0 else f"expired {-c.days_left} days ago"
    return f"{c.not_after[:10]} ({left}): {c.subject} [{where}]"


def check_expiry_horizon(facts: ExpiryFacts) -> CheckResult:
    """fail when a certificate expires within the horizon; inconclusive when the
    served chain could not be read (and nothing within the horizon was found
    elsewhere) or a given file could not be read; not-applicable when there is no
    certificate to judge (a PSK connection without pin or CA files)."""
    expected = f"every certificate valid for more than {facts.horizon_days} days"
    evidence = tuple(
        f"not_after {_describe(c)}" for c in sorted(facts.certificates, key=lambda c: c.days_left)
    ) + tuple(f"unreadable: {u}" for u in facts.unreadable)
    # An already-expired certificate of the served chain is cert.validity's failure
    # (one defect reads as one defect); expired pin or CA files are judged here.
    expired_served = [c for c in facts.certificates if c.days_left < 0 and c.depth is not None]
    soon = sorted(
        (
            c
            for c in facts.certificates
            if c.days_left <= facts.horizon_days and c not in expired_served
        ),
        key=lambda c: c.days_left,
    )

    def result(verdict: Verdict, observed: str, reason: str | None = None) -> CheckResult:
        return CheckResult(
            SPEC.id, SPEC.title, SPEC.guide_section, verdict, expected, observed, reason,
            evidence=evidence,
        )  # fmt: skip

    if soon:
        first = soon[0]
        more = f" (+{len(soon) - 1} more within the horizon)" if len(soon) > 1 else ""
        return result(Verdict.FAIL, f"expires {_describe(first)}{more}")
    if expired_served:
        first = min(expired_served, key=lambda c: c.days_left)
        cause = "cert.validity" if first.depth == 0 else f"cert.validity.chain-{first.depth}"
        return CheckResult(
            SPEC.id, SPEC.title, SPEC.guide_section, Verdict.NOT_REACHED, expected,
            f"already expired: {_describe(first)}", "the served chain has expired already",
            consequence_of=cause, evidence=evidence,
        )  # fmt: skip
    if facts.unreadable:
        return result(Verdict.INCONCLUSIVE, "some files not checked", "; ".join(facts.unreadable))
    if facts.chain_expected and not facts.chain_seen:
        return result(
            Verdict.INCONCLUSIVE,
            "no served chain seen",
            "no cleartext certificate chain (TLS 1.3 only, or no handshake completed)",
        )
    if not facts.certificates:
        return result(
            Verdict.NOT_APPLICABLE, "no certificate", "no certificate served or given (PSK)"
        )
    soonest = min(facts.certificates, key=lambda c: c.days_left)
    return result(Verdict.PASS, f"soonest {_describe(soonest)}")


# -- facts from certificates ------------------------------------------------------


def days_left(not_after: datetime, now: datetime) -> int:
    """Whole days from ``now`` to ``not_after``, counted as people do: a certificate
    issued today for ten days has 10 days left (rounded up), one that expired an
    hour ago expired 1 day ago (negative, rounded away from zero)."""
    delta = (not_after - now).total_seconds() / 86400
    return math.ceil(delta) if delta > 0 else math.floor(delta)


def facts_of_der(der: bytes, source: str, now: datetime, depth: int | None = None) -> CertExpiry:
    """One DER certificate's expiry fact."""
    from cryptography import x509

    return _fact(x509.load_der_x509_certificate(der), source, now, depth)


def _fact(cert: x509.Certificate, source: str, now: datetime, depth: int | None) -> CertExpiry:
    from cryptography.hazmat.primitives import hashes

    from harness.tunnel import x509util

    not_after = cert.not_valid_after_utc
    return CertExpiry(
        source=source,
        subject=x509util.name_text(cert.subject),
        sha256=cert.fingerprint(hashes.SHA256()).hex(":").upper(),
        not_after=not_after.isoformat(),
        days_left=days_left(not_after, now),
        depth=depth,
    )


def facts_of_file(path: Path, source: str, now: datetime) -> list[CertExpiry]:
    """Every certificate in a PEM (or DER) file, in file order.

    Raises:
        ValueError: unreadable file or no certificate in it (the message says which).
    """
    from cryptography import x509

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    try:
        certs = x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data else []
        if not certs:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise ValueError(f"{path}: no certificate in the file") from None
    return [_fact(c, source, now, None) for c in certs]


def gather(
    chain: Sequence[bytes],
    files: Sequence[tuple[str, Path]],
    now: datetime,
    horizon_days: int,
    *,
    chain_expected: bool,
) -> ExpiryFacts:
    """Facts from the served chain (DER, leaf first) and ``(label, path)`` files."""
    certs: list[CertExpiry] = []
    unreadable: list[str] = []
    for depth, der in enumerate(chain):
        try:
            certs.append(facts_of_der(der, "served chain", now, depth))
        except ValueError:
            unreadable.append(f"served chain depth {depth}: not a parseable certificate")
    for label, path in files:
        try:
            certs += facts_of_file(path, f"{label} {path.name}", now)
        except ValueError as exc:
            unreadable.append(str(exc))
    return ExpiryFacts(
        certificates=tuple(certs),
        horizon_days=horizon_days,
        chain_expected=chain_expected,
        chain_seen=bool(chain),
        unreadable=tuple(unreadable),
    )


# -- lint: the certificate files a stunnel.conf names ---------------------------------


def lint_expiry(svc: ServiceSettings, horizon_days: int, now: datetime) -> list[Finding]:
    """``cert.expiry-horizon`` findings for one service's ``cert`` and ``CAfile``:
    an error for each certificate expiring within the horizon (or expired), with
    the option's line, the date and the days left. Files that cannot be read are
    left alone (as lint does with every file it names)."""
    from harness.certify.lint import Finding, Severity

    findings: list[Finding] = []
    for option, path in (("cert", svc.cert), ("CAfile", svc.ca_file)):
        if not path or not Path(path).is_file():
            continue
        try:
            facts = facts_of_file(Path(path), f"{option} {path}", now)
        except ValueError:
            continue  # a key-only or foreign file: not this rule's business
        for fact in facts:
            if fact.days_left <= horizon_days:
                findings.append(
                    Finding(
                        SPEC.id,
                        Severity.ERROR,
                        svc.where(option),
                        f"[{svc.name}] {option} certificate {fact.subject} expires "
                        f"{_describe(fact).split(': ', 1)[0]} — within {horizon_days} days",
                        SPEC.guide_section,
                        not_after=fact.not_after,
                    )
                )
    return findings
