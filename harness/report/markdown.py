"""Markdown for PR comments and CI logs: the headline and the defect cards only.

The verdict, the counts of checks and the scope, then one compact card per failed
check (what failed where, expected vs observed, evidence, the guide or FIXS text it
breaks, the fix). A comment must stay short: the cards stop at :data:`MAX_LINES`
and a last line says how many more are in report.html. Passing results are not
listed; the HTML page has the matrix and the evidence.
"""

from __future__ import annotations

from harness.checks.model import RunResult, Verdict
from harness.report.summary import Defect, counts_text, defects, grouped, scope_of, where
from harness.report.watch import drift_markdown

MAX_LINES = 55

_MARK = {
    Verdict.PASS: "✅ PASS",
    Verdict.FAIL: "❌ FAIL",
    Verdict.INCONCLUSIVE: "⚠️ INCONCLUSIVE",
}


def _inline(text: str) -> str:
    """One line of Markdown text: no table pipes, no HTML tags (``<default script>``)."""
    return " ".join(text.replace("|", "\\|").replace("<", "\\<").split())


def _code(text: str) -> str:
    return "`" + " ".join(text.replace("`", "'").split()) + "`"


def card_markdown(group: list[Defect]) -> list[str]:
    """One defect (on one or more backend pairs) as a compact card."""
    d = group[0]
    c = d.check
    section = f" (guide §{c.guide_section})" if c.guide_section else ""
    mark = "⚠️" if c.verdict is Verdict.WARN else "❌"
    pairs = ", ".join(f"`{g.result.backend_pair}`" for g in group)
    lines = [
        f"**{mark} `{c.id}`** {_inline(c.title)}{section} · {d.result.scenario_id} on {pairs} "
        f"(`{d.result.source}`)",
        f"expected {_inline(c.expected)}; observed {_inline(c.observed)}"
        + (f" ({_inline(c.reason)})" if c.reason else ""),
    ]
    if c.evidence:
        lines.append("evidence: " + "; ".join(_code(e) for e in c.evidence))
    if c.quote:
        lines.append(f"> “{_inline(c.quote)}” — {c.quote_source}")
    if c.remedy:
        lines.append(f"**Fix:** {_inline(c.remedy)}")
    return [*lines, ""]


def render_markdown(run: RunResult) -> str:
    scope = scope_of(run)
    lines = [
        f"# fixs-harness: {_MARK.get(run.verdict, run.verdict.value)}",
        "",
        f"{counts_text(run)} in {len(run.results)} result(s).",
        f"Use case: {scope.use_case} · profile {scope.profile} · {scope.target_label} "
        f"{scope.target} · {scope.date} · {scope.versions}.",
        "",
    ]
    if run.interrupted:
        lines[2:2] = [
            f"**INTERRUPTED by {run.interrupted}**: only the items that finished before it "
            "are reported.",
            "",
        ]
    errors = [r for r in run.results if r.error]
    selftests = [r for r in run.results if r.selftest is not None]
    if selftests:
        # self-tests: their expected failures are no defects; a self-test that did not
        # hold is one line here (its unexpected failures are cards below)
        held = sum(1 for r in selftests if r.selftest is not None and r.selftest.held)
        lines.append(f"## Self-tests: {held} of {len(selftests)} held")
        broken = [r for r in selftests if r.selftest is not None and not r.selftest.held]
        lines += [
            f"- {where(r)}: {_inline(r.selftest.summary())}"
            for r in broken[:5]
            if r.selftest is not None
        ]
        if len(broken) > 5:
            lines.append(f"- … and {len(broken) - 5} more in report.html")
        lines.append("")
    failed = grouped(defects(run))
    warned = grouped(defects(run, (Verdict.WARN,)))
    if errors:
        lines.append(f"## Harness errors ({len(errors)})")
        lines += [f"- {where(r)} (`{r.source}`): {_inline(r.error or '')}" for r in errors[:5]]
        lines.append("")
    cards = failed + warned
    if cards:
        lines += [
            f"## Defects ({len(failed)})" + (f", warnings ({len(warned)})" if warned else ""),
            "",
        ]
    shown = 0
    for d in cards:
        card = card_markdown(d)
        if len(lines) + len(card) > MAX_LINES:
            break
        lines += card
        shown += 1
    if shown < len(cards):
        lines.append(f"… and {len(cards) - shown} more in report.html.")
    if not cards and not errors:
        lines.append("No check failed.")
    lines += drift_markdown(run)
    return "\n".join(lines).rstrip() + "\n"
