"""The pytest plugin, driven by pytester as a user drives it: ``pytest scenarios/``.

Each test writes scenario files (copies of the shipped ones with one thing altered)
under a ``scenarios/`` directory in pytester's temporary directory and runs pytest
there, in process, or in a subprocess where xdist is involved. Every failing case is
paired with a passing control in the same run, so a plugin that failed everything
(or nothing) could not pass these tests.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

# Imported here, before any in-process pytester run: pytester restores sys.modules
# after each run, and cryptography's hash classes re-imported by a later run are no
# longer the ones its Rust core registered ("Algorithm must be a registered hash
# algorithm"). Modules imported by the outer session survive the restore.
import harness.report
import harness.runner.run  # noqa: F401
from tests.runner.scenario_kit import (
    GUIDE,
    case_1a_c030,
    selftest_tls_version,
    with_bad_yaml,
    with_unknown_key,
    with_unknown_stunnel_option,
)

pytest_plugins = ["pytester"]

# tap capture needs no privileges, so these tests behave the same as non-root
BASE_ARGS = ("-p", "no:cacheprovider", "--fixs-capture", "tap")
# the plugin's default is the four local pairs; these tests count one pair's items
ONE_PAIR = ("--fixs-pair", "python:python")


def _write(pytester: pytest.Pytester, name: str, text: str) -> str:
    path = pytester.path / "scenarios" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_wrong_cipher_expectation_names_file_line_check_expected_observed(
    pytester: pytest.Pytester,
) -> None:
    # the client offers only 0xC030; one copy expects that (control), one expects 0xC02F
    good = _write(pytester, "c030-right.yaml", case_1a_c030("0xC030", scenario_id="c030-right"))
    wrong = _write(pytester, "c030-wrong.yaml", case_1a_c030("0xC02F", scenario_id="c030-wrong"))
    result = pytester.runpytest(*BASE_ARGS, *ONE_PAIR, "--fixs-report-dir", "out", "scenarios")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    # file:line of the failing scenario (its id line), the check, expected, observed
    result.stdout.fnmatch_lines(
        [
            f"{wrong}:3: scenario c030-wrong on python:python: fail",
            "*[[]fail[]] tls.cipher.expected (guide *): expected 0xC02F; observed 0xC030 *",
        ]
    )
    assert f"{good}:" not in out  # the control produced no failure text
    assert "FAILED scenarios/c030-wrong.yaml::c030-wrong[python:python]" in out
    # the reports written at session end agree with the item outcomes
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    verdicts = {r["scenario_id"]: r["verdict"] for r in report["results"]}
    assert verdicts == {"c030-right": "pass", "c030-wrong": "fail"}
    wrong_result = next(r for r in report["results"] if r["scenario_id"] == "c030-wrong")
    assert wrong_result["negotiated"]["cipher"]["code"] == "0xC030"


def test_wrong_cipher_expectation_points_at_the_expectation_line(
    pytester: pytest.Pytester,
) -> None:
    text = case_1a_c030("0xC02F", scenario_id="c030-wrong")
    path = _write(pytester, "c030-wrong.yaml", text)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "cipher: 0xC02F" in t)
    result = pytester.runpytest(*BASE_ARGS, *ONE_PAIR, "scenarios")
    result.assert_outcomes(failed=1)
    # the tls expectation block starts one line above the cipher (``tls:``)
    assert f"{path}:{line - 1}" in result.stdout.str() or f"{path}:{line}" in result.stdout.str()


def test_malformed_scenarios_fail_only_their_own_items_with_file_line(
    pytester: pytest.Pytester,
) -> None:
    bad_yaml, yaml_line = with_bad_yaml("broken-yaml")
    unknown_key, key_line = with_unknown_key("broken-key")
    bad_option, option_line = with_unknown_stunnel_option("broken-option")
    paths = {
        "yaml": _write(pytester, "a-broken-yaml.yaml", bad_yaml),
        "key": _write(pytester, "b-broken-key.yaml", unknown_key),
        "option": _write(pytester, "c-broken-option.yaml", bad_option),
    }
    # the control, sorted last, still runs and passes after three broken files
    _write(pytester, "z-good.yaml", (GUIDE / "1a-mutual-leaf-pinning.yaml").read_text())
    result = pytester.runpytest(*BASE_ARGS, *ONE_PAIR, "-rA", "scenarios")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines_random(
        [
            f"*error: {paths['yaml']}:{yaml_line}: YAML syntax error*",
            f"*error: {paths['key']}:{key_line}: unknown key 'fixx_typo'*",
            f"*error: {paths['option']}:{option_line}: *verifyChian*",
            "PASSED scenarios/z-good.yaml::guide-1a[[]python:python[]]",
        ]
    )


def test_xdist_two_workers_run_the_shipped_guide_scenarios(pytester: pytest.Pytester) -> None:
    shipped = sorted(GUIDE.glob("*.yaml"))
    assert len(shipped) >= 5, "the guide's five use cases must be shipped"
    target = pytester.path / "scenarios" / "guide"
    target.mkdir(parents=True)
    for path in shipped:
        shutil.copy(path, target / path.name)
    # a deliberately wrong copy: xdist must report it as a failure like a serial run
    _write(pytester, "wrong.yaml", case_1a_c030("0xC02F", scenario_id="c030-wrong"))
    result = pytester.runpytest_subprocess(
        *BASE_ARGS, *ONE_PAIR, "-n", "2", "--fixs-report-dir", "out", "scenarios", timeout=300
    )
    result.assert_outcomes(passed=len(shipped), failed=1)
    result.stdout.fnmatch_lines(["*2 workers*", "*tls.cipher.expected*expected 0xC02F*"])
    # each worker writes its own report directory; together they hold every result
    reports = sorted((pytester.path / "out").glob("gw*/report.json"))
    assert [p.parent.name for p in reports] == ["gw0", "gw1"]
    seen = [r for p in reports for r in json.loads(p.read_text())["results"]]
    assert len(seen) == len(shipped) + 1
    assert sorted(r["verdict"] for r in seen) == ["fail"] + ["pass"] * len(shipped)


def _stunnel_items(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(pytester, "1a.yaml", (GUIDE / "1a-mutual-leaf-pinning.yaml").read_text())
    monkeypatch.setenv("FIXS_STUNNEL", "/nonexistent/stunnel")


def test_unavailable_backend_is_a_skip_outside_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stunnel_items(pytester, monkeypatch)
    monkeypatch.delenv("CI", raising=False)
    result = pytester.runpytest(
        *BASE_ARGS,
        "-rs",
        "--fixs-pair",
        "python:python",
        "--fixs-pair",
        "python:stunnel-local",
        "scenarios",
    )
    # python:python (the control) ran and passed; the stunnel pair skipped, saying why
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["SKIPPED *backend stunnel-local cannot run here: */nonexistent/stunnel*"]
    )


def test_unavailable_backend_is_a_failure_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stunnel_items(pytester, monkeypatch)
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest(
        *BASE_ARGS,
        "--fixs-pair",
        "python:python",
        "--fixs-pair",
        "python:stunnel-local",
        "scenarios",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*backend stunnel-local cannot run here*(CI=true: a missing backend is a failure)*"]
    )


@pytest.mark.stunnel
def test_stunnel_pair_runs_when_stunnel_is_there(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the two tests above: the same item, with the real binary, runs."""
    if shutil.which("stunnel") is None and not os.path.exists("/usr/bin/stunnel"):
        if os.environ.get("CI") == "true":
            pytest.fail("stunnel is not installed (CI=true)")
        pytest.skip("stunnel is not installed")
    _write(pytester, "1a.yaml", (GUIDE / "1a-mutual-leaf-pinning.yaml").read_text())
    monkeypatch.delenv("FIXS_STUNNEL", raising=False)
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest(*BASE_ARGS, "--fixs-pair", "python:stunnel-local", "scenarios")
    result.assert_outcomes(passed=1)


def test_a_selftest_item_passes_exactly_when_its_checks_fail(pytester: pytest.Pytester) -> None:
    """The held self-test passes; the same file with the contradiction removed (the
    expected failure does not happen) fails, and so does one with an extra failure."""
    paths = {
        variant: _write(
            pytester,
            f"selftest/{variant}.yaml",
            selftest_tls_version(variant, scenario_id=variant),
        )
        for variant in ("held", "no-contradiction", "extra-failure")
    }
    result = pytester.runpytest(*BASE_ARGS, *ONE_PAIR, "--fixs-report-dir", "out", "scenarios")
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    result.stdout.fnmatch_lines_random(
        [
            f"{paths['no-contradiction']}:3: scenario no-contradiction on python:python: fail",
            "*selftest failed: expected failure did not happen: tls.version (pass)",
            f"{paths['extra-failure']}:3: scenario extra-failure on python:python: fail",
            "*selftest failed: unexpected failure: fix.logon",
            "*[[]fail, expected[]] tls.version (guide 2.2): expected TLSv1.3; observed TLSv1.2",
            "*[[]fail[]] fix.logon (guide 3.4)*",
        ]
    )
    assert "FAILED scenarios/selftest/held.yaml" not in out
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    verdicts = {r["scenario_id"]: r["verdict"] for r in report["results"]}
    assert verdicts == {"held": "pass", "no-contradiction": "fail", "extra-failure": "fail"}
