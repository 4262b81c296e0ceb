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
import shutil
import signal
import stat
import subprocess
import sys
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
