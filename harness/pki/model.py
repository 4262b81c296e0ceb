"""The test PKI as the rest of the harness sees it: frozen records of files on disk.

Nothing here generates or parses key material; :mod:`harness.pki.build` makes the
files and :mod:`harness.pki.manifest` reads them back. A scenario or backend only
ever needs paths (stunnel insists on files) plus a few facts about each certificate
(who issued it, whether it should verify, which names it carries) to say what a
handshake is expected to do.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


class KeyType(enum.Enum):
    """The public-key algorithm of a certificate.

    RSA keys are 2048-bit (the FIXS minimum); ECDSA keys are on P-256, the curve
    the guide's ``ECDHE-ECDSA-*`` suites are normally used with.
    """

    RSA = "rsa"
    ECDSA = "ecdsa"


class Usage(enum.Enum):
    """What a leaf is for, which fixes its ExtendedKeyUsage.

    Server leaves carry only ``serverAuth`` and client leaves only ``clientAuth``,
    so a peer that verifies purpose (OpenSSL does under ``verifyChain``) rejects a
    certificate used in the wrong role: that is a case worth staging, not an
    accident to paper over.
    """

    SERVER = "server"
    CLIENT = "client"
    OCSP = "ocsp"


class Status(enum.Enum):
    """What a verifier that trusts our root should conclude about a leaf."""

    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    REVOKED = "revoked"
    UNTRUSTED_CA = "untrusted-ca"
    """Issued by the unrelated CA: fails against ``root.pem``, verifies against ``other-ca.pem``."""
    SELF_SIGNED = "self-signed"
    """Its own issuer: verifies only where it is pinned (its ``.pin.pem`` as CAfile)."""


@dataclass(frozen=True)
class CAFiles:
    """A certificate authority of the test PKI.

    Attributes:
        name: Deterministic short name (``root``, ``intermediate``, ``other-ca``).
        cert_path: PEM file with just this CA's certificate.
        key_path: Its private key (PEM, PKCS#8, mode 0600). Tests rarely need it;
            it is there so a caller can issue more certificates.
        subject: RFC 4514 rendering of the subject, as OpenSSL logs it.
        subject_hash: OpenSSL's ``X509_NAME_hash`` as 8 hex digits: the file name
            stem under a CApath or CRLpath directory.
        key_type: RSA or ECDSA.
    """

    name: str
    cert_path: Path
    key_path: Path
    subject: str
    subject_hash: str
    key_type: KeyType


@dataclass(frozen=True)
class LeafFiles:
    """One end-entity certificate and the files stunnel reads for it.

    Attributes:
        name: Deterministic short name (``server-rsa``, ``revoked-client``, ...).
        cert_path: ``NAME.crt``: the leaf followed by its issuing intermediate, i.e.
            what a peer should send (``cert =`` with a separate ``key =``).
        key_path: ``NAME.key``: the private key alone, PKCS#8 PEM, mode 0600.
        pem_path: ``NAME.pem``: chain then key in one file, mode 0600, the form the
            guide's ``cert = /etc/stunnel/stunnel.pem`` expects.
        pin_path: ``NAME.pin.pem``: just the leaf; as the *peer's* ``CAfile`` with
            ``verifyPeer = yes`` it pins this certificate (the guide's
            ``CAfile = /etc/ssl/certs/stunnel2.pem``).
        usage: server, client or OCSP signer.
        key_type: RSA or ECDSA.
        key_group: Leaves in the same group share one key pair. Generation is quick
            because the negative-case leaves (expired, revoked, ...) share a key;
            every subject is distinct, so pinning (which looks the peer up by
            subject, then compares keys) still tells them apart.
        issuer: Name of the issuing CA in this PKI (``intermediate``, ``other-ca``)
            or ``self``.
        status: What a verifier trusting ``root.pem`` concludes.
        subject: RFC 4514 subject.
        serial: Certificate serial number.
        not_before: Start of validity (UTC).
        not_after: End of validity (UTC).
        dns_names: DNS subjectAltNames (what ``checkHost`` matches).
        ip_addresses: IP subjectAltNames (what ``checkIP`` matches).
        ocsp_url: The AIA OCSP responder URL in the certificate, if any (``OCSPaia``).
    """

    name: str
    cert_path: Path
    key_path: Path
    pem_path: Path
    pin_path: Path
    usage: Usage
    key_type: KeyType
    key_group: str
    issuer: str
    status: Status
    subject: str
    serial: int
    not_before: datetime
    not_after: datetime
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    ocsp_url: str | None = None


@dataclass(frozen=True)
class PSKFiles:
    """stunnel ``PSKsecrets`` files (``IDENTITY:KEY`` lines, mode 0600).

    The keys are never exposed by this object: read the file if you must.

    Attributes:
        path: The shared secrets both ends hold (``psk.txt``).
        wrong_key_path: Same identities, different keys: the ``decryption failed
            or bad record mac`` (TLS 1.2) / ``binder does not verify`` (TLS 1.3) case.
        unknown_identity_path: One identity the server does not list: the
            ``PSK identity not found`` case.
        identities: Identities in ``psk.txt``, first line first (stunnel's client
            sends the first line's identity when ``PSKidentity`` is unset).
        unknown_identity: The identity in ``unknown_identity_path``.
    """

    path: Path
    wrong_key_path: Path
    unknown_identity_path: Path
    identities: tuple[str, ...]
    unknown_identity: str


@dataclass(frozen=True)
class FileEntry:
    """One manifest line: a file of the PKI and what it is (never its content)."""

    path: str
    """Relative to the PKI directory, with ``/`` separators."""
    kind: str
    description: str
    secret: bool = False


@dataclass(frozen=True)
class TestPKI:
    """A complete test PKI materialised in one directory.

    Make one with :meth:`create` (fresh keys, deterministic names) or read an
    existing directory back with :meth:`load`. Attribute names follow the file
    names: ``pki.server_rsa.pem_path`` is ``DIR/server-rsa.pem``.

    The trust layout mirrors a typical counterparty PKI: a root CA, an intermediate
    CA that issues every leaf, and an unrelated second CA whose certificates must
    be rejected by anyone trusting our root.
    """

    __test__ = False  # a library class, not a pytest test class

    directory: Path
    root: CAFiles
    intermediate: CAFiles
    other_ca: CAFiles
    chain_path: Path
    """``ca-chain.pem``: intermediate then root, for ``CAfile`` with ``verifyChain``."""
    capath_dir: Path
    """``capath/``: root and intermediate under ``<hash>.0`` names, for ``CApath``."""
    crl_path: Path
    """``crl.pem``: the intermediate's CRL (revoked leaves) then the root's (empty)."""
    crl_dir: Path
    """``crl/``: the same CRLs under ``<issuer hash>.r0`` names, for ``CRLpath``."""
    index_path: Path
    """``index.txt``: OpenSSL ``ca`` database of everything the intermediate issued."""
    root_index_path: Path
    """``root-index.txt``: the same for what the root issued (the intermediate)."""
    ocsp_url: str | None
    leaves: Mapping[str, LeafFiles]
    psk: PSKFiles
    files: tuple[FileEntry, ...]
    manifest_path: Path
    created: datetime
    generation_seconds: float = field(default=0.0, compare=False)

    # ---- factories -------------------------------------------------------------

    @classmethod
    def create(
        cls,
        directory: Path,
        *,
        ocsp_url: str | None = None,
        force: bool = False,
    ) -> TestPKI:
        """Generate a fresh PKI into ``directory`` and write its ``manifest.json``.

        Args:
            directory: Where to write; created if missing.
            ocsp_url: If given (``http://127.0.0.1:PORT``), every leaf the
                intermediate issues carries it as its AIA OCSP responder, for
                stunnel's ``OCSPaia = yes``. Loopback HTTP URLs only.
            force: Write into a non-empty directory, replacing this PKI's files.

        Raises:
            HarnessError: the directory is not empty (without ``force``), or the
                OCSP URL is not a loopback ``http://`` URL.
        """
        from harness.pki.build import build_pki

        return build_pki(Path(directory), ocsp_url=ocsp_url, force=force)

    @classmethod
    def load(cls, directory: Path) -> TestPKI:
        """Read a PKI made earlier (by :meth:`create` or ``fixs-harness pki init``).

        Raises:
            HarnessError: no manifest, a malformed one, or a listed file is missing.
        """
        from harness.pki.manifest import load_manifest

        return load_manifest(Path(directory))

    # ---- conveniences ------------------------------------------------------------

    @property
    def root_ca_path(self) -> Path:
        """``root.pem``: the trust anchor alone."""
        return self.root.cert_path

    @property
    def psk_path(self) -> Path:
        return self.psk.path

    def leaf(self, name: str) -> LeafFiles:
        """The leaf called ``name``; raises ``KeyError`` listing the known names."""
        try:
            return self.leaves[name]
        except KeyError:
            known = ", ".join(sorted(self.leaves))
            raise KeyError(f"no leaf {name!r} in this PKI (known: {known})") from None

    # One attribute per leaf, so call sites read like the file listing.
    @property
    def server_rsa(self) -> LeafFiles:
        return self.leaves["server-rsa"]

    @property
    def server_ecdsa(self) -> LeafFiles:
        return self.leaves["server-ecdsa"]

    @property
    def server_ip2(self) -> LeafFiles:
        return self.leaves["server-ip2"]

    @property
    def client_rsa(self) -> LeafFiles:
        return self.leaves["client-rsa"]

    @property
    def client_ecdsa(self) -> LeafFiles:
        return self.leaves["client-ecdsa"]

    @property
    def other_server(self) -> LeafFiles:
        return self.leaves["other-server"]

    @property
    def other_client(self) -> LeafFiles:
        return self.leaves["other-client"]

    @property
    def self_signed_server(self) -> LeafFiles:
        return self.leaves["self-signed-server"]

    @property
    def self_signed_client(self) -> LeafFiles:
        return self.leaves["self-signed-client"]

    @property
    def expired_server(self) -> LeafFiles:
        return self.leaves["expired-server"]

    @property
    def expired_client(self) -> LeafFiles:
        return self.leaves["expired-client"]

    @property
    def not_yet_valid_server(self) -> LeafFiles:
        return self.leaves["not-yet-valid-server"]

    @property
    def not_yet_valid_client(self) -> LeafFiles:
        return self.leaves["not-yet-valid-client"]

    @property
    def revoked_server(self) -> LeafFiles:
        return self.leaves["revoked-server"]

    @property
    def revoked_client(self) -> LeafFiles:
        return self.leaves["revoked-client"]

    @property
    def ocsp_responder(self) -> LeafFiles:
        return self.leaves["ocsp-responder"]
