"""A Markdown summary: the matrix and the failed checks, for PR comments and CI logs."""

from __future__ import annotations

from harness.checks.model import RunResult, Verdict
from harness.report.watch import drift_markdown

_MARK = {
    Verdict.PASS: "✅ pass",
    Verdict.FAIL: "❌ fail",
    Verdict.INCONCLUSIVE: "⚠️ inconclusive",
    Verdict.WARN: "⚠️ warn",
    Verdict.NOT_APPLICABLE: "➖ not applicable",
    Verdict.NOT_REACHED: "⏭️ not reached",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(run: RunResult) -> str:
    counts = run.counts()
    lines = [
        "# fixs-harness report",
        "",
        f"**{_MARK[run.verdict]}** — {len(run.results)} result(s): "
        f"{counts[Verdict.PASS]} pass, {counts[Verdict.FAIL]} fail, "
        f"{counts[Verdict.INCONCLUSIVE]} inconclusive; "
        f"{run.duration_s:.1f} s; harness {run.harness_version}, "
        f"OpenSSL {run.host.openssl or '?'}, stunnel {run.host.stunnel or 'not installed'}.",
        "",
    ]
    pairs = run.backend_pairs
    index = {(r.scenario_id, r.backend_pair): r for r in run.results}
    lines.append("| scenario | " + " | ".join(f"`{p}`" for p in pairs) + " |")
    lines.append("|---|" + "---|" * len(pairs))
    for sid in run.scenario_ids:
        cells = []
        for p in pairs:
            r = index.get((sid, p))
            if r is None:
                cells.append("—")
            else:
                cipher = r.negotiated.cipher.hex if r.negotiated and r.negotiated.cipher else ""
                cells.append(f"{_MARK[r.verdict]} {cipher}".strip())
        lines.append(f"| {_cell(sid)} | " + " | ".join(cells) + " |")
    lines += drift_markdown(run)
    problems = [r for r in run.results if r.verdict is not Verdict.PASS]
    if problems:
        lines += ["", "## Not passing", ""]
        for r in problems:
            lines.append(f"### {_cell(r.scenario_id)} on `{r.backend_pair}` — {_MARK[r.verdict]}")
            lines.append("")
            lines.append(f"Scenario file: `{r.source}`")
            if r.error:
                lines.append(f"\nHarness error: {_cell(r.error)}")
            shown = [c for c in r.checks if c.verdict is not Verdict.PASS]
            if shown:
                lines += [
                    "",
                    "| check | section | expected | observed | verdict |",
                    "|---|---|---|---|---|",
                ]
                for c in shown:
                    observed = c.observed + (f" ({c.reason})" if c.reason else "")
                    lines.append(
                        f"| `{c.id}` | {c.guide_section or ''} | {_cell(c.expected)} | "
                        f"{_cell(observed)} | {c.verdict.value} |"
                    )
            if "pcap" in r.artifacts:
                lines.append(f"\npcap: `{r.artifacts['pcap']}`")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
