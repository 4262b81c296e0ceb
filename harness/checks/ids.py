"""The check ids ``evaluate()`` can emit, for validating references to checks.

A self-test scenario names the checks that must fail (``selftest.must_fail``); the
scenario loader refuses an id not listed here, with the file and line, so a typo
cannot make a self-test that waits for a check that never runs. Until the check
catalogue lands this list is kept by hand; ``tests/checks/test_selftest.py`` fails
when ``harness/checks/evaluate.py`` names an id that is missing here.
"""

from __future__ import annotations

_SIDES = ("client", "server")

CHECK_IDS: frozenset[str] = frozenset(
    {
        "tls.handshake.captured",
        "tls.version",
        "tls.version.in-profile",
        "tls.cipher.expected",
        "tls.cipher.in-profile",
        # auth.<outcome>: an outcome that could not be judged, or a refused handshake
        "auth.mutual-certificate",
        "auth.psk",
        "auth.server-certificate+fix-credentials",
        "auth.handshake-refused",
        "auth.refused-with-alert",
        "auth.server-certificate",
        "auth.client-certificate",
        "auth.no-client-certificate",
        "auth.psk-identity",
        "auth.psk-suite",
        "auth.no-certificates",
        "fix.no-session",
        "fix.logon",
        "fix.roundtrip",
        "fix.script",
        "proxy.connect",
        *(f"log.matches-wire.{side}" for side in _SIDES),
        "socket.nodelay",
        *(f"socket.nodelay.{side}.{kind}" for side in _SIDES for kind in ("l", "r")),
    }
)
