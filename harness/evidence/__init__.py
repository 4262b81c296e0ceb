"""Evidence packs: a folder an auditor can check later, long after the run.

Theory of operation
-------------------
After ``run`` or ``certify`` wrote its reports, :mod:`.collect` gathers what backs
them (the reports, every capture, the inputs, the profile, the versions of every
component) into a :class:`~.pack.PackRequest`; :func:`~.pack.write_pack` redacts
the inputs, merges the captures into one pcapng with one interface and a comment
naming the item or probe of each connection (:mod:`.pcapng`), scans every file for
the run's secrets and writes ``SHA256SUMS`` (and, with a signing key, a detached
signature over it). :func:`~.pack.verify_pack` (``fixs-harness verify DIR``)
recomputes every hash, refuses missing or unlisted files, and checks the signature.

By default a pack holds no secret: no FIX password, RawData, PSK or private key,
and no TLS session key. ``--include-keys`` adds the session keys as the capture's
decryption-secrets block (file 0600; pack.json says so).
"""

from harness.evidence.pack import (
    Capture,
    PackRequest,
    PackResult,
    Verification,
    redact,
    verify_pack,
    write_pack,
)

__all__ = [
    "Capture",
    "PackRequest",
    "PackResult",
    "Verification",
    "redact",
    "verify_pack",
    "write_pack",
]
