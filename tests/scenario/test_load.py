"""Scenario files load into located, frozen scenarios; errors name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import LocatedError
from harness.scenario import (
    CipherExpectation,
    find_placeholders,
    load_scenario,
    resolve_placeholders,
    scenario_files,
)

EXAMPLES = Path(__file__).parent / "examples"


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_every_example_loads() -> None:
    files = scenario_files([EXAMPLES])
    assert len(files) == 5
    ids = {load_scenario(f).id for f in files}
    assert "guide-1a" in ids and "guide-2" in ids


def test_guide_1a_fields_and_embedded_conf_lines() -> None:
    path = EXAMPLES / "guide-1a-mutual-leaf-pinning.yaml"
    s = load_scenario(path)
    assert s.guide_section == "3.2" and s.profile == "stunnel-guide-2017"
    assert s.expect.tls is not None and s.expect.tls.version == "TLSv1.2"
    assert s.expect.tls.cipher == CipherExpectation(any_in_profile=True)
    assert s.expect.auth is not None and s.expect.auth.outcome == "mutual-certificate"
    assert s.expect.messages == 3
    # The embedded text's first line is the file line of "[fix-server]", and every
    # later line keeps its offset: a parser can report file:line for any option.
    assert s.server_conf.location.path == str(path)
    assert s.server_conf.location.line == line_of(path, "[fix-server]")
    lines = s.server_conf.text.splitlines()
    i = next(n for n, text in enumerate(lines) if text.startswith("verifyPeer"))
    assert s.server_conf.location_of_line(i).line == line_of(path, "verifyPeer = yes")
    assert s.client_conf.location.line == line_of(path, "[fix-client]")
    # The guide's text is kept verbatim, comments included.
    assert "; Listen port for TLS connection from client" in s.server_conf.text
    assert s.source.path == str(path)


def test_placeholders_found_with_lines_and_resolved() -> None:
    path = EXAMPLES / "guide-1a-mutual-leaf-pinning.yaml"
    s = load_scenario(path)
    found = find_placeholders(s.server_conf)
    assert [p.name for p in found] == ["pki.server_rsa.pem", "pki.client_rsa.pin"]
    assert found[1].location.line == line_of(path, "CAfile = {pki.client_rsa.pin}")
    text = resolve_placeholders(
        s.server_conf, {"pki.server_rsa.pem": "/x/s.pem", "pki.client_rsa.pin": "/x/pin.pem"}
    )
    assert "cert = /x/s.pem" in text and "{" not in text
    assert len(text.splitlines()) == len(s.server_conf.text.splitlines())
    with pytest.raises(LocatedError) as exc:
        resolve_placeholders(s.server_conf, {"pki.server_rsa.pem": "/x/s.pem"})
    assert exc.value.location.line == line_of(path, "CAfile = {pki.client_rsa.pin}")
    assert "pki.client_rsa.pin" in exc.value.message


def test_refused_handshake_and_overrides() -> None:
    s = load_scenario(EXAMPLES / "no-client-cert.yaml")
    assert s.expect.auth is not None
    assert [a.name for a in s.expect.auth.alerts] == ["handshake_failure", "certificate_required"]
    assert s.expect.auth.refused_by == "server"
    base, used = s.expectations_for("stunnel-local:stunnel-local")
    assert used == () and base == s.expect
    over, used = s.expectations_for("stunnel-local:python")
    assert len(used) == 1 and "TLS 1.3" in used[0].reason
    assert over.auth is not None and [a.code for a in over.auth.alerts] == [116]
    assert over.tls == s.expect.tls  # sections not overridden stay


def test_secrets_are_collected_for_redaction() -> None:
    s = load_scenario(EXAMPLES / "guide-3a-bad-password.yaml")
    assert set(s.secrets()) == {"not-the-password", "correct-horse-battery"}
    assert s.fix.script is not None
    assert s.fix.script.location.line == line_of(
        EXAMPLES / "guide-3a-bad-password.yaml", "send NewOrderSingle"
    )
    assert s.expect.fix is not None and s.expect.fix.logon == "rejected"
    assert s.expect.tls is not None and s.expect.tls.cipher == CipherExpectation(codes=(0xC030,))


def test_psk_cipher_list_spelling() -> None:
    s = load_scenario(EXAMPLES / "guide-2-psk.yaml")
    assert s.expect.tls is not None
    assert s.expect.tls.cipher == CipherExpectation(codes=(0x008C, 0x008D))
    assert s.fix.version == "FIX.4.4" and s.fix.heartbeat_s == 30  # defaults
