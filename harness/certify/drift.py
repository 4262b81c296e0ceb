"""Drift: what changed between two reports of the same counterparty (or run).

Theory of operation
-------------------
Both sides of a comparison are first reduced to a :class:`Snapshot`: per result
(``scenario_id`` on ``backend_pair``) the verdict, the negotiated parameters, the
served certificate chain, each check's verdict and observation, the notes, and —
for ``certify server`` — the endpoint facts (versions, suites per version,
preference order). A snapshot is made either from a saved ``report.json``
document (:func:`snapshot_of_document`, any schema 1.x; fields a report lacks are
simply not compared) or from a result object in memory
(:func:`snapshot_of_run`), so ``certify --baseline`` and ``fixs-harness diff``
compare exactly the same things. :func:`compare` is then a pure function of two
snapshots returning a :class:`~harness.checks.watch.DriftSection`.

Results are matched by ``(scenario_id, backend_pair)``; what is left unmatched is
matched by ``scenario_id`` alone when that is unambiguous on both sides (the same
counterparty re-certified on another port), and the move is reported as a change.

What counts as a change: verdict; versions and suites added or removed;
preference order; any field of a served certificate (fingerprint, subject,
issuer, key, SANs, validity); client-certificate behaviour (the ``auth.client-
certificate.*`` checks' verdicts and observations: which alert, whether a
CertificateRequest was sent); PSK behaviour; FIX Logon behaviour (``fix.*``);
negotiated version and suite (scenario runs); any other check's verdict; results
and checks that appeared or disappeared. Expiry *days left* are not compared
(they change every day); the certificate's ``not_after`` is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.checks.model import RunResult, ScenarioResult
from harness.checks.watch import Change, DriftSection, EndpointFacts
from harness.errors import HarnessError

#: Certificate fields compared, in report order, with the label a change shows.
CERT_FIELDS: tuple[tuple[str, str], ...] = (
    ("sha256", "fingerprint"),
    ("subject", "subject"),
    ("issuer", "issuer"),
    ("key", "key"),
    ("san", "SANs"),
    ("not_after", "expiry"),
    ("not_before", "not before"),
)


@dataclass(frozen=True)
class ResultSnapshot:
    """The comparable facts of one result (plain strings, so JSON and objects agree)."""

    scenario_id: str
    backend_pair: str
    verdict: str
    negotiated: tuple[str, str] = ("", "")  # (version, cipher code)
    certificates: tuple[dict[str, str], ...] = ()  # server chain, leaf first
    checks: dict[str, tuple[str, str]] = field(default_factory=dict)  # id → (verdict, observed)
    notes: dict[str, str] = field(default_factory=dict)
    versions: tuple[str, ...] | None = None  # None: no endpoint facts in this report
    suites: dict[str, tuple[str, ...]] = field(default_factory=dict)
    preference: dict[str, str] = field(default_factory=dict)  # version → "server: a, b" text

    @property
    def key(self) -> str:
        return f"{self.scenario_id}@{self.backend_pair}"


@dataclass(frozen=True)
class Snapshot:
    """A whole report, reduced for comparison."""

    started: str
    results: tuple[ResultSnapshot, ...]


class ReportFileError(HarnessError):
    """A file given as a report is not one (names the file, and the line when JSON
    parsing failed)."""


# -- making snapshots ---------------------------------------------------------


def _order_text(server_order: object, order: Iterable[str]) -> str:
    codes = ", ".join(order)
    if server_order is True:
        return f"server order: {codes}"
    if server_order is False:
        return "client order (the server follows the client's list)"
    return "not determined"


def _endpoint_parts(
    facts: EndpointFacts | None,
) -> tuple[tuple[str, ...] | None, dict[str, tuple[str, ...]], dict[str, str]]:
    if facts is None:
        return None, {}, {}
    return (
        tuple(facts.versions),
        {v: tuple(codes) for v, codes in facts.suites},
        {v: _order_text(o.server_order, o.order) for v, o in facts.preference},
    )


def _result_of_object(r: ScenarioResult) -> ResultSnapshot:
    n = r.negotiated
    versions, suites, preference = _endpoint_parts(r.endpoint)
    return ResultSnapshot(
        scenario_id=r.scenario_id,
        backend_pair=r.backend_pair,
        verdict=r.verdict.value,
        negotiated=(
            (n.version or "", n.cipher.hex if n.cipher else "") if n is not None else ("", "")
        ),
        certificates=tuple(
            {
                "sha256": c.sha256,
                "subject": c.subject,
                "issuer": c.issuer,
                "key": f"{c.key_type} {c.key_bits}",
                "san": ", ".join(c.san),
                "not_after": c.not_after,
                "not_before": c.not_before,
            }
            for c in sorted(r.certificates, key=lambda c: c.depth)
            if c.side == "server"
        ),
        checks={c.id: (c.verdict.value, c.observed) for c in r.checks},
        notes={n.id: n.text for n in r.notes},
        versions=versions,
        suites=suites,
        preference=preference,
    )


def snapshot_of_run(run: RunResult) -> Snapshot:
    """A result object in memory, reduced for comparison."""
    return Snapshot(run.started.isoformat(), tuple(_result_of_object(r) for r in run.results))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _result_of_document(r: Mapping[str, Any]) -> ResultSnapshot:
    neg = r.get("negotiated") or {}
    cipher = neg.get("cipher") or {}
    endpoint = r.get("endpoint")
    versions: tuple[str, ...] | None = None
    suites: dict[str, tuple[str, ...]] = {}
    preference: dict[str, str] = {}
    if isinstance(endpoint, Mapping):
        versions = tuple(endpoint.get("versions") or ())
        suites = {v: tuple(c) for v, c in (endpoint.get("suites") or {}).items()}
        preference = {
            v: _order_text(p.get("server_order"), p.get("order") or ())
            for v, p in (endpoint.get("preference") or {}).items()
        }
    certs = sorted(
        (c for c in r.get("certificates") or () if c.get("side") == "server"),
        key=lambda c: int(c.get("depth") or 0),
    )
    return ResultSnapshot(
        scenario_id=_text(r.get("scenario_id")),
        backend_pair=_text(r.get("backend_pair")),
        verdict=_text(r.get("verdict")),
        negotiated=(_text(neg.get("version")), _text(cipher.get("code"))),
        certificates=tuple(
            {
                "sha256": _text(c.get("sha256")),
                "subject": _text(c.get("subject")),
                "issuer": _text(c.get("issuer")),
                "key": f"{_text(c.get('key_type'))} {_text(c.get('key_bits'))}",
                "san": ", ".join(c.get("san") or ()),
                "not_after": _text(c.get("not_after")),
                "not_before": _text(c.get("not_before")),
            }
            for c in certs
        ),
        checks={
            _text(c.get("id")): (_text(c.get("verdict")), _text(c.get("observed")))
            for c in r.get("checks") or ()
        },
        notes={_text(n.get("id")): _text(n.get("text")) for n in r.get("notes") or ()},
        versions=versions,
        suites=suites,
        preference=preference,
    )


def snapshot_of_document(doc: Mapping[str, Any], *, name: str = "report") -> Snapshot:
    """A parsed ``report.json`` (``run`` or ``certify``), reduced for comparison.

    Raises:
        ReportFileError: not a fixs-harness report (no ``schema_version`` 1.x or no
            ``results`` list).
    """
    version = str(doc.get("schema_version", "")) if isinstance(doc, Mapping) else ""
    if not version.startswith("1."):
        raise ReportFileError(f"{name}: not a fixs-harness report.json (schema_version 1.x)")
    results = doc.get("results")
    if not isinstance(results, list) or not all(isinstance(r, Mapping) for r in results):
        raise ReportFileError(f"{name}: 'results' is not a list of results")
    snapshots = []
    for i, r in enumerate(results):
        try:
            snapshots.append(_result_of_document(r))
        except (AttributeError, TypeError, ValueError) as exc:
            raise ReportFileError(f"{name}: results[{i}] is malformed ({exc})") from None
    return Snapshot(_text(doc.get("started")), tuple(snapshots))


def load_report(path: Path) -> Snapshot:
    """Read and reduce a saved report.json; every problem is a :class:`ReportFileError`
    naming the file (and line/column for a JSON syntax error)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportFileError(f"{path}: cannot read report: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFileError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise ReportFileError(f"{path}:1: not a fixs-harness report.json (not an object)")
    return snapshot_of_document(doc, name=str(path))


# -- comparing ----------------------------------------------------------------


def _suite_label(code: str) -> str:
    """A snapshot's suite code (``0xC030``) with its IANA name; the text as is when it
    is not a code."""
    from harness.tls.registry import parse_code, suite_label

    try:
        return suite_label(parse_code(code))
    except ValueError:
        return code


def _match(
    before: tuple[ResultSnapshot, ...], after: tuple[ResultSnapshot, ...]
) -> tuple[list[tuple[ResultSnapshot, ResultSnapshot]], list[ResultSnapshot], list[ResultSnapshot]]:
    b_by_key = {r.key: r for r in before}
    a_by_key = {r.key: r for r in after}
    pairs = [(b_by_key[k], a_by_key[k]) for k in a_by_key if k in b_by_key]
    gone = [r for k, r in b_by_key.items() if k not in a_by_key]
    new = [r for k, r in a_by_key.items() if k not in b_by_key]
    # the same scenario on another pair (a counterparty re-certified on another port)
    for r in list(new):
        same_b = [g for g in gone if g.scenario_id == r.scenario_id]
        same_a = [n for n in new if n.scenario_id == r.scenario_id]
        if len(same_b) == 1 and len(same_a) == 1:
            pairs.append((same_b[0], r))
            gone.remove(same_b[0])
            new.remove(r)
    return pairs, gone, new


def _check_kind(check_id: str) -> str:
    if check_id.startswith("auth.client-certificate"):
        return "client-auth"
    if check_id.startswith("auth.psk"):
        return "psk"
    if check_id.startswith("fix."):
        return "fix-logon"
    return "check"


class _Diff:
    def __init__(self, label: str) -> None:
        self.label = label
        self.changes: list[Change] = []

    def add(self, kind: str, subject: str, before: str, after: str, text: str) -> None:
        self.changes.append(Change(kind, subject, before, after, text, self.label))

    def results(self, b: ResultSnapshot, a: ResultSnapshot) -> None:
        if b.backend_pair != a.backend_pair:
            self.add("result", "target", b.backend_pair, a.backend_pair,
                     f"{b.scenario_id} now on {a.backend_pair} (was {b.backend_pair})")  # fmt: skip
        if b.verdict != a.verdict:
            self.add("verdict", "verdict", b.verdict, a.verdict,
                     f"verdict changed: {b.verdict} → {a.verdict}")  # fmt: skip
        self.endpoint(b, a)
        self.certificates(b, a)
        self.negotiated(b, a)
        self.checks(b, a)

    def endpoint(self, b: ResultSnapshot, a: ResultSnapshot) -> None:
        if b.versions is None or a.versions is None:
            return
        for v in a.versions:
            if v not in b.versions:
                self.add("version", v, "refused", "accepted", f"version {v} now accepted")
        for v in b.versions:
            if v not in a.versions:
                self.add("version", v, "accepted", "refused", f"version {v} no longer accepted")
        for v in dict.fromkeys([*b.suites, *a.suites]):
            old, new = b.suites.get(v, ()), a.suites.get(v, ())
            for code in new:
                if code not in old:
                    label = _suite_label(code)
                    self.add("suite", f"{v} {code}", "", label, f"{v}: suite added {label}")
            for code in old:
                if code not in new:
                    label = _suite_label(code)
                    self.add("suite", f"{v} {code}", label, "", f"{v}: suite removed {label}")
        for v in dict.fromkeys([*b.preference, *a.preference]):
            old_p, new_p = b.preference.get(v), a.preference.get(v)
            if old_p is not None and new_p is not None and old_p != new_p:
                self.add("preference", v, old_p, new_p,
                         f"{v}: preference changed: {old_p} → {new_p}")  # fmt: skip

    def certificates(self, b: ResultSnapshot, a: ResultSnapshot) -> None:
        for depth in range(max(len(b.certificates), len(a.certificates))):
            where = "leaf" if depth == 0 else f"chain depth {depth}"
            old = b.certificates[depth] if depth < len(b.certificates) else None
            new = a.certificates[depth] if depth < len(a.certificates) else None
            if old is None and new is not None:
                self.add("certificate", f"server certificate {where}", "", new["subject"],
                         f"server certificate {where} added: {new['subject']}")  # fmt: skip
                continue
            if new is None and old is not None:
                self.add("certificate", f"server certificate {where}", old["subject"], "",
                         f"server certificate {where} no longer sent: {old['subject']}")  # fmt: skip
                continue
            assert old is not None and new is not None
            for key, label in CERT_FIELDS:
                if old.get(key, "") != new.get(key, ""):
                    self.add("certificate", f"server certificate {where} {label}",
                             old.get(key, ""), new.get(key, ""),
                             f"server certificate {where}: {label} changed: "
                             f"{old.get(key, '') or '(none)'} → {new.get(key, '') or '(none)'}")  # fmt: skip

    def negotiated(self, b: ResultSnapshot, a: ResultSnapshot) -> None:
        for i, what in enumerate(("version", "suite")):
            old, new = b.negotiated[i], a.negotiated[i]
            if old and new and old != new:
                self.add("negotiated", what, old, new,
                         f"negotiated {what} changed: {old} → {new}")  # fmt: skip

    def checks(self, b: ResultSnapshot, a: ResultSnapshot) -> None:
        for cid in dict.fromkeys([*b.checks, *a.checks]):
            kind = _check_kind(cid)
            old, new = b.checks.get(cid), a.checks.get(cid)
            if old is None and new is not None:
                self.add(kind, cid, "", new[0], f"check {cid} new: {new[0]} ({new[1]})")
            elif new is None and old is not None:
                self.add(kind, cid, old[0], "", f"check {cid} no longer run (was {old[0]})")
            elif old is not None and new is not None:
                behaviour = kind != "check"  # for behaviour checks the observation matters
                if old[0] != new[0] or (behaviour and old[1] != new[1]):
                    text = f"{cid}: {old[0]} → {new[0]}"
                    if old[1] != new[1]:
                        text += f" (observed {old[1]!r} → {new[1]!r})"
                    self.add(kind, cid, f"{old[0]}: {old[1]}", f"{new[0]}: {new[1]}", text)
        for nid in ("auth.client-certificate.requested",):
            old_n, new_n = b.notes.get(nid), a.notes.get(nid)
            if old_n is not None and new_n is not None and old_n != new_n:
                self.add("client-auth", nid, old_n, new_n, f"{nid}: {old_n} → {new_n}")


def compare(before: Snapshot, after: Snapshot, *, baseline: str = "") -> DriftSection:
    """Every change from ``before`` (the baseline) to ``after``; pure."""
    pairs, gone, new = _match(before.results, after.results)
    single = len(before.results) == 1 and len(after.results) == 1
    changes: list[Change] = []
    for b, a in pairs:
        diff = _Diff("" if single else a.key)
        diff.results(b, a)
        changes += diff.changes
    for r in gone:
        changes.append(Change("result", r.key, r.verdict, "", f"result {r.key} gone", r.key))
    for r in new:
        changes.append(Change("result", r.key, "", r.verdict, f"result {r.key} new", r.key))
    return DriftSection(since=before.started, baseline=baseline, changes=tuple(changes))


def drift_lines(section: DriftSection) -> list[str]:
    """Plain-text lines (the ``diff`` command's output and the Markdown list)."""
    if not section.changes:
        return [f"no changes since {section.since}"]
    return [
        f"[{c.kind}] " + (f"{c.result}: " if c.result else "") + c.text for c in section.changes
    ]
