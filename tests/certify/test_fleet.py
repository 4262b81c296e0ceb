"""certify fleet: inventory errors with file:line; a fleet of real endpoints (stunnel,
openssl s_server) with a compliant one, a defective one, one that hangs and one
whose certification crashes: each gets its own verdict, none stops the others, the
exit code is the worst verdict (control: the compliant one alone exits 0); gentle
mode spaces the connections to a host."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.certify import gate
from harness.certify.fleet import FleetOptions, load_inventory, run_fleet
from harness.certify.server import certify_server
from harness.cli import main
from harness.errors import LocatedError
from harness.pki import TestPKI
from harness.report import write_reports
from harness.report.fleet import write_fleet_dashboard
from tests.certify.peers import s_server
from tests.certify.watchkit import free_port, issue_leaf, stunnel_server
from tests.tunnel.kit import require_stunnel

FOUR = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384"
)


@pytest.fixture
def silent() -> Iterator[int]:
    """A loopback port that accepts TCP (kernel backlog) and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# -- inventory validation -------------------------------------------------------------

GOOD = "counterparties:\n  - name: a\n    address: 127.0.0.1:7001\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (GOOD + "    colour: red\n", 4, "unknown key 'colour'"),
        (GOOD + "  - name: a\n    address: 127.0.0.1:7002\n", 4, "name 'a' used twice"),
        (GOOD + "    cafile: nowhere.pem\n", 4, "no such file"),
        (GOOD + "    case: 4\n", 4, "case"),
        ("counterparties:\n  - name: a\n    address: 127.0.0.1\n", 3, "address"),
        (GOOD + "    fix: {sender: US, target: THEM, password_env: FIXS_NOT_SET_ANYWHERE}\n", 4,
         "environment variable FIXS_NOT_SET_ANYWHERE is not set"),
        (GOOD + "    fix: {sender: US, target: THEM, password_file: pw.txt}\n", 4,
         "readable by others"),
        ("counterparties: []\n", 1, "counterparties"),
    ],
)  # fmt: skip
def test_inventory_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text("secret-password\n")
    pw.chmod(0o644)
    inv = write(tmp_path / "inv.yaml", text)
    with pytest.raises(LocatedError) as info:
        load_inventory(inv)
    assert info.value.location.line == line, info.value
    assert message in info.value.message
    assert main(["certify", "fleet", str(inv), "--report-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert f"inv.yaml:{line}:" in err and "Traceback" not in err


def test_inventory_resolves_files_and_secrets(
    pki: TestPKI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative paths from the inventory's directory; a 0600 password file and an
    environment variable are read; their values are kept as secrets to redact."""
    (tmp_path / "pw.txt").write_text("file-password\n")
    (tmp_path / "pw.txt").chmod(0o600)
    monkeypatch.setenv("FIXS_TEST_RAW", "raw-secret")
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root_ca_path.read_bytes())
    inv = write(tmp_path / "inv.yaml", (
        "defaults: {case: 3b, timeout: 2}\n"
        "counterparties:\n"
        "  - name: acme\n    address: 127.0.0.1:7001\n    cafile: root.pem\n"
        "    fix: {sender: US, target: ACME, password_file: pw.txt, raw_data_env: FIXS_TEST_RAW}\n"
        f"  - name: psk-desk\n    address: 127.0.0.1:7002\n    case: '2'\n"
        f"    psk_secrets: {pki.psk_path}\n    gentle: true\n"
    ))  # fmt: skip
    acme, desk = load_inventory(inv)
    assert acme.request.trust.cafile == root and acme.request.case == "3b"
    assert acme.request.timeout == 2
    assert {"file-password", "raw-secret"} <= set(acme.secrets)
    assert desk.gentle and desk.request.credentials.psk_key and desk.secrets


# -- running a fleet ----------------------------------------------------------------------


def test_fleet_of_real_endpoints_hang_and_crash_do_not_stop_the_others(
    pki: TestPKI, tmp_path: Path, silent: int
) -> None:
    require_stunnel()
    good_cert, good_key = issue_leaf(pki, tmp_path / "c", "good", days=400)
    soon_cert, soon_key = issue_leaf(pki, tmp_path / "c", "soon", days=10)
    ca = pki.root_ca_path
    port = free_port()
    with (
        stunnel_server(tmp_path / "st", port, good_cert, good_key, FOUR),
        s_server(["-cert", soon_cert, "-key", soon_key, "-cipher", FOUR, "-tls1_2"],
                 tmp_path / "s.log") as soon,
    ):  # fmt: skip
        inv = write(tmp_path / "inv.yaml", (
            "defaults: {case: 3b, scope: tls, timeout: 3}\ncounterparties:\n"
            f"  - {{name: good, address: '127.0.0.1:{port}', cafile: '{ca}'}}\n"
            f"  - {{name: expiring, address: '127.0.0.1:{soon}'}}\n"
            f"  - {{name: hangs, address: '127.0.0.1:{silent}', timeout: 5}}\n"
            f"  - {{name: closed, address: '127.0.0.1:{free_port()}'}}\n"
            f"  - {{name: raises, address: '127.0.0.1:{port}'}}\n"
            f"  - {{name: crashes, address: '127.0.0.1:{port}'}}\n"
        ))  # fmt: skip
        counterparties = load_inventory(inv)

        children = tmp_path / "children"
        children.mkdir()

        def certify(request: Any, workdir: Path) -> Any:
            (children / str(os.getpid())).touch()  # in the child: its pid
            if workdir.name == "raises":
                raise RuntimeError("simulated error in the harness")
            if workdir.name == "crashes":
                os.abort()  # a hard crash (SIGABRT), as native code might
            return certify_server(request, workdir)

        events: list[str] = []
        t0 = time.monotonic()
        fleet = run_fleet(
            counterparties,
            FleetOptions(report_dir=tmp_path / "r", concurrency=3, deadline=2.5),
            write=write_reports,
            observer=lambda event, row: events.append(event),
            certify=certify,
        )
        elapsed = time.monotonic() - t0
    rows = {r.name: r for r in fleet.rows}
    assert [r.name for r in fleet.rows] == [
        "good", "expiring", "hangs", "closed", "raises", "crashes"
    ]  # fmt: skip
    assert (rows["good"].verdict, rows["good"].exit_code, rows["good"].defects) == ("pass", 0, ())
    assert rows["expiring"].verdict == "fail"
    assert rows["expiring"].defects == ("cert.expiry-horizon",)
    assert rows["expiring"].soonest is not None and rows["expiring"].soonest.days_left == 10
    assert rows["hangs"].verdict == "inconclusive"
    assert "did not finish within 2.5 s" in (rows["hangs"].error or "")
    assert rows["closed"].verdict == "inconclusive" and rows["closed"].error
    assert rows["raises"].verdict == "inconclusive"
    assert "simulated error" in (rows["raises"].error or "")
    assert rows["crashes"].verdict == "inconclusive"
    assert "harness crashed (signal 6)" in (rows["crashes"].error or "")
    assert fleet.exit_code == 1  # the worst verdict: one non-compliant counterparty
    assert events.count("done") == 6
    # no child left its private work directory, the one killed at the deadline (in
    # the middle of its scan) included
    pids = [int(p.name) for p in children.iterdir()]
    assert len(pids) == 6
    left = [
        d for pid in pids for d in Path(tempfile.gettempdir()).glob(f"fixs-harness-work-{pid}-*")
    ]
    assert left == []
    assert elapsed < 20
    # one report directory per certified counterparty, and the dashboard
    assert (tmp_path / "r" / "good" / "report.json").is_file()
    assert (tmp_path / "r" / "expiring" / "report.html").is_file()
    written = write_fleet_dashboard(fleet, tmp_path / "r")
    doc = json.loads(written["json"].read_text())
    assert doc["exit_code"] == 1 and doc["summary"] == {"pass": 1, "fail": 1, "inconclusive": 4}
    assert doc["counterparties"][1]["soonest_expiry"]["days_left"] == 10
    assert "expiring" in written["html"].read_text() and "| expiring |" in written[
        "markdown"
    ].read_text().replace("[expiring](expiring/summary.md)", "expiring")


def test_control_compliant_fleet_exits_0_through_the_cli(
    pki: TestPKI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_stunnel()
    cert, key = issue_leaf(pki, tmp_path / "c", "good", days=400)
    port = free_port()
    with stunnel_server(tmp_path / "st", port, cert, key, FOUR):
        inv = write(tmp_path / "inv.yaml", (
            "counterparties:\n"
            f"  - {{name: one, address: '127.0.0.1:{port}', case: 3b, scope: tls,"
            f" cafile: '{pki.root_ca_path}'}}\n"
            f"  - {{name: two, address: '127.0.0.1:{port}', case: 3b, scope: tls,"
            f" cafile: '{pki.root_ca_path}'}}\n"
        ))  # fmt: skip
        code = main(["certify", "fleet", str(inv), "--report-dir", str(tmp_path / "r"),
                     "--no-progress"])  # fmt: skip
        assert code == 0, capsys.readouterr().out
        doc = json.loads((tmp_path / "r" / "fleet.json").read_text())
        assert (tmp_path / "r" / "fleet.html").is_file() and (tmp_path / "r" / "fleet.md").is_file()
        # again into the same directory, each against its own last report there (read
        # before its directory is claimed): the dashboard shows no drift
        again = write(tmp_path / "inv2.yaml", inv.read_text().replace(
            "case: 3b, scope: tls,", "case: 3b, scope: tls, baseline: r/{name}/report.json,"
        ).replace("{name}", "one", 1).replace("{name}", "two", 1))  # fmt: skip
        second = main(["certify", "fleet", str(again), "--report-dir", str(tmp_path / "r"),
                       "--no-progress", "--format", "json"])  # fmt: skip
    assert doc["exit_code"] == 0 and [r["drift"] for r in doc["counterparties"]] == [None, None]
    doc2 = json.loads((tmp_path / "r" / "fleet.json").read_text())
    assert second == 0 and [r["drift"] for r in doc2["counterparties"]] == [0, 0]


def test_gentle_mode_spaces_connections_to_a_host(pki: TestPKI, tmp_path: Path) -> None:
    """Gentle: connection starts to the host at least the delay apart, one at a
    time; control: the same scan without gentle opens them in bursts."""
    cert, key = issue_leaf(pki, tmp_path / "c", "good", days=400)

    def certify(request: Any, workdir: Path) -> Any:  # runs in the forked child
        outcome = certify_server(request, workdir)
        times = sorted(w.c2s[0][0] for w in outcome.scan.all_wires() if w.c2s)
        (workdir / "starts.json").write_text(json.dumps(times))
        return outcome

    with s_server(
        ["-cert", cert, "-key", key, "-cipher", FOUR, "-tls1_2"], tmp_path / "s.log"
    ) as port:
        inv = write(
            tmp_path / "inv.yaml",
            f"counterparties:\n  - {{name: x, address: '127.0.0.1:{port}', case: 3b, scope: tls}}\n",
        )
        cps = load_inventory(inv)
        run_fleet(cps, FleetOptions(report_dir=tmp_path / "gentle", gentle_all=True,
                                    per_host_delay=0.1), write=write_reports,
                  certify=certify)  # fmt: skip
        run_fleet(cps, FleetOptions(report_dir=tmp_path / "burst"), write=write_reports,
                  certify=certify)  # fmt: skip
    starts = {
        name: json.loads((tmp_path / name / "x" / "starts.json").read_text())
        for name in ("gentle", "burst")
    }
    gentle_gaps = [b - a for a, b in zip(starts["gentle"], starts["gentle"][1:], strict=False)]
    burst_gaps = [b - a for a, b in zip(starts["burst"], starts["burst"][1:], strict=False)]
    assert len(gentle_gaps) > 10
    # times of the first bytes sent, a little after each connect: one gap may shrink
    # by scheduling jitter, the whole sequence cannot
    assert sum(gentle_gaps) >= 0.095 * len(gentle_gaps), gentle_gaps
    assert sorted(gentle_gaps)[len(gentle_gaps) // 2] >= 0.095
    assert sum(burst_gaps) < 0.05 * len(burst_gaps)  # control: bursts
    assert min(burst_gaps) < 0.02
    assert gate.wait_turn("127.0.0.1") == 0.0  # pacing removed after the run


# -- a stop signal while the fleet starts a child -------------------------------------


def test_signal_landing_in_process_start_leaves_every_counterparty_a_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop signal raised inside the fork of the second counterparty's child (before
    the child exists): the first counterparty's child sends its row, the second
    and the one still pending are each "not run: interrupted by SIGINT", none is
    missing from the dashboard, no child is left. No endpoint is contacted: the
    certification is a stand-in that raises (its row is a harness error)."""
    import multiprocessing.process

    real_start = multiprocessing.process.BaseProcess.start

    def start(self: Any) -> None:
        if self.name == "fleet-second":
            raise KeyboardInterrupt
        real_start(self)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", start)
    closed = free_port()
    inv = write(tmp_path / "inv.yaml", "counterparties:\n" + "".join(
        f"  - {{name: {n}, address: '127.0.0.1:{closed}'}}\n" for n in ("first", "second", "third")
    ))  # fmt: skip

    def certify(request: Any, workdir: Path) -> Any:  # in the first child only
        raise RuntimeError("stand-in")

    def wait_for_first(event: str, row: Any) -> None:
        if event == "start":  # let the first child finish before the second starts
            time.sleep(0.2)

    result = run_fleet(load_inventory(inv), FleetOptions(report_dir=tmp_path / "r", concurrency=2),
                       write=write_reports, certify=certify, observer=wait_for_first)  # fmt: skip
    rows = {r.name: r for r in result.rows}
    assert result.interrupted == "SIGINT"
    assert list(rows) == ["first", "second", "third"]
    assert rows["second"].error == rows["third"].error == "not run: interrupted by SIGINT"
    # its child ran (the stand-in's error), or was stopped by the forwarded signal
    assert rows["first"].error is not None and not rows["first"].error.startswith("not run")
    assert [c for c in multiprocessing.active_children() if c.name.startswith("fleet-")] == []
