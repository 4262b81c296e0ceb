"""Certificates and distinguished names from their DER bytes."""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from harness.dissect.model import CertInfo
from harness.dissect.wire import Malformed, Reader

_OID_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.5": "serialNumber",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
    "1.2.840.113549.1.9.1": "emailAddress",
}


def cert_info(der: bytes) -> CertInfo:
    """Summarise one DER certificate; never raises (a broken one is reported as such)."""
    fingerprint = hashlib.sha256(der).hexdigest()
    try:
        cert = x509.load_der_x509_certificate(der)
        key = cert.public_key()
        key_type, key_bits, curve = "unknown", None, None
        if isinstance(key, rsa.RSAPublicKey):
            key_type, key_bits = "RSA", key.key_size
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key_type, key_bits, curve = "EC", key.curve.key_size, key.curve.name
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key_type, key_bits = "Ed25519", 256
        elif isinstance(key, ed448.Ed448PublicKey):
            key_type, key_bits = "Ed448", 456
        elif isinstance(key, dsa.DSAPublicKey):
            key_type, key_bits = "DSA", key.key_size
        sans: list[str] = []
        try:
            ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            for name in ext:
                if isinstance(name, x509.DNSName):
                    sans.append(f"DNS:{name.value}")
                elif isinstance(name, x509.IPAddress):
                    sans.append(f"IP:{name.value}")
                elif isinstance(name, x509.RFC822Name):
                    sans.append(f"email:{name.value}")
                elif isinstance(name, x509.UniformResourceIdentifier):
                    sans.append(f"URI:{name.value}")
                else:
                    sans.append(str(name.value))
        except x509.ExtensionNotFound:
            pass
        return CertInfo(
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            sans=tuple(sans),
            key_type=key_type,
            key_bits=key_bits,
            key_curve=curve,
            not_before=cert.not_valid_before_utc.isoformat(),
            not_after=cert.not_valid_after_utc.isoformat(),
            sha256=fingerprint,
            serial=format(cert.serial_number, "x"),
            self_signed=cert.subject == cert.issuer,
            der=der,
        )
    except Exception as exc:  # any parse failure of foreign bytes is a finding, not a crash
        return CertInfo(
            subject="",
            issuer="",
            sans=(),
            key_type="unknown",
            key_bits=None,
            not_before="",
            not_after="",
            sha256=fingerprint,
            serial="",
            parse_error=f"{type(exc).__name__}: {exc}",
            der=der,
        )


def _der_tlv(r: Reader) -> tuple[int, bytes]:
    tag = r.u8()
    first = r.u8()
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        if n == 0 or n > 4:
            raise Malformed("unsupported DER length")
        length = r.uint(n)
    return tag, r.take(length)


def _oid(body: bytes) -> str:
    if not body:
        raise Malformed("empty OID")
    parts = [body[0] // 40, body[0] % 40]
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


def _escape(value: str) -> str:
    out = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if out.startswith(("#", " ")):
        out = "\\" + out
    return out


def dn_string(der: bytes) -> str:
    """RFC 4514 string of a DER ``Name`` (the CA names of a CertificateRequest).

    cryptography has no public loader for a bare Name, so this decodes the few
    ASN.1 forms a Name uses; anything else comes back as ``#hex``.
    """
    try:
        tag, body = _der_tlv(Reader(der))
        if tag != 0x30:
            raise Malformed("Name is not a SEQUENCE")
        rdns: list[str] = []
        seq = Reader(body)
        while seq.remaining:
            tag, rdn_body = _der_tlv(seq)
            if tag != 0x31:
                raise Malformed("RDN is not a SET")
            atvs: list[str] = []
            rdn = Reader(rdn_body)
            while rdn.remaining:
                _, atv_body = _der_tlv(rdn)
                atv = Reader(atv_body)
                oid_tag, oid_body = _der_tlv(atv)
                if oid_tag != 0x06:
                    raise Malformed("attribute type is not an OID")
                vtag, vbody = _der_tlv(atv)
                oid = _oid(oid_body)
                if vtag == 0x1E:
                    text = vbody.decode("utf-16-be", "replace")
                elif vtag == 0x1C:
                    text = vbody.decode("utf-32-be", "replace")
                elif vtag in (0x0C, 0x13, 0x16, 0x14, 0x1A):
                    text = vbody.decode("utf-8", "replace")
                else:
                    atvs.append(f"{_OID_NAMES.get(oid, oid)}=#{vbody.hex()}")
                    continue
                atvs.append(f"{_OID_NAMES.get(oid, oid)}={_escape(text)}")
            rdns.append("+".join(atvs))
        return ",".join(reversed(rdns))
    except Malformed:
        return "#" + der.hex()
