"""Report parts for watching a counterparty: endpoint facts, certificate expiry and
"changes since <date>" (drift), one small renderer per format.

Each writer makes one call here, so the report redesign and this section stay
apart: :func:`drift_markdown`, :func:`drift_html`, :func:`drift_junit`; the JSON
output models (:class:`DriftOut`, :class:`EndpointOut`, :class:`CertExpiryOut`) are
in :mod:`harness.report.watch_json` (pydantic: part of the schema) and are still found
here by name; the JSON documents are built by :mod:`harness.report.jsondoc`. All fields are optional in
report.json (schema 1.2).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape
from typing import Any

from harness.checks.model import RunResult
from harness.checks.watch import DriftSection

_MOVED = (
    "PreferenceOut",
    "EndpointOut",
    "CertExpiryOut",
    "ChangeOut",
    "DriftOut",
)


def __getattr__(name: str) -> Any:
    """The JSON output models, moved to :mod:`harness.report.watch_json` (PEP 562)."""
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from harness.report import watch_json

    return getattr(watch_json, name)


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
