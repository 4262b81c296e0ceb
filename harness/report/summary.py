"""What every report format says first, computed once from the result model.

Theory of operation
-------------------
A reader wants, in this order: the verdict and what was tested (:class:`Scope`),
how many *checks* came out which way (:func:`check_counts`; a page holding 24 passed
and 2 failed checks says so, not "1 result"), then each defect as a card
(:class:`Defect`, :func:`card_lines`): what failed, expected vs observed, the
decisive evidence, the guide or FIXS text it breaks and the stunnel.conf fix (the
last two come from :mod:`harness.checks.guidance` via ``CheckResult.quote`` and
``.remedy``). HTML, Markdown, JUnit and the console all draw on these, so the card
a CI view shows is the card the HTML page shows.

:func:`cell_reason` is the one short reason a matrix cell gives beside its verdict;
:data:`NOTE_FACTS` names the notes that state a fact the negotiated-parameters table
would state too, so a report says it once (the note, which comes from the probe
that tested it).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.checks.model import CheckResult, RunResult, ScenarioResult, Verdict

#: checks' verdicts in the order a headline lists them
CHECK_VERDICTS = (
    Verdict.PASS,
    Verdict.FAIL,
    Verdict.INCONCLUSIVE,
    Verdict.WARN,
    Verdict.NOT_APPLICABLE,
    Verdict.NOT_REACHED,
)

#: note id → the negotiated-table fact it states (the note wins; the row is left out)
NOTE_FACTS = {
    "tls.session-resumption": "resumed",
    "auth.client-certificate.requested": "client-certificate-requested",
}

_LABEL = {
    Verdict.PASS: "passed",
    Verdict.FAIL: "failed",
    Verdict.INCONCLUSIVE: "inconclusive",
    Verdict.WARN: "warnings",
    Verdict.NOT_APPLICABLE: "not applicable",
    Verdict.NOT_REACHED: "not reached",
}


def check_counts(run: RunResult) -> dict[Verdict, int]:
    """How many checks of the whole run had each verdict."""
    out = dict.fromkeys(CHECK_VERDICTS, 0)
    for r in run.results:
        for c in r.checks:
            out[c.verdict] += 1
    return out


def counts_text(run: RunResult) -> str:
    """``26 check(s): 20 passed, 2 failed, 0 inconclusive, 0 warnings, 4 not
    applicable, 0 not reached`` (every verdict, zeros included: a reader sees that
    nothing was skipped silently)."""
    counts = check_counts(run)
    total = sum(counts.values())
    parts = [f"{counts[v]} {_LABEL[v]}" for v in CHECK_VERDICTS]
    errors = sum(1 for r in run.results if r.error)
    text = f"{total} check(s): {', '.join(parts)}"
    if errors:
        text += f"; {errors} harness error(s)"
    return text


def is_certify(result: ScenarioResult) -> bool:
    return result.backend_pair.startswith("certify-")


@dataclass(frozen=True)
class Scope:
    """What was tested, by what, when: the headline's second line."""

    use_case: str
    profile: str
    target_label: str  # "endpoint" or "backend pair(s)"
    target: str
    date: str
    versions: str


def scope_of(run: RunResult) -> Scope:
    results = run.results
    if len(results) == 1:
        r = results[0]
        use_case = r.title + (f" (guide §{r.guide_section})" if r.guide_section else "")
    else:
        use_case = f"{len(run.scenario_ids)} scenario(s)"
    profiles = sorted({r.profile for r in results if r.profile})
    certify = [r for r in results if is_certify(r)]
    if certify:
        label = "endpoint"
        target = ", ".join(
            dict.fromkeys(r.backend_pair.split(":", 1)[1] + f" ({r.scenario_id})" for r in certify)
        )
    else:
        label = "backend pair(s)"
        target = ", ".join(run.backend_pairs) or "none"
    versions = (
        f"harness {run.harness_version}, Python {run.host.python}, "
        f"OpenSSL {(run.host.openssl or '?').removeprefix('OpenSSL ')}, "
        f"stunnel {run.host.stunnel or 'not installed'}"
    )
    return Scope(
        use_case=use_case,
        profile=", ".join(profiles) or "scenario default",
        target_label=label,
        target=target,
        date=run.started.isoformat(timespec="seconds"),
        versions=versions,
    )


@dataclass(frozen=True)
class Defect:
    """One failed (or warned) check in its result."""

    result: ScenarioResult
    check: CheckResult


def _expected_failure(r: ScenarioResult, c: CheckResult) -> bool:
    """A self-test's failure that was the point of it (it is no defect)."""
    return r.selftest is not None and c.id in r.selftest.expected_failed


def defects(run: RunResult, verdicts: tuple[Verdict, ...] = (Verdict.FAIL,)) -> list[Defect]:
    return [
        Defect(r, c)
        for r in run.results
        for c in r.checks
        if c.verdict in verdicts and not _expected_failure(r, c)
    ]


def grouped(found: list[Defect]) -> list[list[Defect]]:
    """The same defect on several backend pairs (same scenario, check, expected and
    observed) as one group, so one defect reads as one card; first-seen order."""
    groups: dict[tuple[str, str, str, str], list[Defect]] = {}
    for d in found:
        key = (d.result.scenario_id, d.check.id, d.check.expected, d.check.observed)
        groups.setdefault(key, []).append(d)
    return list(groups.values())


def where(result: ScenarioResult) -> str:
    return f"{result.scenario_id} on {result.backend_pair}"


def card_lines(d: Defect) -> list[str]:
    """The card as plain text lines (Markdown, JUnit and the console use it)."""
    c = d.check
    section = f" (guide §{c.guide_section})" if c.guide_section else ""
    lines = [
        f"{c.verdict.value.upper()} {c.id}{section}: {c.title}",
        f"  in {where(d.result)} — {d.result.source}",
        f"  expected: {c.expected}",
        f"  observed: {c.observed}" + (f" — {c.reason}" if c.reason else ""),
    ]
    lines += [f"  evidence: {e}" for e in c.evidence]
    if c.quote:
        lines.append(f"  breaks {c.quote_source}: “{c.quote}”")
    if c.remedy:
        lines.append(f"  fix: {c.remedy}")
    return lines


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cell_reason(result: ScenarioResult) -> str:
    """One short reason for a matrix cell: what failed, what could not be checked,
    or, for a pass, the negotiated suite (or the refusal a negative control wanted)."""
    if result.error:
        return _short("harness error: " + result.error.splitlines()[0])
    failed = result.failed_checks
    if failed:
        more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
        return _short(f"{failed[0].title}: {failed[0].observed}") + more
    if result.verdict is Verdict.INCONCLUSIVE:
        first = next(
            (c for c in result.checks if c.verdict is Verdict.INCONCLUSIVE),
            None,
        )
        if first is None:
            return "nothing was shown to hold"
        return _short(f"not checked: {first.title} ({first.reason or first.observed})")
    if is_certify(result):
        passed = sum(1 for c in result.checks if c.verdict is Verdict.PASS)
        return f"{passed} check(s) passed"
    n = result.negotiated
    if n is not None and n.cipher is not None:
        return f"{n.version or ''} {n.cipher.hex}".strip()
    refused = next((c for c in result.checks if c.id == "auth.refused-with-alert"), None)
    if refused is not None:
        return _short(f"refused as expected: {refused.observed}")
    return ""
