"""The HTML report in a real headless browser (Debian's chromium).

The page is loaded over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
file descriptors 3 and 4 carry NUL-separated JSON), so no port is opened and no
websocket client is needed. "Loads without errors" means: the navigation succeeds,
the load event fires, and the browser reports no script exception, no error on the
console or in its log, and no failed sub-resource load. "Shows the matrix" is read
from the rendered DOM: one row per scenario, one column per backend pair, each cell
coloured by its verdict (computed style, so the CSS really applied) and carrying the
verdict and one short reason. "Readable" at 1280 px and in print (emulated print
media, then a PDF): no sideways scrolling, the failing check's card between the
headline and the matrix with its fix showing, notes collapsed. The report comes
from a real ``fixs-harness run`` of copies of shipped scenarios on python:python,
one of them failing and one refused.

Negative control: a page with a throwing script and a missing image must yield
errors, and a page without a matrix must not pass the matrix check.

``make_screenshot()`` renders the top of a report (headline, defect cards, matrix)
to PNG; the committed docs/report-screenshot.png was made with it from a run of the
guide's scenarios and the rehearsal with a wrong checkIP
(tests/report/render_kit.py) on python:python and stunnel-local:stunnel-local.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.runner.scenario_kit import GUIDE, IN_CI, NEGATIVE, case_1a_c030

PASS_BG = "rgb(214, 245, 214)"  # .pass{background:#d6f5d6}
FAIL_BG = "rgb(249, 208, 208)"  # .fail{background:#f9d0d0}
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # runs as root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-pipe",
)


def chromium_binary() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reason = "chromium is not installed (apt-get install chromium; bootstrap does)"
        if IN_CI:
            pytest.fail(f"{reason}; CI=true: the browser test must run", pytrace=False)
        pytest.skip(reason)
    return path


class DevTools:
    """A minimal DevTools-protocol client over chromium's debugging pipe."""

    def __init__(self, proc: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.proc = proc
        self._out = to_browser
        self._in = from_browser
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self._in], [], [], left)
            if ready:
                chunk = os.read(self._in, 1 << 16)
                if not chunk:
                    raise ConnectionError(f"chromium closed the pipe (exit {self.proc.poll()})")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None
    ) -> dict[str, Any]:
        """Send one command and wait (10 s at most) for its answer; events that
        arrive meanwhile are kept in ``events``."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 10
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self.events.append(answer)

    def wait_event(self, method: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event


@contextlib.contextmanager
def chromium(tmp_path: Path) -> Iterator[DevTools]:
    """A headless chromium with a DevTools pipe; killed on every path."""
    binary = chromium_binary()
    browser_reads, we_write = os.pipe()
    we_read, browser_writes = os.pipe()

    def wire_fds() -> None:  # in the child: the pipe ends become fds 3 and 4
        high_r = fcntl.fcntl(browser_reads, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(browser_writes, fcntl.F_DUPFD, 10)
        os.dup2(high_r, 3)
        os.dup2(high_w, 4)

    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    with (tmp_path / "chromium.log").open("wb") as log:
        proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            preexec_fn=wire_fds,
            pass_fds=(3, 4),
            start_new_session=True,  # one process group to stop, renderers included
        )
    os.close(browser_reads)
    os.close(browser_writes)
    devtools = DevTools(proc, we_write, we_read)
    try:
        yield devtools
    finally:
        # already gone or wedged: the signals below deal with it
        with contextlib.suppress(OSError, TimeoutError, RuntimeError):
            devtools.call("Browser.close")
        stop_process_group(proc)
        os.close(we_write)
        os.close(we_read)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """Chromium runs in its own session: its renderer and utility processes outlive
    the main one for a moment, so wait for the whole group, then signal stragglers."""
    pgid = proc.pid
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None and _group_alive(pgid):
            os.killpg(pgid, sig)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + 5
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _group_alive(pgid):
            return
    raise AssertionError(f"chromium process group {pgid} survived SIGKILL")


class PageLoad:
    """What loading one page showed: errors, the matrix cells, a screenshot."""

    def __init__(
        self,
        errors: list[str],
        matrix: list[list[dict[str, str]]],
        png: bytes,
        layout: dict[str, Any] | None = None,
        print_layout: dict[str, Any] | None = None,
        pdf: bytes = b"",
    ) -> None:
        self.errors = errors
        self.matrix = matrix
        self.png = png
        self.layout = layout or {}
        self.print_layout = print_layout or {}
        self.pdf = pdf


#: Readability: nothing wider than the window (no sideways scrolling), where the
#: headline, the defect cards and the matrix are, and that the cards' text shows.
LAYOUT_JS = """
(() => {
  const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
    return {top: r.top + scrollY, bottom: r.bottom + scrollY, width: r.width, height: r.height}; };
  const cards = Array.from(document.querySelectorAll('.card'));
  return JSON.stringify({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    headline: box(document.querySelector('#headline')),
    matrix: box(document.querySelector('table#matrix')),
    cards: cards.map(box),
    cardText: cards.map(c => c.innerText),
    openDetails: document.querySelectorAll('details[open]').length,
    details: document.querySelectorAll('details').length,
  });
})()
"""


MATRIX_JS = """
JSON.stringify(Array.from(document.querySelectorAll('table#matrix tr')).map(tr =>
  Array.from(tr.children).map(c => ({
    tag: c.tagName, cls: c.className, text: c.textContent.trim(),
    bg: getComputedStyle(c).backgroundColor,
    visible: c.getBoundingClientRect().width > 0 && c.getBoundingClientRect().height > 0,
  }))))
"""


def _errors(events: list[dict[str, Any]]) -> list[str]:
    out = []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            out.append(f"exception: {details.get('exception', {}).get('description') or details}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            out.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        elif method == "Network.loadingFailed":
            out.append(f"load failed: {params.get('errorText')} ({params.get('type')})")
        elif method == "Network.responseReceived" and params["response"].get("status", 200) >= 400:
            out.append(f"HTTP {params['response']['status']}: {params['response'].get('url')}")
    return out


def load_page(
    browser: DevTools, page: Path, *, width: int = 1280, clip_to_matrix: bool = False
) -> PageLoad:
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    for domain in ("Runtime", "Log", "Network", "Page"):
        browser.call(f"{domain}.enable", session=session)
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    nav = browser.call("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
    errors = [f"navigation: {nav['errorText']}"] if nav.get("errorText") else []
    browser.wait_event("Page.loadEventFired")
    # one round trip after the load event, so late console/log events are in
    browser.call("Runtime.evaluate", {"expression": "1"}, session=session)
    matrix_json = browser.call(
        "Runtime.evaluate", {"expression": MATRIX_JS, "returnByValue": True}, session=session
    )["result"]["value"]
    params: dict[str, Any] = {"format": "png"}
    if clip_to_matrix:
        box = browser.call(
            "Runtime.evaluate",
            {
                "expression": "JSON.stringify(document.querySelector('table#matrix')"
                ".getBoundingClientRect())",
                "returnByValue": True,
            },
            session=session,
        )["result"]["value"]
        rect = json.loads(box)
        params["clip"] = {
            "x": 0,
            "y": 0,
            "width": max(width, rect["right"] + 24),
            "height": rect["bottom"] + 24,
            "scale": 1,
        }
        params["captureBeyondViewport"] = True
    png = base64.b64decode(browser.call("Page.captureScreenshot", params, session=session)["data"])

    def layout() -> dict[str, Any]:
        value = browser.call(
            "Runtime.evaluate", {"expression": LAYOUT_JS, "returnByValue": True}, session=session
        )["result"]["value"]
        result: dict[str, Any] = json.loads(value)
        return result

    screen = layout()
    browser.call("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
    printed = layout()
    pdf = base64.b64decode(
        browser.call("Page.printToPDF", {"printBackground": True}, session=session)["data"]
    )
    errors += _errors([e for e in browser.events if e.get("sessionId") == session])
    browser.call("Target.closeTarget", {"targetId": target})
    return PageLoad(errors, json.loads(matrix_json), png, screen, printed, pdf)


def run_report(tmp_path: Path, files: dict[str, str], *pairs: str) -> Path:
    """A real ``fixs-harness run`` of ``files``; returns the report directory."""
    src = tmp_path / "scenarios"
    src.mkdir()
    for name, text in files.items():
        (src / name).write_text(text)
    out = tmp_path / "report"
    pair_args = [a for p in pairs or ("python:python",) for a in ("-p", p)]
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", str(src), *pair_args, "--report-dir", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="module")
def small_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("browser-report")
    return run_report(
        tmp,
        {
            "1a.yaml": (GUIDE / "1a-mutual-leaf-pinning.yaml").read_text(),
            "2.yaml": (GUIDE / "2-psk.yaml").read_text(),
            "refused.yaml": (NEGATIVE / "client-suite-outside-profile.yaml").read_text(),
            "wrong.yaml": case_1a_c030("0xC02F", scenario_id="c030-wrong"),
        },
    )


def test_report_loads_without_errors_and_shows_the_matrix(
    small_report: Path, tmp_path: Path
) -> None:
    report = json.loads((small_report / "report.json").read_text())
    with chromium(tmp_path) as browser:
        page = load_page(browser, small_report / "report.html")
        pgid = browser.proc.pid
    assert not _group_alive(pgid), "chromium left processes behind"
    assert page.errors == []
    header, *rows = page.matrix
    assert [c["text"] for c in header] == ["scenario", "python:python"]
    cells = {row[0]["text"]: row[1] for row in rows}
    assert set(cells) == {r["scenario_id"] for r in report["results"]}
    assert set(cells) == {"guide-1a", "guide-2", "client-suite-outside-profile", "c030-wrong"}
    for r in report["results"]:
        cell = cells[r["scenario_id"]]
        assert cell["visible"]
        assert cell["cls"] == r["verdict"]
        assert cell["text"].startswith(r["verdict"] + " ")  # verdict, then one short reason
    assert cells["guide-1a"]["text"] == "pass TLSv1.2 0x0067"
    assert cells["guide-2"]["text"] == "pass TLSv1.2 0x008C"
    assert cells["client-suite-outside-profile"]["text"].startswith("pass refused as expected: ")
    assert cells["c030-wrong"]["text"].startswith("fail Negotiated cipher suite")
    # the CSS really applied: verdict colours as rendered
    assert cells["guide-1a"]["bg"] == PASS_BG
    assert cells["c030-wrong"]["bg"] == FAIL_BG
    assert page.png.startswith(b"\x89PNG\r\n\x1a\n") and len(page.png) > 10_000
    # readable at 1280 px and in print: no sideways scrolling, the defect card above
    # the matrix and showing its fix, notes collapsed; printing yields a PDF
    for layout in (page.layout, page.print_layout):
        assert layout["scrollWidth"] <= layout["clientWidth"], layout
        assert len(layout["cards"]) == 1
        card = layout["cards"][0]
        assert layout["headline"]["bottom"] <= card["top"] < layout["matrix"]["top"]
        assert card["height"] > 50
    assert "tls.cipher.expected" in page.layout["cardText"][0]
    assert "fix" in page.layout["cardText"][0] and "ciphers = " in page.layout["cardText"][0]
    assert page.layout["openDetails"] == 0
    assert page.pdf.startswith(b"%PDF") and len(page.pdf) > 10_000


def test_broken_page_is_reported_and_has_no_matrix(tmp_path: Path) -> None:
    """Negative control for the test above: the same detector on a page with a
    throwing script, a console error and a missing image."""
    page_path = tmp_path / "broken.html"
    page_path.write_text(
        "<!DOCTYPE html><html><body><h1>broken</h1>"
        '<img src="missing.png">'
        "<script>console.error('bad thing'); throw new Error('boom');</script>"
        "</body></html>"
    )
    with chromium(tmp_path) as browser:
        page = load_page(browser, page_path)
    text = "\n".join(page.errors)
    assert "boom" in text
    assert "bad thing" in text
    assert "load failed" in text
    assert page.matrix == []


def make_screenshot(report_html: Path, png: Path, *, width: int = 1200) -> list[str]:
    """Render the summary and matrix of ``report_html`` to ``png``; returns errors.
    Used to make docs/report-screenshot.png (see the module docstring)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, chromium(Path(tmp)) as browser:
        page = load_page(browser, report_html, width=width, clip_to_matrix=True)
    png.write_bytes(page.png)
    return page.errors


def test_certify_and_rehearsal_pages_readable(tmp_path: Path) -> None:
    """The two cases of issue 12 in the browser: no error, no sideways scrolling at
    1280 px or in print, the defect cards between the headline and the matrix."""
    from harness.pki import TestPKI
    from harness.report import write_reports
    from tests.report.render_kit import certify_tls11_endpoint, rehearsal_checkip_wrong

    run, _ = certify_tls11_endpoint(TestPKI.create(tmp_path / "pki"), tmp_path / "certify")
    write_reports(run, tmp_path / "certify-report")
    (tmp_path / "r").mkdir()
    rehearsal = run_report(tmp_path / "r", {"rehearsal.yaml": rehearsal_checkip_wrong()})
    with chromium(tmp_path) as browser:
        pages = [
            load_page(browser, tmp_path / "certify-report" / "report.html"),
            load_page(browser, rehearsal / "report.html"),
        ]
    # the rehearsal: one defect (the subject check); its FIX checks are not reached
    for page, cards in zip(pages, (2, 1), strict=True):
        assert page.errors == []
        for layout in (page.layout, page.print_layout):
            assert layout["scrollWidth"] <= layout["clientWidth"], layout
            assert len(layout["cards"]) == cards
            assert all(
                layout["headline"]["bottom"] <= c["top"] < layout["matrix"]["top"]
                for c in layout["cards"]
            )
        assert page.layout["openDetails"] == 0 and page.layout["details"] >= 1
    assert "sslVersionMin = TLSv1.2" in pages[0].layout["cardText"][0]
