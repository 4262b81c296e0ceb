"""Verdicts are derived, never stored: fail > inconclusive (or error) > pass."""

from __future__ import annotations

from harness.checks.model import RunResult, Verdict, combine


def test_combine_rules() -> None:
    P, F, INC = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE
    assert combine([P, P]) is P
    assert combine([P, INC]) is INC
    assert combine([INC, F, P]) is F
    assert combine([P], error=True) is INC
    assert combine([F], error=True) is F
    assert combine([]) is INC  # nothing checked is not a pass


def test_run_verdicts(run: RunResult) -> None:
    by_id = {r.scenario_id: r for r in run.results}
    assert by_id["guide-1a"].verdict is Verdict.PASS
    assert by_id["guide-1a-wrong-expectation"].verdict is Verdict.FAIL
    assert by_id["guide-3b"].verdict is Verdict.INCONCLUSIVE
    assert by_id["broken"].verdict is Verdict.INCONCLUSIVE
    assert run.verdict is Verdict.FAIL
    assert run.counts() == {Verdict.PASS: 4, Verdict.FAIL: 1, Verdict.INCONCLUSIVE: 2}
    assert run.backend_pairs[0] == "python:python"
    assert by_id["guide-1a-wrong-expectation"].client_backend == "stunnel-local"
