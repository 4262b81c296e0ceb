"""lint: the guide's own sample configs (joined and as wrapped in the guide's PDF),
a clean config, and one config per rule, each with the finding's line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.certify.lint import Severity, lint_file, lint_text
from harness.cli import main
from harness.profiles import Profile
from tests.tunnel.kit import GUIDE

#: the guide's service sections exactly as its PDF prints them (ciphers wrapped)
AS_PRINTED = GUIDE / "as-printed"

#: file → the rules it must trip (and nothing else)
DEPRECATED = "option.sslversion-deprecated"  # stunnel 5.68 (the default --stunnel)
EXPECTED = {
    "1-server": {"privileges.no-drop", "verify.no-revocation", DEPRECATED},
    "1a-client": {"privileges.no-drop", "tls.version-not-capped", "verify.no-revocation"},
    "1b-client": {
        "privileges.no-drop",
        "tls.version-not-capped",
        "verify.no-revocation",
        "verify.no-subject-check",
    },
    "2-server": {"privileges.no-drop", "ciphers.erratum.guide-psk-table", DEPRECATED},
    "2-client": {"privileges.no-drop", "ciphers.erratum.guide-psk-table", DEPRECATED},
    "3-server": {"privileges.no-drop", DEPRECATED},
    "3a-client": {"privileges.no-drop", "tls.version-not-capped", "verify.no-revocation"},
    "3b-client": {"privileges.no-drop", "tls.version-not-capped", "verify.no-revocation"},
}

CLEAN = """\
setuid = stunnel4
setgid = stunnel4
[fix-client]
client = yes
accept = 127.0.0.1:2002
connect = 127.0.0.1:7777
sslVersionMax = TLSv1.2
ciphers = ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256
cert = client.pem
verifyChain = yes
CAfile = ca.pem
checkIP = 127.0.0.1
CRLfile = crl.pem
"""


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_guide_configs_report_the_known_problems(name: str, guide: Profile) -> None:
    # the guide's paths (/etc/stunnel/...) are not on this machine: files are judged
    # in test_lint_files.py
    findings = lint_file(str(GUIDE / f"{name}.conf"), guide, check_files=False)
    assert {f.rule for f in findings} == EXPECTED[name]
    lines = (GUIDE / f"{name}.conf").read_text().splitlines()
    for f in findings:
        assert f.guide_section
        if f.rule == "tls.version-not-capped":
            assert lines[f.location.line - 1].startswith("ciphers")
        if f.rule == "verify.no-revocation":
            assert lines[f.location.line - 1].startswith(("verifyPeer", "verifyChain"))


def test_clean_config_has_no_findings(guide: Profile, tmp_path: Path) -> None:
    assert lint_text(CLEAN, guide, path="clean.conf") == []
    conf = tmp_path / "clean.conf"
    conf.write_text(CLEAN)
    assert main(["lint", "--no-files", str(conf)]) == 0


def guide_blocks() -> list[tuple[str, str]]:
    return [(name, (AS_PRINTED / f"{name}.conf").read_text()) for name in sorted(EXPECTED)]


def test_guide_pdf_wrapped_ciphers_lines(guide: Profile) -> None:
    """As printed, the guide's ciphers = values span several lines: stunnel refuses
    each continuation line; lint names each one and still checks the rest."""
    blocks = guide_blocks()
    assert len(blocks) == 8
    server_1 = blocks[0][1]
    findings = lint_text(server_1, guide, path="guide-3.2.1.conf")
    wrapped = [f for f in findings if f.rule == "config.wrapped-value"]
    # one wrapped value is one finding, at the first line stunnel refuses
    assert len(wrapped) == 1 and wrapped[0].severity is Severity.ERROR
    lines = server_1.splitlines()
    first = wrapped[0].location.line
    assert lines[first - 1] == "AES256-SHA256:DHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-"
    assert f"lines {first - 1}-{first + 3}" in wrapped[0].message
    # after joining, the rest is linted like the joined fixture: nothing about names
    rest = {f.rule for f in findings} - {"config.wrapped-value"}
    assert rest == EXPECTED["1-server"]


def test_guide_table_names_are_unknown_to_openssl(guide: Profile) -> None:
    text = CLEAN.replace(
        "ciphers = ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
        "ciphers = ECDSA-AES128-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
    )
    findings = lint_text(text, guide, path="t.conf")
    assert [(f.rule, f.severity, f.location.line) for f in findings] == [
        ("ciphers.unknown-name", Severity.WARNING, 8)
    ]
    assert "ECDHE-ECDSA-AES128-SHA256" in findings[0].message
    only = text.replace(":ECDHE-RSA-AES128-GCM-SHA256", "")
    assert [f.severity for f in lint_text(only, guide)] == [Severity.ERROR]


@pytest.mark.parametrize(
    ("edit", "rule", "line"),
    [
        (("verifyChain = yes\n", ""), "verify.client-without-verification", 3),
        (("CRLfile = crl.pem\n", ""), "verify.no-revocation", 10),
        (("sslVersionMax = TLSv1.2\n", ""), "tls.version-not-capped", 7),
        (("setuid = stunnel4\n", ""), "privileges.no-drop", 1),
        (("client = yes\n", "client = yes\nsocket = r:TCP_NODELAY=0\n"), "socket.nodelay-off", 5),
        (("ECDHE-RSA-AES128-GCM-SHA256\n", "AES128-SHA\n"), "ciphers.not-in-profile", 8),
    ],
)
def test_each_rule_with_its_line(
    guide: Profile, edit: tuple[str, str], rule: str, line: int
) -> None:
    text = CLEAN.replace(*edit)
    assert text != CLEAN
    findings = lint_text(text, guide, path="t.conf")
    if rule == "verify.client-without-verification":
        findings = [f for f in findings if f.rule == rule]  # checkIP then fails start-up too
    assert [(f.rule, f.location.line) for f in findings] == [(rule, line)]


def test_psk_file_short_key_and_world_readable(guide: Profile, tmp_path: Path) -> None:
    psk = tmp_path / "psk.txt"
    psk.write_text("clientQA1:abcdefghijklmnopq\n")  # 17 bytes: stunnel takes it, guide wants 20
    os.chmod(psk, 0o644)
    text = f"setuid = s\n[fix]\naccept = 127.0.0.1:1\nconnect = 127.0.0.1:2\nsslVersion = TLSv1.2\nciphers = PSK-AES128-CBC-SHA\nPSKsecrets = {psk}\n"
    rules = {
        (f.rule, f.location.path, f.location.line) for f in lint_text(text, guide, path="p.conf")
    }
    assert ("psk.file-permissions", "p.conf", 7) in rules
    assert ("psk.key-short", str(psk), 1) in rules
    os.chmod(psk, 0o600)
    psk.write_text("clientQA1:abcdefghijklmnopqrstuvwxyz\n")
    rules2 = {f.rule for f in lint_text(text, guide, path="p.conf")}
    assert "psk.file-permissions" not in rules2 and "psk.key-short" not in rules2


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(GUIDE / "1a-client.conf")]) == 1
    out = capsys.readouterr().out
    assert "1a-client.conf:5: warning: [tls.version-not-capped]" in out
    assert main(["lint", str(tmp_path / "missing.conf")]) == 2
