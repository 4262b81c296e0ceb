"""report.json's output models for watching a counterparty (endpoint facts,
certificate expiry, drift): pydantic, part of the schema (:mod:`harness.report.jsonout`);
the documents themselves are built by :mod:`harness.report.jsondoc` (``endpoint_doc``,
``expiry_doc``, ``drift_doc``). The Markdown, HTML and JUnit parts are in
:mod:`harness.report.watch`. All fields are optional in report.json (schema 1.2).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
