"""Error types shared by every layer.

``HarnessError`` is what a user can act on: the CLI prints its message on one line
(no traceback) and exits 2. Anything else escaping is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class HarnessError(Exception):
    """An error the user can act on (bad input, missing tool, unreachable peer)."""


@dataclass(frozen=True)
class SourceLocation:
    """Where something came from: a file and a 1-based line (0 when unknown)."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class LocatedError(HarnessError):
    """A HarnessError tied to a file and line, rendered as ``file:line: message``."""

    def __init__(self, location: SourceLocation, message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(f"{location}: {message}")
