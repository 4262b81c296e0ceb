"""report.json written without pydantic is the pydantic model's document.

harness/report/jsondoc.py builds report.json from plain dictionaries (so that no
command imports pydantic to write it); harness/report/jsonout.py's pydantic model is
the schema's source. For a sample run, a run with every optional section set, and a
real certify run against a live endpoint, the written text must validate against
the model (``extra="forbid"``) and survive the model's round trip unchanged, key order
and defaults included. The values themselves are held to golden files written by the
pydantic writer this one replaced (tests/report/golden/, made at 042a9cf): the same
runs must give the same bytes. Negative controls: a document with a field added, or
one left out, is caught.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError

from harness.checks.model import Note, RunResult, Verdict
from harness.checks.selftest import SelfTestOutcome
from harness.checks.watch import (
    CertExpiry,
    Change,
    DriftSection,
    EndpointFacts,
    SuiteOrder,
)
from harness.pki import TestPKI
from harness.report.jsondoc import render_json, report_document
from harness.report.jsonout import ReportOut, report_model
from tests.report.conftest import build_run
from tests.report.render_kit import certify_tls11_endpoint


def _every_section(run: RunResult) -> RunResult:
    """The sample run with every optional part of report.json set."""
    first, *rest = run.results
    entry = dict(first.fix_transcript[0]) if first.fix_transcript else {}
    entry.update({"time": 100, "seq": "7", "extra_field": ["kept", 1], "msg_name": "Logon"})
    first = replace(
        first,
        selftest=SelfTestOutcome(
            must_fail=("tls.version",),
            verdict=Verdict.PASS,
            expected_failed=("tls.version",),
            missing=(("auth.refused-with-alert", "pass"),),
            unexpected=("fix.logon",),
            unknown=("error",),
        ),
        endpoint=EndpointFacts(
            versions=("TLSv1.2", "TLSv1.3"),
            suites=(("TLSv1.2", ("0xC030", "0xC02F")), ("TLSv1.3", ("0x1302",))),
            preference=(
                ("TLSv1.2", SuiteOrder(True, ("0xC030", "0xC02F"))),
                ("TLSv1.3", SuiteOrder(None)),
            ),
        ),
        expiry=(
            CertExpiry("served chain", "CN=server", "ab" * 32, "2027-01-01T00:00:00+00:00", 31, 0),
            CertExpiry(
                "pin file pin.pem", "CN=pin — “ü”", "cd" * 32, "2026-12-11T00:00:00+00:00", 10
            ),
        ),
        fix_transcript=(entry, *first.fix_transcript[1:]),
        notes=(*first.notes, Note("capture", "How the TLS leg was captured", "live — ü")),
        duration_s=1.23456,
    )
    return replace(
        run,
        results=(first, *rest),
        interrupted="SIGTERM",
        drift=DriftSection(
            since="2026-11-01T00:00:00+00:00",
            baseline="earlier/report.json",
            changes=(Change("suite", "TLSv1.2", "", "0xC02F", "suite 0xC02F added", ""),),
        ),
    )


def _normal(text: str) -> str:
    """Values and key order as JSON says them (float spelling aside)."""
    return json.dumps(json.loads(text), indent=2, ensure_ascii=False)


def _assert_same(run: RunResult) -> None:
    written = render_json(run)
    ReportOut.model_validate_json(written)  # extra="forbid": no field the schema lacks
    assert _normal(written) == _normal(report_model(run).model_dump_json())


GOLDEN = Path(__file__).parent / "golden"


def test_the_sample_run() -> None:
    _assert_same(build_run())


@pytest.mark.parametrize(
    ("name", "make"),
    [("sample", build_run), ("every-section", lambda: _every_section(build_run()))],
)
def test_the_bytes_of_the_pydantic_writer_it_replaced(name: str, make: object) -> None:
    run = make()  # type: ignore[operator]
    assert render_json(run) == (GOLDEN / f"{name}.report.json").read_text(encoding="utf-8")


def test_the_golden_comparison_sees_a_wrong_value() -> None:
    # negative control: a count written wrong (what validation alone cannot see)
    doc = report_document(build_run())
    doc["summary"]["passed"], doc["summary"]["failed"] = (
        doc["summary"]["failed"],
        doc["summary"]["passed"],
    )
    assert doc["summary"]["passed"] != doc["summary"]["failed"]
    swapped = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    ReportOut.model_validate_json(swapped)  # still a valid document
    assert swapped != (GOLDEN / "sample.report.json").read_text(encoding="utf-8")


def test_every_optional_section() -> None:
    run = _every_section(build_run())
    doc = json.loads(render_json(run))
    # the sections are really there, not null: the comparison covers them
    assert doc["drift"]["changes"] and doc["interrupted"] == "SIGTERM"
    result = doc["results"][0]
    assert result["selftest"] and result["endpoint"]["preference"] and result["expiry"]
    assert result["fix_transcript"][0]["extra_field"] == ["kept", 1]
    _assert_same(run)


def test_a_real_certify_run(tmp_path: Path) -> None:
    run, _ = certify_tls11_endpoint(TestPKI.create(tmp_path / "pki"), tmp_path / "c")
    assert run.results[0].handshake and run.results[0].endpoint is not None
    _assert_same(run)


def test_a_field_the_model_lacks_is_caught() -> None:
    # negative control for the validation
    doc = report_document(build_run())
    doc["results"][0]["surprise"] = 1
    with pytest.raises(ValidationError):
        ReportOut.model_validate_json(json.dumps(doc))


def test_a_field_left_out_is_caught() -> None:
    # negative control for the comparison: a writer that forgot expiry differs
    run = _every_section(build_run())
    doc = report_document(run)
    del doc["results"][0]["expiry"]
    assert _normal(json.dumps(doc)) != _normal(report_model(run).model_dump_json())


def test_nan_and_odd_types_stay_valid_json() -> None:
    # a NaN would be written as NaN, which is not JSON; pydantic wrote null for it
    import datetime as dt

    run = build_run()
    first = replace(
        run.results[0],
        duration_s=float("nan"),
        fix_transcript=(
            {
                "time": 1.0,
                "direction": "out",
                "msg_type": "A",
                "text": "x",
                "when": dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
                "where": Path("a/b"),
            },
        ),
    )
    written = render_json(replace(run, results=(first, *run.results[1:])))
    doc = json.loads(written, parse_constant=lambda c: pytest.fail(f"{c} in report.json"))
    assert doc["results"][0]["duration_s"] is None
    assert doc["results"][0]["fix_transcript"][0]["when"] == "2026-01-02T00:00:00+00:00"
    assert doc["results"][0]["fix_transcript"][0]["where"] == "a/b"
