"""report.json as written: plain dictionaries in the output model's field order,
serialised by the standard library.

The pydantic output model (:mod:`harness.report.jsonout`) stays the schema's one
source: docs/schemas/report.schema.json is generated from it, and
tests/report/test_jsondoc.py holds this writer to it (every document it writes
validates against the model with ``extra="forbid"`` and equals the model's own dump,
key order included). Writing it this way keeps pydantic out of every command that
writes a JSON report: importing it was about a fifth of a whole ``certify server``
process.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import PurePath
from typing import Any, Literal

from harness.checks.model import (
    CertificateInfo,
    CheckResult,
    CipherInfo,
    Negotiated,
    RunResult,
    ScenarioResult,
    Verdict,
)
from harness.checks.watch import CertExpiry, DriftSection, EndpointFacts
from harness.report.summary import card_lines, check_counts, defects, scope_of

SCHEMA_VERSION: Literal["1.2"] = "1.2"

#: The declared fields of a FIX transcript entry; any other key is kept after them.
_TRANSCRIPT_FIELDS = ("time", "direction", "msg_type", "text", "msg_name", "seq")

Doc = dict[str, Any]


def result_verdict(v: Verdict) -> Literal["pass", "fail", "inconclusive"]:
    """A scenario or a run folds to pass, fail or inconclusive only (checks.combine)."""
    if v is Verdict.PASS:
        return "pass"
    if v is Verdict.FAIL:
        return "fail"
    if v is Verdict.INCONCLUSIVE:
        return "inconclusive"
    raise ValueError(f"not a result verdict: {v}")


def _cipher(c: CipherInfo | None) -> Doc | None:
    return None if c is None else {"code": c.hex, "iana": c.iana, "openssl": c.openssl}


def _negotiated(n: Negotiated | None) -> Doc | None:
    if n is None:
        return None
    return {
        "version": n.version,
        "cipher": _cipher(n.cipher),
        "key_exchange": n.key_exchange,
        "psk_identity": n.psk_identity,
        "resumed": n.resumed,
        "client_certificate_requested": n.client_certificate_requested,
    }


def _check(c: CheckResult) -> Doc:
    return {
        "id": c.id,
        "title": c.title,
        "guide_section": c.guide_section,
        "verdict": c.verdict.value,
        "expected": c.expected,
        "observed": c.observed,
        "reason": c.reason,
        "rule": c.rule,
        "consequence_of": c.consequence_of,
        "evidence": list(c.evidence),
        "quote": c.quote,
        "quote_source": c.quote_source,
        "remedy": c.remedy,
    }


def _cert(c: CertificateInfo) -> Doc:
    return {
        "side": c.side,
        "depth": c.depth,
        "subject": c.subject,
        "issuer": c.issuer,
        "serial": c.serial,
        "not_before": c.not_before,
        "not_after": c.not_after,
        "key_type": c.key_type,
        "key_bits": c.key_bits,
        "sha256": c.sha256,
        "san": list(c.san),
    }


def _transcript_entry(e: dict[str, Any]) -> Doc:
    seq = e.get("seq")
    out: Doc = {
        "time": float(e["time"]),
        "direction": str(e["direction"]),
        "msg_type": str(e["msg_type"]),
        "text": str(e["text"]),
        "msg_name": e.get("msg_name"),
        "seq": None if seq is None else int(seq),
    }
    out.update((k, v) for k, v in e.items() if k not in _TRANSCRIPT_FIELDS)
    return out


def endpoint_doc(facts: EndpointFacts | None) -> Doc | None:
    if facts is None:
        return None
    return {
        "versions": list(facts.versions),
        "suites": {v: list(codes) for v, codes in facts.suites},
        "preference": {
            v: {"server_order": o.server_order, "order": list(o.order)} for v, o in facts.preference
        },
    }


def expiry_doc(expiry: tuple[CertExpiry, ...]) -> list[Doc]:
    return [
        {
            "source": e.source,
            "depth": e.depth,
            "subject": e.subject,
            "sha256": e.sha256,
            "not_after": e.not_after,
            "days_left": e.days_left,
        }
        for e in expiry
    ]


def drift_doc(section: DriftSection | None) -> Doc | None:
    if section is None:
        return None
    return {
        "since": section.since,
        "baseline": section.baseline,
        "changes": [
            {
                "kind": c.kind,
                "subject": c.subject,
                "before": c.before,
                "after": c.after,
                "text": c.text,
                "result": c.result,
            }
            for c in section.changes
        ],
    }


def _selftest(r: ScenarioResult) -> Doc | None:
    t = r.selftest
    if t is None:
        return None
    return {
        "must_fail": list(t.must_fail),
        "held": t.held,
        "expected_failed": list(t.expected_failed),
        "missing": [f"{i} ({seen})" for i, seen in t.missing],
        "unexpected": list(t.unexpected),
        "unknown": list(t.unknown),
        "summary": t.summary(),
    }


def _result(r: ScenarioResult) -> Doc:
    return {
        "scenario_id": r.scenario_id,
        "title": r.title,
        "guide_section": r.guide_section,
        "profile": r.profile,
        "source": {"path": r.source.path, "line": r.source.line},
        "backend_pair": r.backend_pair,
        "client_backend": r.client_backend,
        "server_backend": r.server_backend,
        "verdict": result_verdict(r.verdict),
        "duration_s": round(r.duration_s, 3),
        "error": r.error,
        "negotiated": _negotiated(r.negotiated),
        "checks": [_check(c) for c in r.checks],
        "certificates": [_cert(c) for c in r.certificates],
        "handshake": r.handshake,
        "fix_transcript": [_transcript_entry(e) for e in r.fix_transcript],
        "artifacts": dict(r.artifacts),
        "notes": [{"id": n.id, "title": n.title, "text": n.text} for n in r.notes],
        "selftest": _selftest(r),
        "endpoint": endpoint_doc(r.endpoint),
        "expiry": expiry_doc(r.expiry),
    }


def _check_counts(run: RunResult) -> Doc:
    n = check_counts(run)
    return {
        "total": sum(n.values()),
        "passed": n[Verdict.PASS],
        "failed": n[Verdict.FAIL],
        "inconclusive": n[Verdict.INCONCLUSIVE],
        "warn": n[Verdict.WARN],
        "not_applicable": n[Verdict.NOT_APPLICABLE],
        "not_reached": n[Verdict.NOT_REACHED],
    }


def _defects(run: RunResult) -> list[Doc]:
    return [
        {
            "scenario_id": d.result.scenario_id,
            "backend_pair": d.result.backend_pair,
            "check_id": d.check.id,
            "verdict": "warn" if d.check.verdict is Verdict.WARN else "fail",
            "card": "\n".join(card_lines(d)),
        }
        for d in defects(run, (Verdict.FAIL, Verdict.WARN))
    ]


def report_document(run: RunResult) -> Doc:
    """report.json's document for ``run`` (what :func:`render_json` serialises)."""
    counts = run.tally()
    scope = scope_of(run)
    return {
        "schema_version": SCHEMA_VERSION,
        "harness_version": run.harness_version,
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat(),
        "duration_s": round(run.duration_s, 3),
        "host": {
            "python": run.host.python,
            "openssl": run.host.openssl,
            "stunnel": run.host.stunnel,
            "platform": run.host.platform,
        },
        "summary": {
            "total": len(run.results),
            "passed": counts["pass"],
            "failed": counts["fail"],
            "inconclusive": counts["inconclusive"],
            "errors": counts["error"],
            "verdict": result_verdict(run.verdict),
            "checks": _check_counts(run),
        },
        "scope": {
            "use_case": scope.use_case,
            "profile": scope.profile,
            "target_label": "endpoint" if scope.target_label == "endpoint" else "backend pair(s)",
            "target": scope.target,
            "date": scope.date,
            "versions": scope.versions,
        },
        "defects": _defects(run),
        "backend_pairs": list(run.backend_pairs),
        "results": [_result(r) for r in run.results],
        "interrupted": run.interrupted,
        "drift": drift_doc(run.drift),
    }


def _plain(value: object) -> object:
    """What the standard library cannot serialise, as pydantic would write it."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"not JSON serialisable in report.json: {type(value).__name__}")


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinity replaced by None (JSON has neither; pydantic
    writes null for them too)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _dumps(doc: Doc) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, default=_plain, allow_nan=False)


def render_json(run: RunResult) -> str:
    doc = report_document(run)
    try:
        text = _dumps(doc)
    except ValueError:  # a NaN or infinity somewhere: never written as invalid JSON
        text = _dumps(_finite(doc))
    return text + "\n"


__all__ = [
    "SCHEMA_VERSION",
    "drift_doc",
    "endpoint_doc",
    "expiry_doc",
    "render_json",
    "report_document",
    "result_verdict",
]
