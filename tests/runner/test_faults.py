"""Faults during an item: a frozen tunnel, a killed tunnel, a crash in the harness.

Issue 15's cases, end to end with real stunnel processes:

* the server stunnel is frozen (SIGSTOP) 2.5 s into a scripted session whose scenario
  expects only ``tls`` and ``auth``: the item must not pass; ``fix.script`` fails as a
  stall naming the message that got no answer, and the result names the stopped
  tunnel (an error, exit 2). Control: the same scenario without the SIGSTOP passes.
* the client stunnel is SIGKILLed mid-session: the result is an error naming the
  client tunnel, the signal and its last log lines (exit 2), not a non-compliance
  verdict (exit 1).
* any exception inside one item becomes that item's error with its traceback in the
  artifacts; the other items run.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.backends.stunnel_local import LocalStunnelBackend
from harness.checks.facts import host_facts
from harness.checks.model import RunResult, Verdict
from harness.runner.pairs import BackendPair
from harness.runner.run import Item, Runner, collect, verdict_exit_code
from tests.runner.scenario_kit import IN_CI, replace_once, shipped

SCRIPT = """\
  script: |
    connect
    expect Logon
    orders 2
    wait 1.5
    orders 2
    wait 1.5
    orders 5
    wait 1.5
    orders 5
    logout
    expect Logout
    expect disconnect
"""


def _need_stunnel() -> None:
    if not LocalStunnelBackend().check().ok:
        if IN_CI:
            pytest.fail("stunnel must be installed in CI")
        pytest.skip("no stunnel")


def _scripted_tls_auth_only(tmp_path: Path, scenario_id: str) -> Path:
    """Guide case 1a with a conversation script that keeps the session going for
    about five seconds, and expectations for ``tls`` and ``auth`` only."""
    text = shipped("guide/1a-mutual-leaf-pinning")
    text = replace_once(text, "id: guide-1a\n", f"id: {scenario_id}\n")
    text = replace_once(text, "  heartbeat_s: 30\n", "  heartbeat_s: 30\n" + SCRIPT)
    text = replace_once(text, "  fix:\n    logon: accepted\n  messages: 5\n", "")
    path = tmp_path / f"{scenario_id}.yaml"
    path.write_text(text)
    return path


def _stunnel_pids(work_dir: Path, conf: str) -> list[int]:
    """stunnel processes of this run started with ``conf`` (their argv names the
    run's private work directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(work_dir).encode() in a and a.endswith(conf.encode()) for a in argv):
            found.append(int(entry.name))
    return found


def _signal_later(work_dir: Path, conf: str, sig: int, delay: float, sent: list[int]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pids = _stunnel_pids(work_dir, conf)
        if pids:
            time.sleep(delay)
            for pid in pids:
                os.kill(pid, sig)
                sent.append(pid)
            return
        time.sleep(0.02)


def _run_one(tmp_path: Path, path: Path, pair: str, sig: int | None, conf: str) -> tuple:
    runner = Runner(tmp_path / "report", timeout=3.0)
    try:
        (item,) = collect([path], [BackendPair.parse(pair)])
        sent: list[int] = []
        helper = None
        if sig is not None:
            helper = threading.Thread(
                target=_signal_later, args=(runner.dirs.work_dir, conf, sig, 2.5, sent)
            )
            helper.start()
        result = runner.run_item(item)
        if helper is not None:
            helper.join()
            assert sent, "the tunnel to signal was never found"
        leftover = _stunnel_pids(runner.dirs.work_dir, ".conf")
    finally:
        runner.close()
    return result, leftover


def test_frozen_server_tunnel_is_a_stall_not_a_pass(tmp_path: Path) -> None:
    _need_stunnel()
    path = _scripted_tls_auth_only(tmp_path, "frozen-server")
    result, leftover = _run_one(
        tmp_path, path, "python:stunnel-local", signal.SIGSTOP, "server.conf"
    )
    assert leftover == []
    assert result.verdict is not Verdict.PASS
    script = {c.id: c for c in result.checks}["fix.script"]
    assert script.verdict is Verdict.FAIL
    # frozen mid-session (under heavy load the freeze may land on the Logon instead)
    assert re.search(r"session stalled: (NewOrderSingle ClOrdID=ORD-\d+|Logon)", script.observed)
    assert "got no answer after" in script.observed
    assert result.error is not None
    assert "server tunnel (stunnel-local) stopped" in result.error
    run = RunResult(datetime.now(UTC), datetime.now(UTC), "t", host_facts(), (result,))
    assert verdict_exit_code(run) == 2


def test_control_same_script_unfrozen_passes(tmp_path: Path) -> None:
    _need_stunnel()
    path = _scripted_tls_auth_only(tmp_path, "unfrozen-server")
    result, leftover = _run_one(tmp_path, path, "python:stunnel-local", None, "server.conf")
    assert leftover == []
    assert result.error is None, result.error
    assert {c.id: c.verdict for c in result.checks}["fix.script"] is Verdict.PASS
    assert result.verdict is Verdict.PASS


def test_killed_client_tunnel_is_a_named_error(tmp_path: Path) -> None:
    _need_stunnel()
    path = _scripted_tls_auth_only(tmp_path, "killed-client")
    result, leftover = _run_one(
        tmp_path, path, "stunnel-local:python", signal.SIGKILL, "client.conf"
    )
    assert leftover == []
    assert result.error is not None
    assert "client tunnel (stunnel-local) killed by signal SIGKILL" in result.error
    assert "last log lines:" in result.error
    assert "seen at" in result.error
    run = RunResult(datetime.now(UTC), datetime.now(UTC), "t", host_facts(), (result,))
    assert verdict_exit_code(run) == 2  # an error, not non-compliance (1)


def test_exception_in_one_item_is_its_error_and_the_others_run(tmp_path: Path) -> None:
    import harness.runner.run as run_module

    real = run_module.observe

    def broken(scenario, pair, ctx, workdir, private_dir=None):  # type: ignore[no-untyped-def]
        if scenario.id == "guide-2":
            raise ZeroDivisionError("made-up bug in the harness")
        return real(scenario, pair, ctx, workdir, private_dir)

    guide = Path(__file__).resolve().parents[2] / "scenarios" / "guide"
    items: list[Item] = collect(
        [guide / "2-psk.yaml", guide / "1b-mutual-ca-chain.yaml"],
        [BackendPair.parse("python:python")],
    )
    runner = Runner(tmp_path / "report", observe_fn=broken)
    try:
        run = runner.run(items)
    finally:
        runner.close()
    by_id = {r.scenario_id: r for r in run.results}
    assert set(by_id) == {"guide-2", "guide-1b"}
    broken_result = by_id["guide-2"]
    assert broken_result.error is not None
    assert "internal error: ZeroDivisionError: made-up bug" in broken_result.error
    trace = tmp_path / "report" / broken_result.artifacts["traceback"]
    assert "ZeroDivisionError" in trace.read_text() and "Traceback" in trace.read_text()
    assert by_id["guide-1b"].verdict is Verdict.PASS
    assert verdict_exit_code(run) == 2


def test_loader_exception_is_that_files_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.runner.run as run_module

    real = run_module.load_scenario

    def broken(path: Path):  # type: ignore[no-untyped-def]
        if path.name == "2-psk.yaml":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path)

    monkeypatch.setattr(run_module, "load_scenario", broken)
    guide = Path(__file__).resolve().parents[2] / "scenarios" / "guide"
    items = collect(
        [guide / "2-psk.yaml", guide / "1b-mutual-ca-chain.yaml"],
        [BackendPair.parse("python:python")],
    )
    assert [i.scenario is None for i in items] == [True, False]
    runner = Runner(tmp_path / "report")
    try:
        run = runner.run(items)
    finally:
        runner.close()
    errors = [r.error for r in run.results if r.error]
    assert len(errors) == 1 and "internal error loading it: RecursionError" in errors[0]
    assert [r.verdict for r in run.results if not r.error] == [Verdict.PASS]
