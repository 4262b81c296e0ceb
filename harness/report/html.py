"""One self-contained HTML page: inline CSS and SVG, no script, no external resource.

Layout, defects first (a compliance officer signs the top, an engineer debugs the
rest):

1. the headline: verdict, the counts of *checks* by verdict, and the scope (use
   case, profile, endpoint or backend pairs, date, versions);
2. one card per failed check: what failed, expected vs observed, the evidence, the
   guide or FIXS text it breaks (quoted, with section) and the stunnel.conf fix;
   then warnings, then what could not be checked, each with its reason;
3. the matrix (scenario × backend pair), each cell a verdict and one short reason;
4. per result: the checks table, the handshake ladder with the FIX conversation
   under it (where a session stopped shows), the negotiated parameters,
   certificates, artifacts; notes and loopback rewrites collapsed in ``<details>``.

Every statement of a fact about one result (a negotiated parameter, a note, a
check's row) carries ``data-fact``; a fact is stated once per result (a note that
covers a negotiated parameter replaces its row, see
:data:`harness.report.summary.NOTE_FACTS`), which tests check on every shipped
scenario and on certify runs.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from harness.checks.model import CheckResult, RunResult, ScenarioResult, Verdict
from harness.report.summary import (
    NOTE_FACTS,
    Defect,
    cell_reason,
    counts_text,
    defects,
    grouped,
    scope_of,
    where,
)
from harness.report.watch import drift_html

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#1d232a}
h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin-top:2em;border-top:1px solid #ccd;padding-top:1em}
h3{font-size:1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;margin:.4em 0;max-width:100%}th,td{border:1px solid #ccd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f1f3f6}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
td code{overflow-wrap:anywhere}
pre{background:#f6f8fa;padding:.5em;overflow-x:auto;white-space:pre-wrap}
.pass{background:#d6f5d6}.fail{background:#f9d0d0}.inconclusive{background:#fbeec1}
.warn{background:#ffe8c2}.not-applicable,.not-reached{background:#eceff3;color:#556}
td.pass,td.fail,td.inconclusive{font-weight:600}
.matrix td a{color:inherit;text-decoration:none;display:block}
.matrix .why{display:block;font-weight:400;font-size:.85em;color:#333}
.badge{display:inline-block;padding:.05em .5em;border-radius:.6em;font-weight:600}
.headline{border:1px solid #ccd;padding:.6em 1em;margin:.6em 0}
.headline .verdict{font-size:1.35em;font-weight:700;padding:.1em .6em;border-radius:.3em}
.scope th{width:11em}
.muted{color:#667}.note{border-left:4px solid #e0a800;background:#fff8e1;padding:.4em .7em;margin:.5em 0}
.card{border:1px solid #e3a3a3;border-left:6px solid #c62828;background:#fff;padding:.5em .9em;margin:.7em 0;break-inside:avoid}
.card.warn{border-color:#e8c48a;border-left-color:#e08a00}
.card h3{margin:.1em 0 .4em}.card dl{margin:0;display:grid;grid-template-columns:8em 1fr;gap:.2em .8em}
.card dt{color:#556;font-weight:600}.card dd{margin:0}
blockquote{margin:0;padding:.2em .7em;border-left:3px solid #99a;color:#333;font-style:italic}
.fix code{background:#eef6ee;padding:.05em .3em}
details{margin:.5em 0}summary{cursor:pointer;color:#345;font-weight:600}
.err{border-left:4px solid #c62828;background:#fdecea;padding:.4em .7em}
svg text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}h2{break-after:avoid}svg{max-width:100%;height:auto}}
"""


def _slug(result: ScenarioResult, index: int) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{result.scenario_id}-{result.backend_pair}")
    return f"r{index}-{base.strip('-')}"


def _badge(v: Verdict) -> str:
    return f'<span class="badge {v.value}">{v.value}</span>'


def ladder_svg(handshake: dict[str, Any] | None, key: str) -> str:
    """A client/server ladder of the handshake messages as inline SVG.

    Each message is an arrow from its sender to the other side, labelled with its
    type and the time since the first message. Alerts are drawn in red. Messages
    encrypted under TLS 1.3 appear as the dissector names them.
    """
    messages = list((handshake or {}).get("messages") or [])
    if not messages:
        return '<p class="muted">No handshake messages were captured.</p>'
    left, right, width = 110, 470, 580
    step, top = 30, 46
    height = top + step * len(messages) + 20
    t0 = float(messages[0].get("time", 0.0) or 0.0)
    marker = f"arrow-{key}"
    marker_red = f"arrow-red-{key}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="handshake ladder">',
        "<defs>",
        f'<marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#345"/></marker>',
        f'<marker id="{marker_red}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#c62828"/></marker>',
        "</defs>",
        f'<text x="{left}" y="18" text-anchor="middle" font-weight="bold">client</text>',
        f'<text x="{right}" y="18" text-anchor="middle" font-weight="bold">server</text>',
        f'<line x1="{left}" y1="26" x2="{left}" y2="{height - 6}" stroke="#99a" stroke-dasharray="4 3"/>',
        f'<line x1="{right}" y1="26" x2="{right}" y2="{height - 6}" stroke="#99a" stroke-dasharray="4 3"/>',
    ]
    for i, m in enumerate(messages):
        y = top + step * i
        sender = str(m.get("sender", "client"))
        kind = str(m.get("type", "?"))
        x1, x2 = (left, right) if sender == "client" else (right, left)
        alert = "alert" in kind.lower()
        colour = "#c62828" if alert else "#345"
        t = float(m.get("time", t0) or t0) - t0
        # Dashed: seen only as ciphertext (TLS 1.3 after ServerHello, without a key log).
        dash = ' stroke-dasharray="6 3"' if m.get("encrypted") and not m.get("decrypted") else ""
        parts.append(
            f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" stroke-width="1.6"{dash} '
            f'marker-end="url(#{marker_red if alert else marker})"/>'
        )
        parts.append(
            f'<text x="{(left + right) // 2}" y="{y - 5}" text-anchor="middle" fill="{colour}">'
            f"{escape(kind)}</text>"
        )
        parts.append(
            f'<text x="{width - 4}" y="{y + 4}" text-anchor="end" fill="#778">+{t * 1000:.1f} ms</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _kv_table(rows: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f'<tr data-fact="{fact}"><th>{escape(k)}</th><td>{v}</td></tr>' for fact, k, v in rows
    )
    return f"<table>{body}</table>"


def _negotiated(result: ScenarioResult) -> str:
    n = result.negotiated
    if n is None:
        return ""  # no completed handshake: the ladder shows where it stopped
    stated_by_notes = {NOTE_FACTS[note.id] for note in result.notes if note.id in NOTE_FACTS}
    cipher = "—"
    if n.cipher is not None:
        names = " / ".join(escape(x) for x in (n.cipher.iana, n.cipher.openssl) if x)
        cipher = f"<code>{escape(n.cipher.hex)}</code> {names}"
    rows = [
        ("version", "TLS version", escape(n.version or "—")),
        ("cipher", "cipher suite", cipher),
    ]
    if n.key_exchange:
        rows.append(("key-exchange", "key exchange", escape(n.key_exchange)))
    if n.psk_identity is not None:
        rows.append(("psk-identity", "PSK identity", escape(n.psk_identity)))
    if n.client_certificate_requested is not None:
        rows.append(
            (
                "client-certificate-requested",
                "client certificate requested",
                "yes" if n.client_certificate_requested else "no",
            )
        )
    if n.resumed is not None:
        rows.append(("resumed", "session resumed", "yes" if n.resumed else "no"))
    return _kv_table([r for r in rows if r[0] not in stated_by_notes])


def _check_row(c: CheckResult, expected: frozenset[str] = frozenset()) -> str:
    observed = escape(c.observed)
    if c.reason:
        observed += f'<br><span class="muted">{escape(c.reason)}</span>'
    if c.consequence_of:
        observed += f'<br><span class="muted">because {escape(c.consequence_of)} failed</span>'
    mark = " (expected: self-test)" if c.id in expected and c.verdict.value == "fail" else ""
    return (
        f'<tr class="{c.verdict.value}" data-fact="check:{escape(c.id, quote=True)}">'
        f"<td><code>{escape(c.id)}</code><br>"
        f'<span class="muted">{escape(c.title)}</span></td>'
        f"<td>{escape(c.guide_section or '')}</td><td>{escape(c.expected)}</td>"
        f"<td>{observed}</td><td>{c.verdict.value}{mark}</td></tr>"
    )


def _checks(result: ScenarioResult) -> str:
    if not result.checks:
        return '<p class="muted">No checks ran.</p>'
    head = (
        "<tr><th>check</th><th>guide §</th><th>expected</th><th>observed</th><th>verdict</th></tr>"
    )
    expected = frozenset(result.selftest.expected_failed if result.selftest else ())
    return f"<table>{head}{''.join(_check_row(c, expected) for c in result.checks)}</table>"


def _certificates(result: ScenarioResult) -> str:
    if not result.certificates:
        return ""
    head = "<tr><th>side</th><th>subject</th><th>issuer</th><th>key</th><th>valid</th><th>SAN</th><th>SHA-256</th></tr>"
    rows = "".join(
        f"<tr><td>{c.side} (depth {c.depth})</td><td>{escape(c.subject)}</td><td>{escape(c.issuer)}</td>"
        f"<td>{escape(c.key_type)} {c.key_bits}</td><td>{escape(c.not_before)} → {escape(c.not_after)}</td>"
        f"<td>{escape(', '.join(c.san))}</td><td><code>{escape(c.sha256[:23])}…</code></td></tr>"
        for c in result.certificates
    )
    return f"<h3>Certificates</h3><table>{head}{rows}</table>"


_DIRECTIONS = {"out": "initiator → acceptor", "in": "acceptor → initiator"}


def _conversation(result: ScenarioResult) -> str:
    """The FIX messages of the session, on the ladder's clock, and where it stopped."""
    entries = list(result.fix_transcript)
    if not entries:
        if result.handshake is None or result.backend_pair.startswith("certify-"):
            return ""
        return (
            "<h3>FIX conversation</h3>"
            '<p class="muted">No FIX message was exchanged: the session stopped before '
            "the initiator's Logon.</p>"
        )
    messages = list((result.handshake or {}).get("messages") or [])
    times = [float(e.get("time", 0.0)) for e in entries]
    # on the ladder's clock when the handshake was captured with wall-clock times
    t0 = float(messages[0].get("time", 0.0) or 0.0) if messages else 0.0
    if not t0 or abs(times[0] - t0) > 3600:
        t0 = min(times)
    rows = []
    for e, t in zip(entries, times, strict=True):
        direction = str(e.get("direction", ""))
        name = str(e.get("msg_name") or e.get("msg_type", ""))
        rows.append(
            f"<tr><td>+{(t - t0) * 1000:.1f} ms</td>"
            f"<td>{escape(_DIRECTIONS.get(direction, direction))}</td>"
            f"<td>{escape(name)}</td><td><code>{escape(str(e.get('text', '')))}</code></td></tr>"
        )
    last = entries[-1]
    if str(last.get("msg_type")) != "5":
        rows.append(
            '<tr><td colspan="4" class="muted">the conversation stopped here, without a '
            f"Logout (last message: {escape(str(last.get('msg_name') or last.get('msg_type')))})"
            "</td></tr>"
        )
    head = (
        "<tr><th>time</th><th>direction</th><th>message</th>"
        "<th>as sent (554, 95/96 redacted)</th></tr>"
    )
    return f"<h3>FIX conversation</h3><table>{head}{''.join(rows)}</table>"


def _artifacts(result: ScenarioResult) -> str:
    if not result.artifacts:
        return ""
    links = " · ".join(
        f'<a href="{escape(path, quote=True)}">{escape(name)}</a>'
        for name, path in result.artifacts.items()
    )
    return f"<p>Artifacts: {links}</p>"


def _notes(result: ScenarioResult) -> str:
    rewrites = [n for n in result.notes if n.id == "rewrite"]
    others = [n for n in result.notes if n.id != "rewrite"]
    parts = []
    if others:
        items = "".join(
            f'<div class="note" data-fact="{escape(NOTE_FACTS.get(n.id, "note:" + n.id), quote=True)}">'
            f"<strong>{escape(n.title)}</strong><br>{escape(n.text)}</div>"
            for n in others
        )
        parts.append(f"<details><summary>Notes ({len(others)})</summary>{items}</details>")
    if rewrites:
        items = "".join(f"<li>{escape(n.text)}</li>" for n in rewrites)
        parts.append(
            f"<details><summary>Rewritten for loopback ({len(rewrites)})</summary>"
            f"<ul>{items}</ul></details>"
        )
    return "".join(parts)


def _details(result: ScenarioResult, key: str) -> str:
    parts = [
        f'<section id="{key}"><h2>{escape(result.scenario_id)} on <code>{escape(result.backend_pair)}</code> '
        f"{_badge(result.verdict)}</h2>",
        f"<p>{escape(result.title)}",
        f" — guide §{escape(result.guide_section)}" if result.guide_section else "",
        f" — profile <code>{escape(result.profile)}</code>" if result.profile else "",
        f'<br><span class="muted">{escape(str(result.source))} · {result.duration_s:.2f} s</span></p>',
    ]
    if result.error:
        parts.append(f'<p class="err">Harness error: {escape(result.error)}</p>')
    parts += [
        "<h3>Checks</h3>",
        _checks(result),
        "<h3>Handshake</h3>",
        ladder_svg(result.handshake, key),
        _conversation(result),
        # only a completed handshake negotiated anything; a refused one is the ladder
        *(["<h3>Negotiated</h3>", _negotiated(result)] if result.negotiated is not None else []),
        _certificates(result),
        _notes(result),
        _artifacts(result),
        "</section>",
    ]
    return "".join(parts)


def _card(group: list[Defect], slugs: dict[tuple[str, str], str]) -> str:
    """One defect (on one or more backend pairs) as a card."""
    d = group[0]
    c = d.check
    section = f" (guide §{escape(c.guide_section)})" if c.guide_section else ""
    places = ", ".join(
        f'<a href="#{slugs[(g.result.scenario_id, g.result.backend_pair)]}">'
        f"{escape(g.result.backend_pair)}</a>"
        for g in group
    )
    rows = [
        (
            "where",
            f"{escape(d.result.scenario_id)} on {places} · {escape(str(d.result.source))}",
        ),
        ("expected", escape(c.expected)),
        ("observed", escape(c.observed) + (f" — {escape(c.reason)}" if c.reason else "")),
    ]
    if c.evidence:
        rows.append(("evidence", "<br>".join(f"<code>{escape(e)}</code>" for e in c.evidence)))
    if c.quote:
        rows.append(
            (
                "breaks",
                f"<blockquote>{escape(c.quote)}</blockquote>"
                f'<span class="muted">{escape(c.quote_source or "")}</span>',
            )
        )
    if c.remedy:
        rows.append(("fix", f'<span class="fix">{_code_spans(c.remedy)}</span>'))
    body = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    kind = "warn" if c.verdict is Verdict.WARN else "fail"
    return (
        f'<div class="card {kind}"><h3>{escape(c.title)} — <code>{escape(c.id)}</code>{section}</h3>'
        f"<dl>{body}</dl></div>"
    )


def _code_spans(text: str) -> str:
    """`backticked` parts of a fix become <code> (the rest is escaped text)."""
    out = []
    for i, part in enumerate(text.split("`")):
        out.append(f"<code>{escape(part)}</code>" if i % 2 else escape(part))
    return "".join(out)


def _defects(run: RunResult, slugs: dict[tuple[str, str], str]) -> str:
    def slug(d: Defect) -> str:
        return slugs[(d.result.scenario_id, d.result.backend_pair)]

    failed = grouped(defects(run))
    warned = grouped(defects(run, (Verdict.WARN,)))
    errors = [r for r in run.results if r.error]
    n_failed = sum(len(g) for g in failed)
    spread = f", in {n_failed} failed checks" if n_failed != len(failed) else ""
    parts = [f'<section id="defects"><h2>Defects ({len(failed) + len(errors)}{spread})</h2>']
    for r in errors:
        key = slugs[(r.scenario_id, r.backend_pair)]
        parts.append(
            f'<div class="card"><h3>Harness error — <a href="#{key}">{escape(where(r))}</a></h3>'
            f"<pre>{escape(r.error or '')}</pre></div>"
        )
    parts += [_card(g, slugs) for g in failed]
    if not failed and not errors:
        parts.append('<p class="muted">No check failed.</p>')
    if warned:
        parts.append(f"<h2>Warnings ({len(warned)})</h2>")
        parts += [_card(g, slugs) for g in warned]
    unchecked = defects(run, (Verdict.INCONCLUSIVE,))
    if unchecked:
        items = "".join(
            f'<li><a href="#{slug(d)}">{escape(where(d.result))}</a>: <code>{escape(d.check.id)}</code> '
            f"{escape(d.check.title)} — {escape(d.check.reason or d.check.observed)}</li>"
            for d in unchecked
        )
        parts.append(f"<h2>Could not be checked ({len(unchecked)})</h2><ul>{items}</ul>")
    parts.append("</section>")
    return "".join(parts)


def _matrix(run: RunResult, slugs: dict[tuple[str, str], str]) -> str:
    pairs = run.backend_pairs
    index = {(r.scenario_id, r.backend_pair): r for r in run.results}
    head = (
        "<tr><th>scenario</th>"
        + "".join(f"<th><code>{escape(p)}</code></th>" for p in pairs)
        + "</tr>"
    )
    rows = []
    for sid in run.scenario_ids:
        cells = []
        for p in pairs:
            r = index.get((sid, p))
            if r is None:
                cells.append('<td class="muted">—</td>')
                continue
            why = cell_reason(r)
            reason = f' <span class="why">{escape(why)}</span>' if why else ""
            cells.append(
                f'<td class="{r.verdict.value}"><a href="#{slugs[(sid, p)]}">{r.verdict.value}{reason}</a></td>'
            )
        rows.append(f"<tr><th>{escape(sid)}</th>{''.join(cells)}</tr>")
    return f'<table class="matrix" id="matrix">{head}{"".join(rows)}</table>'


def _headline(run: RunResult) -> str:
    scope = scope_of(run)
    v = run.verdict
    rows = [
        ("use case", scope.use_case),
        ("profile", scope.profile),
        (scope.target_label, scope.target),
        ("date", f"{scope.date} ({run.duration_s:.1f} s)"),
        ("versions", scope.versions),
    ]
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(val)}</td></tr>" for k, val in rows)
    interrupted = (
        f'<p class="err"><strong>INTERRUPTED by {escape(run.interrupted)}</strong>: only the '
        "items that finished before it are reported.</p>"
        if run.interrupted
        else ""
    )
    return (
        f'<div class="headline" id="headline"><p><span class="verdict {v.value}">{v.value.upper()}</span> '
        f'<span id="counts">{escape(counts_text(run))}</span></p>'
        f'{interrupted}<table class="scope">{table}</table></div>'
    )


def render_html(run: RunResult) -> str:
    slugs = {(r.scenario_id, r.backend_pair): _slug(r, i) for i, r in enumerate(run.results)}
    body = "".join(_details(r, slugs[(r.scenario_id, r.backend_pair)]) for r in run.results)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>fixs-harness report {escape(run.started.isoformat(timespec='seconds'))}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>fixs-harness report</h1>{_headline(run)}"
        f"{_defects(run, slugs)}"
        '<h2>Results</h2><p class="muted">Rows are scenarios, columns are backend pairs '
        "(client:server); each cell links to its details.</p>"
        f"{_matrix(run, slugs)}{drift_html(run)}{body}</body></html>\n"
    )
