"""The one version table: names, wire codes, OpenSSL constants, stunnel spellings."""

from __future__ import annotations

import pytest
from OpenSSL import SSL

from harness import profiles
from harness.tls import versions as v


def test_table_is_ordered_and_complete() -> None:
    assert v.TLS_VERSIONS == ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
    assert [x.code for x in v.VERSIONS] == [0x0300, 0x0301, 0x0302, 0x0303, 0x0304]
    assert tuple(x.code for x in v.VERSIONS) == (v.SSL3, v.TLS10, v.TLS11, v.TLS12, v.TLS13)
    assert v.TLS_VERSION_CODES["TLSv1.2"] == 0x0303
    assert profiles.TLS_VERSIONS is v.TLS_VERSIONS


def test_openssl_constants_match_pyopenssl() -> None:
    """The ints kept here (no OpenSSL import) are OpenSSL's own constants."""
    expected = {
        0x0300: SSL.SSL3_VERSION,
        0x0301: SSL.TLS1_VERSION,
        0x0302: SSL.TLS1_1_VERSION,
        0x0303: SSL.TLS1_2_VERSION,
        0x0304: SSL.TLS1_3_VERSION,
    }
    assert {x.code: x.openssl for x in v.VERSIONS} == expected
    assert all(v.openssl_version(code) == const for code, const in expected.items())
    with pytest.raises(KeyError):
        v.openssl_version(0x0002)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("TLSv1.2", "TLSv1.2"),
        ("tlsv1.2", "TLSv1.2"),
        ("TLS1.2", "TLSv1.2"),
        ("TLS 1.2", "TLSv1.2"),
        (" TLSv1.3 ", "TLSv1.3"),
        ("TLSv1", "TLSv1"),
        ("TLSv1.0", "TLSv1"),
        ("TLS1.0", "TLSv1"),
        ("SSLv3", "SSLv3"),
    ],
)
def test_spellings(text: str, name: str) -> None:
    assert v.normalise_version(text) == name
    assert v.version_code(text) == v.TLS_VERSION_CODES[name]
    assert v.version_name(v.version_code(text)) == name


@pytest.mark.parametrize("text", ["TLSv9", "TLSv1.4", "SSLv2", "", "all", 0x0303, None, "1.2"])
def test_unknown_versions_are_refused(text: object) -> None:
    with pytest.raises(ValueError, match="unknown TLS version"):
        v.normalise_version(text)
    with pytest.raises(ValueError):
        v.version_code(text)


def test_wire_names_for_unknown_values() -> None:
    assert v.version_name(0x0002) == "SSLv2"
    assert v.version_name(0x0A0A) == "GREASE"
    assert v.version_name(0x7F1C) == "TLSv1.3-draft28"
    assert v.version_name(0x0305) == "0x0305"


@pytest.mark.parametrize(
    ("value", "code"),
    [("all", None), ("ALL", None), ("TLSv1.2", 0x0303), ("tlsv1.3", 0x0304), ("TLSv1", 0x0301)],
)
def test_stunnel_spelling(value: str, code: int | None) -> None:
    assert v.stunnel_version(value) == code


@pytest.mark.parametrize("value", ["TLSv1.0", "TLS1.2", "SSLv2", "tls 1.2", ""])
def test_stunnel_refuses_what_stunnel_refuses(value: str) -> None:
    """stunnel's sslVersion takes only OpenSSL's spelling (5.68 options.c)."""
    with pytest.raises(ValueError, match="invalid protocol version"):
        v.stunnel_version(value)
