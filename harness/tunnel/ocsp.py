"""OCSP checking as stunnel does it (``OCSP = URL``, ``OCSPaia = yes``): one request per
certificate in the chain except a self-signed root, over plain HTTP; the responder must
answer GOOD with a response signed by the issuer or by a responder certificate the
issuer delegated (OCSPSigning); anything else (revoked, unknown, unreachable, bad
signature) rejects the certificate.
"""

from __future__ import annotations

import datetime
import http.client
import os
import urllib.parse
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID


@dataclass(frozen=True)
class OcspOutcome:
    status: str  # "good", "revoked" or "unknown" (unknown also for every failure)
    text: str  # what the log says, in stunnel's words

    @property
    def good(self) -> bool:
        return self.status == "good"


def aia_urls(cert: x509.Certificate) -> list[str]:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return [
        str(d.access_location.value)
        for d in aia
        if d.access_method == AuthorityInformationAccessOID.OCSP
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def _verify_signature(signer: x509.Certificate, resp: ocsp.OCSPResponse) -> bool:
    key = signer.public_key()
    algo = resp.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey) and algo is not None:
            key.verify(resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(), algo)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algo is not None:
            key.verify(resp.signature, resp.tbs_response_bytes, ec.ECDSA(algo))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _signed_by_issuer(resp: ocsp.OCSPResponse, issuer: x509.Certificate) -> bool:
    if _verify_signature(issuer, resp):
        return True
    for responder in resp.certificates:  # delegated responder, signed by the issuer
        try:
            responder.verify_directly_issued_by(issuer)
            eku = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in eku and _verify_signature(responder, resp):
            return True
    return False


def check(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    url: str,
    *,
    timeout: float = 5.0,
    nonce: bool = False,
) -> OcspOutcome:
    """Ask the responder at ``url`` about ``cert``; never raises for network trouble."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())
    if nonce:
        builder = builder.add_extension(x509.OCSPNonce(os.urandom(16)), critical=False)
    body = builder.build().public_bytes(serialization.Encoding.DER)
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "http" or not parsed.hostname:
        return OcspOutcome("unknown", "OCSP: Failed to parse the OCSP URL")
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=timeout)
    try:
        conn.request(
            "POST",
            parsed.path or "/",
            body=body,
            headers={"Content-Type": "application/ocsp-request", "Host": parsed.netloc},
        )
        reply = conn.getresponse()
        data = reply.read()
    except OSError as exc:
        return OcspOutcome("unknown", f"OCSP: s_connect: {exc}")
    finally:
        conn.close()
    try:
        resp = ocsp.load_der_ocsp_response(data)
    except ValueError:
        return OcspOutcome("unknown", "OCSP: Failed to decode the OCSP response")
    if resp.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return OcspOutcome("unknown", f"OCSP: Responder error: {resp.response_status.name.lower()}")
    if not _signed_by_issuer(resp, issuer):
        return OcspOutcome("unknown", "OCSP: OCSP_basic_verify: signer certificate not found")
    if resp.serial_number != cert.serial_number:
        return OcspOutcome("unknown", "OCSP: OCSP_resp_find_status: no status for this certificate")
    now = datetime.datetime.now(datetime.UTC)
    next_update = resp.next_update_utc
    if resp.this_update_utc > now + datetime.timedelta(seconds=60) or (
        next_update is not None and next_update < now - datetime.timedelta(seconds=60)
    ):
        return OcspOutcome("unknown", "OCSP: OCSP_check_validity: status times invalid")
    status = resp.certificate_status
    if status == ocsp.OCSPCertStatus.GOOD:
        return OcspOutcome("good", "OCSP: Status: good")
    if status == ocsp.OCSPCertStatus.REVOKED:
        return OcspOutcome("revoked", "OCSP: Status: revoked")
    return OcspOutcome("unknown", "OCSP: Status: unknown")
