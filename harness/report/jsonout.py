"""The JSON report's output model: pydantic (``extra="forbid"``), the one source of
the schema. docs/schemas/report.schema.json is generated from it and a test keeps
the checked-in copy equal. report.json itself is written by
:mod:`harness.report.jsondoc` from plain dictionaries (no pydantic at run time), the
one place that maps the result model to the document; tests/report/test_jsondoc.py
holds what it writes to this model (it validates with ``extra="forbid"`` and the
model's round trip leaves it unchanged) and to golden files written by the pydantic
writer it replaced (the same bytes).

Versioning: ``schema_version`` is ``MAJOR.MINOR``. Adding an optional field bumps
MINOR; renaming, removing or changing the meaning of a field bumps MAJOR.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.checks.model import RunResult
from harness.report.jsondoc import report_document
from harness.report.watch_json import CertExpiryOut, DriftOut, EndpointOut

VerdictName = Literal["pass", "fail", "inconclusive"]
CheckVerdictName = Literal["pass", "fail", "inconclusive", "warn", "not-applicable", "not-reached"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocationOut(_Out):
    path: str
    line: int = Field(description="1-based; 0 when unknown")


class CipherOut(_Out):
    code: str = Field(pattern=r"^0x[0-9A-F]{4}$", description="IANA code, e.g. 0xC030")
    iana: str | None = Field(description="IANA registry name")
    openssl: str | None = Field(description="OpenSSL name")


class NegotiatedOut(_Out):
    version: str | None
    cipher: CipherOut | None
    key_exchange: str | None
    psk_identity: str | None
    resumed: bool | None
    client_certificate_requested: bool | None


class CheckOut(_Out):
    id: str = Field(description="stable check id, e.g. tls.cipher.expected")
    title: str
    guide_section: str | None
    verdict: CheckVerdictName
    expected: str
    observed: str
    reason: str | None = Field(description="why inconclusive / extra context")
    rule: Literal["requirement", "recommendation"] = Field(
        default="requirement", description="a recommendation may be kept a warning"
    )
    consequence_of: str | None = Field(
        default=None, description="not-reached: the failed check this follows from"
    )
    evidence: list[str] = Field(
        default_factory=list, description="decisive log lines and wire facts, verbatim"
    )
    quote: str | None = Field(
        default=None,
        description="fail/warn: the guide or FIXS text this check enforces, verbatim (1.2)",
    )
    quote_source: str | None = Field(
        default=None, description="where the quote is: document and section (1.2)"
    )
    remedy: str | None = Field(
        default=None, description="fail/warn: the stunnel.conf line to add or change (1.2)"
    )


class CertificateOut(_Out):
    side: Literal["client", "server"]
    depth: int
    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    key_type: str
    key_bits: int
    sha256: str
    san: list[str]


class SelfTestOut(_Out):
    """A self-test item: its verdict is pass exactly when these checks, and only
    these, failed (the scenario contradicts its own configuration on purpose)."""

    must_fail: list[str] = Field(description="check ids that had to fail")
    held: bool = Field(description="exactly the must_fail checks failed")
    expected_failed: list[str]
    missing: list[str] = Field(description="expected failures that did not happen: 'id (seen)'")
    unexpected: list[str] = Field(description="other checks that failed")
    unknown: list[str] = Field(description="inconclusive checks, or 'error'")
    summary: str


class NoteOut(_Out):
    id: str
    title: str
    text: str


class TranscriptEntryOut(BaseModel):
    """One FIX message of the session's conversation, in order, as logged by the mock
    initiator (554, 95/96 already redacted)."""

    model_config = ConfigDict(extra="allow")
    time: float = Field(description="epoch seconds, the clock of the handshake's messages")
    direction: str = Field(description="out: initiator → acceptor; in: acceptor → initiator")
    msg_type: str = Field(description="MsgType(35), e.g. A, D, 8, 5")
    text: str
    msg_name: str | None = Field(default=None, description="e.g. Logon (1.2)")
    seq: int | None = Field(default=None, description="MsgSeqNum(34) (1.2)")


class ResultOut(_Out):
    scenario_id: str
    title: str
    guide_section: str | None
    profile: str | None
    source: LocationOut
    backend_pair: str = Field(description="client backend:server backend")
    client_backend: str
    server_backend: str
    verdict: VerdictName
    duration_s: float
    error: str | None
    negotiated: NegotiatedOut | None
    checks: list[CheckOut]
    certificates: list[CertificateOut]
    handshake: dict[str, Any] | None = Field(description="the dissector's Handshake.to_dict()")
    fix_transcript: list[TranscriptEntryOut]
    artifacts: dict[str, str] = Field(description="name → path relative to the report")
    notes: list[NoteOut]
    selftest: SelfTestOut | None = Field(
        default=None, description="set for a self-test scenario; its verdict is the self-test's"
    )
    endpoint: EndpointOut | None = Field(default=None, description="certify server: accepted")
    expiry: list[CertExpiryOut] = Field(
        default_factory=list, description="cert.expiry-horizon: each certificate's not_after"
    )


class HostOut(_Out):
    python: str
    openssl: str | None
    stunnel: str | None
    platform: str | None


class CheckCountsOut(_Out):
    """How many checks of the whole run had each verdict (1.2)."""

    total: int
    passed: int
    failed: int
    inconclusive: int
    warn: int
    not_applicable: int
    not_reached: int


class SummaryOut(_Out):
    total: int = Field(description="results (scenario × backend pair), not checks")
    passed: int
    failed: int
    inconclusive: int = Field(description="results that could not be judged (errors apart)")
    errors: int = Field(
        default=0,
        description="results that did not run: a scenario that did not load, a tunnel "
        "that would not start",
    )
    verdict: VerdictName
    checks: CheckCountsOut | None = Field(default=None, description="counts of checks (1.2)")


class ScopeOut(_Out):
    """What was tested, by what, when: the headline's scope (1.2)."""

    use_case: str
    profile: str
    target_label: Literal["endpoint", "backend pair(s)"]
    target: str
    date: str
    versions: str


class DefectOut(_Out):
    """A failed or warned check, with its defect card as text (1.2). The check's own
    fields, quote and remedy included, are under results[].checks[]."""

    scenario_id: str
    backend_pair: str
    check_id: str
    verdict: Literal["fail", "warn"]
    card: str = Field(description="the card's text, as JUnit and the console show it")


class ReportOut(_Out):
    """Top level of report.json."""

    schema_version: Literal["1.2"]
    harness_version: str
    started: str = Field(description="ISO 8601")
    finished: str = Field(description="ISO 8601")
    duration_s: float
    host: HostOut
    summary: SummaryOut
    scope: ScopeOut | None = Field(default=None, description="(1.2)")
    defects: list[DefectOut] = Field(default_factory=list, description="fails, then warnings (1.2)")
    backend_pairs: list[str]
    results: list[ResultOut]
    interrupted: str | None = Field(
        default=None,
        description="the signal that stopped the run (e.g. SIGTERM); results then hold "
        "only the items that finished before it",
    )
    drift: DriftOut | None = Field(default=None, description="changes since a baseline report")


def report_model(run: RunResult) -> ReportOut:
    """report.json's document for ``run`` as the model: what jsondoc writes, validated
    (``extra="forbid"``; a missing or mistyped field raises)."""
    return ReportOut.model_validate(report_document(run))


def report_json_schema() -> dict[str, Any]:
    """JSON Schema of report.json (checked in as docs/schemas/report.schema.json)."""
    schema = ReportOut.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://fixs-harness.invalid/schemas/report.schema.json"
    return schema
