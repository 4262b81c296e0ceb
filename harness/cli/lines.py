"""Coloured output lines for the certify commands, without rich.

The certify summary is a few lines, some with one coloured word. rich drew them at
the cost of about 0.1 s of imports in a command meant to take well under half a
second (docs/architecture.md, "Start-up is part of the product"). Here a line is
written whole: ANSI colour only when the stream is a terminal (``NO_COLOR`` turns it
off, then ``TERM=dumb``/``unknown``, then ``FORCE_COLOR`` turns it on, in rich's
order), never any wrapping, so a CI log or a pipe gets each line intact. Nothing is
markup, and the text is the peer's in part (certificate subjects, error strings): a
control character in it (ESC, CR, BS, BEL, ...) is written escaped (``\\x1b``,
``\\r``), so that it cannot move the cursor or recolour a verdict on the screen.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

#: style name → SGR code
STYLES = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1"}

#: C0 controls but tab and newline, DEL and the C1 controls, escaped
_CONTROLS = {
    c: repr(chr(c))[1:-1] for c in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if chr(c) not in "\t\n"
}


def printable(text: str) -> str:
    """``text`` with its control characters escaped (see the module doc)."""
    return text.translate(_CONTROLS)


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") in ("dumb", "unknown"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Lines:
    """Writes lines to ``stream`` (default: standard output at the time of writing)."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr

    @property
    def stream(self) -> TextIO:
        return sys.stderr if self._stderr else sys.stdout

    def styled(self, text: str, style: str | None) -> str:
        """``text`` in ``style`` (when colour is on)."""
        text = printable(text)
        if not style or not use_colour(self.stream):
            return text
        return f"\x1b[{STYLES[style]}m{text}\x1b[0m"

    def print(self, *parts: str | tuple[str, str | None]) -> None:
        """One line of parts: plain strings, or (text, style) pairs."""
        out = "".join(printable(p) if isinstance(p, str) else self.styled(*p) for p in parts)
        stream = self.stream
        stream.write(out + "\n")
        stream.flush()
