"""Reports: JSON, JUnit XML, HTML and Markdown, written from a RunResult.

Theory of operation
-------------------
Writers read only the result model (:mod:`harness.checks.model`); they never run
anything. ``write_reports`` renders every requested format in memory first, scans
each rendering for the run's secrets (:mod:`harness.report.redaction`), and only
then writes the files, so a leak writes nothing at all. Each file is written to a
temporary name and renamed, so a reader never sees half a report.

* ``report.json`` — versioned schema (``schema_version``), generated from a pydantic
  output model with ``extra="forbid"`` (docs/schemas/report.schema.json);
* ``junit.xml`` — one testcase per check (classname: scenario and backend pair), the
  failure message being the defect card, for CI;
* ``report.html`` — one self-contained page (inline CSS/SVG, no script), defects
  first;
* ``summary.md`` — the headline and the defect cards, for PR comments.

What every format says first (verdict, counts of checks, scope, defect cards) is
computed once in :mod:`harness.report.summary`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import lazy
from harness.errors import HarnessError
from harness.report.redaction import SecretLeakError, check_no_secrets

if TYPE_CHECKING:
    from harness.checks.model import RunResult
    from harness.report.html import render_html
    from harness.report.jsondoc import SCHEMA_VERSION, render_json
    from harness.report.jsonout import report_json_schema
    from harness.report.junit import render_junit
    from harness.report.markdown import render_markdown

# Start-up is part of the product (docs/architecture.md): a writer is imported only
# when its format is written, so that importing this package (the evidence pack's
# secret scan does) costs nothing. No writer imports pydantic: report.json is written
# from plain dictionaries (report/jsondoc.py), held to the pydantic model (jsonout.py,
# the schema's source) by tests.
#: format name → (file name, module, renderer function)
_WRITERS: dict[str, tuple[str, str, str]] = {
    "json": ("report.json", "harness.report.jsondoc", "render_json"),
    "junit": ("junit.xml", "harness.report.junit", "render_junit"),
    "html": ("report.html", "harness.report.html", "render_html"),
    "markdown": ("summary.md", "harness.report.markdown", "render_markdown"),
}
#: names of the writer modules, resolved on first use (PEP 562)
_LAZY = {
    "render_json": "harness.report.jsondoc",
    "SCHEMA_VERSION": "harness.report.jsondoc",
    "report_json_schema": "harness.report.jsonout",
    "render_junit": "harness.report.junit",
    "render_html": "harness.report.html",
    "render_markdown": "harness.report.markdown",
}


def writer_modules(formats: Iterable[str]) -> list[str]:
    """The modules that render ``formats`` (unknown names are left out)."""
    return [_WRITERS[f][1] for f in formats if f in _WRITERS]


def _renderer(fmt: str) -> Callable[[RunResult], str]:
    _, module, name = _WRITERS[fmt]
    renderer: Callable[[RunResult], str] = getattr(importlib.import_module(module), name)
    return renderer


def __getattr__(name: str) -> Any:
    if name == "FORMATS":
        #: format name → (file name, renderer); imports every writer
        return {fmt: (file, _renderer(fmt)) for fmt, (file, _, _) in _WRITERS.items()}
    return lazy.resolve(__name__, _LAZY, name)


def write_reports(
    run: RunResult,
    directory: Path,
    formats: Iterable[str] = tuple(_WRITERS),
    *,
    secrets: Iterable[str] = (),
) -> dict[str, Path]:
    """Render and write the requested formats into ``directory``.

    Args:
        run: the results.
        directory: created if missing.
        formats: any of ``json``, ``junit``, ``html``, ``markdown``.
        secrets: strings that must not appear in any report (see
            ``Scenario.secrets()`` plus the runner's generated keys).

    Returns:
        format name → path written.

    Raises:
        HarnessError: unknown format or unwritable directory.
        SecretLeakError: a rendering contains a secret; nothing is written.
    """
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in _WRITERS]
    if unknown:
        raise HarnessError(
            f"unknown report format(s) {', '.join(unknown)}; known: {', '.join(_WRITERS)}"
        )
    rendered = {fmt: _renderer(fmt)(run) for fmt in wanted}
    check_no_secrets(rendered, list(secrets))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for fmt, text in rendered.items():
            path = directory / _WRITERS[fmt][0]
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            written[fmt] = path
    except OSError as exc:
        raise HarnessError(f"cannot write reports to {directory}: {exc}") from None
    return written


__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "SecretLeakError",
    "check_no_secrets",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "report_json_schema",
    "write_reports",
    "writer_modules",
]
