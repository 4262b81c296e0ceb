"""NSS key log files and TLS 1.3 record decryption.

The NSS key log format (``SSLKEYLOGFILE``, ``openssl s_client -keylogfile``) has one
line per secret: ``LABEL CLIENT_RANDOM_HEX SECRET_HEX``. For TLS 1.3 the labels
``CLIENT_HANDSHAKE_TRAFFIC_SECRET``, ``SERVER_HANDSHAKE_TRAFFIC_SECRET``,
``CLIENT_TRAFFIC_SECRET_0`` and ``SERVER_TRAFFIC_SECRET_0`` are enough to decrypt
the encrypted part of the handshake (RFC 8446 7.3: key and IV are
``HKDF-Expand-Label(secret, "key"|"iv", "", length)``; the nonce is the IV XOR the
record sequence number; the additional data is the record header).

Secrets stay inside :class:`KeyLog` and :class:`RecordDecryptor`; nothing here
logs or renders them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

# suite code -> (hash, key length, AEAD factory tag length)
_TLS13_SUITES: dict[int, tuple[type[hashes.HashAlgorithm], int, str]] = {
    0x1301: (hashes.SHA256, 16, "gcm"),
    0x1302: (hashes.SHA384, 32, "gcm"),
    0x1303: (hashes.SHA256, 32, "chacha"),
    0x1304: (hashes.SHA256, 16, "ccm"),
    0x1305: (hashes.SHA256, 16, "ccm8"),
}


@dataclass(frozen=True)
class KeyLog:
    """Secrets from a key log, by (label, client random)."""

    secrets: dict[tuple[str, bytes], bytes] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, text: str) -> KeyLog:
        secrets: dict[tuple[str, bytes], bytes] = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) != 3 or line.startswith("#"):
                continue
            try:
                secrets[(parts[0], bytes.fromhex(parts[1]))] = bytes.fromhex(parts[2])
            except ValueError:
                continue
        return cls(secrets)

    @classmethod
    def load(cls, path: Path) -> KeyLog:
        return cls.parse(path.read_text("ascii", errors="replace"))

    def get(self, label: str, client_random: bytes) -> bytes | None:
        return self.secrets.get((label, client_random))

    def __len__(self) -> int:
        return len(self.secrets)


def hkdf_expand_label(
    secret: bytes, label: str, context: bytes, length: int, algorithm: hashes.HashAlgorithm
) -> bytes:
    full = b"tls13 " + label.encode("ascii")
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context
    return HKDFExpand(algorithm=algorithm, length=length, info=info).derive(secret)


def tls13_supported(suite: int) -> bool:
    return suite in _TLS13_SUITES


class RecordDecryptor:
    """Decrypts one direction's TLS 1.3 records under one traffic secret at a time."""

    def __init__(self, suite: int, secret: bytes) -> None:
        self._suite = suite
        self._install(secret)

    def _install(self, secret: bytes) -> None:
        hash_cls, key_len, kind = _TLS13_SUITES[self._suite]
        self._hash = hash_cls()
        self._secret = secret
        key = hkdf_expand_label(secret, "key", b"", key_len, self._hash)
        self._iv = hkdf_expand_label(secret, "iv", b"", 12, self._hash)
        self._aead: AESGCM | AESCCM | ChaCha20Poly1305
        if kind == "gcm":
            self._aead = AESGCM(key)
        elif kind == "chacha":
            self._aead = ChaCha20Poly1305(key)
        else:
            self._aead = AESCCM(key, tag_length=8 if kind == "ccm8" else 16)
        self._seq = 0

    def rekey(self, secret: bytes) -> None:
        """Switch to another traffic secret (handshake → application)."""
        self._install(secret)

    def key_update(self) -> None:
        """RFC 8446 7.2: the next application traffic secret after a KeyUpdate."""
        size = self._hash.digest_size
        self._install(hkdf_expand_label(self._secret, "traffic upd", b"", size, self._hash))

    def decrypt(self, header: bytes, payload: bytes) -> tuple[int, bytes] | None:
        """(inner content type, plaintext) or None when the tag does not verify."""
        nonce = bytes(a ^ b for a, b in zip(self._iv, self._seq.to_bytes(12, "big"), strict=True))
        try:
            inner = self._aead.decrypt(nonce, payload, header)
        except (InvalidTag, ValueError):
            return None
        self._seq += 1
        stripped = inner.rstrip(b"\x00")
        if not stripped:
            return None
        return stripped[-1], stripped[:-1]
