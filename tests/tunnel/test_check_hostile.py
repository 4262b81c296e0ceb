"""``tunnel --check`` on configs stunnel would refuse or misread (issue 15, item 7).

A CRLfile without a CRL in it: stunnel 5.68 refuses it ("Failed to load ...
revocation lookup file", Configuration failed); the Python tunnel used to accept it,
leaving revocation checking with nothing revoked. A port above 65535: stunnel takes
it modulo 65536 (99999 binds 34463); the harness refuses it. Each refusal is one
line with file:line, exit 2; each has a control that passes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.pki import TestPKI

CLI = [sys.executable, "-m", "harness"]
STUNNEL = shutil.which("stunnel")


def _check(conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "tunnel", "--check", "-c", str(conf)], capture_output=True, text=True, timeout=60
    )


def _client_conf(pki: TestPKI, crl: Path, accept: str = "127.0.0.1:0") -> str:
    return (
        "foreground = yes\npid =\nsyslog = no\n[s]\nclient = yes\n"
        f"accept = {accept}\nconnect = 127.0.0.1:9\nverifyChain = yes\n"
        f"CAfile = {pki.root_ca_path}\nCRLfile = {crl}\n"
    )


def _crl_files(tmp_path: Path, pki: TestPKI) -> dict[str, Path]:
    files = {
        "empty": tmp_path / "empty.pem",
        "junk": tmp_path / "junk.pem",
        "certificate": tmp_path / "cert.pem",
    }
    files["empty"].write_bytes(b"")
    files["junk"].write_bytes(b"not a CRL\n")
    shutil.copy(pki.root_ca_path, files["certificate"])
    return files


@pytest.mark.parametrize("kind", ["empty", "junk", "certificate"])
def test_crlfile_without_a_crl_is_refused(tmp_path: Path, pki: TestPKI, kind: str) -> None:
    crl = _crl_files(tmp_path, pki)[kind]
    conf = tmp_path / "c.conf"
    conf.write_text(_client_conf(pki, crl))
    proc = _check(conf)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"fixs-harness: error: {conf}:10: "), line  # the CRLfile line
    assert f"Failed to load {crl} revocation lookup file" in line


def test_crlfile_control_with_a_real_crl(tmp_path: Path, pki: TestPKI) -> None:
    conf = tmp_path / "c.conf"
    conf.write_text(_client_conf(pki, pki.crl_path))
    proc = _check(conf)
    assert proc.returncode == 0, proc.stderr
    assert "configuration OK" in proc.stdout


@pytest.mark.skipif(STUNNEL is None, reason="stunnel not installed")
@pytest.mark.parametrize("kind", ["empty", "certificate", "real"])
def test_stunnel_itself_agrees(tmp_path: Path, pki: TestPKI, kind: str) -> None:
    """The real stunnel refuses the same files (and takes the real CRL): the refusal
    above is stunnel's behaviour, not an invention."""
    crl = pki.crl_path if kind == "real" else _crl_files(tmp_path, pki)[kind]
    conf = tmp_path / "s.conf"
    conf.write_text(_client_conf(pki, crl))
    assert STUNNEL is not None
    proc = subprocess.Popen([STUNNEL, str(conf)], stderr=subprocess.PIPE, text=True)
    try:
        # a refused config ends stunnel at once; an accepted one keeps it running
        try:
            _, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.terminate()
            _, err = proc.communicate(timeout=10)
            assert kind == "real", err
            assert "Configuration successful" in err
            return
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert kind != "real", err
    assert "revocation lookup file" in err and "Configuration failed" in err


@pytest.mark.parametrize(
    ("option", "value", "ok"),
    [
        ("accept", "127.0.0.1:99999", False),
        ("accept", "127.0.0.1:65536", False),
        ("connect", "127.0.0.1:70000", False),
        ("accept", "127.0.0.1:65535", True),  # control: the largest port
        ("accept", "127.0.0.1:0", True),  # control: any free port
    ],
)
def test_port_out_of_range_is_refused_with_its_line(
    tmp_path: Path, option: str, value: str, ok: bool
) -> None:
    conf = tmp_path / "p.conf"
    accept = value if option == "accept" else "127.0.0.1:0"
    connect = value if option == "connect" else "127.0.0.1:9"
    conf.write_text(f"[s]\nclient = yes\naccept = {accept}\nconnect = {connect}\n")
    proc = _check(conf)
    if ok:
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode == 2, proc.stdout
    (line,) = proc.stderr.strip().splitlines()
    number = 3 if option == "accept" else 4
    assert line.startswith(f"fixs-harness: error: {conf}:{number}: "), line
    assert f"Invalid port {value.rsplit(':', 1)[1]} in {option} = {value}" in line
