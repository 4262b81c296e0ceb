"""``fixs-harness rehearse`` as a user runs it: a subprocess, real tunnels, reports.

Both forms run through real tunnels on loopback: two conf files from disk (relative
paths inside, a section picked out of a two-section file) on the four local pairs,
and our client conf against a real stunnel endpoint on 127.0.0.1 with a mock FIX
acceptor behind it. Each positive run has a negative control that must fail
through the same code: a client that pins the wrong server certificate, a wrong
FIX password. Secrets come from the environment or a 0600 file and appear in no
report file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.backends.stunnel_local import LocalStunnelBackend
from harness.fix.settings import Credentials
from harness.fixnet import SessionSettings, run_acceptor_in_thread
from harness.pki import TestPKI
from harness.stunnelconf import parse_config

HAVE_STUNNEL = LocalStunnelBackend().check().ok
needs_stunnel = pytest.mark.skipif(not HAVE_STUNNEL, reason="no stunnel binary")


def _docker_ok() -> bool:
    from harness.runner.pairs import make_backend

    return all(
        make_backend(f"stunnel-docker/{s}").check().ok for s in ("bullseye", "bookworm", "trixie")
    )


PASSWORD = "s3cret-Rehearsal-pw"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI.create(tmp_path_factory.mktemp("pki"))


def fixs(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _files(tmp: Path, pki: TestPKI, *, server_pin: str = "server-rsa") -> tuple[Path, Path]:
    """Our client conf (files in a subdirectory, named relatively) and their server
    conf (two sections; the rehearsal picks one)."""
    ours = tmp / "ours"
    (ours / "certs").mkdir(parents=True)
    shutil.copy(pki.leaf("client-rsa").pem_path, ours / "certs" / "me.pem")
    shutil.copy(pki.leaf(server_pin).pin_path, ours / "certs" / "them.pin.pem")
    (ours / "stunnel.conf").write_text(
        "; our client, as deployed\n"
        "[fix-client]\n"
        "client = yes\n"
        "accept = 127.0.0.1:2002\n"
        "connect = 192.168.153.32:7777\n"
        "cert = certs/me.pem\n"
        "verifyPeer = yes\n"
        "CAfile = certs/them.pin.pem\n"
        "sslVersion = TLSv1.2\n"
        "ciphers = ECDHE-RSA-AES128-GCM-SHA256\n"
    )
    theirs = tmp / "theirs"
    theirs.mkdir()
    shutil.copy(pki.leaf("server-rsa").pem_path, theirs / "server.pem")
    shutil.copy(pki.leaf("client-rsa").pin_path, theirs / "client.pin.pem")
    (theirs / "stunnel.conf").write_text(
        "[other-service]\n"
        "accept = 9999\n"
        "connect = 127.0.0.1:1\n"
        "cert = server.pem\n"
        "\n"
        "[fix-server]\n"
        "accept = 0.0.0.0:7777\n"
        "connect = 127.0.0.1:3003\n"
        "cert = server.pem\n"
        "verifyPeer = yes\n"
        "CAfile = client.pin.pem\n"
        "sslVersion = TLSv1.2\n"
    )
    return ours / "stunnel.conf", theirs / "stunnel.conf"


def _report(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((path / "report.json").read_text())
    return data


def _no_secret_in(report_dir: Path, secret: str) -> None:
    for f in report_dir.rglob("*"):
        if f.is_file() and f.suffix != ".keylog":
            assert secret.encode() not in f.read_bytes(), f


@needs_stunnel
def test_two_files_on_the_four_local_pairs(tmp_path: Path, pki: TestPKI) -> None:
    client, server = _files(tmp_path, pki)
    # run from another directory: relative paths must resolve against each file
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    proc = fixs(
        elsewhere,
        "rehearse",
        "--client",
        str(client),
        "--server",
        f"{server}:fix-server",
        "--sender",
        "ME",
        "--target",
        "THEM",
        "--local-pairs",
        "--report-dir",
        "out",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = _report(elsewhere / "out")
    results = report["results"]
    assert isinstance(results, list)
    assert sorted(r["backend_pair"] for r in results) == sorted(
        [
            "python:python",
            "python:stunnel-local",
            "stunnel-local:python",
            "stunnel-local:stunnel-local",
        ]
    )
    for r in results:
        ids = {c["id"]: c["verdict"] for c in r["checks"]}
        assert ids["auth.client-certificate"] == "pass"
        assert ids["fix.roundtrip"] == "pass"
        assert ids["tls.cipher.expected"] == "pass"
    for name in ("report.json", "junit.xml", "report.html", "summary.md"):
        assert (elsewhere / "out" / name).stat().st_size > 0


@pytest.mark.docker
def test_two_files_on_the_stunnel_versions_in_containers(tmp_path: Path, pki: TestPKI) -> None:
    if not _docker_ok():
        pytest.skip("no Docker engine or stunnel images")
    client, server = _files(tmp_path, pki)
    args = ["rehearse", "--client", str(client), "--server", f"{server}:fix-server"]
    args += ["--sender", "ME", "--target", "THEM", "--report-dir", "out"]
    args += ["-p", "stunnel-docker/bullseye:stunnel-docker/trixie"]
    args += ["-p", "python:stunnel-docker/bookworm"]
    proc = fixs(tmp_path, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pairs = sorted(r["backend_pair"] for r in _report(tmp_path / "out")["results"])  # type: ignore[attr-defined]
    assert pairs == [
        "python:stunnel-docker/bookworm",
        "stunnel-docker/bullseye:stunnel-docker/trixie",
    ]


def test_two_files_negative_control_wrong_pin_fails(tmp_path: Path, pki: TestPKI) -> None:
    """Same files, but our client pins another server's certificate: exit 1."""
    client, server = _files(tmp_path, pki, server_pin="other-server")
    proc = fixs(
        tmp_path,
        "rehearse",
        "--client",
        str(client),
        "--server",
        f"{server}:fix-server",
        "--sender",
        "ME",
        "--target",
        "THEM",
        "--report-dir",
        "out",
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "scenario rehearsal on python:python: fail" in proc.stdout
    assert "[fail] auth.mutual-certificate" in proc.stdout


def test_a_missing_section_names_the_file(tmp_path: Path, pki: TestPKI) -> None:
    client, server = _files(tmp_path, pki)
    proc = fixs(
        tmp_path,
        "rehearse",
        "--client",
        str(client),
        "--server",
        str(server),  # two sections and none chosen
        "--sender",
        "ME",
        "--target",
        "THEM",
    )
    assert proc.returncode == 2
    assert f"{server}:1: the server file must hold one [service] section" in proc.stderr
    assert "[other-service], [fix-server]" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture
def endpoint(pki: TestPKI, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The counterparty: a real stunnel on 127.0.0.1 in front of a mock acceptor that
    requires a password."""
    acceptor_settings = SessionSettings(
        sender_comp_id="THEM",
        target_comp_id="ME",
        credentials=Credentials(username="me", password=PASSWORD),
        reset_on_logon=True,
    )
    with run_acceptor_in_thread(acceptor_settings) as acceptor:
        assert acceptor.address is not None
        conf = parse_config(
            "foreground = yes\n"
            "syslog = no\n"
            "debug = info\n"
            "[fix-server]\n"
            "accept = 127.0.0.1:0\n"
            f"connect = {acceptor.address[0]}:{acceptor.address[1]}\n"
            f"cert = {pki.leaf('server-rsa').pem_path}\n"
            "verifyPeer = yes\n"
            f"CAfile = {pki.leaf('client-rsa').pin_path}\n"
        )
        workdir = tmp_path / "endpoint"
        workdir.mkdir()
        with LocalStunnelBackend().start(conf, workdir, label="endpoint") as tunnel:
            yield tunnel.address()


def _connect_args(client: Path, ep: tuple[str, int], backend: str) -> list[str]:
    return [
        "rehearse",
        "--client",
        str(client),
        "--connect",
        f"{ep[0]}:{ep[1]}",
        "--backend",
        backend,
        "--fix-settings",
        "session.cfg",
        "--username",
        "me",
        "--password-env",
        "REHEARSE_PW",
        "--report-dir",
        "out",
    ]


def _session_cfg(tmp: Path) -> None:
    (tmp / "session.cfg").write_text(
        "[DEFAULT]\nBeginString=FIX.4.4\nHeartBtInt=30\nFileStorePath=store\n"
        "[SESSION]\nSenderCompID=ME\nTargetCompID=THEM\nSocketConnectPort=5001\n"
    )


@needs_stunnel
@pytest.mark.parametrize("backend", ["python", "stunnel-local"])
def test_connect_to_a_real_stunnel_endpoint(
    tmp_path: Path, pki: TestPKI, endpoint: tuple[str, int], backend: str
) -> None:
    client, _ = _files(tmp_path, pki)
    _session_cfg(tmp_path)
    proc = fixs(tmp_path, *_connect_args(client, endpoint, backend), env={"REHEARSE_PW": PASSWORD})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = _report(tmp_path / "out")
    (result,) = report["results"]  # type: ignore[misc]
    assert result["backend_pair"] == f"{backend}:{endpoint[0]}:{endpoint[1]}"
    checks = {c["id"]: c for c in result["checks"]}
    assert checks["tls.handshake.captured"]["verdict"] == "pass"
    assert checks["auth.client-certificate"]["verdict"] == "pass"
    assert checks["fix.logon"]["verdict"] == "pass"
    assert checks["log.matches-wire.client"]["verdict"] == "pass"
    # what belongs to the counterparty is not applicable, never a pass
    assert checks["log.matches-wire.server"]["verdict"] == "not-applicable"
    for socket_id in ("client.l", "client.r", "server.l", "server.r"):
        assert checks[f"socket.nodelay.{socket_id}"]["verdict"] == "not-applicable"
    assert "fix.roundtrip" not in checks  # no orders to someone else's system
    _no_secret_in(tmp_path / "out", PASSWORD)


@needs_stunnel
def test_connect_negative_control_wrong_password_fails(
    tmp_path: Path, pki: TestPKI, endpoint: tuple[str, int]
) -> None:
    client, _ = _files(tmp_path, pki)
    _session_cfg(tmp_path)
    proc = fixs(
        tmp_path, *_connect_args(client, endpoint, "python"), env={"REHEARSE_PW": "wrong-pw-x"}
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "fix.logon" in proc.stdout


@needs_stunnel
def test_connect_negative_control_wrong_pin_fails(
    tmp_path: Path, pki: TestPKI, endpoint: tuple[str, int]
) -> None:
    client, _ = _files(tmp_path, pki, server_pin="other-server")
    _session_cfg(tmp_path)
    proc = fixs(tmp_path, *_connect_args(client, endpoint, "python"), env={"REHEARSE_PW": PASSWORD})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "auth.mutual-certificate" in proc.stdout


def test_credentials_file_must_be_private(tmp_path: Path, pki: TestPKI) -> None:
    client, server = _files(tmp_path, pki)
    creds = tmp_path / "creds"
    creds.write_text("Username=me\nPassword=" + PASSWORD + "\n")
    creds.chmod(0o644)
    args = ["rehearse", "--client", str(client), "--server", f"{server}:fix-server"]
    args += ["--sender", "ME", "--target", "THEM", "--credentials-file", str(creds)]
    proc = fixs(tmp_path, *args)
    assert proc.returncode == 2
    assert "chmod 600" in proc.stderr
    assert PASSWORD not in proc.stderr + proc.stdout


def test_fix_session_is_required(tmp_path: Path, pki: TestPKI) -> None:
    client, server = _files(tmp_path, pki)
    proc = fixs(tmp_path, "rehearse", "--client", str(client), "--server", f"{server}:fix-server")
    assert proc.returncode == 2
    assert "SenderCompID and TargetCompID" in proc.stderr


def test_psk_files_relative_to_each_conf_and_keys_kept_out_of_reports(
    tmp_path: Path, pki: TestPKI
) -> None:
    """The issue's case: ``PSKsecrets = my-psk.txt`` beside each conf, run from
    elsewhere. Control: a server file with another key fails the PSK checks."""
    key = "Rehearsal-PSK-key-0123456789abcdef"
    for side, name in (("a", "my-psk.txt"), ("b", "their-psk.txt")):
        (tmp_path / side).mkdir()
        (tmp_path / side / name).write_text(f"clientQA1:{key}\n")
        (tmp_path / side / name).chmod(0o600)
    (tmp_path / "a" / "c.conf").write_text(
        "[psk-client]\nclient = yes\naccept = 2002\nconnect = 192.168.153.32:7777\n"
        "PSKsecrets = my-psk.txt\nciphers = PSK-AES256-CBC-SHA\nsslVersion = TLSv1.2\n"
    )
    (tmp_path / "b" / "s.conf").write_text(
        "[psk-server]\naccept = 7777\nconnect = 3003\nPSKsecrets = their-psk.txt\n"
        "ciphers = PSK-AES256-CBC-SHA\nsslVersion = TLSv1.2\n"
    )
    args = ["rehearse", "--client", str(tmp_path / "a" / "c.conf")]
    args += ["--server", str(tmp_path / "b" / "s.conf"), "--sender", "ME", "--target", "THEM"]
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    proc = fixs(elsewhere, *args, "--report-dir", "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("report.json", "junit.xml", "report.html", "summary.md"):
        assert key not in (elsewhere / "out" / name).read_text()
    checks = {c["id"]: c["verdict"] for c in _report(elsewhere / "out")["results"][0]["checks"]}  # type: ignore[index]
    assert checks["auth.psk-suite"] == "pass"
    (tmp_path / "b" / "their-psk.txt").write_text("clientQA1:Another-PSK-key-0123456789abcdef\n")
    proc = fixs(elsewhere, *args, "--report-dir", "out2")
    assert proc.returncode == 1, proc.stdout + proc.stderr
