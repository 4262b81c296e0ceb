"""Spelling of TLS identifiers as users write them and as reports print them.

Cipher suites are identified on the wire by a two-byte IANA code; that code, not an
OpenSSL or IANA *name*, is what every check compares. Users write codes the way the
guide and the IANA registry do (``0xC030`` or ``0xC0,0x30``); reports always print
``0xC030`` (upper-case hex, four digits).

Protocol versions use stunnel's ``sslVersion`` spelling (``TLSv1.2``), which is also
what OpenSSL and stunnel log.
"""

from __future__ import annotations

import re

#: Versions in the order they were published; stunnel's spelling.
TLS_VERSIONS: tuple[str, ...] = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")

#: Wire values of ProtocolVersion, for readers that see numbers (dissector, logs).
TLS_VERSION_CODES: dict[str, int] = {
    "SSLv3": 0x0300,
    "TLSv1": 0x0301,
    "TLSv1.1": 0x0302,
    "TLSv1.2": 0x0303,
    "TLSv1.3": 0x0304,
}

_ONE = re.compile(r"^0[xX]([0-9A-Fa-f]{1,4})$")
_PAIR = re.compile(r"^0[xX]([0-9A-Fa-f]{2})\s*,\s*0[xX]([0-9A-Fa-f]{2})$")


def parse_code(text: object) -> int:
    """Parse a cipher-suite code written as ``0xC030`` or ``0xC0,0x30``.

    Raises:
        ValueError: anything else, including decimal integers (a decimal 49200 is
            almost always a mistake for 0xC030 and is refused rather than guessed).
    """
    if isinstance(text, bool) or not isinstance(text, str):
        raise ValueError(f"cipher code {text!r} must be written in hex, like 0xC030 or 0xC0,0x30")
    s = text.strip()
    m = _ONE.match(s)
    if m:
        return int(m.group(1), 16)
    m = _PAIR.match(s)
    if m:
        return int(m.group(1), 16) << 8 | int(m.group(2), 16)
    raise ValueError(f"cipher code {text!r} is not hex like 0xC030 or 0xC0,0x30")


def format_code(code: int) -> str:
    """``0xC030``: the one spelling used in reports and JSON."""
    return f"0x{code:04X}"


def normalise_version(text: object) -> str:
    """Accept ``TLSv1.2`` (stunnel) and the common variants ``TLS1.2`` / ``TLS 1.2``."""
    if not isinstance(text, str):
        raise ValueError(f"TLS version {text!r} must be text like TLSv1.2")
    s = text.strip().replace(" ", "")
    for name in TLS_VERSIONS:
        if s.lower() in (name.lower(), name.lower().replace("v", "")):
            return name
    raise ValueError(f"unknown TLS version {text!r}; expected one of {', '.join(TLS_VERSIONS)}")


def is_tls13_code(code: int) -> bool:
    """TLS 1.3 suites live in 0x13xx and are negotiated only by TLS 1.3."""
    return code >> 8 == 0x13
