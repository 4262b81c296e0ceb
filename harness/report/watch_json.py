"""report.json's output models for watching a counterparty (endpoint facts,
certificate expiry, drift) and their converters; pydantic, so the JSON writer alone
imports it (the Markdown, HTML and JUnit parts are in :mod:`harness.report.watch`).
All fields are optional in report.json (schema 1.2).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from harness.checks.watch import CertExpiry, DriftSection, EndpointFacts


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PreferenceOut(_Out):
    server_order: bool | None = Field(
        description="true: the server imposes its order; false: it follows the client's"
    )
    order: list[str] = Field(description="cipher codes, most preferred first")


class EndpointOut(_Out):
    """What a certify server scan accepted (compared by drift)."""

    versions: list[str] = Field(description="TLS versions accepted")
    suites: dict[str, list[str]] = Field(description="version → cipher codes accepted")
    preference: dict[str, PreferenceOut] = Field(description="version → preference order")


class CertExpiryOut(_Out):
    source: str = Field(description="served chain, pin file NAME, CA file NAME")
    depth: int | None = Field(description="position in the served chain (0: leaf)")
    subject: str
    sha256: str
    not_after: str = Field(description="ISO 8601, UTC")
    days_left: int = Field(description="whole days left when judged (negative: expired)")


class ChangeOut(_Out):
    kind: str = Field(
        description="verdict, version, suite, preference, certificate, client-auth, psk, "
        "fix-logon, negotiated, check, result"
    )
    subject: str
    before: str
    after: str
    text: str
    result: str = Field(description="scenario@pair (empty for a one-result report)")


class DriftOut(_Out):
    """Changes since a baseline report (certify --baseline)."""

    since: str = Field(description="the baseline run's start (ISO 8601)")
    baseline: str = Field(description="the baseline report file")
    changes: list[ChangeOut]


def endpoint_out(facts: EndpointFacts | None) -> EndpointOut | None:
    if facts is None:
        return None
    return EndpointOut(
        versions=list(facts.versions),
        suites={v: list(codes) for v, codes in facts.suites},
        preference={
            v: PreferenceOut(server_order=o.server_order, order=list(o.order))
            for v, o in facts.preference
        },
    )


def expiry_out(expiry: tuple[CertExpiry, ...]) -> list[CertExpiryOut]:
    return [
        CertExpiryOut(
            source=e.source,
            depth=e.depth,
            subject=e.subject,
            sha256=e.sha256,
            not_after=e.not_after,
            days_left=e.days_left,
        )
        for e in expiry
    ]


def drift_out(section: DriftSection | None) -> DriftOut | None:
    if section is None:
        return None
    return DriftOut(
        since=section.since,
        baseline=section.baseline,
        changes=[
            ChangeOut(
                kind=c.kind,
                subject=c.subject,
                before=c.before,
                after=c.after,
                text=c.text,
                result=c.result,
            )
            for c in section.changes
        ],
    )
