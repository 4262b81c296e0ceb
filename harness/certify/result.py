"""Certify runs as the project's result model, so ``run``'s report writers serve them.

A certify run is a :class:`~harness.checks.model.RunResult` whose single
:class:`~harness.checks.model.ScenarioResult` holds the checks;
``backend_pair`` is ``certify-server:HOST:PORT`` or ``certify-client:HOST:PORT``.
Exit codes: 0 compliant, 1 non-compliant (a check failed), 2 inconclusive (a
requirement could not be checked, the peer was unreachable, no handshake was
possible).
"""

from __future__ import annotations

import platform
import ssl
from collections.abc import Sequence
from datetime import datetime

from harness import __version__
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
from harness.dissect import Handshake
from harness.errors import SourceLocation


def host_facts() -> HostFacts:
    return HostFacts(
        python=platform.python_version(), openssl=ssl.OPENSSL_VERSION, platform=platform.platform()
    )


def negotiated_of(h: Handshake | None) -> Negotiated | None:
    if h is None or h.version_selected is None:
        return None
    cipher = None
    if h.cipher_selected is not None:
        s = h.cipher_suite
        cipher = CipherInfo(
            h.cipher_selected, s.iana_name if s else None, s.openssl_name if s else None
        )
    kx = None
    if h.dh_prime_bits:
        kx = f"DHE {h.dh_prime_bits} bits"
    elif h.kx_group is not None:
        from harness.tls.registry import group_name

        kx = group_name(h.kx_group)
    return Negotiated(
        version=h.version_name,
        cipher=cipher,
        key_exchange=kx,
        psk_identity=h.psk_identity,
        resumed=h.resumed,
        client_certificate_requested=h.certificate_request,
    )


def certificates_of(h: Handshake | None) -> tuple[CertificateInfo, ...]:
    out: list[CertificateInfo] = []
    if h is None:
        return ()
    for side, certs in (("server", h.server_certificates), ("client", h.client_certificates)):
        for depth, c in enumerate(certs or ()):
            out.append(
                CertificateInfo(
                    side=side,  # type: ignore[arg-type]
                    subject=c.subject,
                    issuer=c.issuer,
                    serial=c.serial,
                    not_before=c.not_before,
                    not_after=c.not_after,
                    key_type=c.key_type,
                    key_bits=c.key_bits or 0,
                    sha256=c.sha256,
                    san=c.sans,
                    depth=depth,
                )
            )
    return tuple(out)


def build_run(
    *,
    scenario_id: str,
    title: str,
    pair: str,
    profile: str,
    checks: Sequence[CheckResult],
    notes: Sequence[Note],
    reference: Handshake | None,
    started: datetime,
    finished: datetime,
    artifacts: dict[str, str] | None = None,
    error: str | None = None,
    section: str | None = None,
) -> RunResult:
    result = ScenarioResult(
        scenario_id=scenario_id,
        title=title,
        source=SourceLocation(f"fixs-harness {scenario_id.replace('-', ' ')}"),
        backend_pair=pair,
        checks=tuple(checks),
        guide_section=section,
        profile=profile,
        handshake=reference.to_dict() if reference is not None else None,
        certificates=certificates_of(reference),
        negotiated=negotiated_of(reference),
        artifacts=dict(artifacts or {}),
        notes=tuple(notes),
        duration_s=(finished - started).total_seconds(),
        error=error,
    )
    return RunResult(started, finished, __version__, host_facts(), (result,))


def exit_code(run: RunResult) -> int:
    """0 compliant, 1 non-compliant, 2 inconclusive."""
    verdict = run.verdict
    if any(r.error for r in run.results) and verdict is not Verdict.FAIL:
        return 2
    return {Verdict.PASS: 0, Verdict.FAIL: 1}.get(verdict, 2)
