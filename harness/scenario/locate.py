"""Where in a scenario file the expectation a check compares against is written.

A failing check points at the line a reader would edit: ``tls.cipher.expected`` at
the ``cipher:`` key of ``expect.tls``, ``auth.*`` at ``expect.auth``, ``fix.*`` at
``expect.fix``, ``fix.roundtrip`` at ``expect.messages``. Used by ``run``'s console
output and the pytest plugin's failure report.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import SourceLocation
from harness.scenario.model import Scenario


def expectation_location(
    scenario: Scenario, check_id: str, backend_pair: str
) -> SourceLocation | None:
    """The scenario line of the expectation ``check_id`` compares against, if any."""
    expect, _ = scenario.expectations_for(backend_pair)
    if check_id.startswith("tls.version") and expect.tls and expect.tls.location:
        return key_line(expect.tls.location, "version")
    if check_id.startswith("tls.cipher.expected") and expect.tls and expect.tls.location:
        return key_line(expect.tls.location, "cipher")
    if check_id.startswith("auth.") and expect.auth:
        return expect.auth.location
    if check_id.startswith(("fix.logon", "fix.no-session", "fix.script")) and expect.fix:
        return expect.fix.location
    if check_id.startswith("fix.roundtrip"):
        return expect.messages_location
    return None


def key_line(block: SourceLocation, key: str) -> SourceLocation:
    """The line of ``key:`` inside the YAML block starting at ``block`` (the block's own
    line when the key is inline or not found)."""
    try:
        lines = Path(block.path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return block
    start = block.line - 1
    if 0 <= start < len(lines) and f"{key}:" in lines[start]:
        return block
    indent = len(lines[start]) - len(lines[start].lstrip()) if 0 <= start < len(lines) else 0
    for index in range(start + 1, min(start + 20, len(lines))):
        text = lines[index]
        stripped = text.lstrip()
        if stripped and not stripped.startswith("#") and len(text) - len(stripped) <= indent:
            break  # left the block
        if stripped.startswith(f"{key}:"):
            return SourceLocation(block.path, index + 1)
    return block
