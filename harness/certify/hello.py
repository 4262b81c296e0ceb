"""Hand-built ClientHellos and the reading of a server's first flight (sans-IO).

Most of what ``certify server`` asks a server is answered by its first flight: the
ServerHello names the version and the cipher suite it picked from what we offered
(or an alert says it picked none), and under TLS 1.2 the same flight carries the
certificate chain, the key-exchange parameters (DH prime size, ECDHE group) and
any CertificateRequest. So a probe sends a ClientHello built here, byte by byte,
reads until the server's flight ends, and hangs up: one round trip, no key
agreement, and no dependence on which suites or versions the local OpenSSL would
agree to offer (it refuses SSL 3.0 entirely and many suites at its default
security level). The verdict is taken from the dissector's reading of the bytes
(:func:`harness.dissect.dissect_streams`), like every other wire observation in
the project.

What the hellos offer:

* ``legacy_version`` = the probed version (TLS 1.2 for a TLS 1.3 probe, which
  names 1.3 in ``supported_versions`` as RFC 8446 requires);
* the cipher codes asked about, in the given order, plus
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV so that old servers answer with the secure
  renegotiation extension;
* server_name when the target is a host name (never for an IP address: RFC 6066);
* supported_groups and ec_point_formats (ECDHE suites need them), a wide
  signature_algorithms list, extended_master_secret;
* for TLS 1.3: supported_versions, psk_key_exchange_modes and an X25519 key share
  (a fresh public key; the private key is never used because no probe computes a
  shared secret);
* compression methods: ``null`` and, when asked, DEFLATE (to see whether the
  server would compress: CRIME).
"""

from __future__ import annotations

import ipaddress
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from harness.dissect import Handshake
from harness.tls.registry import suite_by_code
from harness.tls.versions import SSL3, TLS10, TLS12, TLS13, TLS_VERSION_CODES

RENEGOTIATION_SCSV = 0x00FF
FALLBACK_SCSV = 0x5600

#: x25519, secp256r1, secp384r1, secp521r1, x448
GROUPS = (0x001D, 0x0017, 0x0018, 0x0019, 0x001E)
#: ECDSA, RSA-PSS, RSA PKCS#1, EdDSA, then the SHA-1/SHA-224 legacy schemes.
SIGNATURE_SCHEMES = (
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
    0x0807, 0x0808, 0x0809, 0x080A, 0x080B, 0x0303, 0x0301, 0x0203, 0x0201,
)  # fmt: skip

COMPRESSION_NULL, COMPRESSION_DEFLATE = 0, 1
CT_HANDSHAKE = 22


def _vec(data: bytes, width: int) -> bytes:
    return len(data).to_bytes(width, "big") + data


def _ext(etype: int, body: bytes) -> bytes:
    return struct.pack("!HH", etype, len(body)) + body


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class HelloSpec:
    """What one probe's ClientHello offers.

    Attributes:
        version: the protocol version probed (wire value, e.g. ``0x0303``).
        ciphers: suite codes in preference order.
        server_name: SNI host name (ignored for IP addresses).
        deflate: also offer DEFLATE compression.
        x25519_public: the 32-byte key share for TLS 1.3 probes.
    """

    version: int
    ciphers: tuple[int, ...]
    server_name: str | None = None
    deflate: bool = False
    x25519_public: bytes = b""


def client_hello(spec: HelloSpec) -> bytes:
    """The record bytes of a ClientHello for ``spec``."""
    tls13 = spec.version >= TLS13
    legacy = TLS12 if tls13 else spec.version
    suites = [c for c in spec.ciphers if c != RENEGOTIATION_SCSV]
    if not tls13:
        suites.append(RENEGOTIATION_SCSV)
    cipher_bytes = b"".join(struct.pack("!H", c) for c in suites)
    compression = bytes(
        [COMPRESSION_DEFLATE, COMPRESSION_NULL] if spec.deflate else [COMPRESSION_NULL]
    )
    exts = b""
    if spec.version > SSL3:
        if spec.server_name and not is_ip_address(spec.server_name):
            name = spec.server_name.encode("idna")
            exts += _ext(0, _vec(b"\x00" + _vec(name, 2), 2))
        exts += _ext(10, _vec(b"".join(struct.pack("!H", g) for g in GROUPS), 2))
        exts += _ext(11, _vec(b"\x00", 1))
        exts += _ext(13, _vec(b"".join(struct.pack("!H", s) for s in SIGNATURE_SCHEMES), 2))
        exts += _ext(23, b"")  # extended_master_secret
        if tls13:
            exts += _ext(43, _vec(struct.pack("!H", TLS13), 1))
            exts += _ext(45, _vec(b"\x01", 1))  # psk_dhe_ke
            share = struct.pack("!H", 0x001D) + _vec(spec.x25519_public, 2)
            exts += _ext(51, _vec(share, 2))
    # TLS 1.3 middlebox compatibility: a 32-byte legacy session id.
    session_id = os.urandom(32) if tls13 else b""
    body = (
        struct.pack("!H", legacy)
        + os.urandom(32)
        + _vec(session_id, 1)
        + _vec(cipher_bytes, 2)
        + _vec(compression, 1)
        + (_vec(exts, 2) if exts else b"")
    )
    handshake = b"\x01" + _vec(body, 3)
    record_version = SSL3 if spec.version == SSL3 else TLS10
    return struct.pack("!BHH", CT_HANDSHAKE, record_version, len(handshake)) + handshake


def flight_over(h: Handshake) -> bool:
    """Has the server said all its first flight can say?

    True after an alert from the server, a ServerHelloDone (TLS 1.2 and below), a
    TLS 1.3 ServerHello (everything after it is encrypted) or a HelloRetryRequest.
    """
    if any(a.sender == "server" for a in h.alerts):
        return True
    if h.hello_retry or h.version_selected == TLS13:
        return True
    return any(m.sender == "server" and m.type == "ServerHelloDone" for m in h.messages)


def offerable(codes: Sequence[int], version: int) -> tuple[int, ...]:
    """The codes among ``codes`` a ClientHello of ``version`` may carry (TLS 1.3 suites
    only in TLS 1.3 hellos and vice versa; SCSVs never)."""
    rank = TLS_VERSION_CODES
    out = []
    for code in codes:
        suite = suite_by_code(code)
        if suite is None or suite.auth == "SCSV":
            continue
        if version >= TLS13:
            if suite.tls13:
                out.append(code)
        elif not suite.tls13 and rank.get(suite.min_version, TLS12) <= version:
            out.append(code)
    return tuple(out)
