"""Certificate helpers shared by the tunnel's verification (stunnel's verify.c, in Python).

stunnel renders names in DN order as ``CN=x, O=y``; subject checks follow OpenSSL's
``X509_check_host`` (DNS SANs, the CN only when there is no DNS SAN, ``*.`` wildcards
in the left-most label), ``X509_check_ip_asc`` (IP SANs only) and
``X509_check_email`` (rfc822 SANs, else the subject's emailAddress).
"""

from __future__ import annotations

import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

_SHORT = {
    NameOID.COMMON_NAME: "CN",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.COUNTRY_NAME: "C",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.LOCALITY_NAME: "L",
    NameOID.EMAIL_ADDRESS: "emailAddress",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.SERIAL_NUMBER: "serialNumber",
}


def name_text(name: x509.Name) -> str:
    """A name as stunnel logs it: ``CN=fix-server, O=Example`` in DN order."""
    parts = []
    for attr in name:
        key = _SHORT.get(attr.oid, attr.oid.dotted_string)
        parts.append(f"{key}={attr.value!s}")
    return ", ".join(parts)


def _sans(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None


def _host_matches(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == host:
        return True
    if pattern.startswith("*.") and "." in host:
        label, _, rest = host.partition(".")
        return bool(label) and rest == pattern[2:] and pattern.count(".") >= 2
    return False


def check_host(cert: x509.Certificate, host: str) -> bool:
    sans = _sans(cert)
    dns = sans.get_values_for_type(x509.DNSName) if sans else []
    if dns:
        return any(_host_matches(p, host) for p in dns)
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return any(_host_matches(str(cn.value), host) for cn in cns)


def check_ip(cert: x509.Certificate, ip: str) -> bool:
    try:
        wanted = ipaddress.ip_address(ip)
    except ValueError:
        return False
    sans = _sans(cert)
    if not sans:
        return False
    return any(addr == wanted for addr in sans.get_values_for_type(x509.IPAddress))


def check_email(cert: x509.Certificate, email: str) -> bool:
    sans = _sans(cert)
    mails = sans.get_values_for_type(x509.RFC822Name) if sans else []
    if not mails:
        mails = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)]
    return any(m.lower() == email.lower() for m in mails)


def public_key_bytes(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_pem_certificates(data: bytes) -> list[x509.Certificate]:
    """All certificates in a PEM bundle (keys and other blocks are skipped)."""
    if b"-----BEGIN CERTIFICATE-----" not in data:
        return []
    return x509.load_pem_x509_certificates(data)
