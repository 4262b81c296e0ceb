"""``fixs-harness ciphers``: the guide's appendix 4.2 by IANA code."""

from __future__ import annotations

import json
import shutil

import pytest

from harness.cli import main

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _json(capsys, *args: str) -> dict:
    assert main(["ciphers", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_default_lists_openssl_suites_with_both_names_and_local_support(capsys) -> None:
    out = _json(capsys)
    by_code = {s["code"]: s for s in out["suites"]}
    c030 = by_code["0xC030"]
    assert c030["iana_name"] == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    assert c030["openssl_name"] == "ECDHE-RSA-AES256-GCM-SHA384"
    assert (c030["kex"], c030["mac"], c030["local_openssl"]) == ("ECDHE", "AEAD", True)
    # PSK suites are negotiable locally (openssl ciphers -s needs -psk to say so) ...
    assert by_code["0x008C"]["local_openssl"] is True
    # ... and anonymous/NULL suites are known to OpenSSL but disabled by its security level.
    assert by_code["0x00A6"]["local_openssl"] is False  # ADH-AES128-GCM-SHA256
    assert by_code["0x0001"]["local_openssl"] is False  # NULL-MD5
    assert all(s["openssl_name"] for s in out["suites"])


def test_all_includes_suites_openssl_lacks(capsys) -> None:
    out = _json(capsys, "--all")
    by_code = {s["code"]: s for s in out["suites"]}
    assert len(by_code) >= 340
    gost = by_code["0xC100"]
    assert gost["openssl_name"] is None and gost["local_openssl"] is False


def test_profile_lists_its_suites_with_required_and_errata(capsys) -> None:
    out = _json(capsys, "--profile", "stunnel-guide-2017")
    codes = [s["code"] for s in out["suites"]]
    assert "0xC030" in codes and "0x008C" in codes and "0x1301" not in codes
    c030 = next(s for s in out["suites"] if s["code"] == "0xC030")
    assert c030["required"] is True and c030["local_openssl"] is True
    assert any(s.get("erratum") for s in out["suites"])


def test_table_output(capsys) -> None:
    assert main(["ciphers", "--profile", "stunnel-guide-2017"]) == 0
    text = capsys.readouterr().out
    assert "0xC030  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" in text
    assert "ECDHE-RSA-AES256-GCM-SHA384" in text


def test_unknown_profile_is_a_user_error(capsys) -> None:
    assert main(["ciphers", "--profile", "no-such-profile"]) == 2
    assert "Traceback" not in capsys.readouterr().err
