"""``pin``: download a server's leaf certificate and chain for pinning (guide 4.3).

The guide's appendix 4.3 copies PEM blocks out of ``openssl s_client -showcerts``;
this does the same from the wire: a TLS 1.2 ClientHello (the certificate chain
travels in cleartext there) and the Certificate message as the server sent it. A
server that speaks only TLS 1.3 is asked with a full OpenSSL handshake instead and
its chain taken from that connection. The file written holds the leaf first, then
the chain, ready for stunnel's ``CAfile`` with ``verifyPeer = yes`` (stunnel pins
the leaf: subject and public key must match a certificate in the file).
"""

from __future__ import annotations

import hashlib
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from harness.certify.diagnose import diagnose, probe_facts
from harness.certify.hello import HelloSpec, is_ip_address, offerable
from harness.certify.probe import Target, hello_probe
from harness.errors import HarnessError
from harness.tls.registry import all_suites
from harness.tls.versions import TLS12
from harness.tunnel import x509util


@dataclass(frozen=True)
class PinnedCert:
    """One downloaded certificate, summarised for the terminal."""

    pem: bytes
    subject: str
    issuer: str
    sans: tuple[str, ...]
    not_before: str
    not_after: str
    key: str
    sha256: str
    spki_sha256: str

    def describe(self) -> list[str]:
        return [
            f"subject:      {self.subject}",
            f"issuer:       {self.issuer}",
            f"SANs:         {', '.join(self.sans) or 'none'}",
            f"validity:     {self.not_before} .. {self.not_after}",
            f"key:          {self.key}",
            f"SHA-256:      {self.sha256}",
            f"SPKI SHA-256: {self.spki_sha256}",
        ]


def _summarise(cert: x509.Certificate) -> PinnedCert:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key_text = f"RSA {key.key_size} bits"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_text = f"EC {key.curve.name} ({key.curve.key_size} bits)"
    else:
        key_text = type(key).__name__
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = tuple(
            f"{'IP' if isinstance(n, x509.IPAddress) else 'DNS' if isinstance(n, x509.DNSName) else 'other'}:{n.value}"
            for n in ext
        )
    except x509.ExtensionNotFound:
        sans = ()
    der = cert.public_bytes(serialization.Encoding.DER)
    return PinnedCert(
        pem=cert.public_bytes(serialization.Encoding.PEM),
        subject=x509util.name_text(cert.subject),
        issuer=x509util.name_text(cert.issuer),
        sans=sans,
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        key=key_text,
        sha256=":".join(f"{b:02X}" for b in hashlib.sha256(der).digest()),
        spki_sha256=hashlib.sha256(x509util.public_key_bytes(cert)).hexdigest(),
    )


def _tls13_chain(target: Target, timeout: float) -> list[bytes]:
    from OpenSSL import SSL

    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *a: True)
    with socket.create_connection((target.address, target.port), timeout=timeout) as sock:
        conn = SSL.Connection(ctx, sock)
        if not is_ip_address(target.host):
            conn.set_tlsext_host_name(target.host.encode("idna"))
        conn.set_connect_state()
        try:
            conn.do_handshake()
        except SSL.Error as exc:
            reason = str(exc) or "no reason given by OpenSSL"
            raise HarnessError(f"TLS 1.3 handshake failed: {reason}") from None
        chain = conn.get_peer_cert_chain(as_cryptography=True) or []
        return [c.public_bytes(serialization.Encoding.DER) for c in chain]


def download_chain(target: Target, *, timeout: float = 5.0) -> list[PinnedCert]:
    """The server's leaf and chain, in the order sent.

    Raises:
        HarnessError: unreachable, or no certificate obtainable.
    """
    codes = offerable([s.code for s in all_suites()], TLS12)
    wire = hello_probe(
        target, "pin", HelloSpec(TLS12, codes, server_name=target.host), timeout=timeout
    )
    diagnosis = diagnose([probe_facts(wire)], timeout)
    if not diagnosis.is_tls and diagnosis.kind != "alert":
        # Not a TLS server (HTTP, plaintext FIX, silent, closed, garbage): say so.
        raise HarnessError(f"{target.label}: {diagnosis.text}")
    ders = list(wire.server_certificates_der())
    if not ders:
        try:
            ders = _tls13_chain(target, timeout)
        except OSError as exc:
            raise HarnessError(f"{target.label}: {exc.strerror or exc}") from None
        except HarnessError as exc:
            if diagnosis.is_tls:
                raise
            raise HarnessError(f"{target.label}: {diagnosis.text}; {exc}") from None
    if not ders:
        raise HarnessError(f"{target.label} sent no certificate (a PSK-only server?)")
    try:
        return [_summarise(x509.load_der_x509_certificate(d)) for d in ders]
    except ValueError as exc:
        raise HarnessError(f"{target.label} sent an unparseable certificate: {exc}") from None


def write_pin_file(certs: list[PinnedCert], path: Path, *, leaf_only: bool = False) -> Path:
    """Write the PEM file (leaf first), mode 0644: certificates are public."""
    chosen = certs[:1] if leaf_only else certs
    path.write_bytes(b"".join(c.pem for c in chosen))
    path.chmod(0o644)
    return path
