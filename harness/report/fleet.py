"""The fleet dashboard: one row per counterparty (verdict, defects, soonest expiry,
drift), as ``fleet.json`` (pydantic output model, ``extra="forbid"``),
``fleet.html`` (one self-contained page, rows linking to each counterparty's
report) and ``fleet.md``. Written like the other reports: rendered in memory,
scanned for secrets, then written via a temporary name."""

from __future__ import annotations

import os
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.checks.fleetmodel import FleetResult, FleetRow
from harness.errors import HarnessError
from harness.report.jsondoc import expiry_doc
from harness.report.redaction import check_no_secrets
from harness.report.watch_json import CertExpiryOut

FLEET_SCHEMA_VERSION: Literal["1.0"] = "1.0"

FLEET_FILES = {"json": "fleet.json", "html": "fleet.html", "markdown": "fleet.md"}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FleetRowOut(_Out):
    name: str
    target: str = Field(description="HOST:PORT")
    case: str | None
    profile: str
    verdict: Literal["pass", "fail", "inconclusive"]
    exit_code: int = Field(description="what certify server alone would return")
    defects: list[str] = Field(description="ids of the failed checks")
    soonest_expiry: CertExpiryOut | None = Field(description="the certificate expiring first")
    drift: int | None = Field(description="changes since the baseline (null: no baseline)")
    duration_s: float
    error: str | None
    report: str | None = Field(description="the counterparty's report.json, relative")
    source: str = Field(description="inventory file:line")


class FleetOut(_Out):
    """Top level of fleet.json."""

    schema_version: Literal["1.0"]
    inventory: str
    started: str
    finished: str
    duration_s: float
    summary: dict[str, int] = Field(description="pass / fail / inconclusive counts")
    exit_code: int = Field(description="the worst verdict: 1 fail, 2 inconclusive, 0 pass")
    interrupted: str | None = Field(
        default=None,
        description="the stop signal that ended the run early (SIGINT, SIGTERM, SIGHUP): "
        "counterparties interrupted or not run are inconclusive; null when it ran out",
    )
    counterparties: list[FleetRowOut]


def _soonest(row: FleetRow) -> CertExpiryOut | None:
    e = row.soonest
    if e is None:
        return None
    return CertExpiryOut.model_validate(expiry_doc((e,))[0])


def fleet_model(fleet: FleetResult) -> FleetOut:
    return FleetOut(
        schema_version=FLEET_SCHEMA_VERSION,
        inventory=fleet.inventory,
        started=fleet.started,
        finished=fleet.finished,
        duration_s=fleet.duration_s,
        summary=fleet.counts(),
        exit_code=fleet.exit_code,
        interrupted=fleet.interrupted,
        counterparties=[
            FleetRowOut(
                name=r.name,
                target=r.target,
                case=r.case,
                profile=r.profile,
                verdict=r.verdict,  # type: ignore[arg-type]
                exit_code=r.exit_code,
                defects=list(r.defects),
                soonest_expiry=_soonest(r),
                drift=r.drift,
                duration_s=round(r.duration_s, 3),
                error=r.error,
                report=f"{r.report_dir}/report.json" if r.report_dir else None,
                source=r.source,
            )
            for r in fleet.rows
        ],
    )


def fleet_json_schema() -> dict[str, object]:
    """JSON Schema of fleet.json (checked in as docs/schemas/fleet.schema.json)."""
    schema = FleetOut.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://fixs-harness.invalid/schemas/fleet.schema.json"
    return schema


def render_fleet_json(fleet: FleetResult) -> str:
    return fleet_model(fleet).model_dump_json(indent=2) + "\n"


def _expiry_text(row: FleetRow) -> str:
    e = row.soonest
    if e is None:
        return "—"
    left = f"{e.days_left} d" if e.days_left >= 0 else f"expired {-e.days_left} d ago"
    return f"{e.not_after[:10]} ({left})"


def _drift_text(row: FleetRow) -> str:
    if row.drift is None:
        return "—"
    return "none" if row.drift == 0 else f"{row.drift} change(s)"


def _summary(fleet: FleetResult) -> str:
    c = fleet.counts()
    stopped = (
        f"INTERRUPTED by {fleet.interrupted}: only the counterparties that finished "
        "before it carry a full verdict. "
        if fleet.interrupted
        else ""
    )
    return stopped + (
        f"{len(fleet.rows)} counterparties: {c['pass']} compliant, {c['fail']} non-compliant, "
        f"{c['inconclusive']} inconclusive; {fleet.duration_s:.1f} s; exit {fleet.exit_code}"
    )


def render_fleet_markdown(fleet: FleetResult) -> str:
    lines = [
        "# fixs-harness fleet",
        "",
        f"{_summary(fleet)} (inventory `{fleet.inventory}`, started {fleet.started[:19]}).",
        "",
        "| counterparty | target | case | verdict | defects | soonest expiry | drift | error |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in fleet.rows:
        name = f"[{r.name}]({r.report_dir}/summary.md)" if r.report_dir else r.name
        cells = [
            name, f"`{r.target}`", r.case or "—", r.verdict,
            ", ".join(f"`{d}`" for d in r.defects) or "—", _expiry_text(r), _drift_text(r),
            (r.error or "").replace("|", "\\|").replace("\n", " "),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em;color:#1d232a}
table{border-collapse:collapse}th,td{border:1px solid #ccd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f1f3f6}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
.pass{background:#d6f5d6}.fail{background:#f9d0d0}.inconclusive{background:#fbeec1}.muted{color:#667}
.soon{color:#c62828;font-weight:600}
"""


def render_fleet_html(fleet: FleetResult, horizon_days: int = 30) -> str:
    rows = []
    for r in fleet.rows:
        name = escape(r.name)
        if r.report_dir:
            name = f'<a href="{escape(r.report_dir, quote=True)}/report.html">{name}</a>'
        soon = r.soonest is not None and r.soonest.days_left <= horizon_days
        rows.append(
            f"<tr><td>{name}</td><td><code>{escape(r.target)}</code></td>"
            f'<td>{escape(r.case or "—")}</td><td class="{r.verdict}">{r.verdict}</td>'
            f"<td>{'<br>'.join(f'<code>{escape(d)}</code>' for d in r.defects) or '—'}</td>"
            f'<td class="{"soon" if soon else ""}">{escape(_expiry_text(r))}</td>'
            f"<td>{escape(_drift_text(r))}</td><td>{r.duration_s:.2f} s</td>"
            f'<td class="muted">{escape(r.error or "")}</td></tr>'
        )
    head = (
        "<tr><th>counterparty</th><th>target</th><th>case</th><th>verdict</th><th>defects</th>"
        "<th>soonest expiry</th><th>drift</th><th>time</th><th>error</th></tr>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>fixs-harness fleet {escape(fleet.started[:19])}</title><style>{_CSS}</style>"
        f"</head><body><h1>fixs-harness fleet</h1><p>{escape(_summary(fleet))}</p>"
        f'<p class="muted">Inventory {escape(fleet.inventory)} · started {escape(fleet.started[:19])}</p>'
        f"<table>{head}{''.join(rows)}</table></body></html>\n"
    )


def write_fleet_dashboard(
    fleet: FleetResult,
    directory: Path,
    formats: Iterable[str] = tuple(FLEET_FILES),
    *,
    secrets: Iterable[str] = (),
) -> dict[str, Path]:
    """Write fleet.json / fleet.html / fleet.md (those of ``formats`` that apply)."""
    renderers = {
        "json": render_fleet_json,
        "html": render_fleet_html,
        "markdown": render_fleet_markdown,
    }
    wanted = [f for f in dict.fromkeys(formats) if f in renderers] or ["json"]
    rendered = {f: renderers[f](fleet) for f in wanted}
    check_no_secrets(rendered, list(secrets))
    written: dict[str, Path] = {}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for fmt, text in rendered.items():
            path = directory / FLEET_FILES[fmt]
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            written[fmt] = path
    except OSError as exc:
        raise HarnessError(f"cannot write the fleet dashboard to {directory}: {exc}") from None
    return written
