"""evaluate(): the registry folded over one observation. One defect reads as one
defect (later checks that failed because of it are not-reached and name it), a
failed handshake check quotes the root cause, and a registry is well formed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.checks.evaluate import evaluate
from harness.checks.model import CheckResult, ScenarioResult, Verdict
from harness.checks.registry import Check, CheckSpec, Registry
from harness.errors import SourceLocation
from tests.checks.catalogue_cases import (
    EXPECT_FIX_CREDS,
    EXPECT_OK,
    EXPECT_REFUSED,
    FIX_REFUSED,
    GUIDE,
    GUIDE_WARN,
    OBS_CHECKIP,
    OBS_OK,
    SUBJECT_CHECK_FAILED,
    sockets,
)

GATE = "auth.server-certificate+fix-credentials"


def by_id(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.id: r for r in results}


def scenario(results: list[CheckResult]) -> ScenarioResult:
    return ScenarioResult("s", "s", SourceLocation("s.yaml", 1), "python:python", tuple(results))


def test_a_refused_handshake_is_one_defect_with_its_root_cause_quoted() -> None:
    results = by_id(evaluate(EXPECT_FIX_CREDS, GUIDE, OBS_CHECKIP))
    gate = results[GATE]
    assert gate.verdict is Verdict.FAIL
    assert any(SUBJECT_CHECK_FAILED in line for line in gate.evidence)
    assert any("internal_error(80) from the client" in line for line in gate.evidence)
    consequences = {id: r for id, r in results.items() if id.startswith(("fix.", "socket.nodelay"))}
    assert set(consequences) == {
        "fix.logon",
        "fix.roundtrip",
        "fix.script",
        "socket.nodelay.client.l",
        "socket.nodelay.client.r",
        "socket.nodelay.server.l",
        "socket.nodelay.server.r",
    }
    for r in consequences.values():
        assert r.verdict is Verdict.NOT_REACHED, r
        assert r.consequence_of == GATE, r
        assert r.reason is not None and r.reason.startswith(f"not reached: consequence of {GATE}")
    assert [r.id for r in results.values() if r.verdict is Verdict.FAIL] == [GATE]
    assert scenario(list(results.values())).verdict is Verdict.FAIL


def test_the_same_refusal_expected_passes_and_still_quotes_the_log() -> None:
    results = by_id(evaluate(EXPECT_REFUSED, GUIDE, OBS_CHECKIP))
    refused = results["auth.refused-with-alert"]
    assert refused.verdict is Verdict.PASS
    assert any(SUBJECT_CHECK_FAILED in line for line in refused.evidence)
    assert scenario(list(results.values())).verdict is Verdict.PASS


def test_a_fix_failure_after_a_good_handshake_is_its_own_defect() -> None:
    results = by_id(evaluate(EXPECT_OK, GUIDE, replace(OBS_OK, fix=FIX_REFUSED, sockets=())))
    assert results["auth.mutual-certificate"].verdict is Verdict.PASS
    assert results["fix.logon"].verdict is Verdict.FAIL
    assert results["fix.logon"].consequence_of is None
    # the round trips and the script failed because the logon did
    for id in ("fix.roundtrip", "fix.script", "socket.nodelay.client.l"):
        assert results[id].verdict is Verdict.NOT_REACHED
        assert results[id].consequence_of == "fix.logon"


def test_a_check_that_held_anyway_stays_a_pass() -> None:
    # the acceptor counted the orders although the gate failed: nothing is rewritten
    obs = replace(OBS_CHECKIP, fix=replace(FIX_REFUSED, logon_accepted=True))
    results = by_id(evaluate(EXPECT_FIX_CREDS, GUIDE, obs))
    assert results["fix.logon"].verdict is Verdict.PASS


def test_nagle_on_fails_under_the_guide_and_warns_where_the_profile_says_so() -> None:
    nagle = replace(OBS_OK, sockets=sockets(False, configured="0"))
    failed = by_id(evaluate(EXPECT_OK, GUIDE, nagle))
    assert {r.id for r in failed.values() if r.verdict is Verdict.FAIL} == {
        f"socket.nodelay.{t}.{k}" for t in ("client", "server") for k in ("l", "r")
    }
    assert failed["socket.nodelay.client.l"].rule == "recommendation"
    assert scenario(list(failed.values())).verdict is Verdict.FAIL
    warned = evaluate(EXPECT_OK, GUIDE_WARN, nagle)
    assert [r.verdict for r in warned if r.id.startswith("socket.")] == [Verdict.WARN] * 4
    assert scenario(warned).verdict is Verdict.PASS


def _spec(id: str, after: tuple[str, ...] = ()) -> CheckSpec:
    return CheckSpec(id, id, None, "test", after=after)


def _pass(spec: CheckSpec, facts: object) -> CheckResult:
    return spec.result(Verdict.PASS, "x", "x")


def test_a_registry_refuses_duplicate_ids_and_unknown_predecessors() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        Registry("t", [Check(_spec("a"), _pass), Check(_spec("a"), _pass)])
    with pytest.raises(ValueError, match="not registered before it"):
        Registry("t", [Check(_spec("a", after=("b",)), _pass), Check(_spec("b"), _pass)])


def test_a_judge_answers_only_for_its_own_id() -> None:
    def other(spec: CheckSpec, facts: object) -> CheckResult:
        return _spec("b").result(Verdict.PASS, "x", "x")

    with pytest.raises(AssertionError, match="returned a result for b"):
        Registry("t", [Check(_spec("a"), other)]).evaluate(None)
