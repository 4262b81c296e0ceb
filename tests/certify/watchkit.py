"""Real endpoints for the drift, expiry and fleet tests (and bench/bench_fleet.py):
server leaves with a chosen lifetime from the test PKI's intermediate, and the
host's stunnel serving them on a chosen loopback port (so a restarted endpoint keeps
its address), always stopped."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.pki import TestPKI

STUNNEL = Path("/usr/bin/stunnel")


def free_port() -> int:
    """A loopback port nothing listens on now (also used as a closed port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def issue_leaf(pki: TestPKI, directory: Path, name: str, *, days: float) -> tuple[Path, Path]:
    """An ECDSA P-256 server leaf for 127.0.0.1 from the test intermediate, valid
    from an hour ago for ``days`` days; returns (chain PEM: leaf + intermediate, key)."""
    inter_key = serialization.load_pem_private_key(pki.intermediate.key_path.read_bytes(), None)
    inter = x509.load_pem_x509_certificate(pki.intermediate.cert_path.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(inter.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(inter_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    directory.mkdir(parents=True, exist_ok=True)
    chain = directory / f"{name}.crt"
    chain.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM) + pki.intermediate.cert_path.read_bytes()
    )
    keyf = directory / f"{name}.key"
    keyf.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    keyf.chmod(0o600)
    return chain, keyf


def stunnel_text(port: int, cert: Path, key: Path, ciphers: str, log: Path) -> str:
    return (
        "foreground = yes\npid =\ndebug = 5\n"
        f"output = {log}\n"
        "[fix-server]\n"
        f"accept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{free_port()}\n"
        f"cert = {cert}\nkey = {key}\nsslVersion = TLSv1.2\nciphers = {ciphers}\n"
    )


def wait_listening(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(f"{what} exited with {proc.returncode}") from None
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not listening on {port}") from None
            time.sleep(0.02)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


@contextlib.contextmanager
def stunnel_server(
    directory: Path, port: int, cert: Path, key: Path, ciphers: str, *, timeout: float = 10.0
) -> Iterator[int]:
    """The host's stunnel serving ``cert`` on 127.0.0.1:``port``; yields the port."""
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / f"stunnel-{port}.conf"
    conf.write_text(stunnel_text(port, cert, key, ciphers, directory / f"stunnel-{port}.log"))
    conf.chmod(0o600)
    proc = subprocess.Popen(
        [str(STUNNEL), str(conf)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_listening(port, proc, "stunnel", timeout)
        yield port
    finally:
        stop(proc)
