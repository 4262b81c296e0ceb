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
keys, role-specific EKU, OCSP signing, AIA).

The package follows trustme's shape: a few nouns and one table. :class:`LeafName`
is the enum of the leaves and carries each one's design (role, key group, issuer,
expected :class:`Status`); a :class:`Leaf` is one made leaf (its files and facts);
:class:`CA` and :class:`PSKFiles` the rest; ``pki.leaf(name)`` takes a
:class:`LeafName` or its value. Modules, each importing only those before it:
``model`` (the nouns, the leaf table, and the one generic record <-> JSON codec),
``files`` (what each file is and whether it is secret, 0600-from-the-first-byte
writes, OpenSSL hash names), ``psk``, ``build``
(certificates, CRLs, ``index.txt`` lines from the table), ``testpki``
(:class:`TestPKI`: create, load, manifest). ``manifest.json`` is the records'
fields, validated by pydantic on the way in. No secret content is ever returned in
a ``repr``, the manifest, or a log line.
"""

from harness.pki.model import CA, FileEntry, KeyType, Leaf, LeafName, PSKFiles, Status, Usage
from harness.pki.testpki import TestPKI

#: Earlier names of :class:`Leaf` and :class:`CA`, kept for callers.
LeafFiles = Leaf
CAFiles = CA

__all__ = [
    "CA",
    "CAFiles",
    "FileEntry",
    "KeyType",
    "Leaf",
    "LeafFiles",
    "LeafName",
    "PSKFiles",
    "Status",
    "TestPKI",
    "Usage",
]
