"""Coloured output lines for the certify commands, without rich.

The certify summary is a few lines, some with one coloured word. rich drew them at
the cost of about 0.1 s of imports in a command meant to take well under half a
second (docs/architecture.md, "Start-up is part of the product"). Here a line is
written whole: ANSI colour only when the stream is a terminal (``NO_COLOR`` turns it
off, ``FORCE_COLOR`` on, ``TERM=dumb`` off, as rich decides), never any wrapping, so
a CI log or a pipe gets each line intact. Peer-controlled text needs no escaping:
nothing here is markup.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

#: style name → SGR code
STYLES = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1"}


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
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
        if not style or not use_colour(self.stream):
            return text
        return f"\x1b[{STYLES[style]}m{text}\x1b[0m"

    def print(self, *parts: str | tuple[str, str | None]) -> None:
        """One line of parts: plain strings, or (text, style) pairs."""
        out = "".join(p if isinstance(p, str) else self.styled(*p) for p in parts)
        stream = self.stream
        stream.write(out + "\n")
        stream.flush()
