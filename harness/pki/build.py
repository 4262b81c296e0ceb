"""Key material for the test PKI: CAs with trustme, leaves and CRLs with cryptography.

trustme makes the three CAs (root, intermediate, unrelated) because that is what
it does well. Leaves are built here with cryptography because the harness needs
what trustme does not offer: a key shared between several certificates (RSA key
generation is the slow part), role-specific ExtendedKeyUsage, an OCSP-signing
certificate, AIA OCSP URLs, and deterministic subjects. Everything here works on
in-memory objects; :mod:`harness.pki.testpki` writes them, so the CRLs, the
OpenSSL ``ca`` index and the hashed directories cannot disagree with each other.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from harness.errors import HarnessError
from harness.pki.files import HASHED_CERT_NAME, HASHED_CRL_NAME
from harness.pki.model import INTER, KeyType, LeafName, Status, Usage

ORGANIZATION = "fixs-harness test PKI"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


# ---- inputs ---------------------------------------------------------------------


def validate_ocsp_url(url: str) -> str:
    """Accept only ``http://<loopback>:<port>[/path]``: stunnel speaks OCSP over plain
    HTTP, and the harness never sends traffic off the machine."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "http":
        raise HarnessError(f"OCSP URL must be http:// (stunnel does not do OCSP over TLS): {url}")
    host = parsed.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise HarnessError(f"OCSP URL must point at a loopback address: {url}")
    try:
        port = parsed.port
    except ValueError:
        port = None
    if not port:
        raise HarnessError(f"OCSP URL needs an explicit port, e.g. http://127.0.0.1:8888: {url}")
    return url


def prepare_directory(directory: Path, *, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise HarnessError(f"{directory} exists and is not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    existing = sorted(p.name for p in directory.iterdir())
    if existing and not force:
        shown = ", ".join(existing[:5]) + (", ..." if len(existing) > 5 else "")
        raise HarnessError(
            f"{directory} is not empty ({shown}); use --force to replace the PKI in it"
        )
    # With force, clear only what a previous run made in our own subdirectories:
    # stale hash names would otherwise shadow the new CAs. Everything else is
    # either overwritten by name or left alone.
    for sub, pattern in (("capath", HASHED_CERT_NAME), ("crl", HASHED_CRL_NAME)):
        subdir = directory / sub
        if subdir.is_dir():
            for p in subdir.iterdir():
                if pattern.match(p.name) and (p.is_file() or p.is_symlink()):
                    p.unlink()


# ---- key material ---------------------------------------------------------------


def new_key(key_type: KeyType) -> PrivateKey:
    if key_type is KeyType.RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: CertificateIssuerPrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_type_of(key: object) -> KeyType:
    return KeyType.RSA if isinstance(key, rsa.RSAPrivateKey) else KeyType.ECDSA


@dataclass(frozen=True)
class IssuerCA:
    name: str
    cert: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes


def trustme_ca(
    name: str, unit: str, key_type: KeyType, *, parent: trustme.CA | None, path_length: int
) -> tuple[trustme.CA, IssuerCA]:
    tca = trustme.CA(
        parent_cert=parent,
        path_length=path_length,
        organization_name=ORGANIZATION,
        organization_unit_name=unit,
        key_type=trustme.KeyType.RSA if key_type is KeyType.RSA else trustme.KeyType.ECDSA,
    )
    cert = x509.load_pem_x509_certificate(tca.cert_pem.bytes())
    key = serialization.load_pem_private_key(tca.private_key_pem.bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return tca, IssuerCA(name, cert, key)


# ---- certificates ---------------------------------------------------------------


def _validity(status: Status, now: datetime) -> tuple[datetime, datetime]:
    if status is Status.EXPIRED:
        return now - timedelta(days=400), now - timedelta(days=30)
    if status is Status.NOT_YET_VALID:
        return now + timedelta(days=30), now + timedelta(days=400)
    # A day of slack before "now" absorbs clock differences between containers.
    return now - timedelta(days=1), now + timedelta(days=397)


def _subject(spec: LeafName) -> x509.Name:
    common = spec.dns_names[0] if spec.dns_names else f"{spec.value}.fixs-harness.test"
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            # The OU carries the artifact name so that every subject is distinct even
            # when the host names are the same: pinning looks the peer up by subject.
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, spec.value),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def issue_leaf(
    spec: LeafName,
    key: PrivateKey,
    issuer: IssuerCA | None,
    *,
    now: datetime,
    ocsp_url: str | None,
) -> x509.Certificate:
    subject = _subject(spec)
    not_before, not_after = _validity(spec.status, now)
    public_key = key.public_key()
    sign_key: CertificateIssuerPrivateKeyTypes
    if issuer is None:  # self-signed
        issuer_name, sign_key = subject, key
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key)
    else:
        issuer_name, sign_key = issuer.cert.subject, issuer.key
        ski = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    if spec.usage is Usage.OCSP or isinstance(key, ec.EllipticCurvePrivateKey):
        # ECDSA keys sign (ECDHE-ECDSA); they never encipher a premaster secret.
        key_usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    else:
        key_usage = x509.KeyUsage(True, False, True, False, False, False, False, False, False)
    eku = {
        Usage.SERVER: ExtendedKeyUsageOID.SERVER_AUTH,
        Usage.CLIENT: ExtendedKeyUsageOID.CLIENT_AUTH,
        Usage.OCSP: ExtendedKeyUsageOID.OCSP_SIGNING,
    }[spec.usage]
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(aki, critical=False)
    )
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in spec.dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in spec.ip_addresses]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if spec.usage is Usage.OCSP:
        # RFC 6960 4.2.2.2.1: clients need not check the responder's own status.
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    elif ocsp_url and spec.issuer == INTER:
        aia = x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                )
            ]
        )
        builder = builder.add_extension(aia, critical=False)
    return builder.sign(sign_key, hashes.SHA256())


def crl_pem(ca: IssuerCA, revoked: Sequence[x509.Certificate], *, now: datetime) -> bytes:
    """``ca``'s CRL listing ``revoked`` (reason keyCompromise), PEM."""
    ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now - timedelta(hours=1))
        .next_update(now + timedelta(days=30))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    )
    for cert in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - timedelta(hours=1))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


# ---- the OpenSSL ``ca`` database ------------------------------------------------


def _asn1_time(when: datetime) -> str:
    """The ``index.txt`` date form: UTCTime before 2050, GeneralizedTime after."""
    when = when.astimezone(UTC)
    if 1950 <= when.year < 2050:
        return when.strftime("%y%m%d%H%M%SZ")
    return when.strftime("%Y%m%d%H%M%SZ")


def _oneline(name: x509.Name) -> str:
    """``/O=.../OU=.../CN=...``: OpenSSL's old one-line form used in ``index.txt``."""
    short = {
        NameOID.COUNTRY_NAME: "C",
        NameOID.ORGANIZATION_NAME: "O",
        NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
        NameOID.COMMON_NAME: "CN",
    }
    return "".join(f"/{short.get(a.oid, a.oid.dotted_string)}={a.value!s}" for a in name)


def _serial_hex(serial: int) -> str:
    """As OpenSSL's ``BN_bn2hex`` writes it: upper case, whole bytes."""
    text = f"{serial:X}"
    return text if len(text) % 2 == 0 else "0" + text


def index_line(
    cert: x509.Certificate, *, revoked_at: datetime | None = None, reason: str = "keyCompromise"
) -> str:
    """One ``index.txt`` line: status, expiry, revocation, serial, file, subject.

    ``openssl ocsp`` answers *good* for ``V`` and *revoked* for ``R``. Expired
    certificates stay ``V`` (``openssl ca -updatedb`` would mark them ``E``, for
    which ``openssl ocsp`` has no answer): their expiry is the verifier's business.
    """
    expiry = _asn1_time(cert.not_valid_after_utc)
    serial = _serial_hex(cert.serial_number)
    subject = _oneline(cert.subject)
    if revoked_at is None:
        return f"V\t{expiry}\t\t{serial}\tunknown\t{subject}\n"
    return f"R\t{expiry}\t{_asn1_time(revoked_at)},{reason}\t{serial}\tunknown\t{subject}\n"
