"""The self-test judgement, the not-reached marking and the known check ids, on made-up
results (no network).

A self-test item passes only when exactly its ``must_fail`` checks failed. Each row of
the table below changes one thing against the held case, so a judgement that passed
everything (or nothing) could not pass these tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.checks.consequences import mark_not_reached
from harness.checks.ids import CHECK_IDS
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


def test_proxy_refusal_makes_the_unknowns_not_reached() -> None:
    checks = [
        check("tls.handshake.captured", INC),
        check("proxy.connect", F),
        check("log.matches-wire.client", INC),
        check("socket.nodelay", INC),
    ]
    marked = {c.id: c for c in mark_not_reached(checks)}
    assert marked["proxy.connect"].verdict is F
    for check_id in ("tls.handshake.captured", "log.matches-wire.client", "socket.nodelay"):
        assert marked[check_id].verdict is NR
        assert marked[check_id].consequence_of == "proxy.connect"
    # control: a proxy that let the client through explains nothing
    passed = [check("tls.handshake.captured", INC), check("proxy.connect", P)]
    assert [c.verdict for c in mark_not_reached(passed)] == [INC, P]


def test_failed_logon_explains_only_the_unread_nodelay() -> None:
    checks = [check("fix.logon", F), check("socket.nodelay", INC), check("auth.psk", INC)]
    marked = {c.id: c for c in mark_not_reached(checks)}
    assert marked["socket.nodelay"].verdict is NR
    assert marked["socket.nodelay"].consequence_of == "fix.logon"
    assert marked["auth.psk"].verdict is INC  # not a consequence of the logon
    # control: an accepted logon explains nothing
    ok = [check("fix.logon", P), check("socket.nodelay", INC)]
    assert [c.verdict for c in mark_not_reached(ok)] == [P, INC]


def test_every_id_evaluate_names_is_known() -> None:
    """evaluate.py's literal ids and f-string families must all be in CHECK_IDS, so
    a self-test can name them; a new check id must be added there."""
    source = (REPO / "harness" / "checks" / "evaluate.py").read_text()
    literal = set(
        re.findall(r'"((?:tls|auth|fix|proxy|log|socket)\.[a-z0-9.+-]*[a-z0-9])"', source)
    )
    assert literal, "no check ids found: has evaluate.py moved?"
    assert literal <= CHECK_IDS, sorted(literal - CHECK_IDS)
    families = set(re.findall(r'f"((?:tls|auth|fix|proxy|log|socket)\.[a-z.-]*)\{', source))
    for family in families:
        assert any(i.startswith(family) for i in CHECK_IDS), family


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
    from harness.runner.execute import Observation
    from harness.runner.pairs import BackendPair
    from harness.runner.selftest import misreport_log
    from harness.stunnelconf.logfacts import parse_log

    text = (
        "LOG5[0]: Service [fix-client] accepted connection from 127.0.0.1:5000\n"
        "LOG6[0]: TLSv1.2 ciphersuite: ECDHE-RSA-AES256-GCM-SHA384 (256-bit encryption)\n"
    )
    obs = Observation(BackendPair("python", "python"), client_log=parse_log(text))
    server_before = obs.first_connection("server")
    note = misreport_log(obs, "client")
    conn = obs.first_connection("client")
    assert conn is not None and conn.version == "TLSv1.2"
    assert conn.cipher == "AES128-GCM-SHA256"  # another suite than the log's
    assert "ECDHE-RSA-AES256-GCM-SHA384" in note and "unchanged" in note
    assert obs.first_connection("server") == server_before  # the other side untouched
    # a log that reports no negotiation is left alone (the self-test then fails)
    empty = Observation(BackendPair("python", "python"))
    assert "nothing was replaced" in misreport_log(empty, "server")
