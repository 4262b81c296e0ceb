"""Real servers and clients for certify tests: ``openssl s_server`` with given flags
(stdout to a file, readiness from its ``ACCEPT`` line), always killed; helpers for
the test certificates certify must judge."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from harness.pki import TestPKI

#: The guide's twelve certificate suites, as stunnel's sample ciphers = line.
GUIDE_CIPHERS = (
    "DHE-RSA-AES128-SHA256:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA256:"
    "DHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA256:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


@contextlib.contextmanager
def s_server(args: Sequence[str | Path], log: Path, *, timeout: float = 10.0) -> Iterator[int]:
    """``openssl s_server -accept 127.0.0.1:0 ARGS``; yields the port; always killed."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "400", *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(rb"ACCEPT 127\.0\.0\.1:(\d+)", log.read_bytes())
            if m:
                break
            if proc.poll() is not None:
                raise AssertionError(f"s_server exited: {log.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                raise AssertionError(f"s_server not ready: {log.read_text(errors='replace')}")
            time.sleep(0.02)
        yield int(m.group(1))
    finally:
        _kill(proc)


def server_args(
    pki: TestPKI,
    *,
    leaf: str = "server-rsa",
    ciphers: str = GUIDE_CIPHERS,
    versions: Sequence[str] = ("-tls1_2",),
    mutual_pin: Path | None = None,
    extra: Sequence[str | Path] = (),
) -> list[str | Path]:
    """s_server flags for a guide-like server: chain sent, TLS 1.2, the guide's list."""
    files = pki.leaf(leaf)
    args: list[str | Path] = [
        "-cert", files.cert_path, "-key", files.key_path, "-cert_chain", pki.intermediate.cert_path,
        "-cipher", ciphers, *versions,
    ]  # fmt: skip
    if mutual_pin is not None:
        args += ["-Verify", "2", "-verify_return_error", "-CAfile", mutual_pin]
    return [*args, *extra]


def short_key_leaf(pki: TestPKI, directory: Path) -> tuple[Path, Path]:
    """A 1024-bit RSA server leaf from the test intermediate (for cert.key-size)."""
    inter_key = serialization.load_pem_private_key(pki.intermediate.key_path.read_bytes(), None)
    inter = x509.load_pem_x509_certificate(pki.intermediate.cert_path.read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "short key server")]))
        .issuer_name(inter.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=90))  # beyond cert.expiry-horizon (30)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(inter_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    crt = directory / "short.crt"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyf = directory / "short.key"
    keyf.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    keyf.chmod(0o600)
    return crt, keyf
