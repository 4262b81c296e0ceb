"""Built-in profiles: every code and name is real, and the policies say what the sources say."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from harness.errors import HarnessError
from harness.profiles import Profile, format_code, list_profiles, load_profile, parse_code

BUILTIN = ("fixs-1.0", "fixs-1.1", "fixs-cipherlist-2021.1", "stunnel-guide-2017")


@pytest.fixture(scope="module")
def openssl_table() -> dict[int, tuple[str, str]]:
    """code → (IANA name, OpenSSL name) as the installed OpenSSL knows them."""
    exe = shutil.which("openssl")
    if exe is None:
        pytest.skip("openssl binary not installed")
    out = subprocess.run(
        [exe, "ciphers", "-V", "-stdname", "ALL:COMPLEMENTOFALL"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    table: dict[int, tuple[str, str]] = {}
    for line in out.splitlines():
        m = re.match(r"\s*0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)\s+- (\S+)", line)
        if m:
            table[int(m[1] + m[2], 16)] = (m[3], m[4])
    assert len(table) > 50, "could not parse openssl's cipher list"
    return table


def mismatches(profile: Profile, table: dict[int, tuple[str, str]]) -> list[str]:
    bad = []
    for s in profile.suites:
        if table.get(s.code) != (s.iana, s.openssl):
            bad.append(f"{s.hex}: profile says {s.iana}/{s.openssl}, openssl {table.get(s.code)}")
    return bad


def test_builtin_profiles_are_listed() -> None:
    assert list_profiles() == BUILTIN


@pytest.mark.parametrize("name", BUILTIN)
def test_every_code_and_name_matches_openssl(
    name: str, openssl_table: dict[int, tuple[str, str]]
) -> None:
    assert mismatches(load_profile(name), openssl_table) == []


def test_name_checker_catches_a_wrong_name(openssl_table: dict[int, tuple[str, str]]) -> None:
    # Negative control: the guide's own table spells the ECDSA rows without ECDHE-.
    guide = load_profile("stunnel-guide-2017")
    s = guide.suite(0xC023)
    assert s is not None
    from dataclasses import replace

    broken = replace(guide, suites=(replace(s, openssl="ECDSA-AES128-SHA256"),))
    assert len(mismatches(broken, openssl_table)) == 1


def test_guide_profile_has_12_certificate_and_the_psk_errata_suites() -> None:
    guide = load_profile("stunnel-guide-2017")
    assert guide.tls_versions == ("TLSv1.2",)
    cert = guide.suites_for("certificate")
    assert len(cert) == 12
    assert set(guide.required_suites) == {s.code for s in cert}
    psk = {s.code for s in guide.suites_for("psk")}
    assert psk == {0x008C, 0x008D, 0x0090, 0x0091}
    erratum = guide.erratum_for(0x008C)
    assert erratum is not None and erratum is guide.erratum_for(0x0091)
    assert "0x0090" in erratum.text and "0x008C" in erratum.text
    assert guide.erratum_for(0xC030) is None
    # 0x008C/0x008D are what the configs negotiate and are not forward-secret.
    assert not guide.suite(0x008C).forward_secret  # type: ignore[union-attr]
    assert guide.suite(0x0090).forward_secret  # type: ignore[union-attr]
    assert guide.psk_min_key_bytes == 20
    uc = guide.use_case("1a")
    assert uc is not None and uc.client_certificate_required
    assert not guide.use_case("3b").client_certificate_required  # type: ignore[union-attr]


def test_fixs_10_is_18_certificate_plus_10_psk_all_forward_secret() -> None:
    p = load_profile("fixs-1.0")
    assert len(p.suites_for("certificate")) == 18
    assert len(p.suites_for("psk")) == 10
    assert all(s.forward_secret for s in p.suites)
    assert p.tls_versions == ("TLSv1.2",)
    assert not p.allows_suite(0x008C)  # plain PSK is not forward-secret: out


def test_fixs_11_adds_tls13() -> None:
    p = load_profile("fixs-1.1")
    assert p.allows_version("TLSv1.3") and p.allows_version("TLSv1.2")
    assert not p.allows_version("TLSv1.1")
    assert {s.code for s in p.suites_for(tls13=True)} == {0x1301, 0x1302, 0x1303}
    # TLS 1.3 suites work with either authentication.
    assert p.suite(0x1301) in p.suites_for("psk")


def test_cipherlist_2021_is_gcm_only() -> None:
    p = load_profile("fixs-cipherlist-2021.1")
    assert all("GCM" in s.iana for s in p.suites)
    assert not any(s.iana.endswith("_SHA") for s in p.suites)
    assert {s.code for s in p.suites_for("psk", tls13=False)} == {0x00AA, 0x00AB}
    assert not p.allows_suite(0xC027)  # CBC: dropped in 2021.1
    assert p.allows_suite(0xC02F)


def test_code_spelling() -> None:
    assert parse_code("0xC030") == parse_code("0xC0,0x30") == parse_code("0xc0, 0x30") == 0xC030
    assert format_code(0x8C) == "0x008C"
    assert parse_code("C030") == parse_code("0xc030") == 0xC030  # one grammar (tests/tls)
    for bad in ("49200", 49200, "0xGG", "ECDHE-RSA-AES256-GCM-SHA384", True):
        with pytest.raises(ValueError):
            parse_code(bad)


def test_unknown_builtin_name_lists_known_ones() -> None:
    with pytest.raises(HarnessError, match=r"fixs-1\.0"):
        load_profile("fixs-9.9")
    with pytest.raises(HarnessError, match="not found"):
        load_profile("/nonexistent/profile.yaml")
