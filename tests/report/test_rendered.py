"""Reports of real runs, read as their readers would: every shipped scenario, the
certify case of issue 12 (an endpoint that also accepts TLS 1.1) and a rehearsal
with a wrong checkIP.

* The same fact is never stated twice in one result's section (every statement of
  a fact carries ``data-fact``; test_writers has the detector's negative control).
* Defects come first: the card of each failed check precedes the matrix; the
  headline counts checks; not-applicable suites are not passes; notes and loopback
  rewrites are collapsed; certify's matrix cell gives a reason, not a cipher.
* Markdown of a failing run stays under 60 lines; JUnit has one testcase per check.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.checks.model import RunResult
from harness.pki import TestPKI
from harness.report import write_reports
from tests.report.render_kit import certify_tls11_endpoint, rehearsal_checkip_wrong
from tests.report.test_writers import contradictions

ROOT = Path(__file__).resolve().parents[2]


def fixs_run(out: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", *map(str, paths), "--report-dir", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shipped scenario on python:python (about 40 s)."""
    out = tmp_path_factory.mktemp("shipped") / "report"
    proc = fixs_run(out, ROOT / "scenarios")
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("rehearsal")
    (tmp / "in").mkdir()
    (tmp / "in" / "rehearsal.yaml").write_text(rehearsal_checkip_wrong())
    proc = fixs_run(tmp / "report", tmp / "in")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return tmp / "report"


@pytest.fixture(scope="module")
def certified(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    tmp = tmp_path_factory.mktemp("certify")
    pki = TestPKI.create(tmp / "pki")
    run, _ = certify_tls11_endpoint(pki, tmp / "w")
    write_reports(run, tmp / "report")
    return run, tmp / "report"


def test_no_fact_stated_twice_in_any_shipped_scenario(shipped: Path) -> None:
    html = (shipped / "report.html").read_text()
    n = len(json.loads((shipped / "report.json").read_text())["results"])
    assert html.count('<section id="r') == n >= 30
    assert contradictions(html) == []


def test_no_fact_stated_twice_in_certify_and_rehearsal(
    certified: tuple[RunResult, Path], rehearsal: Path
) -> None:
    for report in (certified[1], rehearsal):
        html = (report / "report.html").read_text()
        assert contradictions(html) == [], report
    # certify's resumption and CertificateRequest probes are notes; the negotiated
    # table of the reference handshake does not restate them
    html = (certified[1] / "report.html").read_text()
    assert 'data-fact="resumed"' in html and "session resumed</th>" not in html


def test_certify_defects_first(certified: tuple[RunResult, Path]) -> None:
    _run, report = certified
    html = (report / "report.html").read_text()
    doc = json.loads((report / "report.json").read_text())
    checks = doc["results"][0]["checks"]
    counts = doc["summary"]["checks"]
    assert counts["failed"] == 2 and counts["not_applicable"] == 4
    assert counts["total"] == len(checks)
    headline = html[html.index('id="headline"') : html.index('id="defects"')]
    assert (
        f"{len(checks)} check(s): {counts['passed']} passed, 2 failed, 0 inconclusive, " in headline
    )
    assert "4 not applicable" in headline and "endpoint" in headline and "use case" in headline
    cards = [m.start() for m in re.finditer(r'<div class="card fail">', html)]
    assert len(cards) == 2 and max(cards) < html.index('id="matrix"')
    first = html[cards[0] : html.index("</div>", cards[0])]
    assert "tls.version.tls1_1.refused" in first and "TLSv1.1 accepted" in first
    assert "Currently, only TLS 1.2 is recommended." in first and "§2.2" in first
    assert "<code>sslVersionMin = TLSv1.2</code>" in first
    # inapplicable suites are not passes; the matrix cell has a reason, not a code
    na = [c for c in checks if c["verdict"] == "not-applicable"]
    assert {c["id"] for c in na} == {
        f"tls.cipher.required.0xC0{x}" for x in ("23", "2B", "24", "2C")
    }
    assert html.count('<tr class="not-applicable"') == 4
    cell = re.search(r'<table class="matrix".*?</table>', html, re.S)
    assert cell is not None and "TLSv1.1 refused" in cell.group(0) and "0x0067" not in cell.group(0)
    # observations are collapsed, after the checks
    section = html[html.index('<section id="r0-') :]
    assert section.index("<details><summary>Notes (") > section.index("<h3>Checks</h3>")
    assert '<div class="note"' not in html.split("<details>")[0]


def test_rehearsal_defects_first_and_rewrites_collapsed(rehearsal: Path) -> None:
    html = (rehearsal / "report.html").read_text()
    doc = json.loads((rehearsal / "report.json").read_text())
    failed = [c["id"] for c in doc["results"][0]["checks"] if c["verdict"] == "fail"]
    assert "auth.server-certificate+fix-credentials" in failed
    assert html.index('<div class="card fail">') < html.index('id="matrix"')
    assert "<details><summary>Rewritten for loopback (8)</summary>" in html
    assert (
        html.count("removed &#x27;setuid = nobody&#x27;") + html.count("removed 'setuid = nobody'")
        == 2
    )
    # the conversation under the ladder says where the session stopped
    assert "FIX conversation" in html and "stopped" in html


def test_markdown_and_junit_of_a_failing_run(
    rehearsal: Path, certified: tuple[RunResult, Path]
) -> None:
    for report in (rehearsal, certified[1]):
        md = (report / "summary.md").read_text()
        assert len(md.splitlines()) < 60, md
        assert "## Defects" in md and "**Fix:**" in md
        doc = json.loads((report / "report.json").read_text())
        root = ET.fromstring((report / "junit.xml").read_text())
        cases = root.findall("./testsuite/testcase")
        assert len(cases) == sum(len(r["checks"]) for r in doc["results"])
        failures = [c for c in cases if c.find("failure") is not None]
        assert len(failures) == doc["summary"]["checks"]["failed"]
        r = doc["results"][0]
        assert {c.get("classname") for c in cases} == {f"{r['scenario_id']}[{r['backend_pair']}]"}
        for case in failures:
            failure = case.find("failure")
            assert failure is not None and "fix: " in (failure.get("message") or "")
