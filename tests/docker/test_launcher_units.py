"""The launcher's pure parts: log parsing, config preamble, loopback guard (no Docker)."""

from __future__ import annotations

import pytest

from harness.backends.docker_launcher import (
    accept_services,
    check_loopback,
    container_config,
    error_lines,
    parse_bound,
)
from harness.errors import HarnessError

LOG = """\
2026.11.27 05:30:21 LOG5[ui]: Configuration successful
2026.11.27 05:30:21 LOG6[ui]: Service [FIX server] (FD=8) bound to 127.0.0.1:46791
2026.11.27 05:30:21 LOG6[ui]: Service [v6] (FD=9) bound to ::1:7000
2026.11.27 05:30:21 LOG6[ui]: Accepting new connections
"""

FAILED = """\
[.] Reading configuration from file /run/x/server.stunnel.conf
[ ] Initializing service [srv]
[!] Service [srv]: Either "verifyChain" or "verifyPeer" has to be enabled
[!] Configuration failed
[ ] Deallocating section [srv]
"""


def test_parse_bound_lines() -> None:
    assert parse_bound(LOG) == {"FIX server": ("127.0.0.1", 46791), "v6": ("::1", 7000)}
    assert parse_bound("LOG5[ui]: Configuration successful\n") == {}


def test_error_lines_are_stunnels_own_words() -> None:
    assert error_lines(FAILED) == [
        'Service [srv]: Either "verifyChain" or "verifyPeer" has to be enabled',
        "Configuration failed",
    ]
    assert error_lines(LOG) == []


GUIDE_LIKE = """\
; stunnel.conf as a counterparty would write it
output = /var/log/stunnel.log
pid = /var/run/stunnel.pid
setuid = stunnel4
debug = 7

[FIX-acceptor]
accept = 127.0.0.1:0
connect = 127.0.0.1:9878
; a comment with accept = 0.0.0.0:1 is not an option
cert = /run/x/server.pem
[FIX-initiator]
client = yes
accept = 127.0.0.2:0
connect = 127.0.0.1:7777
"""


def test_accept_services() -> None:
    assert accept_services(GUIDE_LIKE) == {
        "FIX-acceptor": "127.0.0.1:0",
        "FIX-initiator": "127.0.0.2:0",
    }


def test_container_config_owns_logging_and_process_globals() -> None:
    text = container_config(GUIDE_LIKE)
    lines = text.splitlines()
    assert "foreground = yes" in lines
    assert "pid =" in lines
    # The user's own output/pid/setuid are neutralised, their debug level kept
    # (it comes after the preamble's, so it wins).
    for owned in (
        "output = /var/log/stunnel.log",
        "pid = /var/run/stunnel.pid",
        "setuid = stunnel4",
    ):
        assert owned not in lines
        assert f"; (set by the container preamble) {owned}" in lines
    assert lines.index("debug = 7") > lines.index("debug = info")
    # Service sections pass through untouched.
    assert text.endswith(GUIDE_LIKE.split("[FIX-acceptor]", 1)[1])


def test_container_config_rewrites_only_the_global_section() -> None:
    """Negative control: inside a service section nothing is rewritten (stunnel
    itself reports a global-only option there, in its own words)."""
    conf = "[svc]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:1\npid = /tmp/x\n"
    assert "\npid = /tmp/x\n" in container_config(conf)


@pytest.mark.parametrize("accept", ["127.0.0.1:0", "127.0.0.2:7777", "[::1]:0", "localhost:0"])
def test_loopback_accept_allowed(accept: str) -> None:
    check_loopback(f"[s]\naccept = {accept}\nconnect = 127.0.0.1:1\n")


@pytest.mark.parametrize("accept", ["7777", "0.0.0.0:7777", "192.168.153.32:7777", ":::7777"])
def test_non_loopback_accept_refused(accept: str) -> None:
    with pytest.raises(HarnessError, match=r"\[s\]: accept = .* beyond loopback"):
        check_loopback(f"[s]\naccept = {accept}\nconnect = 127.0.0.1:1\n")
