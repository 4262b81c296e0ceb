"""Writing PKI files with the right modes, and OpenSSL's hashed-directory names.

:data:`FILE_KINDS` says what every file is and whether it is secret; the
:class:`FileWriter` takes both from it, so the manifest's listing and the modes
come from one table. Secret files (private keys, ``NAME.pem`` bundles, PSK files)
are created 0600 from the first byte: they are written to a temporary name opened with mode 0600 and
renamed into place, so there is no moment at which another user could read them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography import x509

from harness.pki.model import FileEntry

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644

#: Names OpenSSL's hash-dir lookup uses: ``<8 hex>.<n>`` for certificates and
#: ``<8 hex>.r<n>`` for CRLs (``c_rehash`` writes the same).
HASHED_CERT_NAME = re.compile(r"^[0-9a-f]{8}\.\d+$")
HASHED_CRL_NAME = re.compile(r"^[0-9a-f]{8}\.r\d+$")


def subject_hash(name_holder: x509.Certificate) -> str:
    """OpenSSL's ``X509_NAME_hash`` of a certificate's subject, as 8 hex digits.

    This is the name ``openssl x509 -hash`` prints and the stem OpenSSL looks up
    in a CApath (``<hash>.0``) or CRLpath (``<hash>.r0``) directory. It is a SHA-1
    over OpenSSL's *canonical* encoding of the name (case-folded, whitespace
    collapsed), which pyOpenSSL exposes; reimplementing that canonicalisation
    would be a needless source of mismatches.
    """
    from OpenSSL import crypto

    return f"{crypto.X509.from_cryptography(name_holder).subject_name_hash():08x}"


# fmt: off
#: What each file is: ``(kind, description, secret)`` by exact name, then by directory,
#: then by suffix. ``{what}`` is the leaf's or CA's description. The one place that
#: decides which files are secret (0600, ``"secret": true`` in the manifest).
FILE_KINDS: dict[str, tuple[str, str, bool]] = {
    "root.pem":                 ("ca-cert", "root CA certificate (trust anchor)", False),
    "intermediate.pem":         ("ca-cert", "intermediate CA certificate (issues every leaf)", False),
    "other-ca.pem":             ("ca-cert", "unrelated CA certificate (issues other-server, other-client)", False),
    "ca-chain.pem":             ("ca-bundle", "intermediate + root: CAfile for verifyChain", False),
    "crl.pem":                  ("crl", "CRLs of the intermediate (revoked-server, revoked-client) and root: CRLfile", False),
    "index.txt":                ("ocsp-index", "OpenSSL ca database of the intermediate's leaves: openssl ocsp -index", False),
    "index.txt.attr":           ("ocsp-index-attr", "index.txt attributes", False),
    "root-index.txt":           ("ocsp-index", "OpenSSL ca database of the root (the intermediate): openssl ocsp -index", False),
    "root-index.txt.attr":      ("ocsp-index-attr", "root-index.txt attributes", False),
    "psk.txt":                  ("psk", "PSKsecrets shared by both ends", True),
    "psk-wrong-key.txt":        ("psk", "PSKsecrets with the same identities and different keys", True),
    "psk-unknown-identity.txt": ("psk", "PSKsecrets with an identity psk.txt does not list", True),
    "manifest.json":            ("manifest", "this listing", False),
    "capath/":                  ("capath-entry", "{what} CA under its subject hash: CApath directory", False),
    "crl/":                     ("crlpath-entry", "{what} CA's CRL under its issuer hash: CRLpath directory", False),
    "root.key":                 ("ca-key", "root CA private key", True),
    "intermediate.key":         ("ca-key", "intermediate CA private key", True),
    "other-ca.key":             ("ca-key", "other-ca CA private key", True),
    ".crt":                     ("leaf-chain", "{what}: certificate + issuing chain", False),
    ".key":                     ("leaf-key", "{what}: private key", True),
    ".pin.pem":                 ("pin", "{what}: leaf only, CAfile for a peer's verifyPeer", False),
    ".pem":                     ("leaf-bundle", "{what}: chain + key in one file (stunnel cert =)", True),
}
# fmt: on


def file_kind(relative: str, what: str = "") -> tuple[str, str, bool]:
    """``(kind, description, secret)`` of a PKI file, from :data:`FILE_KINDS`."""
    candidates = (relative, relative.split("/")[0] + "/", ".pin.pem", ".crt", ".key", ".pem")
    key = next(
        k
        for k in candidates
        if k in FILE_KINDS and (k == relative or relative.startswith(k) or relative.endswith(k))
    )
    kind, description, secret = FILE_KINDS[key]
    return kind, description.format(what=what), secret


class FileWriter:
    """Writes files under one directory and remembers what each one is."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.entries: list[FileEntry] = []

    def write(self, relative: str, data: bytes, what: str = "") -> Path:
        """Write ``data`` to ``directory/relative``, 0600 if :func:`file_kind` says secret."""
        kind, description, secret = file_kind(relative, what)
        path = self.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file(path, data, mode=SECRET_MODE if secret else PUBLIC_MODE)
        self.entries.append(FileEntry(relative, kind, description, secret))
        return path


def write_file(path: Path, data: bytes, *, mode: int) -> None:
    """Atomically replace ``path`` with ``data``, the new file having exactly ``mode``."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have narrowed it; we want it exact
        with os.fdopen(fd, "wb", closefd=False) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def hashed_name(stem: str, *, crl: bool, taken: set[str]) -> str:
    """The first free ``<stem>.<n>`` (or ``<stem>.r<n>``) name, as ``c_rehash`` picks.

    Two different subjects can share a hash; OpenSSL then tries ``.0``, ``.1``, ...
    in turn, so a collision must take the next suffix rather than overwrite.
    """
    prefix = "r" if crl else ""
    n = 0
    while f"{stem}.{prefix}{n}" in taken:
        n += 1
    name = f"{stem}.{prefix}{n}"
    taken.add(name)
    return name
