"""Client certificates a server must refuse, made fresh for each run.

``certify server`` presents each of these and expects a refusal (guide 2.4.1.5:
a server doing mutual TLS verifies the client's certificate, by chain or by pin):

* ``self-signed``: a leaf that is its own issuer;
* ``unrelated-ca``: a leaf from a CA the server has never seen;
* ``expired``: a leaf from that same unrelated CA whose validity ended yesterday.

They are ECDSA P-256 (milliseconds to make, where RSA keys would cost most of the
time budget of a whole scan). The private keys are written owner-only (0600).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ORG = "fixs-harness certify (must be refused)"


@dataclass(frozen=True)
class CertPair:
    """A certificate chain file and its key file (PEM)."""

    kind: str
    cert: Path
    key: Path


def _write(path: Path, data: bytes, *, secret: bool) -> Path:
    from harness.pki.files import PUBLIC_MODE, SECRET_MODE, write_file  # only 1a/1b runs

    write_file(path, data, mode=SECRET_MODE if secret else PUBLIC_MODE)
    return path


def _self_signed() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG),
            x509.NameAttribute(NameOID.COMMON_NAME, "self-signed client"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def make_bad_client_certs(directory: Path) -> dict[str, CertPair]:
    """Write the three must-refuse client certificates into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, CertPair] = {}
    cert_pem, key_pem = _self_signed()
    out["self-signed"] = CertPair(
        "self-signed",
        _write(directory / "self-signed-client.crt", cert_pem, secret=False),
        _write(directory / "self-signed-client.key", key_pem, secret=True),
    )
    import trustme  # loaded only by the use cases that probe client certificates

    ca = trustme.CA(organization_name=ORG)
    now = datetime.now(UTC)
    windows: tuple[tuple[str, datetime | None, datetime | None], ...] = (
        ("unrelated-ca", None, None),
        ("expired", now - timedelta(days=30), now - timedelta(days=1)),
    )
    for kind, not_before, not_after in windows:
        leaf = ca.issue_cert(
            "fix-client.test",
            common_name=f"{kind} client",
            organization_name=ORG,
            not_before=not_before,
            not_after=not_after,
        )
        chain = b"".join(b.bytes() for b in leaf.cert_chain_pems)
        out[kind] = CertPair(
            kind,
            _write(directory / f"{kind}-client.crt", chain, secret=False),
            _write(directory / f"{kind}-client.key", leaf.private_key_pem.bytes(), secret=True),
        )
    return out
