"""Scanning a report directory for secrets, and trying to decrypt its pcaps.

Used by ``test_report_secrets.py``; also runnable on any report directory to
measure (``python -m tests.integration.secret_scan REPORT_DIR PKI_DIR [KEYLOG...]``).

A secret counts as found when any file under the directory contains it raw, as hex
(lower or upper case) or as base64 (at each of the three byte alignments, so a
secret inside a longer base64 text, e.g. a PEM body, is found too; each file is
also read with its line breaks removed, since a PEM body's lines cut a base64 form
every 64 characters). Secrets are:
private keys (their DER and each private number), PSK keys (as written and as the
bytes their hex stands for), FIX Password(554)/RawData(96), proxy passwords, and
the TLS traffic secrets of the run's key logs. Key material found in the directory
(key-log lines, PEM private keys) is also handed to tshark to decrypt each pcap;
any decrypted record counts as a hit.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

KEYLOG_LINE = re.compile(
    rb"^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|"
    rb"CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET|EARLY_EXPORTER_SECRET)"
    rb" [0-9a-fA-F]+ [0-9a-fA-F]+\s*$",
    re.M,
)


@dataclass(frozen=True)
class Secret:
    label: str
    value: bytes


def _int_bytes(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def private_key_secrets(pki_dir: Path) -> list[Secret]:
    out: list[Secret] = []
    for path in sorted(pki_dir.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"PRIVATE KEY" not in data:
            continue
        key = serialization.load_pem_private_key(data, password=None)
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        out.append(Secret(f"{path.name} (DER)", der))
        if isinstance(key, rsa.RSAPrivateKey):
            nums = key.private_numbers()
            for name, value in (("d", nums.d), ("p", nums.p), ("q", nums.q)):
                out.append(Secret(f"{path.name} RSA {name}", _int_bytes(value)))
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            out.append(
                Secret(
                    f"{path.name} EC private value", _int_bytes(key.private_numbers().private_value)
                )
            )
    return out


def psk_secrets(pki_dir: Path) -> list[Secret]:
    out: list[Secret] = []
    for path in sorted(pki_dir.rglob("*")):
        if not path.is_file() or path.suffix not in (".txt", ".psk", ""):
            continue
        text = path.read_text(errors="replace")
        for line in text.splitlines():
            m = re.fullmatch(r"\s*([^#:\s][^:]*):(\S{16,})\s*", line)
            if not m or "psk" not in path.name.lower():
                continue
            key = m.group(2).encode()
            out.append(Secret(f"PSK key of {m.group(1)} in {path.name}", key))
            if re.fullmatch(rb"[0-9a-fA-F]+", key) and len(key) % 2 == 0:
                out.append(Secret(f"PSK key bytes of {m.group(1)}", bytes.fromhex(key.decode())))
    return out


def keylog_secrets(keylogs: Iterable[Path]) -> list[Secret]:
    out: list[Secret] = []
    for path in keylogs:
        for m in KEYLOG_LINE.finditer(path.read_bytes()):
            label, _random, secret = m.group(0).split()
            out.append(Secret(f"{label.decode()} from {path.name}", bytes.fromhex(secret.decode())))
    return out


def forms(value: bytes) -> list[bytes]:
    """Raw, hex (both cases) and base64 at each alignment (tails that depend on the
    neighbouring bytes dropped)."""
    out = [value, value.hex().encode(), value.hex().upper().encode()]
    for shift in range(3):
        chunk = value[shift:]
        usable = len(chunk) - len(chunk) % 3
        if usable >= 6:
            out.append(base64.b64encode(chunk[:usable]))
            out.append(base64.urlsafe_b64encode(chunk[:usable]))
    return [f for f in out if len(f) >= 6]


@dataclass(frozen=True)
class Hit:
    path: Path
    secret: str
    form: str


def scan(directory: Path, secrets: Iterable[Secret]) -> list[Hit]:
    patterns: dict[bytes, tuple[str, str]] = {}
    for secret in secrets:
        for index, form in enumerate(forms(secret.value)):
            kind = ["raw", "hex", "HEX"][index] if index < 3 else "base64"
            patterns.setdefault(form, (secret.label, kind))
    if not patterns:
        return []
    # one pass per file over every form (longest first, so a form inside another
    # is still reported through the longer one)
    regex = re.compile(b"|".join(re.escape(f) for f in sorted(patterns, key=len, reverse=True)))
    hits: list[Hit] = []
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        found: dict[tuple[str, str], None] = {}
        # PEM (and other wrapped base64) breaks lines every 64 characters: a secret's
        # base64 form straddles them, so each file is also read with line breaks removed
        for blob in dict.fromkeys((data, re.sub(rb"[\r\n]+", b"", data))):
            for m in regex.finditer(blob):
                found.setdefault(patterns[m.group(0)])
        hits.extend(Hit(path, label, kind) for label, kind in found)
    return hits


def key_material(directory: Path) -> tuple[list[bytes], list[Path]]:
    """Key-log lines and PEM private-key files found under ``directory``."""
    lines: list[bytes] = []
    pems: list[Path] = []
    for path in sorted(directory.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        lines.extend(m.group(0).strip() for m in KEYLOG_LINE.finditer(data))
        if b"PRIVATE KEY-----" in data:
            pems.append(path)
    return lines, pems


def tshark_decrypts(pcap: Path, keylog: Path, display_filter: str = "tls.app_data") -> int:
    """Number of frames with a TLS record tshark decrypts in ``pcap`` with ``keylog``
    (among the frames ``display_filter`` keeps: ``tls`` counts a TLS 1.3 handshake's
    encrypted records too, for captures with no application data)."""
    tshark = shutil.which("tshark") or "/usr/bin/tshark"
    out = subprocess.run(
        [
            tshark,
            "-n",
            "-r",
            str(pcap),
            "-o",
            f"tls.keylog_file:{keylog}",
            "-d",
            "tcp.port==1-65535,tls",
            "-Y",
            display_filter,
            "-x",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return out.stdout.count("Decrypted TLS")


def decryptions(
    directory: Path,
    extra_keylogs: Iterable[Path] = (),
    limit: int | None = None,
    display_filter: str = "tls.app_data",
) -> dict[Path, int]:
    """Decrypted records per pcap, using the key material found in ``directory``
    (plus ``extra_keylogs``, for negative controls; ``limit``: try that many pcaps)."""
    lines, _pems = key_material(directory)
    found: dict[Path, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        keylog = Path(tmp) / "found.keylog"
        data = b"\n".join(lines) + b"\n"
        for extra in extra_keylogs:
            data += extra.read_bytes()
        keylog.write_bytes(data)
        if not data.strip():
            return found
        for pcap in sorted(directory.rglob("*.pcap"))[:limit]:
            count = tshark_decrypts(pcap, keylog, display_filter)
            if count:
                found[pcap] = count
    return found


def main(argv: list[str]) -> int:
    report, pki = Path(argv[0]), Path(argv[1])
    keylogs = [Path(a) for a in argv[2:]]
    secrets = [*private_key_secrets(pki), *psk_secrets(pki), *keylog_secrets(keylogs)]
    hits = scan(report, secrets)
    lines, pems = key_material(report)
    dec = decryptions(report)
    print(
        f"secrets looked for: {len(secrets)}; hits: {len(hits)} in "
        f"{len({h.path for h in hits})} file(s); key-log lines in the report: {len(lines)}; "
        f"PEM private keys in the report: {len(pems)}; pcaps decrypted: {len(dec)}"
    )
    for hit in hits[:20]:
        print(f"  {hit.path}: {hit.secret} ({hit.form})")
    return 1 if hits or dec else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
