"""The test PKI: every certificate, key, CRL, OCSP database and PSK file a scenario needs.

Theory of operation
-------------------
A scenario names fixtures (``server-rsa``, ``revoked-client``, ``psk``); the runner
materialises one :class:`TestPKI` per run with :meth:`TestPKI.create` (fresh keys,
deterministic names, about a third of a second) or reuses a directory made by
``fixs-harness pki init`` via :meth:`TestPKI.load`. Everything is files because
stunnel reads files: each leaf has ``NAME.crt`` (leaf + intermediate), ``NAME.key``,
``NAME.pem`` (both, the guide's ``cert =`` form) and ``NAME.pin.pem`` (leaf only,
for the peer's ``verifyPeer`` ``CAfile``). Trust material comes as ``root.pem``,
``ca-chain.pem``, a hashed ``capath/``; revocation as ``crl.pem``, a hashed ``crl/``
and OpenSSL ``ca`` databases (``index.txt``) for ``openssl ocsp``.

Each leaf records its *expected* fate (:class:`Status`): valid, expired,
not-yet-valid, revoked, untrusted CA, self-signed. Checks compare what a tunnel
did with that, so the PKI is also the oracle for certificate scenarios.

Generation is split by what each tool does well: trustme makes the CAs;
cryptography makes leaves, CRLs and everything trustme has no option for (shared
keys, role-specific EKU, OCSP signing, AIA). ``manifest.json`` is the only JSON
edge (pydantic); inside, records are frozen dataclasses. No secret content is ever
returned in a ``repr``, the manifest, or a log line.
"""

from harness.pki.model import (
    CAFiles,
    FileEntry,
    KeyType,
    LeafFiles,
    PSKFiles,
    Status,
    TestPKI,
    Usage,
)

__all__ = [
    "CAFiles",
    "FileEntry",
    "KeyType",
    "LeafFiles",
    "PSKFiles",
    "Status",
    "TestPKI",
    "Usage",
]
