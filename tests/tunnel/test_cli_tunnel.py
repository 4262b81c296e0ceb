"""``fixs-harness tunnel``: a drop-in process for stunnel; bad configs give one-line
errors with file:line and leave nothing running."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.pki import TestPKI
from harness.stunnelconf.logfacts import parse_log

from .kit import EchoServer, roundtrip

CLI = [sys.executable, "-m", "harness"]


def _run_cli(conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "tunnel", "-c", str(conf)], capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize(
    ("body", "line", "text"),
    [
        (
            "[s]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\nbogus = 1\n",
            4,
            "Specified option name is not valid here",
        ),
        (
            "[s]\nclient = perhaps\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n",
            2,
            "needs to be either 'yes' or 'no'",
        ),
        (
            "[s]\nclient = yes\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\ncert = /nonexistent/x.pem\n",
            5,
            "No such file",
        ),
        (
            "[s]\nclient = yes\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\ncheckIP = 127.0.0.1\n",
            5,
            '"verifyPeer" has to be enabled',
        ),
        (
            "[s]\nclient = yes\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\nexec = /bin/sh\n",
            5,
            "unsupported by the Python tunnel",
        ),
        (
            "engine = capi\n[s]\nclient = yes\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n",
            1,
            "not available on this platform",
        ),
    ],
    ids=[
        "unknown-option",
        "bad-value",
        "missing-file",
        "checkip-without-verify",
        "unsupported",
        "engine-capi",
    ],
)
def test_bad_config_one_line_error(tmp_path: Path, body: str, line: int, text: str) -> None:
    conf = tmp_path / "bad.conf"
    conf.write_text(body)
    proc = _run_cli(conf)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"fixs-harness: error: {conf}:{line}: ")
    assert text in lines[0]
    assert "Traceback" not in proc.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    proc = _run_cli(tmp_path / "nope.conf")
    assert proc.returncode == 2
    assert "cannot read" in proc.stderr


def test_runs_in_foreground_until_sigterm(tmp_path: Path, pki: TestPKI, echo: EchoServer) -> None:
    """A good config: bound port logged, traffic flows, SIGTERM stops it (exit 143 = 128 + SIGTERM, issue 15)."""
    server_conf = tmp_path / "server.conf"
    server_conf.write_text(
        "foreground = yes\ndebug = info\n"
        f"[srv]\naccept = 127.0.0.1:0\nconnect = {echo.address[0]}:{echo.address[1]}\n"
        f"cert = {pki.server_rsa.pem_path}\nsslVersion = TLSv1.2\n"
    )
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([*CLI, "tunnel", "-c", str(server_conf)], stderr=log, stdout=log)
    try:
        deadline = time.monotonic() + 20
        while "srv" not in parse_log(log_path.read_text()).bound:
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        port = int(parse_log(log_path.read_text()).bound["srv"][0].rsplit(":", 1)[1])
        ctx = ssl.create_default_context(cafile=str(pki.root_ca_path))
        ctx.check_hostname = False
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            ctx.wrap_socket(raw) as tls,
        ):
            tls.sendall(b"ping")
            assert tls.recv(4) == b"ping"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 143
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Terminated" in log_path.read_text()


def test_keylog_written_0600(tmp_path: Path, pki: TestPKI, echo: EchoServer) -> None:
    from harness.backends.python import PythonBackend
    from harness.stunnelconf import parse_config

    conf = parse_config(
        f"[srv]\naccept = 127.0.0.1:0\nconnect = {echo.address[0]}:{echo.address[1]}\n"
        f"cert = {pki.server_rsa.pem_path}\n"
    )
    client = parse_config(
        f"[cli]\nclient = yes\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:1\nverifyChain = yes\nCAfile = {pki.chain_path}\ncheckHost = localhost\n"
    )
    keylog = tmp_path / "keys.log"
    py = PythonBackend()
    with py.start(conf, tmp_path, label="s", keylog=keylog) as server:
        host, port = server.address()
        client = client.set_option("cli", "connect", f"{host}:{port}")
        with py.start(client, tmp_path, label="c") as c:
            assert roundtrip(c.address(), b"x" * 100) == b"x" * 100
    assert keylog.exists()
    assert os.stat(keylog).st_mode & 0o777 == 0o600
    assert "CLIENT_TRAFFIC_SECRET_0" in keylog.read_text()  # TLS 1.3 (no version cap)
