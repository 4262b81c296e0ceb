"""The self-test judgement and the known check ids, on made-up
results (no network).

A self-test item passes only when exactly its ``must_fail`` checks failed. Each row of
the table below changes one thing against the held case, so a judgement that passed
everything (or nothing) could not pass these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checks.ids import check_ids
from harness.checks.model import CheckResult, ScenarioResult, Verdict
from harness.checks.selftest import judge_selftest
from harness.errors import SourceLocation
from harness.runner.selftest import left_out

P, F, INC, W = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.WARN
NA, NR = Verdict.NOT_APPLICABLE, Verdict.NOT_REACHED
REPO = Path(__file__).resolve().parents[2]


def check(check_id: str, verdict: Verdict, consequence_of: str | None = None) -> CheckResult:
    return CheckResult(check_id, check_id, None, verdict, "e", "o", consequence_of=consequence_of)


def result(*checks: CheckResult, error: str | None = None) -> ScenarioResult:
    return ScenarioResult(
        "s", "t", SourceLocation("x.yaml", 1), "python:python", checks=checks, error=error
    )


MUST = ("tls.version", "fix.logon")
HELD = (check("tls.handshake.captured", P), check("tls.version", F), check("fix.logon", F))


@pytest.mark.parametrize(
    ("checks", "error", "verdict", "fragment"),
    [
        pytest.param(HELD, None, P, "selftest ok: 2 expected failures", id="held"),
        pytest.param(
            (*HELD, check("socket.nodelay", W), check("tls.cipher.in-profile", NA)),
            None,
            P,
            "selftest ok",
            id="warnings-and-not-applicable-elsewhere-do-not-count",
        ),
        pytest.param(
            (*HELD, check("socket.nodelay", NR, consequence_of="fix.logon")),
            None,
            P,
            "selftest ok",
            id="not-reached-because-of-an-expected-failure",
        ),
        pytest.param(
            (check("tls.version", P), check("fix.logon", F)),
            None,
            F,
            "expected failure did not happen: tls.version (pass)",
            id="expected-failure-passed",
        ),
        pytest.param(
            (check("fix.logon", F),),
            None,
            F,
            "tls.version (absent)",
            id="expected-failure-absent",
        ),
        pytest.param(
            (check("tls.version", W), check("fix.logon", F)),
            None,
            F,
            "tls.version (warn)",
            id="expected-failure-only-a-warning",
        ),
        pytest.param(
            (*HELD, check("tls.cipher.expected", F)),
            None,
            F,
            "unexpected failure: tls.cipher.expected",
            id="an-extra-failure",
        ),
        pytest.param(
            (*HELD, check("log.matches-wire.client", INC)),
            None,
            INC,
            "not judged: log.matches-wire.client",
            id="another-check-inconclusive",
        ),
        pytest.param(
            (check("tls.version", INC), check("fix.logon", F)),
            None,
            INC,
            "not judged: tls.version",
            id="expected-failure-inconclusive",
        ),
        pytest.param(
            (*HELD, check("socket.nodelay", NR, consequence_of="auth.psk-suite")),
            None,
            INC,
            "not judged: socket.nodelay",
            id="not-reached-for-another-cause",
        ),
        pytest.param((), "tunnel did not start", INC, "not judged: error", id="harness-error"),
        pytest.param(
            (check("tls.version", P), check("fix.logon", F), check("log.matches-wire.server", INC)),
            None,
            F,
            "tls.version (pass)",
            id="missing-outranks-inconclusive",
        ),
    ],
)
def test_judgement(
    checks: tuple[CheckResult, ...], error: str | None, verdict: Verdict, fragment: str
) -> None:
    outcome = judge_selftest(result(*checks, error=error), MUST)
    assert outcome.verdict is verdict
    assert outcome.held is (verdict is Verdict.PASS)
    assert fragment in outcome.summary()


def test_a_selftest_result_takes_the_judgement_as_its_verdict() -> None:
    from dataclasses import replace

    plain = result(*HELD)
    assert plain.verdict is F  # the checks alone fold to fail
    judged = replace(plain, selftest=judge_selftest(plain, MUST))
    assert judged.verdict is P and judged.checks_verdict is F
    extra = result(*HELD, check("fix.script", F))
    judged_extra = replace(extra, selftest=judge_selftest(extra, MUST))
    assert judged_extra.verdict is F


def test_known_ids_are_the_catalogues() -> None:
    """A self-test can name exactly the ids the check registry can emit."""
    from harness.checks.catalogue import RUN_CHECKS

    assert check_ids() == frozenset(RUN_CHECKS.ids)
    assert "tls.cipher.expected" in check_ids()
    assert "socket.nodelay" not in check_ids()  # a family, not an id


@pytest.mark.parametrize(
    ("path", "searched", "out"),
    [
        ("scenarios/selftest/a.yaml", "scenarios", True),
        ("scenarios/selftest/tls/a.yaml", "scenarios", True),
        ("scenarios/selftest/a.yaml", "scenarios/selftest", False),
        ("scenarios/guide/a.yaml", "scenarios", False),
        ("/repo/selftest/scenarios/guide/a.yaml", "/repo/selftest/scenarios", False),
    ],
)
def test_a_directory_search_leaves_selftest_directories_out(
    path: str, searched: str, out: bool
) -> None:
    assert left_out(Path(path), Path(searched)) is out


def test_misreport_log_changes_the_facts_not_the_file_and_says_so() -> None:
    from harness.runner.execute import ScenarioRun
    from harness.runner.pairs import BackendPair
    from harness.runner.selftest import misreport_log
    from harness.stunnelconf.logfacts import parse_log

    text = (
        "LOG5[0]: Service [fix-client] accepted connection from 127.0.0.1:5000\n"
        "LOG6[0]: TLSv1.2 ciphersuite: ECDHE-RSA-AES256-GCM-SHA384 (256-bit encryption)\n"
    )
    obs = ScenarioRun(BackendPair("python", "python"), client_log=parse_log(text))
    server_before = obs.first_connection("server")
    note = misreport_log(obs, "client")
    conn = obs.first_connection("client")
    assert conn is not None and conn.version == "TLSv1.2"
    assert conn.cipher == "AES128-GCM-SHA256"  # another suite than the log's
    assert "ECDHE-RSA-AES256-GCM-SHA384" in note and "unchanged" in note
    assert obs.first_connection("server") == server_before  # the other side untouched
    # a log that reports no negotiation is left alone (the self-test then fails)
    empty = ScenarioRun(BackendPair("python", "python"))
    assert "nothing was replaced" in misreport_log(empty, "server")
