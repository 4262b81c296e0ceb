"""A report directory is safe to share (issue 15, item 4).

Every shipped scenario runs (python:python, and stunnel-local:python when stunnel is
installed, so that both tunnels' configs and logs are covered), with ``keep_keys`` so
that the run's TLS traffic secrets can be looked for too. Then every file under the
report directory is scanned for every secret (private keys, PSK keys, FIX passwords
and RawData, proxy passwords, TLS traffic secrets) raw, as hex and as base64, and
tshark tries to decrypt every pcap with any key material found there: 0 hits.

Negative controls show the scan and the decryption can fire: the kept key logs
(outside the report directory) decrypt the pcaps, and a copy of one key log or the
PKI put into a report-like directory is found.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness.backends.stunnel_local import LocalStunnelBackend
from harness.report import write_reports
from harness.runner.pairs import BackendPair
from harness.runner.run import Runner, collect
from harness.scenario import load_scenario
from harness.scenario.loader import scenario_files
from harness.stunnelconf.logfacts import parse_log
from tests.integration.secret_scan import (
    Secret,
    decryptions,
    key_material,
    keylog_secrets,
    private_key_secrets,
    psk_secrets,
    scan,
)
from tests.runner.scenario_kit import require_tool

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"


def _scenario_secrets() -> list[Secret]:
    out: list[Secret] = []
    for path in scenario_files([SCENARIOS]):
        for value in load_scenario(path).secrets():
            out.append(Secret(f"inline secret of {path.name}", value.encode()))
    return out


def test_no_secret_under_the_report_directory(tmp_path: Path) -> None:
    require_tool("tshark")
    pairs = [BackendPair.parse("python:python")]
    if LocalStunnelBackend().check().ok:
        pairs.append(BackendPair.parse("stunnel-local:python"))
    items = collect([SCENARIOS], pairs)
    report = tmp_path / "report"
    runner = Runner(report, keep_keys=True, workers=2)
    try:
        run = runner.run(items)
        write_reports(run, report, secrets=sorted(runner.secrets))
        secrets = [
            *private_key_secrets(runner.dirs.pki_dir),
            *psk_secrets(runner.dirs.pki_dir),
            *_scenario_secrets(),
        ]
    finally:
        kept = runner.close()
    try:
        assert len(run.results) == len(items)
        assert not [r for r in run.results if r.error], [r.error for r in run.results if r.error]
        # the key logs were kept where asked, owner-only, outside the report, and named
        assert kept
        for path in kept:
            assert not path.is_relative_to(report)
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        notes = [n.text for r in run.results for n in r.notes if n.id == "keylog-kept"]
        assert any(str(kept[0]) in text for text in notes)
        secrets += keylog_secrets(kept)
        assert len([s for s in secrets if "PSK" in s.label]) >= 3
        assert (
            len([s for s in secrets if "TRAFFIC_SECRET" in s.label or "CLIENT_RANDOM" in s.label])
            >= 10
        )
        assert [s for s in secrets if "inline" in s.label]

        hits = scan(report, secrets)
        assert hits == []
        lines, pems = key_material(report)
        assert lines == [] and pems == []
        assert decryptions(report) == {}

        # negative controls: with the kept key logs tshark does decrypt these pcaps,
        # and the scan finds a key log or the PKI once copied under a directory
        tls13 = [p for p in report.rglob("*.pcap") if "tls13" in str(p)]
        probe = tls13[0].parents[1] if tls13 else report
        assert decryptions(probe, extra_keylogs=kept, limit=4)
        leaky = tmp_path / "leaky"
        leaky.mkdir()
        shutil.copy(kept[0], leaky / "tls.keylog")
        assert scan(leaky, secrets)
    finally:
        shutil.rmtree(kept[0].parents[3] if kept else tmp_path / "none", ignore_errors=True)


def test_run_keep_keys_cli(tmp_path: Path) -> None:
    """``run --keep-keys``: the report names the kept key log; without it nothing is kept."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "300", "NO_COLOR": "1"}
    scenario = SCENARIOS / "versions" / "tls13-when-server-uncapped.yaml"
    cmd = [sys.executable, "-m", "harness", "run", str(scenario)]
    done = subprocess.run(
        [*cmd, "--report-dir", str(tmp_path / "k"), "--keep-keys"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((tmp_path / "k" / "report.json").read_text())
    (note,) = [n for r in doc["results"] for n in r["notes"] if n["id"] == "keylog-kept"]
    kept = Path(note["text"].split(" (mode 0600)")[0])
    try:
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert "CLIENT_TRAFFIC_SECRET_0" in kept.read_text()
        assert "key log(s) kept" in done.stdout
    finally:
        shutil.rmtree(kept.parents[3])
    done = subprocess.run(
        [*cmd, "--report-dir", str(tmp_path / "n")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "keylog-kept" not in (tmp_path / "n" / "report.json").read_text()
    assert not list((tmp_path / "n").rglob("*.keylog"))


def test_tunnel_keylog_tightens_existing_file(tmp_path: Path) -> None:
    """``tunnel --keylog F`` on an existing 0644 file leaves it 0600."""
    keylog = tmp_path / "keys.log"
    keylog.write_text("# earlier content\n")
    keylog.chmod(0o644)
    conf = tmp_path / "c.conf"
    conf.write_text(
        "foreground = yes\ndebug = info\n[c]\nclient = yes\naccept = 127.0.0.1:0\n"
        "connect = 127.0.0.1:9\n"
    )
    log = tmp_path / "t.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness", "tunnel", "-c", str(conf), "--keylog", str(keylog)],
            stderr=fh,
            stdout=fh,
            env=env,
        )
    try:
        deadline = time.monotonic() + 30
        while "c" not in parse_log(log.read_text()).bound:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert stat.S_IMODE(keylog.stat().st_mode) == 0o600
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert keylog.read_text().startswith("# earlier content")


def _stderr_lines(proc: subprocess.Popen[str]) -> list[str]:
    """Collect the command's stderr lines as they come (read on a daemon thread)."""
    lines: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)

    threading.Thread(target=pump, name="stderr-pump", daemon=True).start()
    return lines


def _wait_for(lines: list[str], pattern: str, proc: subprocess.Popen[str]) -> re.Match[str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in list(lines):
            if m := re.search(pattern, line):
                return m
        assert proc.poll() is None, "".join(lines)
        time.sleep(0.05)
    raise AssertionError(f"no line matching {pattern!r} in {''.join(lines)!r}")


def test_certify_client_report_directory_has_no_secret(tmp_path: Path) -> None:
    """``certify client`` makes its test PKI in a private 0700 work directory (keys
    0600), deleted after the run; the report directory (reports, pcap, evidence pack,
    the public ``root-ca.pem``) holds no private key of any leaf, in PEM, DER, raw
    numbers, hex or base64, and no TLS secret of the rounds; tshark cannot decrypt its
    pcaps with anything found there. Negative controls: the client's own key log does
    decrypt them, and a planted key (PEM, and DER) is found by the scan."""
    require_tool("tshark")
    openssl = require_tool("openssl")
    report = tmp_path / "r"
    # what an older version left: a report and pki/ with a private key in it
    (report / "pki").mkdir(parents=True)
    (report / "pki" / "old.key").write_text("-----BEGIN PRIVATE KEY-----\nold\n")
    (report / "report.json").write_text("{}")
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "400", "NO_COLOR": "1"}
    started = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "certify", "client", "--listen", "127.0.0.1:0",
         "--report-dir", str(report), "--wait", "30", "--timeout", "5"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines = _stderr_lines(proc)
    keylog = tmp_path / "client.keylog"
    try:
        m = _wait_for(lines, r"listening on 127\.0\.0\.1:(\d+); the client must trust (\S+)", proc)
        port, root = int(m.group(1)), Path(m.group(2))
        assert root == report / "root-ca.pem"
        assert b"PRIVATE KEY" not in root.read_bytes()
        assert not (report / "pki").exists()  # the old version's keys are gone first
        # its own, not an older namesake's (pids are reused)
        (work,) = [
            d
            for d in Path(tempfile.gettempdir()).glob(f"fixs-harness-work-{proc.pid}-*")
            if d.stat().st_mtime >= started - 1
        ]
        assert not work.is_relative_to(report)
        assert stat.S_IMODE(work.stat().st_mode) == 0o700
        key_files = [
            p for p in (work / "pki").rglob("*") if p.is_file() and b"PRIVATE KEY" in p.read_bytes()
        ]
        assert len(key_files) >= 4  # a leaf per round at least
        for path in key_files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        secrets = private_key_secrets(work / "pki")
        planted_pem = key_files[0].read_bytes()
        for _round in range(4):
            subprocess.run(
                [openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(root),
                 "-verify_return_error", "-verify_ip", "127.0.0.1", "-keylogfile", str(keylog)],
                input=b"8=FIX.4.4\x019=20\x0135=A\x01554=hunter2\x01",
                capture_output=True, timeout=30, check=False,
            )  # fmt: skip
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode in (0, 1), out + "".join(lines)  # judged, not an error
    assert not work.exists()  # the private work directory is deleted after the run
    doc = json.loads((report / "report.json").read_text())
    checks = {c["id"]: c["verdict"] for c in doc["results"][0]["checks"]}
    assert checks["auth.server-certificate.valid.accepted"] == "pass"
    assert (report / "evidence").is_dir() and (report / "certify-client.pcap").is_file()

    secrets += keylog_secrets([keylog])
    assert len([s for s in secrets if "TRAFFIC_SECRET" in s.label]) >= 2
    assert scan(report, secrets) == []
    assert key_material(report) == ([], [])
    # any decrypted record counts (the rounds carry handshakes, rarely application data)
    assert decryptions(report, display_filter="tls") == {}

    # negative controls: the client's key log decrypts the report's pcaps, and a
    # planted leaf key is found as PEM and as DER
    assert decryptions(report, extra_keylogs=[keylog], display_filter="tls")
    for name, data in (
        ("leaked.pem", planted_pem),
        ("leaked.der", next(s.value for s in secrets if "(DER)" in s.label)),
    ):
        leaky = tmp_path / f"leaky-{name}"
        shutil.copytree(report, leaky)
        (leaky / "evidence" / name).write_bytes(data)
        assert scan(leaky, secrets), name
