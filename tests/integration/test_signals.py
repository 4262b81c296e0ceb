"""Every stop signal cleans up: SIGINT, SIGTERM and SIGHUP to ``run``, ``tunnel``,
``fix``, ``certify`` and the pytest plugin (issue 15, item 3).

Each case starts the command as a user or a CI system would (a subprocess), waits
until it has tunnels, listeners or containers up, sends the signal, and then counts
what this run left behind: its stunnel processes (every process descended from the
command, seen while it ran), the TCP ports they and the command listened on, its
containers (by the run label, which carries the command's pid), and its private work
directory. Each count must be 0; the exit status must be 128 + the signal; a report
written by an interrupted run says so and never leaves the previous run's report
looking current.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from harness.backends.stunnel_local import LocalStunnelBackend
from harness.runner.sockets import live_sockets

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"
CLI = [sys.executable, "-m", "harness"]


def _need_stunnel() -> None:
    if not LocalStunnelBackend().check().ok:
        if IN_CI:
            pytest.fail("stunnel must be installed in CI")
        pytest.skip("no stunnel")


def _running_from(marker: str) -> set[int]:
    """Live processes whose command line mentions ``marker``."""
    out: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline and _alive(int(entry.name)):
            out.add(int(entry.name))
    return out


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier and c not in out}
        out |= frontier
    return out


def _listening(pid: int) -> set[int]:
    return {s.local[1] for s in live_sockets(pid) if s.listening}


def _all_listening_ports() -> set[int]:
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            next(fh)
            for line in fh:
                parts = line.split()
                if parts[3] == "0A":
                    ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _containers_of(pid: int) -> list[str]:
    out = subprocess.run(
        [
            "docker",
            "ps",
            "-a",
            "--filter",
            "label=fixs-harness=1",
            "--format",
            '{{.ID}} {{.Label "fixs-harness.run"}}',
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        line.split()[0]
        for line in out.stdout.splitlines()
        if len(line.split()) > 1 and line.split()[1].startswith(f"fixs-{pid}-")
    ]


def _drain(stream: IO[str] | None, into: list[str]) -> None:
    """Keep what a pipe delivers, a character at a time (pytest's progress dots come
    without a line end)."""
    if stream is None:
        return
    for char in iter(lambda: stream.read(1), ""):
        into.append(char)


class Watched:
    """A command under test: what it started, recorded while it ran."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
        self.started_at = time.time()
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.pids: set[int] = set()
        self.ports: set[int] = set()
        # what it printed so far, read as it comes (readiness conditions look at it)
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [
            threading.Thread(target=_drain, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=_drain, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @property
    def out(self) -> str:
        return "".join(self._out)

    @property
    def err(self) -> str:
        return "".join(self._err)

    def sample(self) -> None:
        kids = _descendants(self.proc.pid)
        self.pids |= kids
        for pid in {self.proc.pid, *kids}:
            self.ports |= _listening(pid)

    def wait_until(self, ready: object, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sample()
            if ready():  # type: ignore[operator]
                return
            if self.proc.poll() is not None:
                for reader in self._readers:
                    reader.join(10)
                pytest.fail(f"the command ended first: {self.out} {self.err}")
            time.sleep(0.05)
        self.proc.kill()
        pytest.fail("the command never got going")

    def stop(self, *sigs: int, gap: float = 0.3) -> tuple[int, str, str]:
        for index, sig in enumerate(sigs):
            if index:
                time.sleep(gap)
                self.sample()
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=90)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for reader in self._readers:
                reader.join(10)
        return self.proc.returncode, self.out, self.err

    def leftovers(self) -> dict[str, object]:
        """What this command started that is still there (all must be empty): the
        processes seen while it ran, and any process running from its private work
        directory (one started after the last look, e.g. as the signal landed, is
        found that way: its parent is gone, so it is nobody's descendant)."""
        time.sleep(0.2)
        # a directory of an earlier process with the same pid (pids are reused) is not
        # this command's: only those made since it started count
        work = [
            d
            for d in Path(tempfile.gettempdir()).glob(f"fixs-harness-work-{self.proc.pid}-*")
            if d.stat().st_mtime >= self.started_at - 1
        ]
        own = _running_from(f"fixs-harness-work-{self.proc.pid}-")
        return {
            "processes": sorted({p for p in self.pids if _alive(p)} | own),
            "listeners": sorted(self.ports & _all_listening_ports()),
            "work dirs": work,
        }


NOTHING = {"processes": [], "listeners": [], "work dirs": []}


def _old_report(report: Path) -> None:
    """A previous run's report: it must not survive an interrupted run looking current."""
    (report / "artifacts" / "old-scenario" / "python-python").mkdir(parents=True)
    (report / "artifacts" / "old-scenario" / "python-python" / "server.log").write_text("old\n")
    (report / "report.json").write_text(json.dumps({"summary": {"passed": 152}}))
    (report / "summary.md").write_text("152 passed\n")


def _started_items(report: Path, watched: Watched) -> bool:
    """Stunnels are running and at least one item has been recorded as finished: the
    run's per-item line (``[1/8] guide-1a…: pass``, printed after the result is
    kept) or pytest's first progress mark. (Published artifacts are not enough: an
    item publishes them before it returns, and one still returning when the signal
    lands is, rightly, not a result.)"""
    stunnels = [p for p in watched.pids if _alive(p)]
    run_line = re.search(r"^\[\d+/\d+\] ", watched.err, re.M) is not None
    pytest_mark = re.search(r"^[.FE]", watched.out, re.M) is not None
    return bool(stunnels) and (run_line or pytest_mark)


@pytest.mark.parametrize(
    "sigs",
    [
        (signal.SIGINT,),
        (signal.SIGTERM,),
        (signal.SIGHUP,),
        (signal.SIGINT, signal.SIGTERM),  # timeout(1)-style: a second signal mid-clean-up
    ],
    ids=["SIGINT", "SIGTERM", "SIGHUP", "SIGINT+SIGTERM"],
)
def test_run_stopped_by_signal_leaves_nothing(sigs: tuple[int, ...], tmp_path: Path) -> None:
    _need_stunnel()
    report = tmp_path / "r"
    _old_report(report)
    cmd = Watched(
        [
            *CLI,
            "run",
            str(REPO / "scenarios" / "guide"),
            "-p",
            "stunnel-local:stunnel-local",
            "--report-dir",
            str(report),
            "--workers",
            "2",
        ],
        tmp_path,
    )
    cmd.wait_until(lambda: _started_items(report, cmd))
    code, _out, err = cmd.stop(*sigs)
    first = signal.Signals(sigs[0]).name
    assert code == 128 + sigs[0], err
    assert f"interrupted by {first}" in err
    assert cmd.pids, "the run never started a stunnel"
    assert cmd.leftovers() == NOTHING
    doc = json.loads((report / "report.json").read_text())
    assert doc["interrupted"] == first
    assert 1 <= len(doc["results"]) < 8  # what finished, not the whole run
    assert f"INTERRUPTED by {first}" in (report / "summary.md").read_text()
    assert not (report / "artifacts" / "old-scenario").exists()
    assert not (report / "pki").exists()  # keys live in the private work directory


def test_run_sigkill_leaves_no_stale_report(tmp_path: Path) -> None:
    """SIGKILL cannot be caught: the previous report is gone before the run starts."""
    report = tmp_path / "r"
    _old_report(report)
    cmd = Watched(
        [*CLI, "run", str(REPO / "scenarios" / "guide"), "--report-dir", str(report)], tmp_path
    )
    cmd.wait_until(lambda: (report / ".fixs-harness-report").exists())
    cmd.stop(signal.SIGKILL)
    assert (
        not (report / "report.json").exists()
        or "interrupted" in (report / "report.json").read_text()
    )
    assert not (report / "summary.md").exists()
    assert not (report / "artifacts" / "old-scenario").exists()
    for work in Path(tempfile.gettempdir()).glob(f"fixs-harness-work-{cmd.proc.pid}-*"):
        import shutil

        shutil.rmtree(work)  # a SIGKILLed run cannot clean up: its private dir is ours to remove


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_tunnel_stopped_by_signal(sig: int, tmp_path: Path) -> None:
    conf = tmp_path / "c.conf"
    conf.write_text(
        "foreground = yes\ndebug = info\n[c]\nclient = yes\naccept = 127.0.0.1:0\n"
        "connect = 127.0.0.1:9\n"
    )
    pid_file = tmp_path / "t.pid"
    conf.write_text(conf.read_text().replace("debug = info\n", f"debug = info\npid = {pid_file}\n"))
    cmd = Watched([*CLI, "tunnel", "-c", str(conf)], tmp_path)
    cmd.wait_until(lambda: bool(cmd.ports))
    code, _out, err = cmd.stop(sig)
    assert code == 128 + sig, err
    assert "Terminated" in err
    assert cmd.leftovers() == NOTHING
    assert not pid_file.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_fix_acceptor_stopped_by_signal(sig: int, tmp_path: Path) -> None:
    cmd = Watched(
        [*CLI, "fix", "acceptor", "--listen", "127.0.0.1:0", "--sender", "S", "--target", "C"],
        tmp_path,
    )
    cmd.wait_until(lambda: bool(cmd.ports))
    code, _out, err = cmd.stop(sig)
    assert code == 128 + sig, err
    assert f"interrupted by {signal.Signals(sig).name}" in err
    assert cmd.leftovers() == NOTHING


@pytest.mark.parametrize(
    "sigs",
    [(signal.SIGINT,), (signal.SIGTERM,), (signal.SIGHUP,), (signal.SIGINT, signal.SIGTERM)],
    ids=["SIGINT", "SIGTERM", "SIGHUP", "SIGINT+SIGTERM"],
)
def test_certify_client_stopped_by_signal(sigs: tuple[int, ...], tmp_path: Path) -> None:
    """One round finished (the valid certificate, taken by ``openssl s_client``), the
    listener waiting for the second: the signal closes it, the private work directory
    (the test PKI's keys) is deleted, and the report, marked interrupted, holds the
    finished round; the previous run's report and an older version's ``pki/`` are gone."""
    report = tmp_path / "r"
    _old_report(report)
    (report / "pki").mkdir()
    (report / "pki" / "old.key").write_text("-----BEGIN PRIVATE KEY-----\n")
    (report / "certify-client.pcap").write_bytes(b"old")
    cmd = Watched(
        [
            *CLI,
            "certify",
            "client",
            "--listen",
            "127.0.0.1:0",
            "--profile",
            "stunnel-guide-2017",
            "--report-dir",
            str(report),
            "--no-evidence",
        ],
        tmp_path,
    )
    root = report / "root-ca.pem"
    cmd.wait_until(lambda: bool(cmd.ports) and root.is_file())
    (port,) = cmd.ports
    subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(root),
         "-verify_return_error", "-verify_ip", "127.0.0.1"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False,
    )  # fmt: skip
    cmd.sample()
    assert cmd.proc.poll() is None and port in _listening(cmd.proc.pid)  # round 2 waits
    code, _out, err = cmd.stop(*sigs, gap=0.05)
    name = signal.Signals(sigs[0]).name
    assert code == 128 + sigs[0], err
    assert f"interrupted by {name}: 1 of 4 round(s) finished" in _out + err
    assert cmd.leftovers() == NOTHING
    doc = json.loads((report / "report.json").read_text())
    assert doc["interrupted"] == name
    (result,) = doc["results"]
    notes = {n["id"]: n["text"] for n in result["notes"]}
    assert "rounds that finished: valid (of" in notes["interrupted"]
    checks = {c["id"]: c["verdict"] for c in result["checks"]}
    assert checks["auth.server-certificate.valid.accepted"] == "pass"
    assert checks["auth.server-certificate.expired.refused"] == "inconclusive"
    assert f"INTERRUPTED by {name}" in (report / "summary.md").read_text()
    assert (report / "certify-client.pcap").read_bytes() != b"old"
    assert not (report / "artifacts" / "old-scenario").exists()
    assert not (report / "pki").exists()


def test_certify_client_stopped_while_making_its_pki(tmp_path: Path) -> None:
    """SIGTERM while the test PKI is generated (the listener is bound first): an
    interrupted report with no round, the half-made PKI's work directory deleted."""
    report = tmp_path / "r"
    cmd = Watched(
        [*CLI, "certify", "client", "--listen", "127.0.0.1:0", "--report-dir", str(report),
         "--no-evidence"],
        tmp_path,
    )  # fmt: skip
    cmd.wait_until(lambda: bool(cmd.ports))
    making = not (report / "root-ca.pem").exists()
    code, out, err = cmd.stop(signal.SIGTERM)
    assert code == 143, err
    assert cmd.leftovers() == NOTHING
    doc = json.loads((report / "report.json").read_text())
    assert doc["interrupted"] == "SIGTERM"
    notes = {n["id"]: n["text"] for n in doc["results"][0]["notes"]}
    assert "rounds that finished: none" in notes["interrupted"]
    assert "0 of 4 round(s) finished" in out + err
    if making:  # the signal came during the generation (the usual case: it takes seconds)
        assert not (report / "root-ca.pem").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_pytest_plugin_stopped_by_signal(sig: int, tmp_path: Path) -> None:
    _need_stunnel()
    report = tmp_path / "r"
    scen = tmp_path / "scenarios"
    scen.mkdir()
    for path in sorted((REPO / "scenarios" / "guide").glob("*.yaml")):
        (scen / path.name).write_text(path.read_text())
    cmd = Watched(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "-q",
            str(scen),
            "--fixs-pair",
            "stunnel-local:stunnel-local",
            "--fixs-report-dir",
            str(report),
        ],
        tmp_path,
    )
    cmd.wait_until(lambda: _started_items(report, cmd))
    code, out, err = cmd.stop(sig)
    assert code == 128 + sig, out + err
    assert cmd.leftovers() == NOTHING
    doc = json.loads((report / "report.json").read_text())
    assert doc["interrupted"] == signal.Signals(sig).name
    assert len(doc["results"]) >= 1


@pytest.mark.docker
def test_run_with_containers_stopped_by_sigterm(tmp_path: Path) -> None:
    _need_stunnel()
    from harness.runner.pairs import make_backend

    if not make_backend("stunnel-docker/bookworm").check().ok:
        if IN_CI:
            pytest.fail("the stunnel-docker backend must run in CI")
        pytest.skip("no Docker engine or image")
    report = tmp_path / "r"
    cmd = Watched(
        [
            *CLI,
            "run",
            str(REPO / "scenarios" / "guide"),
            "-p",
            "stunnel-docker/bookworm:stunnel-local",
            "--report-dir",
            str(report),
        ],
        tmp_path,
    )
    seen: set[str] = set()

    def containers_up() -> bool:
        seen.update(_containers_of(cmd.proc.pid))
        return bool(seen) and bool(list(report.glob("artifacts/guide-*/*/server.log")))

    cmd.wait_until(containers_up, timeout=180)
    code, _out, err = cmd.stop(signal.SIGTERM)
    assert code == 143, err
    assert seen
    assert cmd.leftovers() == NOTHING
    assert _containers_of(cmd.proc.pid) == []
    assert re.search(r'"interrupted": "SIGTERM"', (report / "report.json").read_text())
