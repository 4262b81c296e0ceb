"""Pre-shared keys in stunnel's ``PSKsecrets`` format.

A secrets file holds ``IDENTITY:KEY`` lines; stunnel splits each line at the first
colon. Since 5.51 a key that is valid hex is decoded to binary, while 5.41–5.50
always use it as ASCII, so a hex-looking key silently differs between peers of
different versions. The keys made here are therefore never valid hex: every stunnel
version reads them the same way. They are 40 characters (stunnel wants at least
16 bytes; the brief asks for at least 32 characters).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field

#: Identities in the generated ``psk.txt``; the first is the guide's ``PSKidentity``.
DEFAULT_IDENTITIES: tuple[str, ...] = ("clientQA1", "clientQA2", "clientUAT1")
#: An identity no server file lists (the ``PSK identity not found`` case).
UNKNOWN_IDENTITY = "clientUnlisted"
KEY_LENGTH = 40

_ALPHABET = string.ascii_letters + string.digits
_HEX = frozenset(string.hexdigits + ":")


@dataclass(frozen=True)
class PskSecret:
    """One ``IDENTITY:KEY`` line. The key never shows in ``repr``."""

    identity: str
    key: str = field(repr=False)

    def line(self) -> str:
        return f"{self.identity}:{self.key}"


def new_key(length: int = KEY_LENGTH) -> str:
    """A fresh random ASCII key that stunnel >= 5.51 will not mistake for hex."""
    while True:
        key = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if not set(key) <= _HEX:
            return key


def render(identities: tuple[str, ...]) -> bytes:
    """A fresh ``PSKsecrets`` file: one ``IDENTITY:KEY`` line per identity, new keys."""
    return "".join(f"{PskSecret(i, new_key()).line()}\n" for i in identities).encode("ascii")
