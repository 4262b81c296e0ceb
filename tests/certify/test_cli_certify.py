"""The certify CLI: exit codes, the same report files as 'run', no secret in them."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from harness.backends.python import PythonBackend
from harness.cli import main
from harness.pki import TestPKI
from tests.tunnel.kit import EchoServer, guide_config

from .peers import s_server, server_args


def test_compliant_and_noncompliant_exit_codes_and_reports(pki: TestPKI, workdir: Path) -> None:
    reports = workdir / "r"
    with s_server(server_args(pki), workdir / "s.log") as port:
        ok = main(["certify", "server", f"127.0.0.1:{port}", "--case", "3b", "--scope", "tls",
                   "--cafile", str(pki.root_ca_path), "--report-dir", str(reports)])  # fmt: skip
        bad = main(["certify", "server", f"127.0.0.1:{port}", "--case", "1a",
                    "--report-dir", str(workdir / "r2"), "--format", "json"])  # fmt: skip
    assert ok == 0
    assert {p.name for p in reports.iterdir()} >= {
        "report.json",
        "junit.xml",
        "report.html",
        "summary.md",
        "certify-server.pcap",
    }
    data = json.loads((reports / "report.json").read_text())
    ids = {c["id"] for c in data["results"][0]["checks"]}
    assert {"tls.version.tls1_1.refused", "tls.cipher.required.0xC030", "cert.san-matches"} <= ids
    # 1a without --cert: our certificate's acceptance cannot be checked (inconclusive),
    # but a definite failure outranks that: non-compliant.
    assert bad == 1
    data2 = json.loads((workdir / "r2" / "report.json").read_text())
    failed = {c["id"] for c in data2["results"][0]["checks"] if c["verdict"] == "fail"}
    assert failed == {"auth.client-certificate.required"}


def test_case_3b_without_cafile_or_fix_is_incomplete(
    pki: TestPKI, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 11: 3b is defined by the CA chain check and the FIX Logon checks; a run
    without --cafile and FIX credentials is incomplete (exit 2), naming the flags.
    Control: with --cafile and --scope tls it is compliant, saying TLS only."""
    with s_server(server_args(pki), workdir / "s.log") as port:
        bare = main(["certify", "server", f"127.0.0.1:{port}", "--case", "3b",
                     "--report-dir", str(workdir / "a"), "--format", "json"])  # fmt: skip
        out_bare = capsys.readouterr().out
        tls_only = main(["certify", "server", f"127.0.0.1:{port}", "--case", "3b",
                         "--cafile", str(pki.root_ca_path), "--scope", "tls",
                         "--report-dir", str(workdir / "b"), "--format", "json"])  # fmt: skip
        out_tls = capsys.readouterr().out
    assert bare == 2
    flat = " ".join(out_bare.split())
    assert "--cafile" in flat and "--sender/--target" in flat
    data = json.loads((workdir / "a" / "report.json").read_text())
    chain = next(c for c in data["results"][0]["checks"] if c["id"] == "cert.chain-complete")
    assert chain["verdict"] == "inconclusive" and "--cafile" in chain["reason"]
    assert tls_only == 0
    assert "TLS layer only: FIX logon not checked" in " ".join(out_tls.split())


def test_failure_outranks_inconclusive(pki: TestPKI, workdir: Path) -> None:
    report = workdir / "r"
    with s_server(server_args(pki), workdir / "s.log") as port:
        code = main(["certify", "server", f"127.0.0.1:{port}", "--case", "1a",
                     "--cert", str(pki.client_rsa.pem_path), "--report-dir", str(report)])  # fmt: skip
    assert code == 1
    # the must-refuse client certificates (case 1a) were made, and their keys stayed
    # in the private work directory, outside the report directory
    result = json.loads((report / "report.json").read_text())["results"][0]
    assert any(c["id"] == "auth.client-certificate.expired.refused" for c in result["checks"])
    files = [p for p in report.rglob("*") if p.is_file()]
    assert files and [p for p in files if b"PRIVATE KEY" in p.read_bytes()] == []
    assert not (report / "must-refuse").exists()


def test_closed_port_and_usage_errors(workdir: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        assert main(["certify", "server", f"127.0.0.1:{port}", "--report-dir", str(workdir)]) == 2
    assert main(["certify", "server", "no-port-here", "--report-dir", str(workdir)]) == 2
    assert main(["certify", "server", "127.0.0.1:1", "--profile", "nope"]) == 2
    assert main(["certify", "server", "127.0.0.1:1", "--cert", str(workdir / "missing.pem")]) == 2
    with pytest.raises(SystemExit):
        main(["certify", "server", "127.0.0.1:1", "--case", "9z"])


def test_fix_probe_psk_secrets_file_stays_out_of_the_report(pki: TestPKI, workdir: Path) -> None:
    """With --sender/--target the FIX probe's tunnel reads the PSK from a secrets file
    it writes: that file lives in the private work directory, not in the report
    directory (where it used to be written as certify-fix-psk.txt)."""
    echo = EchoServer()
    report = workdir / "r"
    try:
        conf = guide_config("2-server", pki, connect=echo.address)
        with PythonBackend().start(conf, workdir, label="server") as server:
            port = server.address()[1]
            main(["certify", "server", f"127.0.0.1:{port}", "--case", "2", "--timeout", "2",
                  "--psk-secrets", str(pki.psk_path), "--sender", "C", "--target", "S",
                  "--report-dir", str(report), "--no-evidence"])  # fmt: skip
    finally:
        echo.close()
    keys = [line.partition(":")[2] for line in pki.psk_path.read_text().splitlines() if line]
    assert (report / "certify-fix.log").is_file()  # the FIX probe ran
    assert not (report / "certify-fix-psk.txt").exists()
    for path in report.rglob("*"):
        if path.is_file() and path.suffix != ".pcap":
            data = path.read_bytes()
            assert not any(k.encode() in data for k in keys), path


def test_psk_secret_never_in_reports(pki: TestPKI, workdir: Path) -> None:
    echo = EchoServer()
    try:
        conf = guide_config("2-server", pki, connect=echo.address)
        with PythonBackend().start(conf, workdir, label="server") as server:
            port = server.address()[1]
            code = main(["certify", "server", f"127.0.0.1:{port}", "--case", "2",
                         "--psk-secrets", str(pki.psk_path), "--report-dir", str(workdir / "r")])  # fmt: skip
    finally:
        echo.close()
    assert code == 0
    keys = [line.partition(":")[2] for line in pki.psk_path.read_text().splitlines() if line]
    # the reports and the evidence pack (capture included) under REPORT_DIR/evidence
    assert (workdir / "r" / "evidence" / "SHA256SUMS").is_file()
    for path in (workdir / "r").rglob("*"):
        if not path.is_file() or path.suffix == ".pcap":
            continue
        data = path.read_bytes()
        assert not any(k.encode() in data for k in keys), path
    assert "clientQA1" in (workdir / "r" / "report.json").read_text()  # identities are public
