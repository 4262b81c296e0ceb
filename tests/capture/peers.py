"""Real TLS peers nobody here wrote: openssl s_server/s_client and stunnel.

Every process is started inside a context manager that kills it on every path;
every wait has a deadline. Listeners bind 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import trustme

from harness.tls.registry import suite_by_openssl_name

OPENSSL = shutil.which("openssl")
STUNNEL = shutil.which("stunnel") or (
    "/usr/bin/stunnel" if Path("/usr/bin/stunnel").exists() else None
)

PSK_KEY_HEX = "8f1c2a9e4b7d6035a1c3e5f7092b4d6f"  # test-only key
PSK_IDENTITY = "fix-client-1"


@dataclass(frozen=True)
class Pki:
    ca: Path  # CA certificate (PEM)
    rsa_server: Path  # key + chain (PEM)
    ecdsa_server: Path
    client: Path  # client key + chain signed by ca
    other_ca: Path  # an unrelated CA
    other_client: Path  # client signed by other_ca
    client_subject: str


def make_pki(d: Path) -> Pki:
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    other = trustme.CA(key_type=trustme.KeyType.RSA)
    files = {
        "ca": ca.cert_pem,
        "other_ca": other.cert_pem,
        "rsa_server": ca.issue_cert(
            "fix.example", "127.0.0.1", key_type=trustme.KeyType.RSA
        ).private_key_and_cert_chain_pem,
        "ecdsa_server": ca.issue_cert(
            "fix.example", "127.0.0.1", key_type=trustme.KeyType.ECDSA
        ).private_key_and_cert_chain_pem,
    }
    client = ca.issue_cert("client.example", key_type=trustme.KeyType.RSA)
    files["client"] = client.private_key_and_cert_chain_pem
    files["other_client"] = other.issue_cert(
        "client.example", key_type=trustme.KeyType.RSA
    ).private_key_and_cert_chain_pem
    paths = {}
    for name, blob in files.items():
        p = d / f"{name}.pem"
        blob.write_to_path(str(p))
        p.chmod(0o600)
        paths[name] = p
    from cryptography import x509

    subject = x509.load_pem_x509_certificate(client.cert_chain_pems[0].bytes()).subject
    return Pki(client_subject=subject.rfc4514_string(), **paths)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(path: Path, pattern: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if re.search(pattern, text):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"peer exited early ({proc.returncode}):\n{text}")
        time.sleep(0.02)
    raise TimeoutError(f"peer not ready within {timeout}s:\n{path.read_text(errors='replace')}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@contextlib.contextmanager
def s_server(workdir: Path, args: list[str], *, timeout: float = 10.0) -> Iterator[int]:
    """Run ``openssl s_server`` on a loopback port; yields the port."""
    assert OPENSSL
    for _attempt in range(3):
        port = free_port()
        log = workdir / f"s_server-{port}.log"
        with log.open("wb") as out:
            # stdin stays an open pipe: s_server ends a connection on stdin EOF.
            proc = subprocess.Popen(
                [OPENSSL, "s_server", "-accept", f"127.0.0.1:{port}", *args],
                stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            try:
                _wait_for(log, r"ACCEPT", proc, timeout)
            except RuntimeError:
                if "Address already in use" in log.read_text(errors="replace"):
                    continue
                raise
            yield port
            return
        finally:
            _stop(proc)
    raise RuntimeError("no free port for s_server")


@dataclass(frozen=True)
class ClientRun:
    returncode: int
    output: str

    @property
    def cipher_name(self) -> str | None:
        m = re.search(r"^(?:New|Reused), (\S+), Cipher is (\S+)", self.output, re.M)
        if not m or m.group(2) == "(NONE)":
            return None
        return m.group(2)

    @property
    def cipher_code(self) -> int | None:
        name = self.cipher_name
        if name is None:
            return None
        suite = suite_by_openssl_name(name)
        assert suite is not None, f"s_client reported unknown cipher {name}"
        return suite.code

    @property
    def protocol(self) -> str | None:
        m = re.search(r"^(?:New|Reused), (\S+), Cipher is", self.output, re.M)
        return m.group(1) if m else None


def s_client(
    target: tuple[str, int], args: list[str], *, send: bytes = b"", timeout: float = 15.0
) -> ClientRun:
    """Run one ``openssl s_client`` connection; stdin is ``send`` then EOF."""
    assert OPENSSL
    proc = subprocess.run(
        [OPENSSL, "s_client", "-connect", f"{target[0]}:{target[1]}", "-no_ign_eof", *args],
        input=send, capture_output=True, timeout=timeout,
    )  # fmt: skip
    return ClientRun(proc.returncode, (proc.stdout + proc.stderr).decode(errors="replace"))


@contextlib.contextmanager
def stunnel_server(workdir: Path, service: str, *, timeout: float = 15.0) -> Iterator[int]:
    """Run the host stunnel with one server service; yields its accept port.

    ``service`` holds the service's options except ``accept``/``connect``; the
    service connects to a loopback sink port that nothing listens on, which is
    fine for handshake tests (stunnel connects after the handshake).
    """
    assert STUNNEL
    port = free_port()
    sink = free_port()
    log = workdir / f"stunnel-{port}.log"
    conf = workdir / f"stunnel-{port}.conf"
    conf.write_text(
        f"foreground = yes\npid =\ndebug = info\noutput = {log}\n\n"
        f"[tls]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{sink}\n{service}\n"
    )
    proc = subprocess.Popen(
        [STUNNEL, str(conf)], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(log, r"bound to|Configuration successful", proc, timeout)
        yield port
    finally:
        _stop(proc)
