"""lint, file-aware and version-aware: the files a config names exist, parse and keep
private keys private; findings that depend on the stunnel version say which.

The control is a config whose files are all right (real PKI files, keys 0600): it
has none of these findings; each case then breaks one thing and must get exactly
that finding at the option's line.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from harness.certify.lint import lint_file
from harness.cli import main
from harness.pki import TestPKI
from harness.profiles import Profile, load_profile

CONF = """\
setuid = stunnel4
[fix-client]
client = yes
accept = 127.0.0.1:2002
connect = 127.0.0.1:7777
sslVersionMax = TLSv1.2
ciphers = ECDHE-RSA-AES256-GCM-SHA384
cert = files/client.crt
key = files/client.key
verifyPeer = yes
CAfile = files/server.pin.pem
CRLfile = files/crl.pem
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def guide() -> Profile:
    return load_profile("stunnel-guide-2017")


@pytest.fixture
def project(tmp_path: Path, pki: TestPKI) -> Path:
    files = tmp_path / "files"
    files.mkdir()
    leaf = pki.leaf("client-rsa")
    shutil.copy(leaf.cert_path, files / "client.crt")
    shutil.copy(leaf.key_path, files / "client.key")
    os.chmod(files / "client.key", 0o600)
    shutil.copy(pki.leaf("server-rsa").pin_path, files / "server.pin.pem")
    shutil.copy(pki.crl_path, files / "crl.pem")
    (tmp_path / "c.conf").write_text(CONF)
    return tmp_path


def _rules(project: Path, guide: Profile, **kw: str) -> set[tuple[str, int]]:
    findings = lint_file(str(project / "c.conf"), guide, **kw)  # type: ignore[arg-type]
    return {(f.rule, f.location.line) for f in findings if f.rule.startswith("file.")}


def test_control_all_files_right(
    project: Path, guide: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir("/")  # relative paths resolve against the config's directory
    assert _rules(project, guide) == set()
    assert lint_file(str(project / "c.conf"), guide) == []


def test_missing_file(project: Path, guide: Profile) -> None:
    (project / "files" / "crl.pem").unlink()
    assert _rules(project, guide) == {("file.missing", 12)}


def test_key_readable_by_others(project: Path, guide: Profile) -> None:
    os.chmod(project / "files" / "client.key", 0o640)
    assert _rules(project, guide) == {("file.key-permissions", 9)}


def test_combined_pem_readable_by_others(project: Path, guide: Profile, pki: TestPKI) -> None:
    conf = project / "c.conf"
    conf.write_text(CONF.replace("key = files/client.key\n", "").replace("client.crt", "both.pem"))
    shutil.copy(pki.leaf("client-rsa").pem_path, project / "files" / "both.pem")
    os.chmod(project / "files" / "both.pem", 0o644)
    assert _rules(project, guide) == {("file.key-permissions", 8)}
    os.chmod(project / "files" / "both.pem", 0o600)
    assert _rules(project, guide) == set()


def test_files_that_do_not_parse(project: Path, guide: Profile) -> None:
    (project / "files" / "server.pin.pem").write_text("not a certificate\n")
    (project / "files" / "crl.pem").write_text("")  # stunnel refuses a CRLfile with no CRL
    assert _rules(project, guide) == {("file.unreadable", 11), ("file.unreadable", 12)}


def test_key_of_another_certificate(project: Path, guide: Profile, pki: TestPKI) -> None:
    shutil.copy(pki.leaf("other-client").key_path, project / "files" / "client.key")
    os.chmod(project / "files" / "client.key", 0o600)
    assert _rules(project, guide) == {("file.key-mismatch", 9)}


def test_version_aware_findings(tmp_path: Path, guide: Profile) -> None:
    conf = tmp_path / "v.conf"
    conf.write_text(
        "setuid = s\n[c]\nclient = yes\naccept = 127.0.0.1:1\nconnect = 127.0.0.1:2\n"
        "sslVersion = TLSv1.2\nverifyChain = yes\nCAfile = ca.pem\ncheckHost = x\n"
        "CRLfile = crl.pem\n"
    )
    by_version = {
        v: {
            (f.rule, f.location.line): f.message
            for f in lint_file(str(conf), guide, stunnel=v, check_files=False)
        }
        for v in ("5.56", "5.68", "5.74")
    }
    for v, found in by_version.items():
        assert f"stunnel {v}" in found[("option.sslversion-deprecated", 6)]
        assert "since 5.45" in found[("option.sslversion-deprecated", 6)]
        # no ciphers: the default list since 5.46 drops the guide's DHE suites
        dhe = found[("ciphers.default-drops-dhe", 2)]
        assert "0x0067" in dhe and "0x009F" in dhe and f"stunnel {v}" in dhe
    assert ("verify.ocsp-stapling-5.71", 7) in by_version["5.74"]
    assert ("verify.ocsp-stapling-5.71", 7) not in by_version["5.68"]
    assert ("verify.ocsp-stapling-5.71", 7) not in by_version["5.56"]


def test_hex_psk_key_says_what_the_version_does(tmp_path: Path, guide: Profile) -> None:
    psk = tmp_path / "psk.txt"
    psk.write_text("id1:00112233445566778899aabbccddeeff0011223344\n")
    psk.chmod(0o600)
    conf = tmp_path / "p.conf"
    conf.write_text(
        f"setuid = s\n[s]\naccept = 1\nconnect = 2\nsslVersionMax = TLSv1.2\n"
        f"ciphers = PSK-AES256-GCM-SHA384\nPSKsecrets = {psk}\n"
    )
    found = [f for f in lint_file(str(conf), guide, stunnel="5.68") if f.rule == "psk.hex-key"]
    assert len(found) == 1 and "decodes it as hex (21 bytes)" in found[0].message
    psk.write_text("id1:not-hex-but-a-long-ascii-key\n")
    assert not [f for f in lint_file(str(conf), guide) if f.rule == "psk.hex-key"]


def test_cli_stunnel_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "c.conf"
    conf.write_text("[c]\nclient = yes\naccept = 1\nconnect = 2\n")
    assert main(["lint", "--stunnel", "5.41", str(conf)]) == 2
    assert main(["lint", "--stunnel", "5.74", "--no-files", str(conf)]) == 1
    assert "stunnel 5.74" in capsys.readouterr().out


def test_a_global_default_is_one_finding_naming_every_service(guide: Profile) -> None:
    conf = Path(__file__).resolve().parents[1] / "tunnel" / "corpus" / "22-global-defaults.conf"
    found = [
        f
        for f in lint_file(str(conf), guide, check_files=False)
        if f.rule == "option.sslversion-deprecated"
    ]
    assert len(found) == 1 and found[0].location.line == 3
    assert found[0].message.startswith("[broker-a, broker-b] stunnel 5.68:")
