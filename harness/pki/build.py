"""Generate the test PKI: CAs with trustme, leaves and CRLs with cryptography.

trustme makes the three CAs (root, intermediate, unrelated) because that is what
it does well. Leaves are built here with cryptography because the harness needs
what trustme does not offer: a key shared between several certificates (RSA key
generation is the slow part), role-specific ExtendedKeyUsage, an OCSP-signing
certificate, AIA OCSP URLs, and deterministic subjects. CRLs, the OpenSSL ``ca``
index and hashed directories are derived from the same in-memory objects, so the
files cannot disagree with each other.
"""

from __future__ import annotations

import ipaddress
import json
import time
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
from harness.pki import psk as psk_mod
from harness.pki.files import (
    HASHED_CERT_NAME,
    HASHED_CRL_NAME,
    FileWriter,
    hashed_name,
    subject_hash,
)
from harness.pki.model import (
    CAFiles,
    KeyType,
    LeafFiles,
    PSKFiles,
    Status,
    TestPKI,
    Usage,
)

ORGANIZATION = "fixs-harness test PKI"
SERVER_DNS = ("fix-server.test", "localhost")
SERVER_IPS = ("127.0.0.1",)
SERVER2_DNS = ("fix-server2.test",)
SERVER2_IPS = ("127.0.0.2",)
CLIENT_DNS = ("fix-client.test",)
CLIENT_IPS = ("127.0.0.1",)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class LeafSpec:
    """What one leaf should be; the table below is the whole PKI's design."""

    name: str
    usage: Usage
    key_group: str
    issuer: str  # "intermediate", "other-ca" or "self"
    status: Status
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    description: str = ""


def _server(name: str, key_group: str, issuer: str, status: Status, text: str) -> LeafSpec:
    return LeafSpec(name, Usage.SERVER, key_group, issuer, status, SERVER_DNS, SERVER_IPS, text)


def _client(name: str, key_group: str, issuer: str, status: Status, text: str) -> LeafSpec:
    return LeafSpec(name, Usage.CLIENT, key_group, issuer, status, CLIENT_DNS, CLIENT_IPS, text)


INTER, OTHER, SELF = "intermediate", "other-ca", "self"
#: Key groups: each principal identity has its own key; negative-case leaves share
#: "rsa-spare" (their subjects differ, so nothing can confuse them).
LEAF_SPECS: tuple[LeafSpec, ...] = (
    _server("server-rsa", "rsa-server", INTER, Status.VALID, "server, RSA 2048"),
    _server("server-ecdsa", "ecdsa-server", INTER, Status.VALID, "server, ECDSA P-256"),
    LeafSpec(
        "server-ip2",
        Usage.SERVER,
        "rsa-spare",
        INTER,
        Status.VALID,
        SERVER2_DNS,
        SERVER2_IPS,
        "server for 127.0.0.2 only (stage checkIP matches and mismatches)",
    ),
    _client("client-rsa", "rsa-client", INTER, Status.VALID, "client, RSA 2048"),
    _client("client-ecdsa", "ecdsa-client", INTER, Status.VALID, "client, ECDSA P-256"),
    _server(
        "other-server", "rsa-spare", OTHER, Status.UNTRUSTED_CA, "server from the unrelated CA"
    ),
    _client(
        "other-client", "rsa-spare", OTHER, Status.UNTRUSTED_CA, "client from the unrelated CA"
    ),
    _server("self-signed-server", "rsa-spare", SELF, Status.SELF_SIGNED, "self-signed server"),
    _client("self-signed-client", "rsa-spare", SELF, Status.SELF_SIGNED, "self-signed client"),
    _server("expired-server", "rsa-spare", INTER, Status.EXPIRED, "expired server"),
    _client("expired-client", "rsa-spare", INTER, Status.EXPIRED, "expired client"),
    _server(
        "not-yet-valid-server", "rsa-spare", INTER, Status.NOT_YET_VALID, "not-yet-valid server"
    ),
    _client(
        "not-yet-valid-client", "rsa-spare", INTER, Status.NOT_YET_VALID, "not-yet-valid client"
    ),
    _server("revoked-server", "rsa-spare", INTER, Status.REVOKED, "revoked server (CRL, OCSP)"),
    _client("revoked-client", "rsa-spare", INTER, Status.REVOKED, "revoked client (CRL, OCSP)"),
    LeafSpec(
        "ocsp-responder",
        Usage.OCSP,
        "ecdsa-ocsp",
        INTER,
        Status.VALID,
        description="OCSP signer delegated by the intermediate (OCSPSigning EKU)",
    ),
)

KEY_GROUP_TYPES: dict[str, KeyType] = {
    "rsa-server": KeyType.RSA,
    "rsa-client": KeyType.RSA,
    "rsa-spare": KeyType.RSA,
    "ecdsa-server": KeyType.ECDSA,
    "ecdsa-client": KeyType.ECDSA,
    "ecdsa-ocsp": KeyType.ECDSA,
}


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


def _prepare_directory(directory: Path, *, force: bool) -> None:
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


def _new_key(key_type: KeyType) -> PrivateKey:
    if key_type is KeyType.RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_type_of(key: object) -> KeyType:
    return KeyType.RSA if isinstance(key, rsa.RSAPrivateKey) else KeyType.ECDSA


@dataclass(frozen=True)
class _CA:
    name: str
    cert: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes


def _trustme_ca(
    name: str, unit: str, key_type: KeyType, *, parent: trustme.CA | None, path_length: int
) -> tuple[trustme.CA, _CA]:
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
    return tca, _CA(name, cert, key)


# ---- certificates ---------------------------------------------------------------


def _validity(status: Status, now: datetime) -> tuple[datetime, datetime]:
    if status is Status.EXPIRED:
        return now - timedelta(days=400), now - timedelta(days=30)
    if status is Status.NOT_YET_VALID:
        return now + timedelta(days=30), now + timedelta(days=400)
    # A day of slack before "now" absorbs clock differences between containers.
    return now - timedelta(days=1), now + timedelta(days=397)


def _subject(spec: LeafSpec) -> x509.Name:
    common = spec.dns_names[0] if spec.dns_names else f"{spec.name}.fixs-harness.test"
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            # The OU carries the artifact name so that every subject is distinct even
            # when the host names are the same: pinning looks the peer up by subject.
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, spec.name),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _issue_leaf(
    spec: LeafSpec,
    key: PrivateKey,
    issuer: _CA | None,
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
    elif ocsp_url and spec.issuer == "intermediate":
        aia = x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                )
            ]
        )
        builder = builder.add_extension(aia, critical=False)
    return builder.sign(sign_key, hashes.SHA256())


def _crl(
    ca: _CA, revoked: Sequence[x509.Certificate], *, now: datetime
) -> x509.CertificateRevocationList:
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
    return builder.sign(ca.key, hashes.SHA256())


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


# ---- the whole thing ------------------------------------------------------------


def build_pki(directory: Path, *, ocsp_url: str | None = None, force: bool = False) -> TestPKI:
    """Generate every file of the test PKI; see :meth:`TestPKI.create`."""
    started = time.perf_counter()
    if ocsp_url is not None:
        validate_ocsp_url(ocsp_url)
    _prepare_directory(directory, force=force)
    now = datetime.now(UTC).replace(microsecond=0)
    out = FileWriter(directory)

    # CAs. The root may sign one level of CA below it; the intermediate only leaves.
    root_t, root = _trustme_ca("root", "Root CA", KeyType.RSA, parent=None, path_length=1)
    _, inter = _trustme_ca(
        "intermediate", "Intermediate CA", KeyType.RSA, parent=root_t, path_length=0
    )
    _, other = _trustme_ca("other-ca", "Unrelated CA", KeyType.ECDSA, parent=None, path_length=0)

    ca_files: dict[str, CAFiles] = {}
    for ca, text in (
        (root, "root CA certificate (trust anchor)"),
        (inter, "intermediate CA certificate (issues every leaf)"),
        (other, "unrelated CA certificate (issues other-server, other-client)"),
    ):
        file_stem = "root" if ca.name == "root" else ca.name
        cert_path = out.write(
            f"{file_stem}.pem", _cert_pem(ca.cert), kind="ca-cert", description=text
        )
        key_path = out.write(
            f"{file_stem}.key",
            _key_pem(ca.key),  # type: ignore[arg-type]
            kind="ca-key",
            description=f"{ca.name} CA private key",
            secret=True,
        )
        ca_files[ca.name] = CAFiles(
            name=ca.name,
            cert_path=cert_path,
            key_path=key_path,
            subject=ca.cert.subject.rfc4514_string(),
            subject_hash=subject_hash(ca.cert),
            key_type=_key_type_of(ca.key),
        )
    chain_path = out.write(
        "ca-chain.pem",
        _cert_pem(inter.cert) + _cert_pem(root.cert),
        kind="ca-bundle",
        description="intermediate + root: CAfile for verifyChain",
    )

    taken: set[str] = set()
    for ca in (root, inter):
        name = hashed_name(ca_files[ca.name].subject_hash, crl=False, taken=taken)
        out.write(
            f"capath/{name}",
            _cert_pem(ca.cert),
            kind="capath-entry",
            description=f"{ca.name} CA under its subject hash: CApath directory",
        )

    # Leaves.
    keys = {group: _new_key(kt) for group, kt in KEY_GROUP_TYPES.items()}
    issuers = {"intermediate": inter, "other-ca": other}
    certs: dict[str, x509.Certificate] = {}
    leaves: dict[str, LeafFiles] = {}
    for spec in LEAF_SPECS:
        key = keys[spec.key_group]
        issuer = issuers.get(spec.issuer)
        cert = _issue_leaf(spec, key, issuer, now=now, ocsp_url=ocsp_url)
        certs[spec.name] = cert
        chain = _cert_pem(cert) + (_cert_pem(inter.cert) if issuer is inter else b"")
        cert_path = out.write(
            f"{spec.name}.crt",
            chain,
            kind="leaf-chain",
            description=f"{spec.description}: certificate + issuing chain",
        )
        key_path = out.write(
            f"{spec.name}.key",
            _key_pem(key),
            kind="leaf-key",
            description=f"{spec.description}: private key",
            secret=True,
        )
        pem_path = out.write(
            f"{spec.name}.pem",
            chain + _key_pem(key),
            kind="leaf-bundle",
            description=f"{spec.description}: chain + key in one file (stunnel cert =)",
            secret=True,
        )
        pin_path = out.write(
            f"{spec.name}.pin.pem",
            _cert_pem(cert),
            kind="pin",
            description=f"{spec.description}: leaf only, CAfile for a peer's verifyPeer",
        )
        has_aia = bool(ocsp_url) and spec.issuer == "intermediate" and spec.usage is not Usage.OCSP
        leaves[spec.name] = LeafFiles(
            name=spec.name,
            cert_path=cert_path,
            key_path=key_path,
            pem_path=pem_path,
            pin_path=pin_path,
            usage=spec.usage,
            key_type=KEY_GROUP_TYPES[spec.key_group],
            key_group=spec.key_group,
            issuer=spec.issuer,
            status=spec.status,
            subject=cert.subject.rfc4514_string(),
            serial=cert.serial_number,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            dns_names=spec.dns_names,
            ip_addresses=spec.ip_addresses,
            ocsp_url=ocsp_url if has_aia else None,
        )

    # Revocation: CRLs and the OpenSSL ca databases for openssl ocsp.
    revoked = [certs[s.name] for s in LEAF_SPECS if s.status is Status.REVOKED]
    inter_crl = _crl(inter, revoked, now=now)
    root_crl = _crl(root, [], now=now)
    inter_crl_pem = inter_crl.public_bytes(serialization.Encoding.PEM)
    root_crl_pem = root_crl.public_bytes(serialization.Encoding.PEM)
    crl_path = out.write(
        "crl.pem",
        inter_crl_pem + root_crl_pem,
        kind="crl",
        description="CRLs of the intermediate (revoked-server, revoked-client) and root: CRLfile",
    )
    taken_crl: set[str] = set()
    for ca, pem in ((inter, inter_crl_pem), (root, root_crl_pem)):
        name = hashed_name(ca_files[ca.name].subject_hash, crl=True, taken=taken_crl)
        out.write(
            f"crl/{name}",
            pem,
            kind="crlpath-entry",
            description=f"{ca.name} CA's CRL under its issuer hash: CRLpath directory",
        )

    revoked_at = now - timedelta(hours=1)
    index = "".join(
        index_line(certs[s.name], revoked_at=revoked_at if s.status is Status.REVOKED else None)
        for s in LEAF_SPECS
        if s.issuer == "intermediate"
    )
    attr = b"unique_subject = no\n"
    index_path = out.write(
        "index.txt",
        index.encode(),
        kind="ocsp-index",
        description="OpenSSL ca database of the intermediate's leaves: openssl ocsp -index",
    )
    out.write("index.txt.attr", attr, kind="ocsp-index-attr", description="index.txt attributes")
    root_index_path = out.write(
        "root-index.txt",
        index_line(inter.cert).encode(),
        kind="ocsp-index",
        description="OpenSSL ca database of the root (the intermediate): openssl ocsp -index",
    )
    out.write(
        "root-index.txt.attr", attr, kind="ocsp-index-attr", description="root-index.txt attributes"
    )

    # PSK secrets.
    good = tuple(psk_mod.PskSecret(i, psk_mod.new_key()) for i in psk_mod.DEFAULT_IDENTITIES)
    wrong = tuple(psk_mod.PskSecret(i, psk_mod.new_key()) for i in psk_mod.DEFAULT_IDENTITIES)
    unknown = (psk_mod.PskSecret(psk_mod.UNKNOWN_IDENTITY, psk_mod.new_key()),)
    psk_files = PSKFiles(
        path=out.write(
            "psk.txt",
            psk_mod.render_secrets(good),
            kind="psk",
            description="PSKsecrets shared by both ends",
            secret=True,
        ),
        wrong_key_path=out.write(
            "psk-wrong-key.txt",
            psk_mod.render_secrets(wrong),
            kind="psk",
            description="PSKsecrets with the same identities and different keys",
            secret=True,
        ),
        unknown_identity_path=out.write(
            "psk-unknown-identity.txt",
            psk_mod.render_secrets(unknown),
            kind="psk",
            description="PSKsecrets with an identity psk.txt does not list",
            secret=True,
        ),
        identities=psk_mod.DEFAULT_IDENTITIES,
        unknown_identity=psk_mod.UNKNOWN_IDENTITY,
    )

    from harness.pki.manifest import MANIFEST_NAME, manifest_json

    pki = TestPKI(
        directory=directory,
        root=ca_files["root"],
        intermediate=ca_files["intermediate"],
        other_ca=ca_files["other-ca"],
        chain_path=chain_path,
        capath_dir=directory / "capath",
        crl_path=crl_path,
        crl_dir=directory / "crl",
        index_path=index_path,
        root_index_path=root_index_path,
        ocsp_url=ocsp_url,
        leaves=leaves,
        psk=psk_files,
        files=(*out.entries,),
        manifest_path=directory / MANIFEST_NAME,
        created=now,
        generation_seconds=round(time.perf_counter() - started, 3),
    )
    out.write(
        MANIFEST_NAME,
        (json.dumps(manifest_json(pki), indent=2) + "\n").encode(),
        kind="manifest",
        description="this listing",
    )
    return pki
