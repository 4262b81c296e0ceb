"""``fixs-harness run`` as a user runs it: a subprocess on a directory of scenarios.

Exit codes are the contract CI relies on: 0 every check passed, 1 a check failed,
2 a harness error (here: a scenario that does not load). Each case also proves the
reports were written and the offending check or file:line was printed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.runner.scenario_kit import (
    GUIDE,
    case_1a_c030,
    selftest_tls_version,
    with_unknown_stunnel_option,
)


def fixs_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # a wide terminal, so rich does not wrap the lines asserted on
    env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def _scenarios(tmp_path: Path, files: dict[str, str]) -> Path:
    directory = tmp_path / "in"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def _verdicts(report_dir: Path) -> dict[str, str]:
    report = json.loads((report_dir / "report.json").read_text())
    return {r["scenario_id"]: ("error" if r["error"] else r["verdict"]) for r in report["results"]}


def test_all_pass_exits_0(tmp_path: Path) -> None:
    """The control: the same runner and files as below, minus the broken one."""
    directory = _scenarios(
        tmp_path, {"right.yaml": case_1a_c030("0xC030", scenario_id="c030-right")}
    )
    proc = fixs_run(tmp_path, str(directory), "--report-dir", "out", "--capture", "tap")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _verdicts(tmp_path / "out") == {"c030-right": "pass"}
    assert "1 passed, 0 failed, 0 inconclusive" in proc.stdout


def test_a_failing_check_exits_1_prints_it_and_writes_every_report(tmp_path: Path) -> None:
    directory = _scenarios(
        tmp_path,
        {
            "right.yaml": case_1a_c030("0xC030", scenario_id="c030-right"),
            "wrong.yaml": case_1a_c030("0xC02F", scenario_id="c030-wrong"),
        },
    )
    proc = fixs_run(tmp_path, str(directory), "--report-dir", "out", "--capture", "tap")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # README: "file:line: scenario ID on PAIR: fail", then the check id, (guide
    # section), expected and observed, and the fix
    lines = proc.stdout.splitlines()
    heads = [line for line in lines if ": scenario " in line]
    assert len(heads) == 1 and re.fullmatch(
        rf"{re.escape(str(directory / 'wrong.yaml'))}:\d+: scenario c030-wrong on python:python: fail",
        heads[0],
    ), heads
    fail_lines = [line for line in lines if "[fail]" in line]
    assert len(fail_lines) == 1, proc.stdout
    # the check's line: the expectation's cipher: key in the scenario file
    assert re.fullmatch(
        rf"  {re.escape(str(directory / 'wrong.yaml'))}:\d+: \[fail\] tls\.cipher\.expected"
        r"( \(guide [\d.]+\))?: "
        r"expected 0xC02F; observed 0xC030 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        fail_lines[0],
    ), fail_lines[0]
    assert lines[lines.index(fail_lines[0]) + 1].startswith("    fix: `ciphers = ")
    # off a terminal: one progress line per finished item on stderr
    assert len(re.findall(r"^\[\d/2\] c030-(right|wrong)\[python:python\]: (pass|fail) ",
                          proc.stderr, re.M)) == 2, proc.stderr  # fmt: skip
    assert "1 passed, 1 failed, 0 inconclusive" in proc.stdout
    out = tmp_path / "out"
    for name in ("report.json", "junit.xml", "report.html", "summary.md"):
        assert (out / name).stat().st_size > 0, name
        assert f"report: {out / name}" in proc.stdout or f"report: out/{name}" in proc.stdout
    assert _verdicts(out) == {"c030-right": "pass", "c030-wrong": "fail"}
    junit = (out / "junit.xml").read_text()
    assert junit.count("<failure") == 1 and "0xC02F" in junit


def test_a_malformed_scenario_exits_2_and_the_others_still_run(tmp_path: Path) -> None:
    broken, line = with_unknown_stunnel_option("broken-option")
    directory = _scenarios(
        tmp_path,
        {
            "a-broken.yaml": broken,
            "b-good.yaml": (GUIDE / "2-psk.yaml").read_text(),
        },
    )
    proc = fixs_run(tmp_path, str(directory), "--report-dir", "out", "--capture", "tap")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    # rich wraps long lines at spaces when not on a terminal: compare word by word
    text = " ".join(proc.stdout.split())
    assert "scenario broken-option on python:python: inconclusive error " in text
    assert f"{directory / 'a-broken.yaml'}:{line}:" in text
    assert "verifyChian" in text
    assert "Traceback" not in proc.stdout + proc.stderr
    assert _verdicts(tmp_path / "out") == {"broken-option": "error", "guide-2": "pass"}


def test_an_unusable_backend_is_a_one_line_usage_error(tmp_path: Path) -> None:
    directory = _scenarios(
        tmp_path, {"1a.yaml": (GUIDE / "1a-mutual-leaf-pinning.yaml").read_text()}
    )
    env_bin = {"FIXS_STUNNEL": "/nonexistent/stunnel"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "run",
            str(directory),
            "-p",
            "python:stunnel-local",
            "--report-dir",
            "out",
        ],
        cwd=tmp_path,
        env={**os.environ, **env_bin, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "backend stunnel-local cannot run here" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "report.json").exists()


def test_a_directory_search_leaves_selftests_out_unless_asked(tmp_path: Path) -> None:
    """``run scenarios`` (what ./bootstrap run does) must not put the self-tests, which
    fail on purpose, into compliance reports; --selftest or naming them runs them."""
    directory = _scenarios(tmp_path, {"right.yaml": case_1a_c030("0xC030", scenario_id="right")})
    (directory / "selftest").mkdir()
    (directory / "selftest" / "st.yaml").write_text(selftest_tls_version("held", scenario_id="st"))

    def listed(*args: str) -> list[str]:
        proc = fixs_run(tmp_path, *args, "--list")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout.split()

    proc = fixs_run(tmp_path, str(directory), "--list")
    assert proc.stdout.split() == ["right[python:python]"]
    assert "1 self-test scenario(s) in selftest/ left out" in " ".join(proc.stderr.split())
    assert listed(str(directory), "--selftest") == ["right[python:python]", "st[python:python]"]
    assert listed(str(directory / "selftest")) == ["st[python:python]"]
    assert listed(str(directory / "selftest" / "st.yaml")) == ["st[python:python]"]


def test_a_selftest_passes_only_when_exactly_its_checks_fail(tmp_path: Path) -> None:
    directory = _scenarios(
        tmp_path,
        {
            f"{variant}.yaml": selftest_tls_version(variant, scenario_id=variant)
            for variant in ("held", "no-contradiction", "extra-failure")
        },
    )
    proc = fixs_run(tmp_path, str(directory), "--report-dir", "out", "--capture", "tap")
    text = " ".join(proc.stdout.split())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "selftest ok: 1 expected failure" in text
    # a self-test that held prints nothing more; its expected failure is no defect
    assert "scenario held on" not in text
    assert (
        "no-contradiction.yaml:3: scenario no-contradiction on python:python: fail "
        "SELFTEST selftest failed: expected failure did not happen: tls.version (pass)" in text
    )
    assert (
        "extra-failure.yaml:3: scenario extra-failure on python:python: fail "
        "SELFTEST selftest failed: unexpected failure: fix.logon" in text
    )
    assert "extra-failure.yaml:34: [fail] fix.logon" in text
    assert _verdicts(tmp_path / "out") == {
        "held": "pass",
        "no-contradiction": "fail",
        "extra-failure": "fail",
    }
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    by_id = {r["scenario_id"]: r for r in report["results"]}
    held = by_id["held"]["selftest"]
    assert held["held"] and held["expected_failed"] == ["tls.version"]
    # the report says the failure was expected: the check stays a fail, the note explains
    assert [c["verdict"] for c in by_id["held"]["checks"] if c["id"] == "tls.version"] == ["fail"]
    assert any(n["id"] == "selftest" for n in by_id["held"]["notes"])
    assert by_id["no-contradiction"]["selftest"]["missing"] == ["tls.version (pass)"]
    assert by_id["extra-failure"]["selftest"]["unexpected"] == ["fix.logon"]
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "## Self-tests: 1 of 3 held" in summary
    assert "expected failure did not happen: tls.version (pass)" in summary
