"""JUnit XML for CI: one testcase per check, so CI test views list each failing check.

Mapping: ``classname`` is ``SCENARIO[CLIENT:SERVER]`` (scenario and backend pair),
``name`` the check id, ``file``/``line`` the scenario file. fail → ``<failure>``
whose message is the defect card's text (what failed, expected vs observed,
evidence, the guide text it breaks, the fix); inconclusive, not-applicable and
not-reached → ``<skipped>`` with the reason (a green build is not claimed for what
was not checked); warn → passed, the card in ``<system-out>``. A result the harness
could not run is one testcase ``(harness)`` with ``<error>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.checks.model import CheckResult, RunResult, ScenarioResult, Verdict
from harness.report.summary import Defect, card_lines
from harness.report.watch import drift_junit

_SKIPPED = (Verdict.INCONCLUSIVE, Verdict.NOT_APPLICABLE, Verdict.NOT_REACHED)


def _skip_reason(c: CheckResult) -> str:
    if c.verdict is Verdict.NOT_REACHED:
        return f"not reached: {c.consequence_of or 'an earlier check'} failed"
    what = c.reason or c.observed
    return f"{c.verdict.value}: {c.id}: {what}"


def _cases(result: ScenarioResult) -> list[ET.Element]:
    classname = f"{result.scenario_id}[{result.backend_pair}]"
    common = {
        "classname": classname,
        "file": result.source.path,
        "line": str(result.source.line),
    }
    cases = []
    if result.error is not None:
        case = ET.Element(
            "testcase", {**common, "name": "(harness)", "time": f"{result.duration_s:.3f}"}
        )
        err = ET.SubElement(case, "error", {"message": result.error, "type": "HarnessError"})
        err.text = f"{result.source}: {result.error}"
        cases.append(case)
    if not result.checks and result.error is None:
        case = ET.Element("testcase", {**common, "name": "(no checks)", "time": "0"})
        ET.SubElement(case, "skipped", {"message": "inconclusive: no checks ran"})
        cases.append(case)
    selftest = result.selftest
    expected = set(selftest.expected_failed) if selftest is not None else set()
    if selftest is not None and not selftest.held:
        # the self-test itself did not hold: one failure saying why
        case = ET.Element("testcase", {**common, "name": "(selftest)", "time": "0"})
        message = f"{selftest.summary()}; must_fail: {', '.join(selftest.must_fail)}"
        ET.SubElement(case, "failure", {"message": message, "type": "selftest"}).text = message
        cases.append(case)
    for c in result.checks:
        case = ET.Element("testcase", {**common, "name": c.id, "time": "0"})
        card = "\n".join(card_lines(Defect(result, c)))
        if c.verdict is Verdict.FAIL and c.id in expected:
            # a self-test's expected failure is the self-test passing
            ET.SubElement(case, "system-out").text = "expected failure (self-test)\n" + card
        elif c.verdict is Verdict.FAIL:
            failure = ET.SubElement(case, "failure", {"message": card, "type": "fail"})
            failure.text = card
        elif c.verdict in _SKIPPED:
            ET.SubElement(case, "skipped", {"message": _skip_reason(c)})
        elif c.verdict is Verdict.WARN:
            ET.SubElement(case, "system-out").text = card
        cases.append(case)
    return cases


def render_junit(run: RunResult) -> str:
    cases = [case for r in run.results for case in _cases(r)]

    def count(tag: str) -> int:
        return sum(1 for c in cases if c.find(tag) is not None)

    # The same totals on <testsuites> and on its one <testsuite>: CI tools read either.
    totals = {
        "name": "fixs-harness",
        "tests": str(len(cases)),
        "failures": str(count("failure")),
        "errors": str(count("error")),
        "skipped": str(count("skipped")),
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
        ("interrupted", run.interrupted),
    ):
        if value:
            ET.SubElement(props, "property", {"name": name, "value": value})
    drift_junit(run, props)
    suite.extend(cases)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
