"""The IANA TLS registries, loaded from ``data/registry.json`` (pure, no I/O but the read).

Cipher suites carry both names: the IANA name (what standards, FIXS and Java
engines use) and the OpenSSL name (what ``ciphers =`` in stunnel.conf uses), plus
the facts a policy judges a suite by: key exchange, authentication, bulk cipher,
MAC and the lowest protocol version that can carry it.

Lookups by number return ``None`` (suites) or a ``0x....``/``unknown(n)`` label
(everything else) for values not in the registry, because unknown numbers do occur
on the wire: GREASE values (RFC 8701), drafts, private use.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from harness.tls.codes import format_code, is_grease, parse_code
from harness.tls.versions import version_code, version_name

__all__ = [
    "CipherSuite",
    "alert_name",
    "all_suites",
    "extension_name",
    "format_code",
    "group_name",
    "handshake_type_name",
    "is_grease",
    "parse_code",
    "registry_openssl_version",
    "signature_scheme_name",
    "suite_by_code",
    "suite_by_iana_name",
    "suite_by_name",
    "suite_by_openssl_name",
    "suite_label",
    "version_code",
    "version_name",
]

#: Key exchanges whose session keys do not survive a later leak of a long-term key.
_FORWARD_SECRET_KEX = frozenset({"DHE", "ECDHE", "DHE_PSK", "ECDHE_PSK", "any"})


@dataclass(frozen=True)
class CipherSuite:
    """One IANA cipher suite.

    Attributes:
        code: the 16-bit code sent on the wire (``0xC030``).
        iana_name: the IANA registry name (``TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384``).
        openssl_name: the local OpenSSL's name (``ECDHE-RSA-AES256-GCM-SHA384``), or
            ``None`` when OpenSSL does not implement the suite.
        kex: key exchange in IANA vocabulary: ``RSA``, ``DHE``, ``ECDHE``, ``PSK``,
            ``DHE_PSK``, ``ECDHE_PSK``, ``RSA_PSK``, ... ; ``any`` for TLS 1.3 suites,
            whose key exchange is negotiated separately.
        auth: authentication: ``RSA``, ``ECDSA``, ``DSS``, ``PSK``, ``anon``, ``any``.
        enc: bulk cipher, e.g. ``AES_256_GCM``, ``AES_128_CBC``, ``NULL``.
        mac: ``AEAD`` for AEAD ciphers, else the HMAC hash (``SHA`` is SHA-1).
        min_version: lowest protocol version that can negotiate it (``TLSv1.2``).
        tls13: a TLS 1.3 suite (usable only in TLS 1.3).
    """

    code: int
    iana_name: str
    openssl_name: str | None
    kex: str
    auth: str
    enc: str
    mac: str
    min_version: str
    tls13: bool

    @property
    def code_str(self) -> str:
        """The code as ``0xC030``."""
        return format_code(self.code)

    @property
    def forward_secret(self) -> bool:
        """Ephemeral key exchange (FIXS requires it; plain PSK and RSA are not)."""
        return self.kex in _FORWARD_SECRET_KEX

    @property
    def aead(self) -> bool:
        return self.mac == "AEAD"

    @property
    def psk(self) -> bool:
        """Authenticated by a pre-shared key (TLS 1.2 PSK families)."""
        return "PSK" in self.kex

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["code"] = self.code_str
        return d


@cache
def _data() -> dict[str, Any]:
    # the package's own files (importlib.resources would import zipfile, lzma and bz2)
    text = (Path(__file__).resolve().parent / "data" / "registry.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _suites() -> tuple[CipherSuite, ...]:
    return tuple(CipherSuite(**s) for s in _data()["cipher_suites"])


@cache
def _by_code() -> dict[int, CipherSuite]:
    return {s.code: s for s in _suites()}


@cache
def _by_openssl() -> dict[str, CipherSuite]:
    return {s.openssl_name: s for s in _suites() if s.openssl_name}


@cache
def _by_iana() -> dict[str, CipherSuite]:
    return {s.iana_name: s for s in _suites()}


@cache
def _table(name: str) -> dict[int, str]:
    return {int(k, 0): v for k, v in _data()[name].items()}


def registry_openssl_version() -> str:
    """The ``openssl version`` line the registry's OpenSSL names were taken from."""
    return str(_data()["generated_from"]["openssl"])


def all_suites() -> tuple[CipherSuite, ...]:
    """Every assigned IANA cipher suite, in code order."""
    return _suites()


def suite_by_code(code: int) -> CipherSuite | None:
    return _by_code().get(code)


def suite_by_openssl_name(name: str) -> CipherSuite | None:
    """Look up an OpenSSL name (``ECDHE-RSA-AES256-GCM-SHA384``); exact, case-sensitive
    as OpenSSL itself matches it. ``None`` for names OpenSSL would silently drop."""
    return _by_openssl().get(name)


def suite_by_iana_name(name: str) -> CipherSuite | None:
    return _by_iana().get(name)


def suite_by_name(name: str) -> CipherSuite | None:
    """Look up either an IANA name, an OpenSSL name or a code string."""
    found = suite_by_iana_name(name) or suite_by_openssl_name(name)
    if found is None:
        try:
            found = suite_by_code(parse_code(name))
        except ValueError:
            return None
    return found


def suite_label(code: int | None) -> str:
    """``0xC030 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`` (or ``0x1A1A GREASE``,
    ``0xFFFE unknown``; ``none`` when no suite was selected)."""
    if code is None:
        return "none"
    suite = suite_by_code(code)
    if suite is not None:
        return f"{suite.code_str} {suite.iana_name}"
    return f"{format_code(code)} {'GREASE' if is_grease(code) else 'unknown'}"


def alert_name(description: int) -> str:
    """``handshake_failure`` for 40; ``unknown(200)`` for unassigned values."""
    return _table("alerts").get(description, f"unknown({description})")


def _named(table: str, value: int) -> str:
    name = _table(table).get(value)
    if name is not None:
        return name
    return "GREASE" if is_grease(value) else format_code(value)


def group_name(group: int) -> str:
    """Named group (``x25519``, ``secp256r1``, ``ffdhe2048``) for a supported_groups code."""
    return _named("named_groups", group)


def signature_scheme_name(scheme: int) -> str:
    """Signature scheme (``rsa_pss_rsae_sha256``) for a signature_algorithms code."""
    return _named("signature_schemes", scheme)


def extension_name(ext: int) -> str:
    return _named("extensions", ext)


def handshake_type_name(msg_type: int) -> str:
    """``ClientHello`` for 1; ``HandshakeType(99)`` for unassigned values."""
    return _table("handshake_types").get(msg_type, f"HandshakeType({msg_type})")
