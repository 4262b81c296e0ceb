"""The one grammar for 16-bit TLS code points as users write them and reports print them.

Cipher suites are identified on the wire by a two-byte IANA code; that code, not an
OpenSSL or IANA *name*, is what every check compares. Profiles, scenarios, the
``ciphers`` command and drift baselines all read codes with :func:`parse_code` and
print them with :func:`format_code`, so a spelling accepted in one place is accepted
everywhere (docs/profiles.md, "Writing a cipher code").

Accepted (case-insensitive, surrounding blanks ignored):

* ``0xC030``: ``0x`` and one to four hex digits (``0x3`` is ``0x0003``);
* ``C030``: exactly four hex digits without the prefix (the form of
  ``openssl ciphers -V`` output without its comma and of the IANA CSV's value column
  once the comma is removed);
* ``0xC0,0x30``: the IANA/OpenSSL byte pair, blanks allowed after the comma.

Refused: decimal numbers (``49200``, or an integer in YAML: almost always a mistake
for ``0xC030`` and refused rather than guessed), names, more than four digits, and
anything that is not text.
"""

from __future__ import annotations

import re

__all__ = ["CODE_PATTERN", "format_code", "is_grease", "is_tls13_code", "parse_code"]

#: The accepted spellings as one JSON-Schema/regex pattern (profile schema, docs).
CODE_PATTERN = r"^\s*(?:0[xX][0-9A-Fa-f]{1,4}|[0-9A-Fa-f]{4}|0[xX][0-9A-Fa-f]{2}\s*,\s*0[xX][0-9A-Fa-f]{2})\s*$"

_ONE = re.compile(r"0x([0-9a-f]{1,4})", re.I)
_BARE = re.compile(r"([0-9a-f]{4})", re.I)
_PAIR = re.compile(r"0x([0-9a-f]{2})\s*,\s*0x([0-9a-f]{2})", re.I)


def parse_code(text: object) -> int:
    """The code written as ``0xC030``, ``0x3``, ``C030`` or ``0xC0,0x30``.

    Raises:
        ValueError: anything else (decimal numbers, names, non-text), with the
            accepted forms in the message.
    """
    if isinstance(text, str):
        s = text.strip()
        m = _ONE.fullmatch(s) or _BARE.fullmatch(s)
        if m:
            return int(m.group(1), 16)
        m = _PAIR.fullmatch(s)
        if m:
            return int(m.group(1), 16) << 8 | int(m.group(2), 16)
    raise ValueError(f"cipher code {text!r} is not hex like 0xC030, C030 or 0xC0,0x30")


def format_code(code: int) -> str:
    """``0xC030`` for 49200: ``0x`` and four upper-case hex digits, the one spelling
    used in reports, JSON and check ids."""
    return f"0x{code:04X}"


def is_tls13_code(code: int) -> bool:
    """TLS 1.3 suites live in 0x13xx and are negotiated only by TLS 1.3."""
    return code >> 8 == 0x13


def is_grease(value: int) -> bool:
    """RFC 8701 GREASE values (0x0A0A, 0x1A1A, ... 0xFAFA): clients send them to
    keep servers tolerant of unknown values; they never mean anything."""
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)
