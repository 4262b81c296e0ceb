"""The nouns of the test PKI, the design table of its leaves, and their JSON form.

Nothing here generates key material or imports the rest of the package:
:mod:`harness.pki.build` makes certificates from :class:`LeafName`'s table and
:mod:`harness.pki.testpki` writes and reads the files. A scenario or backend only
ever needs paths (stunnel insists on files) plus a few facts about each certificate
(who issued it, whether it should verify, which names it carries).

Every record is a frozen dataclass whose fields *are* its manifest entry:
:func:`to_json` and :func:`from_json` turn any of them into JSON and back from
``dataclasses.fields`` (a field's ``metadata`` gives its JSON name where it differs),
so no field is ever written out or read back by hand. Paths are stored relative to
the PKI directory; pydantic validates the types on the way in.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import TypeAdapter, ValidationError

from harness.errors import HarnessError


class KeyType(enum.Enum):
    """RSA keys are 2048-bit (the FIXS minimum); ECDSA keys are on P-256, the curve
    the guide's ``ECDHE-ECDSA-*`` suites are normally used with."""

    RSA = "rsa"
    ECDSA = "ecdsa"


class Usage(enum.Enum):
    """What a leaf is for, which fixes its ExtendedKeyUsage.

    Server leaves carry only ``serverAuth`` and client leaves only ``clientAuth``,
    so a peer that verifies purpose (OpenSSL does under ``verifyChain``) rejects a
    certificate used in the wrong role: a case worth staging, not an accident.
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


INTER, OTHER, SELF = "intermediate", "other-ca", "self"
_S, _C, _O = Usage.SERVER, Usage.CLIENT, Usage.OCSP
_HOSTS = {
    Usage.SERVER: (("fix-server.test", "localhost"), ("127.0.0.1",)),
    Usage.CLIENT: (("fix-client.test",), ("127.0.0.1",)),
    Usage.OCSP: ((), ()),
}


class LeafName(enum.StrEnum):
    """Every leaf of the PKI with its design: role, key group, issuer, expected fate.

    The value is the file stem (``server-rsa``); ``pki.leaf(LeafName.SERVER_RSA)``
    and ``pki.leaf("server-rsa")`` are the same. Key groups: each principal identity
    has its own key; negative-case leaves share ``rsa-spare`` (their subjects differ,
    and pinning looks the peer up by subject before comparing keys).
    """

    usage: Usage
    key_group: str
    issuer: str
    """``intermediate``, ``other-ca`` or ``self``."""
    status: Status
    description: str

    def __new__(
        cls, value: str, usage: Usage, group: str, issuer: str, status: Status, text: str
    ) -> LeafName:
        member = str.__new__(cls, value)
        member._value_ = value
        member.usage, member.key_group, member.issuer = usage, group, issuer
        member.status, member.description = status, text
        return member

    # fmt: off
    SERVER_RSA           = ("server-rsa",           _S, "rsa-server",   INTER, Status.VALID,         "server, RSA 2048")
    SERVER_ECDSA         = ("server-ecdsa",         _S, "ecdsa-server", INTER, Status.VALID,         "server, ECDSA P-256")
    SERVER_IP2           = ("server-ip2",           _S, "rsa-spare",    INTER, Status.VALID,         "server for 127.0.0.2 only (stage checkIP matches and mismatches)")
    CLIENT_RSA           = ("client-rsa",           _C, "rsa-client",   INTER, Status.VALID,         "client, RSA 2048")
    CLIENT_ECDSA         = ("client-ecdsa",         _C, "ecdsa-client", INTER, Status.VALID,         "client, ECDSA P-256")
    OTHER_SERVER         = ("other-server",         _S, "rsa-spare",    OTHER, Status.UNTRUSTED_CA,  "server from the unrelated CA")
    OTHER_CLIENT         = ("other-client",         _C, "rsa-spare",    OTHER, Status.UNTRUSTED_CA,  "client from the unrelated CA")
    SELF_SIGNED_SERVER   = ("self-signed-server",   _S, "rsa-spare",    SELF,  Status.SELF_SIGNED,   "self-signed server")
    SELF_SIGNED_CLIENT   = ("self-signed-client",   _C, "rsa-spare",    SELF,  Status.SELF_SIGNED,   "self-signed client")
    EXPIRED_SERVER       = ("expired-server",       _S, "rsa-spare",    INTER, Status.EXPIRED,       "expired server")
    EXPIRED_CLIENT       = ("expired-client",       _C, "rsa-spare",    INTER, Status.EXPIRED,       "expired client")
    NOT_YET_VALID_SERVER = ("not-yet-valid-server", _S, "rsa-spare",    INTER, Status.NOT_YET_VALID, "not-yet-valid server")
    NOT_YET_VALID_CLIENT = ("not-yet-valid-client", _C, "rsa-spare",    INTER, Status.NOT_YET_VALID, "not-yet-valid client")
    REVOKED_SERVER       = ("revoked-server",       _S, "rsa-spare",    INTER, Status.REVOKED,       "revoked server (CRL, OCSP)")
    REVOKED_CLIENT       = ("revoked-client",       _C, "rsa-spare",    INTER, Status.REVOKED,       "revoked client (CRL, OCSP)")
    OCSP_RESPONDER       = ("ocsp-responder",       _O, "ecdsa-ocsp",   INTER, Status.VALID,         "OCSP signer delegated by the intermediate (OCSPSigning EKU)")
    # fmt: on

    @property
    def key_type(self) -> KeyType:
        return KeyType.ECDSA if self.key_group.startswith("ecdsa") else KeyType.RSA

    @property
    def dns_names(self) -> tuple[str, ...]:
        """DNS subjectAltNames (what ``checkHost`` matches)."""
        return ("fix-server2.test",) if self is LeafName.SERVER_IP2 else _HOSTS[self.usage][0]

    @property
    def ip_addresses(self) -> tuple[str, ...]:
        """IP subjectAltNames (what ``checkIP`` matches)."""
        return ("127.0.0.2",) if self is LeafName.SERVER_IP2 else _HOSTS[self.usage][1]


#: ``metadata`` of a field that is not in its manifest entry (the key of the mapping
#: holding it); ``{"json": NAME}`` stores a field under another name.
_KEY: Any = {"json": None}


@dataclass(frozen=True)
class CA:
    """A certificate authority of the test PKI (``root``, ``intermediate``, ``other-ca``).

    ``key_path`` is there so a caller can issue more certificates; ``subject_hash``
    is OpenSSL's ``X509_NAME_hash`` as 8 hex digits, the stem of its ``CApath`` /
    ``CRLpath`` entries; ``subject`` is RFC 4514, as OpenSSL logs it.
    """

    name: str = field(metadata=_KEY)
    cert_path: Path = field(metadata={"json": "cert"})
    key_path: Path = field(metadata={"json": "key"})
    subject: str
    subject_hash: str
    key_type: KeyType


@dataclass(frozen=True)
class Leaf:
    """One end-entity certificate and the files stunnel reads for it.

    Attributes:
        cert_path: ``NAME.crt``: the leaf then its issuing intermediate, i.e. what a
            peer sends (``cert =`` with a separate ``key =``).
        key_path: ``NAME.key``: the private key alone, PKCS#8 PEM, mode 0600.
        pem_path: ``NAME.pem``: chain then key, mode 0600: the guide's ``cert =
            /etc/stunnel/stunnel.pem``.
        pin_path: ``NAME.pin.pem``: the leaf alone; as the *peer's* ``CAfile`` with
            ``verifyPeer = yes`` it pins this certificate.
        key_group: leaves of one group share a key pair (see :class:`LeafName`).
        issuer: ``intermediate``, ``other-ca`` or ``self``.
        status: what a verifier trusting ``root.pem`` concludes.
        ocsp_url: the AIA OCSP responder URL in the certificate (``OCSPaia``), if any.
    """

    name: str = field(metadata=_KEY)
    cert_path: Path = field(metadata={"json": "cert"})
    key_path: Path = field(metadata={"json": "key"})
    pem_path: Path = field(metadata={"json": "pem"})
    pin_path: Path = field(metadata={"json": "pin"})
    usage: Usage
    key_type: KeyType
    key_group: str
    issuer: str
    status: Status
    subject: str
    serial: int = field(metadata={"hex": True})  # JSON numbers cannot hold 159 bits
    not_before: datetime
    not_after: datetime
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    ocsp_url: str | None = None


@dataclass(frozen=True)
class PSKFiles:
    """stunnel ``PSKsecrets`` files (``IDENTITY:KEY`` lines, mode 0600); never the keys.

    Attributes:
        path: ``psk.txt``, the secrets both ends hold.
        wrong_key_path: same identities, other keys: ``decryption failed or bad
            record mac`` (TLS 1.2) / ``binder does not verify`` (TLS 1.3).
        unknown_identity_path: one identity the server does not list: ``PSK
            identity not found``.
        identities: those of ``psk.txt``, first line first (stunnel's client sends
            the first line's identity when ``PSKidentity`` is unset).
    """

    path: Path = field(metadata={"json": "file"})
    wrong_key_path: Path = field(metadata={"json": "wrong_key_file"})
    unknown_identity_path: Path = field(metadata={"json": "unknown_identity_file"})
    identities: tuple[str, ...]
    unknown_identity: str


@dataclass(frozen=True)
class FileEntry:
    """One file of the PKI and what it is (never its content); ``path`` is relative."""

    path: str
    kind: str
    description: str
    secret: bool = False


# ---- the manifest form of a record ----------------------------------------------------

R = TypeVar("R")


@functools.cache
def _adapter(cls: Any) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


def _encode(value: Any, base: Path, *, hex_int: bool = False) -> Any:
    if isinstance(value, Path):
        return value.relative_to(base).as_posix()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, tuple):
        return [_encode(v, base) for v in value]
    return f"{value:x}" if hex_int else value


def to_json(record: Any, base: Path) -> dict[str, Any]:
    """``record``'s manifest entry: every field under its JSON name, paths relative."""
    return {
        f.metadata.get("json", f.name): _encode(
            getattr(record, f.name), base, hex_int=f.metadata.get("hex", False)
        )
        for f in fields(record)
        if f.metadata.get("json", f.name) is not None
    }


def inside(base: Path, relative: str, where: str) -> Path:
    """``base/relative``, refusing a path that climbs out (a manifest is data from disk)."""
    if (
        not isinstance(relative, str)
        or ".." in Path(relative).parts
        or Path(relative).is_absolute()
    ):
        raise HarnessError(f"{where}: path {relative!r} leaves the PKI directory")
    return base / relative


def from_json(cls: type[R], data: Any, base: Path, where: str, **given: Any) -> R:
    """Rebuild a ``cls`` from its manifest entry (``given`` fills key fields).

    Raises:
        HarnessError: ``where`` (file and JSON path) and what is wrong.
    """
    if not isinstance(data, Mapping):
        raise HarnessError(f"{where}: invalid PKI manifest: not an object")
    values = dict(given)
    for f in fields(cls):  # type: ignore[arg-type]
        name = f.metadata.get("json", f.name)
        if name is None or f.name in given:
            continue
        if name not in data:
            if f.default is MISSING:
                raise HarnessError(f"{where}.{name}: invalid PKI manifest: field required")
            continue
        value = data[name]
        if f.metadata.get("hex") and isinstance(value, str):
            try:
                value = int(value, 16)
            except ValueError:
                raise HarnessError(f"{where}.{name}: invalid PKI manifest: not hex") from None
        elif f.type in ("Path", Path):
            value = inside(base, value, where)
        values[f.name] = value
    extra = sorted(set(data) - {f.metadata.get("json", f.name) for f in fields(cls)})  # type: ignore[arg-type]
    if extra:
        raise HarnessError(f"{where}.{extra[0]}: invalid PKI manifest: unexpected field")
    try:
        record: R = _adapter(cast(Any, cls)).validate_python(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = ".".join(str(p) for p in first["loc"])
        raise HarnessError(f"{where}.{at}: invalid PKI manifest: {first['msg']}") from None
    return record
