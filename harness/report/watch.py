"""Report parts for watching a counterparty: endpoint facts, certificate expiry and
"changes since <date>" (drift), one small renderer per format.

Each writer makes one call here, so the report redesign and this section stay
apart: :func:`drift_markdown`, :func:`drift_html`, :func:`drift_junit`, and the
JSON output models (:class:`DriftOut`, :class:`EndpointOut`, :class:`CertExpiryOut`)
with their converters. All fields are optional in report.json (schema 1.2).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape

from pydantic import BaseModel, ConfigDict, Field

from harness.checks.model import RunResult
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


def _title(section: DriftSection) -> str:
    return f"Changes since {section.since[:19].replace('T', ' ')}"


def drift_markdown(run: RunResult) -> list[str]:
    """The "changes since" section as Markdown lines (empty without a baseline)."""
    section = run.drift
    if section is None:
        return []
    lines = ["", f"## {_title(section)}", "", f"Baseline: `{section.baseline}`", ""]
    if not section.changes:
        return [*lines, "No changes."]
    lines += ["| kind | what | before | after |", "|---|---|---|---|"]
    for c in section.changes:
        what = (f"{c.result}: " if c.result else "") + c.subject
        cells = [c.kind, what, c.before or "—", c.after or "—"]
        lines.append(
            "| " + " | ".join(x.replace("|", "\\|").replace("\n", " ") for x in cells) + " |"
        )
    return lines


def drift_html(run: RunResult) -> str:
    """The "changes since" section as an HTML fragment ("" without a baseline)."""
    section = run.drift
    if section is None:
        return ""
    head = f'<h2>{escape(_title(section))}</h2><p class="muted">Baseline: <code>{escape(section.baseline)}</code></p>'
    if not section.changes:
        return head + "<p>No changes.</p>"
    rows = "".join(
        f"<tr><td>{escape(c.kind)}</td><td>{escape((c.result + ': ') if c.result else '')}"
        f"{escape(c.subject)}</td><td>{escape(c.before) or '—'}</td><td>{escape(c.after) or '—'}</td></tr>"
        for c in section.changes
    )
    return (
        f'<section id="drift">{head}<table><tr><th>kind</th><th>what</th><th>before</th>'
        f"<th>after</th></tr>{rows}</table></section>"
    )


def drift_junit(run: RunResult, props: ET.Element) -> None:
    """The changes as ``<property>`` s of the suite's ``<properties>`` (nothing
    without a baseline)."""
    section = run.drift
    if section is None:
        return
    ET.SubElement(props, "property", {"name": "drift.since", "value": section.since})
    ET.SubElement(props, "property", {"name": "drift.baseline", "value": section.baseline})
    for i, c in enumerate(section.changes):
        text = (f"{c.result}: " if c.result else "") + c.text
        ET.SubElement(props, "property", {"name": f"drift.{i}.{c.kind}", "value": text})
