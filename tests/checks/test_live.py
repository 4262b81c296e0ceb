"""The catalogue on real runs (loopback, the four local pairs): the checkIP negative
control quotes its root cause, a checkIP mismatch where a session is expected is one
defect with the FIX checks not reached, and Nagle on fails socket.nodelay under the
guide profile whatever the config says."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checks.model import ScenarioResult, Verdict
from harness.runner.pairs import BackendPair, make_backend
from harness.runner.run import Item, Runner, collect
from tests.runner.scenario_kit import NEGATIVE, replace_once, require_tool, shipped

PAIRS = (
    "python:python",
    "python:stunnel-local",
    "stunnel-local:python",
    "stunnel-local:stunnel-local",
)
SUBJECT_CHECK_FAILED = "CERT: Subject checks failed"
GATE = "auth.server-certificate+fix-credentials"


def _pair(name: str) -> BackendPair:
    if "stunnel-local" in name:
        require_tool("stunnel")
    pair = BackendPair.parse(name)
    for backend in (pair.client, pair.server):
        avail = make_backend(backend).check()
        if not avail.ok:
            pytest.skip(f"{backend}: {avail.reason}")
    return pair


def _run(tmp_path: Path, path: Path, pair: BackendPair) -> ScenarioResult:
    items: list[Item] = collect([path], [pair])
    assert len(items) == 1
    result = Runner(tmp_path / "report", workers=1).run(items).results[0]
    assert result.error is None, result.error
    return result


def _checks(result: ScenarioResult) -> dict[str, tuple[Verdict, str | None, tuple[str, ...]]]:
    return {c.id: (c.verdict, c.consequence_of, c.evidence) for c in result.checks}


@pytest.mark.parametrize("pair_name", PAIRS)
def test_checkip_mismatch_quotes_the_subject_check_line(tmp_path: Path, pair_name: str) -> None:
    result = _run(tmp_path, NEGATIVE / "checkip-mismatch.yaml", _pair(pair_name))
    assert result.verdict is Verdict.PASS
    refused = next(c for c in result.checks if c.id == "auth.refused-with-alert")
    assert any(SUBJECT_CHECK_FAILED in line for line in refused.evidence), refused.evidence
    assert result.negotiated is None  # refused: no "Negotiated" block


@pytest.mark.parametrize("pair_name", PAIRS)
def test_checkip_mismatch_where_a_session_is_expected_is_one_defect(
    tmp_path: Path, pair_name: str
) -> None:
    # the shipped negative control with the expectations of a working 3b set-up
    text = replace_once(
        shipped("negative/checkip-mismatch"),
        "  auth: {outcome: handshake-refused, alert: internal_error, refused_by: client}\n",
        "  auth: server-certificate+fix-credentials\n  fix: {logon: accepted}\n  messages: 3\n",
    )
    path = tmp_path / "checkip-expected-to-work.yaml"
    path.write_text(text)
    result = _run(tmp_path, path, _pair(pair_name))
    checks = _checks(result)
    assert [c.id for c in result.failed_checks] == [GATE]
    assert any(SUBJECT_CHECK_FAILED in line for line in checks[GATE][2]), checks[GATE]
    assert any("internal_error(80)" in line for line in checks[GATE][2]), checks[GATE]
    for id in ("fix.logon", "fix.roundtrip", "fix.script"):
        assert checks[id][:2] == (Verdict.NOT_REACHED, GATE), (id, checks[id])
    assert result.verdict is Verdict.FAIL
    assert result.negotiated is None


@pytest.mark.parametrize("pair_name", PAIRS)
def test_nagle_on_fails_socket_nodelay_under_the_guide(tmp_path: Path, pair_name: str) -> None:
    text = shipped("guide/1a-mutual-leaf-pinning")
    text = replace_once(text, "id: guide-1a\n", "id: nagle-on\n")
    off = "      socket = l:TCP_NODELAY=0\n      socket = r:TCP_NODELAY=0\n"
    text = replace_once(text, "      sslVersion = TLSv1.2\n", "      sslVersion = TLSv1.2\n" + off)
    text = replace_once(
        text, "      CAfile = {pki.server_rsa.pin}\n", "      CAfile = {pki.server_rsa.pin}\n" + off
    )
    path = tmp_path / "nagle-on.yaml"
    path.write_text(text)
    result = _run(tmp_path, path, _pair(pair_name))
    failed = {c.id for c in result.failed_checks}
    assert failed == {f"socket.nodelay.{t}.{k}" for t in ("client", "server") for k in ("l", "r")}
    assert result.negotiated is not None  # the handshake itself completed
