"""One self-contained HTML page: inline CSS and SVG, no script, no external resource.

Layout: a summary line; the matrix (scenario × backend pair, coloured by verdict,
each cell linking to its details); then per result the negotiated parameters, notes
(profile errata, overrides), the checks table, a handshake ladder diagram drawn from
``handshake["messages"]``, the certificates, the FIX transcript (already redacted)
and links to the artifacts by relative path.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from harness.checks.model import RunResult, ScenarioResult, Verdict
from harness.report.watch import drift_html

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em;color:#1d232a}
h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin-top:2em;border-top:1px solid #ccd;padding-top:1em}
h3{font-size:1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;margin:.4em 0}th,td{border:1px solid #ccd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f1f3f6}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
pre{background:#f6f8fa;padding:.5em;overflow-x:auto;white-space:pre-wrap}
.pass{background:#d6f5d6}.fail{background:#f9d0d0}.inconclusive{background:#fbeec1}
td.pass,td.fail,td.inconclusive{font-weight:600}
.matrix td a{color:inherit;text-decoration:none;display:block}
.badge{display:inline-block;padding:.05em .5em;border-radius:.6em;font-weight:600}
.muted{color:#667}.note{border-left:4px solid #e0a800;background:#fff8e1;padding:.4em .7em;margin:.5em 0}
.err{border-left:4px solid #c62828;background:#fdecea;padding:.4em .7em}
svg text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
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


def _kv_table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _negotiated(result: ScenarioResult) -> str:
    n = result.negotiated
    if n is None:
        return '<p class="muted">Nothing was negotiated.</p>'
    cipher = "—"
    if n.cipher is not None:
        names = " / ".join(escape(x) for x in (n.cipher.iana, n.cipher.openssl) if x)
        cipher = f"<code>{escape(n.cipher.hex)}</code> {names}"
    rows = [("TLS version", escape(n.version or "—")), ("cipher suite", cipher)]
    if n.key_exchange:
        rows.append(("key exchange", escape(n.key_exchange)))
    if n.psk_identity is not None:
        rows.append(("PSK identity", escape(n.psk_identity)))
    if n.client_certificate_requested is not None:
        rows.append(
            ("client certificate requested", "yes" if n.client_certificate_requested else "no")
        )
    if n.resumed is not None:
        rows.append(("session resumed", "yes" if n.resumed else "no"))
    return _kv_table(rows)


def _checks(result: ScenarioResult) -> str:
    if not result.checks:
        return '<p class="muted">No checks ran.</p>'
    rows = []
    for c in result.checks:
        observed = escape(c.observed)
        if c.reason:
            observed += f'<br><span class="muted">{escape(c.reason)}</span>'
        rows.append(
            f'<tr class="{c.verdict.value}"><td><code>{escape(c.id)}</code><br>'
            f'<span class="muted">{escape(c.title)}</span></td>'
            f"<td>{escape(c.guide_section or '')}</td><td>{escape(c.expected)}</td>"
            f"<td>{observed}</td><td>{c.verdict.value}</td></tr>"
        )
    head = (
        "<tr><th>check</th><th>guide §</th><th>expected</th><th>observed</th><th>verdict</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


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


def _transcript(result: ScenarioResult) -> str:
    if not result.fix_transcript:
        return ""
    start = min(float(e.get("time", 0.0)) for e in result.fix_transcript)
    rows = "".join(
        # times relative to the first message, like the handshake ladder's
        f"<tr><td>+{(float(e.get('time', 0.0)) - start) * 1000:.1f} ms</td>"
        f"<td>{escape(str(e.get('direction', '')))}</td>"
        f"<td>{escape(str(e.get('msg_type', '')))}</td><td><code>{escape(str(e.get('text', '')))}</code></td></tr>"
        for e in result.fix_transcript
    )
    head = (
        "<tr><th>time</th><th>direction</th><th>type</th><th>message (secrets redacted)</th></tr>"
    )
    return f"<h3>FIX transcript</h3><table>{head}{rows}</table>"


def _artifacts(result: ScenarioResult) -> str:
    if not result.artifacts:
        return ""
    links = " · ".join(
        f'<a href="{escape(path, quote=True)}">{escape(name)}</a>'
        for name, path in result.artifacts.items()
    )
    return f"<p>Artifacts: {links}</p>"


def _details(result: ScenarioResult, index: int) -> str:
    key = _slug(result, index)
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
    for note in result.notes:
        parts.append(
            f'<div class="note"><strong>{escape(note.title)}</strong><br>{escape(note.text)}</div>'
        )
    parts += [
        "<h3>Negotiated</h3>",
        _negotiated(result),
        "<h3>Checks</h3>",
        _checks(result),
        "<h3>Handshake</h3>",
        ladder_svg(result.handshake, key),
        _certificates(result),
        _transcript(result),
        _artifacts(result),
        "</section>",
    ]
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
            cipher = ""
            if r.negotiated is not None and r.negotiated.cipher is not None:
                cipher = f' <span class="muted">{escape(r.negotiated.cipher.hex)}</span>'
            cells.append(
                f'<td class="{r.verdict.value}"><a href="#{slugs[(sid, p)]}">{r.verdict.value}{cipher}</a></td>'
            )
        rows.append(f"<tr><th>{escape(sid)}</th>{''.join(cells)}</tr>")
    return f'<table class="matrix" id="matrix">{head}{"".join(rows)}</table>'


def render_html(run: RunResult) -> str:
    counts = run.counts()
    slugs = {(r.scenario_id, r.backend_pair): _slug(r, i) for i, r in enumerate(run.results)}
    summary = (
        f"{_badge(run.verdict)} {len(run.results)} result(s): {counts[Verdict.PASS]} pass, "
        f"{counts[Verdict.FAIL]} fail, {counts[Verdict.INCONCLUSIVE]} inconclusive · "
        f"{run.duration_s:.1f} s · harness {escape(run.harness_version)} · "
        f"Python {escape(run.host.python)} · OpenSSL {escape(run.host.openssl or '?')} · "
        f"stunnel {escape(run.host.stunnel or 'not installed')}"
    )
    body = "".join(_details(r, i) for i, r in enumerate(run.results))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>fixs-harness report {escape(run.started.isoformat(timespec='seconds'))}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>fixs-harness report</h1><p>{summary}</p>"
        f'<p class="muted">Started {escape(run.started.isoformat(timespec="seconds"))}. '
        "Rows are scenarios, columns are backend pairs (client:server).</p>"
        f"{_matrix(run, slugs)}{drift_html(run)}{body}</body></html>\n"
    )
