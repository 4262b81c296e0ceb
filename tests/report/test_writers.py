"""Each writer renders hand-built results; outputs are validated by independent parsers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from harness.checks.model import RunResult
from harness.errors import HarnessError
from harness.report import (
    SecretLeakError,
    render_html,
    render_json,
    render_junit,
    render_markdown,
    report_json_schema,
    write_reports,
)

# --- JSON ------------------------------------------------------------------------


def test_json_validates_against_its_schema(run: RunResult) -> None:
    doc = json.loads(render_json(run))
    jsonschema.Draft202012Validator(report_json_schema()).validate(doc)
    assert doc["schema_version"] == "1.2"
    first = doc["results"][0]
    assert first["negotiated"]["cipher"] == {
        "code": "0xC030",
        "iana": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "openssl": "ECDHE-RSA-AES256-GCM-SHA384",
    }
    assert doc["summary"] == {
        "total": 7,
        "passed": 4,
        "failed": 1,
        "inconclusive": 2,
        "verdict": "fail",
    }
    assert doc["results"][5]["negotiated"]["cipher"]["code"] == "0x008C"
    assert doc["results"][3]["handshake"] is None and doc["results"][3]["negotiated"] is None


def test_schema_rejects_drift(run: RunResult) -> None:
    # Negative control: the schema is strict, so an unknown or mistyped field fails.
    validator = jsonschema.Draft202012Validator(report_json_schema())
    doc = json.loads(render_json(run))
    doc["results"][0]["colour"] = "blue"
    assert not validator.is_valid(doc)
    doc = json.loads(render_json(run))
    doc["results"][0]["negotiated"]["cipher"]["code"] = "49200"
    assert not validator.is_valid(doc)


# --- JUnit -----------------------------------------------------------------------


def test_junit_structure(run: RunResult) -> None:
    root = ET.fromstring(render_junit(run))
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(run.results)
    assert root.get("tests") == "7" and root.get("failures") == "1" and root.get("errors") == "1"
    by_name = {c.get("name"): c for c in cases}
    failed = by_name["guide-1a-wrong-expectation[stunnel-local:python]"]
    failure = failed.find("failure")
    assert failure is not None
    assert "tls.cipher.expected" in (failure.get("message") or "")
    text = failure.text or ""
    assert "scenarios/negative/wrong.yaml:30" in text
    assert "expected 0xC02F; observed 0xC030" in text and "§3.2" in text
    assert failed.get("classname") == "fixs.stunnel-local.python"
    ok = by_name["guide-1a[python:python]"]
    assert ok.find("failure") is None and ok.find("skipped") is None
    skipped = by_name["guide-3b[python:stunnel-local]"].find("skipped")
    assert skipped is not None and "does not expose" in (skipped.get("message") or "")
    error = by_name["broken[python:python]"].find("error")
    assert error is not None and "verifyPeers" in (error.get("message") or "")


# --- HTML ------------------------------------------------------------------------

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}
SVG_EMPTY_OK = {"path", "line", "text", "marker", "defs", "svg", "rect", "circle"}


class Checker(HTMLParser):
    """Strict enough: every non-void element closed in order; records what we assert on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Checker:
    checker = Checker()
    checker.feed(html)
    checker.close()
    return checker


def test_html_is_well_formed_and_self_contained(run: RunResult) -> None:
    html = render_html(run)
    c = parse(html)
    assert c.errors == [] and c.stack == []
    names = [t for t, _ in c.tags]
    assert "script" not in names and "link" not in names and "img" not in names
    for _, attrs in c.tags:
        assert "src" not in attrs
        href = attrs.get("href") or ""
        assert not href.startswith(("http:", "https:", "//")), href
    # The only absolute URL is the SVG namespace.
    assert html.count("http") == html.count('xmlns="http://www.w3.org/2000/svg"')


def test_html_matrix_ladder_and_details(run: RunResult) -> None:
    html = render_html(run)
    c = parse(html)
    text = " ".join(c.text)
    matrix_cells = [
        a for t, a in c.tags if t == "td" and a.get("class") in ("pass", "fail", "inconclusive")
    ]
    assert {a["class"] for a in matrix_cells} == {"pass", "fail", "inconclusive"}
    # every matrix link points at an existing section
    ids = {a.get("id") for _, a in c.tags if a.get("id")}
    links = [a["href"] for t, a in c.tags if t == "a" and (a.get("href") or "").startswith("#")]
    assert links and all(h[1:] in ids for h in links)
    # ladder: one arrow per message, labelled; refused handshake says so; TLS 1.3 alert in red
    assert html.count("<svg") == 3  # 1a, wrong-expectation, tls13
    assert "ServerHelloDone" in text and "encrypted handshake" in text
    assert "No handshake messages were captured." in text
    assert 'fill="#c62828">Alert (encrypted)' in html
    assert html.count('stroke-dasharray="6 3"') == 1  # the one message marked encrypted
    # artifacts linked by relative path; errata quoted; names escaped
    assert 'href="guide-1a/python-python/tls.pcap"' in html
    assert "the guide&#x27;s table names 0x0090" in html or "the guide's table names 0x0090" in text
    assert "No client certificate &lt;refused&gt;" in html
    assert "expected" in text and "0xC02F" in text


# --- Markdown ----------------------------------------------------------------------


def test_markdown_summary(run: RunResult) -> None:
    md = render_markdown(run)
    assert md.startswith("# fixs-harness report")
    assert "| scenario | `python:python` | `stunnel-local:python` | `python:stunnel-local` |" in md
    assert "`tls.cipher.expected` | 3.2 | 0xC02F | 0xC030" in md
    assert "scenarios/negative/wrong.yaml:30" in md
    assert "guide-1a " not in md.split("## Not passing")[1]  # passing ones are not listed


# --- write_reports and the secret net ----------------------------------------------


def test_write_all_formats(tmp_path: Path, run: RunResult) -> None:
    written = write_reports(run, tmp_path / "out", secrets=["correct-horse-battery"])
    assert set(written) == {"json", "junit", "html", "markdown"}
    assert all(p.is_file() and p.stat().st_size > 100 for p in written.values())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
        "summary.md",
    ]


def test_unknown_format(tmp_path: Path, run: RunResult) -> None:
    with pytest.raises(HarnessError, match="pdf"):
        write_reports(run, tmp_path, {"pdf"})


@pytest.mark.parametrize("secret", ["correct-horse-battery", 'p&ss<word>"x'])
def test_secret_in_any_report_writes_nothing(tmp_path: Path, run: RunResult, secret: str) -> None:
    failing = run.results[1]
    leaky_check = replace(failing.checks[1], observed=f"Logon with 554={secret}")
    leaky = replace(failing, checks=(failing.checks[0], leaky_check))
    run = replace(run, results=(run.results[0], leaky, *run.results[2:]))
    with pytest.raises(SecretLeakError) as exc:
        write_reports(run, tmp_path / "out", secrets=["unrelated", secret])
    assert secret not in str(exc.value)
    assert "secret #2" in str(exc.value)
    assert not (tmp_path / "out").exists()
    # each format catches it on its own, in its own encoding (HTML/XML escape it)
    for fmt in ("json", "junit", "html", "markdown"):
        with pytest.raises(SecretLeakError, match=fmt):
            write_reports(run, tmp_path / fmt, {fmt}, secrets=[secret])
        assert not (tmp_path / fmt).exists()


def test_secret_in_transcript_is_caught(tmp_path: Path, run: RunResult) -> None:
    entry = {"time": 0.0, "direction": "out", "msg_type": "A", "text": "95=RAWSECRET|"}
    leaky = replace(run.results[0], fix_transcript=(entry,))
    run = replace(run, results=(leaky, *run.results[1:]))
    for fmt in ("json", "html"):
        with pytest.raises(SecretLeakError):
            write_reports(run, tmp_path, {fmt}, secrets=["RAWSECRET"])
    # control: the same run with the value redacted is written
    redacted = replace(leaky, fix_transcript=({**entry, "text": "95=***|"},))
    run = replace(run, results=(redacted, *run.results[1:]))
    assert set(write_reports(run, tmp_path, {"json", "html"}, secrets=["RAWSECRET"])) == {
        "json",
        "html",
    }
