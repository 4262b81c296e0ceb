"""``certify server`` stopped by SIGINT, SIGTERM, SIGHUP (and SIGINT then SIGTERM during
the clean-up): issue 15, item 3.

Two slow loopback endpoints, each run as the CLI would be (a subprocess):

* a *silent* port (the kernel completes TCP, nobody answers): the version probes wait
  out a 60 s ``--timeout``; the signal must end them within seconds and the report
  hold only inconclusive checks (nothing finished), never a pass;
* stunnel (guide section 3, TLS 1.2) in front of a FIX engine that reads the Logon
  and never answers: the TLS scan finishes, then the FIX Logon probe waits; the
  signal arrives while its in-process tunnel listens. The TLS checks keep their
  verdicts, the ``fix.logon.*`` checks are inconclusive.

Each asserts the exit status (128 + the first signal), the report marked interrupted,
the previous run's report gone, and 0 processes, listeners and work directories left
(:class:`tests.integration.test_signals.Watched`). The negative control runs the same
FIX endpoint uninterrupted: a report without ``interrupted`` whose FIX check failed
(no answer to the Logon), so the inconclusive verdicts above come from the signal.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from harness.pki import TestPKI
from harness.runner.sockets import live_sockets
from tests.integration.test_signals import CLI, NOTHING, Watched, _old_report
from tests.tunnel.kit import guide_config, require_stunnel

from . import hostile

SIGNALS = [(signal.SIGINT,), (signal.SIGTERM,), (signal.SIGHUP,), (signal.SIGINT, signal.SIGTERM)]
IDS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGINT+SIGTERM"]


def _certify(port: int, report: Path, *extra: str) -> list[str]:
    return [*CLI, "certify", "server", f"127.0.0.1:{port}", "--report-dir", str(report),
            "--no-evidence", "--concurrency", "4", *extra]  # fmt: skip


def _connected_to(watched: Watched, port: int) -> bool:
    return any(s.remote[1] == port for s in live_sockets(watched.proc.pid))


def _assert_interrupted(report: Path, name: str) -> dict[str, str]:
    doc = json.loads((report / "report.json").read_text())
    assert doc["interrupted"] == name
    (result,) = doc["results"]
    notes = {n["id"]: n["text"] for n in result["notes"]}
    assert notes["interrupted"].startswith(f"stopped by {name}; probe steps finished:")
    summary = (report / "summary.md").read_text()
    assert f"INTERRUPTED by {name}" in summary and "PASS" not in summary.splitlines()[0]
    assert result["verdict"] != "pass" and result["error"].startswith(f"interrupted by {name}")
    assert not (report / "artifacts" / "old-scenario").exists()
    pcap = report / "certify-server.pcap"
    assert not pcap.exists() or pcap.read_bytes() != b"old"
    return {c["id"]: c["verdict"] for c in result["checks"]}


@pytest.mark.parametrize("sigs", SIGNALS, ids=IDS)
def test_silent_port_scan_stopped_by_signal(sigs: tuple[int, ...], tmp_path: Path) -> None:
    report = tmp_path / "r"
    _old_report(report)
    (report / "certify-server.pcap").write_bytes(b"old")
    with hostile.raw_server(None) as port:
        cmd = Watched(_certify(port, report, "--timeout", "60"), tmp_path)
        cmd.wait_until(lambda: _connected_to(cmd, port))
        time.sleep(0.3)
        started = time.monotonic()
        code, out, err = cmd.stop(*sigs, gap=0.05)
        took = time.monotonic() - started
    name = signal.Signals(sigs[0]).name
    assert code == 128 + sigs[0], err
    assert took < 15, f"the probes did not stop promptly: {took:.1f} s"
    assert f"interrupted by {name}: probe steps finished: none" in err
    assert f"INTERRUPTED by {name}" in out and "COMPLIANT" not in out
    assert cmd.leftovers() == NOTHING
    checks = _assert_interrupted(report, name)
    assert checks, "an interrupted report still lists the checks"
    assert set(checks.values()) <= {"inconclusive", "not-applicable", "not-reached"}, checks


@pytest.mark.parametrize("sigs", [*SIGNALS, ()], ids=[*IDS, "uninterrupted"])
def test_fix_probe_stopped_by_signal(sigs: tuple[int, ...], pki: TestPKI, tmp_path: Path) -> None:
    """The FIX engine reads the Logon and stays silent; ``()`` is the negative control."""
    report = tmp_path / "r"
    _old_report(report)
    (report / "certify-server.pcap").write_bytes(b"old")
    fix = ["--case", "3b", "--cafile", str(pki.chain_path), "--sender", "CLIENT1",
           "--target", "SERVER1", "--timeout", "3" if not sigs else "30"]  # fmt: skip
    with hostile.raw_server(hostile.stall_after_read) as engine:
        conf = guide_config("3-server", pki, connect=("127.0.0.1", engine))
        with require_stunnel().start(conf, tmp_path, label="server") as server:
            port = server.address()[1]
            cmd = Watched(_certify(port, report, *fix), tmp_path)
            if not sigs:
                out, err = cmd.proc.communicate(timeout=120)
                code = cmd.proc.returncode
            else:
                cmd.wait_until(lambda: bool(cmd.ports))  # the FIX probe's tunnel listens
                time.sleep(0.3)
                started = time.monotonic()
                code, out, err = cmd.stop(*sigs, gap=0.05)
                took = time.monotonic() - started
    assert cmd.leftovers() == NOTHING
    if not sigs:
        doc = json.loads((report / "report.json").read_text())
        assert doc.get("interrupted") is None, err
        checks = {c["id"]: c["verdict"] for c in doc["results"][0]["checks"]}
        assert checks["fix.logon.accepted"] == "fail", checks
        assert code == 1, err
        return
    name = signal.Signals(sigs[0]).name
    assert code == 128 + sigs[0], err
    assert took < 15, f"the FIX probe did not stop promptly: {took:.1f} s"
    assert f"interrupted by {name}: probe steps finished: versions, suites, all" in err
    assert f"INTERRUPTED by {name}" in out
    checks = _assert_interrupted(report, name)
    assert checks["fix.logon.accepted"] == "inconclusive"
    assert checks["tls.version.supported"] == "pass"
    assert "pass" in checks.values() and "fail" not in checks.values(), checks


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_fleet_stopped_by_signal(sig: int, tmp_path: Path) -> None:
    """``certify fleet``: the signal reaches the parent only (children have their own
    process groups); the child certifying the silent port writes its report marked
    interrupted, the counterparty not yet started is "not run", the dashboard says
    INTERRUPTED, no child is left, exit 128 + the signal."""
    report = tmp_path / "r"
    with hostile.raw_server(None) as port:
        inventory = tmp_path / "inv.yaml"
        inventory.write_text(
            "defaults: {timeout: 60}\ncounterparties:\n"
            f"  - {{name: first, address: '127.0.0.1:{port}'}}\n"
            f"  - {{name: second, address: '127.0.0.1:{port}'}}\n"
        )
        cmd = Watched([*CLI, "certify", "fleet", str(inventory), "--report-dir", str(report),
                       "--concurrency", "1", "--no-progress"], tmp_path)  # fmt: skip

        def probing() -> bool:
            return any(_connected_to_pid(p, port) for p in cmd.pids)

        cmd.wait_until(probing)
        time.sleep(0.3)
        code, _out, err = cmd.stop(sig)
    name = signal.Signals(sig).name
    assert code == 128 + sig, err
    assert f"interrupted by {name}: 0 of 2 counterparties finished" in err
    assert cmd.leftovers() == NOTHING
    doc = json.loads((report / "fleet.json").read_text())
    assert doc["interrupted"] == name and doc["exit_code"] == 128 + sig
    rows = {r["name"]: r for r in doc["counterparties"]}
    assert rows["first"]["verdict"] == "inconclusive"
    assert rows["first"]["error"].startswith(f"interrupted by {name}")
    assert rows["second"]["error"] == f"not run: interrupted by {name}"
    assert json.loads((report / "first" / "report.json").read_text())["interrupted"] == name
    assert f"INTERRUPTED by {name}" in (report / "fleet.md").read_text()


def _connected_to_pid(pid: int, port: int) -> bool:
    return any(s.remote[1] == port for s in live_sockets(pid))
