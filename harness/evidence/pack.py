"""Writing an evidence pack and verifying one.

Layout of a pack directory::

    reports/            report.json, junit.xml, report.html, summary.md (as written)
    capture.pcapng      every capture of the run, one interface, one link type; the
                        first packet of each connection carries a comment naming its
                        item or probe
    inputs/             the scenario files, or certify's request, secrets redacted
    profile/            the profile(s) the run was judged against, as YAML
    versions.json       harness, Python, OpenSSL, stunnel, libraries, backends
    pack.json           what the pack holds and whether it holds session keys
    SHA256SUMS          sha256sum(1) format, every file above
    SHA256SUMS.sig      with --sign-key: detached signature over SHA256SUMS
    SHA256SUMS.pub.pem  the signer's public key (pin it with verify --key)

Secrets: texts (inputs, tunnel configs and logs) are redacted (every secret the
caller names becomes ``<redacted>``, a config's ``protocolPassword`` included),
then every file is scanned for the secrets and, unless session keys were asked
for, for the TLS session secrets of the key logs; a hit writes nothing (the pack
directory is removed). With ``include_keys`` the key logs go into capture.pcapng
as a decryption-secrets block, that file is 0600 and pack.json says so.

Signatures use the key's natural scheme so openssl can check them too: RSA
PKCS#1 v1.5 with SHA-256 and ECDSA with SHA-256 (``openssl dgst -sha256 -verify
SHA256SUMS.pub.pem -signature SHA256SUMS.sig SHA256SUMS``), Ed25519 pure.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from harness.capture.pcapfile import read_frames
from harness.errors import HarnessError
from harness.evidence.pcapng import PcapngWriter
from harness.report.redaction import check_no_secrets

SUMS = "SHA256SUMS"
SIGNATURE = "SHA256SUMS.sig"
PUBLIC_KEY = "SHA256SUMS.pub.pem"
CAPTURE = "capture.pcapng"
REDACTED = "<redacted>"
TEXT_SUFFIXES = (".conf", ".log", ".txt", ".yaml", ".json")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S
)


@dataclass(frozen=True)
class Capture:
    """One capture file to merge; ``label`` names its item (or certify run), and
    ``connections`` names probes by the client's TCP port."""

    path: Path
    label: str
    connections: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PackRequest:
    directory: Path
    reports: Mapping[str, Path]  # file name → written report
    # pack-relative name → file copied as is (tunnel logs, configs, per-item pcaps
    # under reports/artifacts/, where report.html's links point); scanned as bytes
    files: Mapping[str, Path] = field(default_factory=dict)
    captures: Sequence[Capture] = ()
    inputs: Mapping[str, str] = field(default_factory=dict)  # inputs/NAME → text
    profiles: Mapping[str, str] = field(default_factory=dict)  # profile/NAME → YAML
    versions: Mapping[str, Any] = field(default_factory=dict)
    secrets: Sequence[str] = ()
    keylogs: Sequence[str] = ()  # NSS key log texts
    include_keys: bool = False
    sign_key: Path | None = None


@dataclass(frozen=True)
class PackResult:
    directory: Path
    files: tuple[str, ...]
    signed: bool
    includes_keys: bool
    notes: tuple[str, ...]


def redact(text: str, secrets: Iterable[str]) -> str:
    """Every secret (longest first) replaced by ``<redacted>``; private keys too."""
    text = _PRIVATE_KEY.sub("<private key redacted>", text)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def keylog_secrets(keylogs: Iterable[str]) -> list[str]:
    """The secret column of NSS key log lines (hex), for the leak scan."""
    out = []
    for text in keylogs:
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 3 and not line.startswith("#"):
                out += [parts[2].lower(), parts[2].upper()]
    return out


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---- capture ------------------------------------------------------------------


def _read_capture(path: Path) -> tuple[int, list[tuple[float, bytes]]]:
    ours = read_frames(path)  # our own classic pcaps: no scapy needed
    if ours is not None:
        return ours
    from scapy.utils import RawPcapNgReader, RawPcapReader

    with path.open("rb") as fh:
        magic = fh.read(4)
    packets: list[tuple[float, bytes]] = []
    linktype = -1
    if magic == b"\x0a\x0d\x0d\x0a":
        ng = RawPcapNgReader(str(path))
        try:
            for frame, meta in ng:
                m: Any = meta
                linktype = int(m.linktype)
                packets.append((((m.tshigh << 32) | m.tslow) / m.tsresol, frame))
        finally:
            ng.close()
    else:
        reader = RawPcapReader(str(path))
        try:
            linktype = int(reader.linktype)
            for frame, meta in reader:
                pm: Any = meta
                packets.append((pm.sec + pm.usec / 1e6, frame))
        finally:
            reader.close()
    return linktype, packets


def _tcp_ports(linktype: int, frame: bytes) -> tuple[int, int, bool] | None:
    """(source port, destination port, SYN without ACK) of an Ethernet/IPv4 TCP frame."""
    if linktype != 1 or len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 0x0F) * 4
    if frame[23] != 6 or len(frame) < 14 + ihl + 14:
        return None
    tcp = 14 + ihl
    sport, dport = struct.unpack("!HH", frame[tcp : tcp + 4])
    flags = frame[tcp + 13]
    return sport, dport, bool(flags & 0x02) and not flags & 0x10


def _write_capture(req: PackRequest, path: Path, application: str) -> list[str]:
    notes: list[str] = []
    merged: list[tuple[float, int, bytes, str | None]] = []
    linktype: int | None = None
    for order, cap in enumerate(req.captures):
        if not cap.path.is_file():
            notes.append(f"capture of {cap.label} missing: {cap.path.name}")
            continue
        try:
            kind, packets = _read_capture(cap.path)
        except Exception as exc:  # scapy raises its own types on a damaged file
            notes.append(f"capture of {cap.label} unreadable: {exc}")
            continue
        if linktype is None:
            linktype = kind
        if kind != linktype:
            notes.append(f"capture of {cap.label} left out: link type {kind}, not {linktype}")
            continue
        first = True
        for t, frame in packets:
            comment = None
            ports = _tcp_ports(kind, frame)
            if ports is not None and ports[2]:
                probe = cap.connections.get(ports[0]) or cap.connections.get(ports[1])
                comment = f"{cap.label}: probe {probe}" if probe else f"{cap.label}: connection"
            elif first:
                comment = cap.label
            first = False
            merged.append((t, order, frame, comment))
    merged.sort(key=lambda p: (p[0], p[1]))
    mode = 0o600 if req.include_keys else 0o644  # session keys: owner only
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as fh:
        writer = PcapngWriter(fh, linktype if linktype is not None else 1, application=application)
        if req.include_keys and req.keylogs:
            writer.decryption_secrets("\n".join(k.strip() for k in req.keylogs).encode() + b"\n")
        for t, _, frame, comment in merged:
            writer.packet(t, frame, comment)
    return notes


# ---- signing ------------------------------------------------------------------


def load_signing_key(key_path: Path) -> Any:
    """The private key of ``--sign-key`` (checked before a run starts)."""
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise HarnessError(
            f"--sign-key {key_path}: not an unencrypted PEM private key ({exc})"
        ) from None
    if not isinstance(
        key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise HarnessError(f"--sign-key {key_path}: RSA, EC or Ed25519 keys only")
    return key


def _sign(key_path: Path, data: bytes) -> tuple[bytes, bytes]:
    key = load_signing_key(key_path)
    if isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        sig = key.sign(data, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        sig = key.sign(data)
    else:
        raise HarnessError(f"--sign-key {key_path}: RSA, EC or Ed25519 keys only")
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return sig, public


def public_key_fingerprint(pem: bytes) -> str:
    key = serialization.load_pem_public_key(pem)
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _verify_signature(pem: bytes, signature: bytes, data: bytes) -> bool:
    key = serialization.load_pem_public_key(pem)
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


# ---- writing ------------------------------------------------------------------


def check_directory(directory: Path) -> None:
    """A pack goes into a new or empty directory, or replaces an earlier pack."""
    if directory.exists():
        if not directory.is_dir():
            raise HarnessError(f"evidence directory {directory} is a file")
        if any(directory.iterdir()) and not (directory / SUMS).exists():
            raise HarnessError(
                f"evidence directory {directory} is not empty and holds no earlier pack"
            )


def _prepare(directory: Path) -> None:
    check_directory(directory)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)


def write_pack(req: PackRequest, *, application: str = "fixs-harness") -> PackResult:
    """Write the pack; on a secret found anywhere, remove it and raise."""
    d = req.directory
    _prepare(d)
    try:
        return _write(req, application)
    except BaseException:
        shutil.rmtree(d, ignore_errors=True)
        raise


def _write(req: PackRequest, application: str) -> PackResult:
    d = req.directory
    secrets = [s for s in req.secrets if s]
    texts: dict[str, str] = {}
    for name, path in req.reports.items():
        texts[f"reports/{name}"] = path.read_text(encoding="utf-8")
    for name, text in req.inputs.items():
        texts[f"inputs/{name}"] = redact(text, secrets)
    for name, text in req.profiles.items():
        texts[f"profile/{name}"] = redact(text, secrets)
    texts["versions.json"] = json.dumps(dict(req.versions), indent=2, sort_keys=True) + "\n"
    notes = _write_capture(req, d / CAPTURE, application)
    includes_keys = req.include_keys and bool(req.keylogs)
    texts["pack.json"] = (
        json.dumps(
            {
                "format": "fixs-harness evidence pack 1",
                "files": sorted([*texts, CAPTURE, *req.files]),
                "capture": {
                    "file": CAPTURE,
                    "items": [c.label for c in req.captures],
                    "includes_session_keys": includes_keys,
                },
                "session_keys": (
                    f"{CAPTURE} holds the TLS session keys (a decryption-secrets block): "
                    "anyone with this pack can decrypt the captured sessions"
                    if includes_keys
                    else "none: the pack holds no TLS session key"
                ),
                "secrets_scanned_for": len(secrets),
                "notes": notes,
                "verify": "fixs-harness verify DIR, or: sha256sum -c SHA256SUMS",
            },
            indent=2,
        )
        + "\n"
    )
    # nothing secret may be written: the run's secrets in any form, and (without
    # --include-keys) the session secrets of the key logs
    forbidden = [*secrets, *([] if req.include_keys else keylog_secrets(req.keylogs))]
    check_no_secrets(texts, forbidden)
    blobs = {CAPTURE: (d / CAPTURE).read_bytes()}
    for name, source in req.files.items():
        try:
            data = source.read_bytes()
        except OSError as exc:
            notes.append(f"{name} not copied: {exc.strerror}")
            continue
        if name.endswith(TEXT_SUFFIXES):
            # a tunnel config may hold a secret inline (protocolPassword)
            data = redact(data.decode("utf-8", errors="replace"), secrets).encode()
        blobs[name] = data
    for name, data in blobs.items():
        for index, secret in enumerate(forbidden):
            if secret.encode() in data:
                raise HarnessError(
                    f"refusing to write the evidence pack: {name} contains secret #{index + 1}"
                )
    for name, data in blobs.items():
        if name != CAPTURE:
            path = d / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    for name, text in texts.items():
        path = d / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    files = sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file() and p.name != SUMS)
    sums = "".join(f"{sha256_file(d / f)}  {f}\n" for f in files)
    (d / SUMS).write_text(sums, encoding="utf-8")
    signed = False
    if req.sign_key is not None:
        signature, public = _sign(req.sign_key, sums.encode())
        (d / SIGNATURE).write_bytes(signature)
        (d / PUBLIC_KEY).write_bytes(public)
        signed = True
    return PackResult(d, tuple(files), signed, includes_keys, tuple(notes))


# ---- verifying ----------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    ok: bool
    problems: tuple[str, ...]
    checked: int
    signer: str | None  # SHA-256 fingerprint of the signing public key
    signer_pinned: bool


def verify_pack(directory: Path, *, key: Path | None = None) -> Verification:
    """Check every hash in SHA256SUMS, that no file is missing or unlisted, and the
    signature when there is one (against ``key`` when given: a public key or a
    certificate in PEM; else against the pack's own public key, which proves
    integrity since signing but not who signed)."""
    sums_path = directory / SUMS
    if not sums_path.is_file():
        raise HarnessError(f"{directory}: no {SUMS}: not an evidence pack")
    problems: list[str] = []
    listed: dict[str, str] = {}
    text = sums_path.read_text(encoding="utf-8", errors="replace")
    for n, line in enumerate(text.splitlines(), start=1):
        m = re.fullmatch(r"([0-9a-f]{64})  (.+)", line)
        if m is None:
            problems.append(f"{SUMS}:{n}: not a 'HASH  FILE' line")
            continue
        name = m.group(2)
        if name.startswith("/") or ".." in Path(name).parts:
            problems.append(f"{SUMS}:{n}: {name}: path outside the pack")
            continue
        listed[name] = m.group(1)
    for name, digest in listed.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name}: SHA-256 differs from {SUMS}")
    extra = {SUMS, SIGNATURE, PUBLIC_KEY}
    for path in sorted(directory.rglob("*")):
        rel = str(path.relative_to(directory))
        if path.is_file() and rel not in listed and rel not in extra:
            problems.append(f"{rel}: not listed in {SUMS}")
    signer = None
    pinned = False
    sig_path = directory / SIGNATURE
    if sig_path.is_file():
        if key is not None:
            pem = _public_pem(key)
            pinned = True
        elif (directory / PUBLIC_KEY).is_file():
            pem = (directory / PUBLIC_KEY).read_bytes()
        else:
            pem = b""
            problems.append(f"{SIGNATURE}: no public key to check it (give --key)")
        if pem:
            signer = public_key_fingerprint(pem)
            if not _verify_signature(pem, sig_path.read_bytes(), sums_path.read_bytes()):
                problems.append(f"{SIGNATURE}: signature does not match {SUMS}")
    elif key is not None:
        problems.append(f"{SIGNATURE}: missing, but --key asks for a signed pack")
    return Verification(not problems, tuple(problems), len(listed), signer, pinned)


def _public_pem(path: Path) -> bytes:
    from cryptography import x509

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HarnessError(f"--key {path}: {exc.strerror}") from None
    if b"BEGIN CERTIFICATE" in data:
        cert = x509.load_pem_x509_certificate(data)
        return cert.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    try:
        serialization.load_pem_public_key(data)
    except ValueError:
        raise HarnessError(f"--key {path}: not a PEM public key or certificate") from None
    return data
