"""JUnit XML for CI: one testcase per scenario × backend pair.

Mapping: fail → ``<failure>`` listing each failed check (id, guide section, expected
vs observed); a harness error → ``<error>``; inconclusive → ``<skipped>`` with the
reasons (CI shows it, and a green build is not claimed for what was not checked).
The classname is ``fixs.<client>.<server>`` so CI UIs group by backend pair.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.checks.model import RunResult, ScenarioResult, Verdict
from harness.report.watch import drift_junit


def _check_lines(result: ScenarioResult, verdict: Verdict) -> list[str]:
    lines = []
    for c in result.checks:
        if c.verdict is verdict:
            section = f" (guide §{c.guide_section})" if c.guide_section else ""
            line = f"{c.id}{section}: expected {c.expected}; observed {c.observed}"
            if c.reason:
                line += f" — {c.reason}"
            lines.append(line)
    return lines


def _case(result: ScenarioResult) -> ET.Element:
    client, server = result.client_backend, result.server_backend
    case = ET.Element(
        "testcase",
        {
            "classname": f"fixs.{client}.{server}",
            "name": f"{result.scenario_id}[{result.backend_pair}]",
            "file": result.source.path,
            "line": str(result.source.line),
            "time": f"{result.duration_s:.3f}",
        },
    )
    verdict = result.verdict
    where = str(result.source)
    if result.error is not None:
        err = ET.SubElement(case, "error", {"message": result.error, "type": "HarnessError"})
        err.text = f"{where}: {result.error}"
    if verdict is Verdict.FAIL:
        failed = result.failed_checks
        ids = ", ".join(c.id for c in failed)
        failure = ET.SubElement(
            case, "failure", {"message": f"{len(failed)} check(s) failed: {ids}", "type": "fail"}
        )
        failure.text = "\n".join([where, *_check_lines(result, Verdict.FAIL)])
    elif verdict is Verdict.INCONCLUSIVE and result.error is None:
        reasons = _check_lines(result, Verdict.INCONCLUSIVE) or ["no checks ran"]
        ET.SubElement(case, "skipped", {"message": "inconclusive: " + "; ".join(reasons)})
    out = [
        f"{c.verdict.value:12} {c.id}: expected {c.expected}; observed {c.observed}"
        for c in result.checks
    ]
    if result.artifacts:
        out.append("")
        out.extend(f"{name}: {path}" for name, path in result.artifacts.items())
    if out:
        ET.SubElement(case, "system-out").text = "\n".join(out)
    return case


def render_junit(run: RunResult) -> str:
    counts = run.counts()
    errors = sum(1 for r in run.results if r.error is not None)
    skipped = sum(1 for r in run.results if r.verdict is Verdict.INCONCLUSIVE and r.error is None)
    # The same totals on <testsuites> and on its one <testsuite>: CI tools read either.
    totals = {
        "name": "fixs-harness",
        "tests": str(len(run.results)),
        "failures": str(counts[Verdict.FAIL]),
        "errors": str(errors),
        "skipped": str(skipped),
        "time": f"{run.duration_s:.3f}",
    }
    suites = ET.Element("testsuites", totals)
    suite = ET.SubElement(suites, "testsuite", {**totals, "timestamp": run.started.isoformat()})
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("harness_version", run.harness_version),
        ("python", run.host.python),
        ("openssl", run.host.openssl),
        ("stunnel", run.host.stunnel),
    ):
        if value:
            ET.SubElement(props, "property", {"name": name, "value": value})
    drift_junit(run, props)
    for result in run.results:
        suite.append(_case(result))
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
