"""Bounds-checked reading of TLS's length-prefixed structures.

Every read raises :class:`Malformed` instead of returning short data, so a parser
built on :class:`Reader` cannot misread a truncated or hostile message; the
engine turns that exception into an ``incomplete_reason``.
"""

from __future__ import annotations


class Malformed(ValueError):
    """The bytes do not form the structure being parsed."""


class Reader:
    """Sequential reader over one message body."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, n: int) -> bytes:
        if n < 0 or self._pos + n > len(self._data):
            raise Malformed(f"needs {n} bytes, {self.remaining} left")
        out = self._data[self._pos : self._pos + n]
        self._pos += n
        return out

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def u8(self) -> int:
        return self.uint(1)

    def u16(self) -> int:
        return self.uint(2)

    def u24(self) -> int:
        return self.uint(3)

    def vec(self, len_size: int) -> bytes:
        """A ``<0..2^(8*len_size)-1>`` vector: length prefix then that many bytes."""
        return self.take(self.uint(len_size))

    def sub(self, len_size: int) -> Reader:
        return Reader(self.vec(len_size))

    def rest(self) -> bytes:
        return self.take(self.remaining)

    def u16_list(self, len_size: int) -> tuple[int, ...]:
        body = self.vec(len_size)
        if len(body) % 2:
            raise Malformed("odd length for a list of 16-bit values")
        return tuple(int.from_bytes(body[i : i + 2], "big") for i in range(0, len(body), 2))


def printable_identity(raw: bytes) -> str:
    """Render a PSK identity: text when it is printable UTF-8, else ``hex:...``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "hex:" + raw.hex()
    if text.isprintable():
        return text
    return "hex:" + raw.hex()
