"""Pieces several commands share (not a command: the registry does not list it).

Kept free of heavy imports, so that ``--help`` stays fast.
"""

from __future__ import annotations

import os

from harness.errors import HarnessError

#: Report formats, in the order reports are written (harness.report.FORMATS has
#: the writers; listed here so that a typo fails before a long run starts).
REPORT_FORMATS: tuple[str, ...] = ("json", "junit", "html", "markdown")


def parse_formats(text: str) -> list[str]:
    """``json,html`` → ``["json", "html"]``; an unknown format is a usage error."""
    formats = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in formats if f not in REPORT_FORMATS]
    if unknown:
        raise HarnessError(
            f"unknown report format(s): {', '.join(unknown)} (known: {', '.join(REPORT_FORMATS)})"
        )
    return formats


def secret_from_env(var: str, flag: str) -> str:
    """A secret named by ``--...-env VAR`` (secrets never come from argv)."""
    value = os.environ.get(var)
    if value is None:
        raise HarnessError(f"{flag}: environment variable {var} is not set")
    return value
