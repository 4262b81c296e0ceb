"""Every kind of bad scenario names its file and the line of the offending key."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import LocatedError
from harness.scenario import load_scenario

BASE = (Path(__file__).parent / "examples" / "guide-3a-bad-password.yaml").read_text()


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


CASES = [
    # (description, old, new, needle on the expected line, message fragment)
    (
        "unknown top key",
        "profile: stunnel",
        "colour: blue\nprofile: stunnel",
        "colour:",
        "unknown key 'colour'",
    ),
    (
        "unknown nested key",
        "    username: alice\n    password: not",
        "    username: alice\n    pasword: x\n    password: not",
        "pasword:",
        "unknown key 'pasword' in fix.credentials",
    ),
    (
        "cipher not hex",
        "cipher: 0xC030",
        "cipher: ECDHE-RSA-AES256-GCM-SHA384",
        "cipher: ECDHE",
        "not hex",
    ),
    ("decimal cipher", "cipher: 0xC030", "cipher: 49200", "cipher: 49200", "hex"),
    (
        "unknown auth outcome",
        "auth: server-certificate+fix-credentials",
        "auth: kerberos",
        "auth: kerberos",
        "mutual-certificate",
    ),
    (
        "bad TLS version",
        "version: TLSv1.2",
        "version: TLSv2",
        "version: TLSv2",
        "unknown TLS version",
    ),
    (
        "wrong type",
        "sender_comp_id: CLIENT1",
        "sender_comp_id: [a, b]",
        "sender_comp_id:",
        "fix.sender_comp_id",
    ),
    ("bad logon outcome", "logon: rejected", "logon: maybe", "logon: maybe", "accepted"),
    (
        "refused without alert",
        "auth: server-certificate+fix-credentials",
        "auth: {outcome: handshake-refused, refused_by: server}",
        "auth: {outcome",
        "needs both alert and refused_by",
    ),
    (
        "unknown alert",
        "auth: server-certificate+fix-credentials",
        "auth: {outcome: handshake-refused, alert: oops, refused_by: server}",
        "auth: {outcome",
        "unknown TLS alert",
    ),
    (
        "bad placeholder namespace",
        "cert = {pki.server_rsa.pem}",
        "cert = {pky.server_rsa.pem}",
        "cert = {pky",
        "unknown placeholder namespace",
    ),
    (
        "missing required key",
        "  sender_comp_id: CLIENT1\n",
        "",
        "fix:",
        "missing required key 'sender_comp_id'",
    ),
    (
        "duplicate key",
        "profile: stunnel-guide-2017",
        "profile: a\nprofile: stunnel-guide-2017",
        "profile: stunnel-guide-2017",
        "duplicate key 'profile'",
    ),
    (
        "bad yaml",
        "  tls: {version: TLSv1.2, cipher: 0xC030}",
        "  tls: {version: TLSv1.2, cipher: 0xC030",
        "auth: server",
        "YAML syntax error",
    ),
    (
        "tab indentation",
        "  sender_comp_id: CLIENT1",
        "\tsender_comp_id: CLIENT1",
        "sender_comp_id",
        "YAML syntax error",
    ),
]


@pytest.mark.parametrize(
    ("what", "old", "new", "needle", "message"), CASES, ids=[c[0] for c in CASES]
)
def test_error_names_file_and_line(
    tmp_path: Path, what: str, old: str, new: str, needle: str, message: str
) -> None:
    assert old in BASE, what
    text = BASE.replace(old, new, 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(LocatedError) as exc:
        load_scenario(path)
    err = exc.value
    assert err.location.path == str(path)
    assert err.location.line == line_of(text, needle), str(err)
    assert message in err.message, str(err)
    assert str(err).startswith(f"{path}:{err.location.line}: ")


def test_control_unmodified_base_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE)
    assert load_scenario(path).id == "guide-3a-bad-password"


def test_several_problems_are_all_mentioned(tmp_path: Path) -> None:
    text = BASE.replace("profile: stunnel", "colour: blue\nprofile: stunnel").replace(
        "logon: rejected", "logon: maybe"
    )
    path = tmp_path / "two.yaml"
    path.write_text(text)
    with pytest.raises(LocatedError) as exc:
        load_scenario(path)
    assert exc.value.location.line == line_of(text, "colour:")
    assert f"line {line_of(text, 'logon: maybe')}" in exc.value.message


@pytest.mark.parametrize("content", ["", "- a list\n", "a: 1\n---\nb: 2\n"])
def test_not_a_single_mapping(tmp_path: Path, content: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(content)
    with pytest.raises(LocatedError) as exc:
        load_scenario(path)
    assert exc.value.location.path == str(path)
