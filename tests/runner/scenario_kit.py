"""Scenario files for the runner, CLI, plugin and report acceptance tests.

The tests never invent scenarios from scratch: they copy the shipped ones
(scenarios/guide, scenarios/negative) and alter one thing, so that what is proven
about the copy holds for what users run. Each helper returns the text and, where it
matters, the 1-based line number of the line it changed, so a test can assert that
an error points exactly there.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "scenarios"
GUIDE = SHIPPED / "guide"
NEGATIVE = SHIPPED / "negative"
IN_CI = os.environ.get("CI") == "true"

#: ECDHE-RSA-AES256-GCM-SHA384 is TLS 0xC030; its AES-128 sibling is 0xC02F.
C030_OPENSSL = "ECDHE-RSA-AES256-GCM-SHA384"


def shipped(name: str) -> str:
    """The text of a shipped scenario, e.g. ``shipped("guide/1a-mutual-leaf-pinning")``."""
    return (SHIPPED / f"{name}.yaml").read_text()


def line_of(text: str, needle: str, *, after: int = 0) -> int:
    """1-based number of the first line at or after ``after`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= after and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the scenario text")


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def case_1a_c030(expected_cipher: str, *, scenario_id: str) -> str:
    """Guide case 1a with the client offering only ECDHE-RSA-AES256-GCM-SHA384
    (0xC030, in the guide's list and the profile) and expecting ``expected_cipher``.

    With ``expected_cipher="0xC030"`` it passes; with ``"0xC02F"`` the expectation
    is deliberately wrong.
    """
    text = shipped("guide/1a-mutual-leaf-pinning")
    client_at = line_of(text, "client = yes")
    lines = text.splitlines()
    cipher_line = line_of(text, "ciphers =", after=client_at)
    indent = lines[cipher_line - 1][
        : len(lines[cipher_line - 1]) - len(lines[cipher_line - 1].lstrip())
    ]
    lines[cipher_line - 1] = f"{indent}ciphers = {C030_OPENSSL}"
    text = "\n".join(lines) + "\n"
    text = replace_once(text, "cipher: 0x0067", f"cipher: {expected_cipher}")
    return replace_once(text, "id: guide-1a\n", f"id: {scenario_id}\n")


def with_unknown_key(scenario_id: str) -> tuple[str, int]:
    """Guide case 2 with a top-level key the schema does not know."""
    text = replace_once(shipped("guide/2-psk"), "id: guide-2\n", f"id: {scenario_id}\n")
    text = replace_once(text, "\nfix:\n", "\nfixx_typo: true\nfix:\n")
    return text, line_of(text, "fixx_typo:")


def with_unknown_stunnel_option(scenario_id: str) -> tuple[str, int]:
    """Guide case 1b with an option stunnel 5.68 does not have in the client text."""
    text = shipped("guide/1b-mutual-ca-chain")
    text = replace_once(text, "id: guide-1b\n", f"id: {scenario_id}\n")
    text = replace_once(
        text, "      verifyChain = yes\n", "      verifyChain = yes\n      verifyChian = yes\n"
    )
    return text, line_of(text, "verifyChian")


def with_bad_yaml(scenario_id: str) -> tuple[str, int]:
    """Guide case 3a with its title unquoted: ``title: 3a: ...`` is a YAML syntax
    error (a mapping value where none is allowed) reported on that very line."""
    text = shipped("guide/3a-fix-credentials")
    text = replace_once(text, "id: guide-3a\n", f"id: {scenario_id}\n")
    text = re.sub(r'^title: "(.*)"$', r"title: \1", text, count=1, flags=re.M)
    return text, line_of(text, "title: 3a:")


def require_tool(name: str) -> str:
    """Path of a host tool; a skip outside CI, a failure with CI=true."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        reason = f"{name} is not installed (bootstrap installs it)"
        if IN_CI:
            pytest.fail(f"{reason}; CI=true: this test must run", pytrace=False)
        pytest.skip(reason)
    return path


SELFTEST = SHIPPED / "selftest"


def selftest_tls_version(variant: str, *, scenario_id: str) -> str:
    """The shipped TLS-version self-test (TLS 1.2 configured, TLS 1.3 expected, so
    ``must_fail: [tls.version]``) in one of three variants:

    - ``held``: as shipped; exactly tls.version fails, the self-test holds;
    - ``no-contradiction``: expects TLS 1.2, so the expected failure does not happen;
    - ``extra-failure``: also expects the Logon to be rejected, so fix.logon fails too.
    """
    text = replace_once(
        (SELFTEST / "tls-version.yaml").read_text(),
        "id: selftest-tls-version\n",
        f"id: {scenario_id}\n",
    )
    if variant == "no-contradiction":
        return replace_once(text, "version: TLSv1.3,", "version: TLSv1.2,")
    if variant == "extra-failure":
        return replace_once(text, "fix: {logon: accepted}", "fix: {logon: rejected}")
    assert variant == "held", variant
    return text
