"""TLS protocol versions: the one table of names, wire codes, OpenSSL constants and
stunnel spellings.

Theory of operation: a version is a 16-bit ``ProtocolVersion`` on the wire
(``0x0303``). OpenSSL's ``*_VERSION`` constants (``TLS1_2_VERSION``) have the same
value, so ``SSL_CTX_set_min_proto_version`` takes :attr:`Version.openssl` as is;
the value is kept here as a plain int so this module needs no OpenSSL import
(``harness.tls`` is on ``certify``'s start-up path), and the tests check it against
pyOpenSSL. stunnel's ``sslVersion``/``sslVersionMin``/``sslVersionMax`` take the
OpenSSL spelling (``TLSv1.2``, case-insensitive; TLS 1.0 is ``TLSv1``), which is
also what OpenSSL and stunnel log and what profiles and reports print.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.tls.codes import format_code, is_grease

__all__ = [
    "SSL3",
    "TLS10",
    "TLS11",
    "TLS12",
    "TLS13",
    "TLS_VERSIONS",
    "TLS_VERSION_CODES",
    "VERSIONS",
    "Version",
    "normalise_version",
    "openssl_version",
    "stunnel_version",
    "version_code",
    "version_name",
]


@dataclass(frozen=True)
class Version:
    """One protocol version.

    Attributes:
        name: OpenSSL/stunnel spelling (``TLSv1.2``), used in reports and profiles.
        code: the wire ``ProtocolVersion`` (``0x0303``).
        openssl: OpenSSL's ``*_VERSION`` constant (equal to the wire code).
        stunnel: the ``sslVersion`` value stunnel accepts for it, or ``None`` when
            stunnel 5.x cannot be configured for it (SSLv2).
    """

    name: str
    code: int
    openssl: int
    stunnel: str | None


SSL3, TLS10, TLS11, TLS12, TLS13 = 0x0300, 0x0301, 0x0302, 0x0303, 0x0304

#: Every version a harness component names, oldest first (scan order).
VERSIONS: tuple[Version, ...] = (
    Version("SSLv3", SSL3, 0x0300, "SSLv3"),
    Version("TLSv1", TLS10, 0x0301, "TLSv1"),
    Version("TLSv1.1", TLS11, 0x0302, "TLSv1.1"),
    Version("TLSv1.2", TLS12, 0x0303, "TLSv1.2"),
    Version("TLSv1.3", TLS13, 0x0304, "TLSv1.3"),
)
#: SSL 2.0: only ever seen on the wire (its code is not 0x03xx); nothing offers it.
_SSL2 = Version("SSLv2", 0x0002, 0x0002, None)

#: Version names in the order they were published (profiles' ``tls_versions``).
TLS_VERSIONS: tuple[str, ...] = tuple(v.name for v in VERSIONS)
#: Wire code by name.
TLS_VERSION_CODES: dict[str, int] = {v.name: v.code for v in VERSIONS}

_BY_CODE = {v.code: v for v in (_SSL2, *VERSIONS)}
#: Lower-case spellings users write: ``tlsv1.2``, ``tls1.2``, ``tls 1.2``, ``tlsv1.0``.
_BY_SPELLING = {
    **{v.name.lower(): v for v in VERSIONS},
    **{v.name.lower().replace("v", ""): v for v in VERSIONS},
    "tlsv1.0": VERSIONS[1],
    "tls1.0": VERSIONS[1],
}


def version_name(code: int) -> str:
    """``TLSv1.2`` for 0x0303; ``GREASE``, ``TLSv1.3-draft28`` or ``0x....`` for
    values not in the table (they do occur on the wire)."""
    known = _BY_CODE.get(code)
    if known is not None:
        return known.name
    if is_grease(code):
        return "GREASE"
    if (code >> 8) == 0x7F:
        return f"TLSv1.3-draft{code & 0xFF}"
    return format_code(code)


def _lookup(text: object) -> Version:
    if isinstance(text, str):
        found = _BY_SPELLING.get(text.strip().replace(" ", "").lower())
        if found is not None:
            return found
    raise ValueError(f"unknown TLS version {text!r}; expected one of {', '.join(TLS_VERSIONS)}")


def version_code(name: object) -> int:
    """The wire code of a version written as ``TLSv1.2``, ``TLS1.2``, ``TLS 1.2`` or
    ``TLSv1.0`` (any case).

    Raises:
        ValueError: unknown version.
    """
    return _lookup(name).code


def normalise_version(text: object) -> str:
    """The canonical name (``TLSv1.2``) of a version in any spelling :func:`version_code` accepts.

    Raises:
        ValueError: unknown version.
    """
    return _lookup(text).name


def openssl_version(code: int) -> int:
    """OpenSSL's ``*_VERSION`` constant for wire version ``code`` (for
    ``set_min_proto_version``/``set_max_proto_version``).

    Raises:
        KeyError: a code OpenSSL cannot be configured for.
    """
    return {v.code: v.openssl for v in VERSIONS}[code]


def stunnel_version(value: str) -> int | None:
    """The wire code of an ``sslVersion*`` value as stunnel reads it (case-insensitive);
    ``None`` for ``all``.

    Raises:
        ValueError: a value stunnel refuses (``Invalid protocol version``).
    """
    low = value.lower()
    if low == "all":
        return None
    for v in VERSIONS:
        if v.stunnel is not None and v.stunnel.lower() == low:
            return v.code
    raise ValueError(f"invalid protocol version {value!r}")
