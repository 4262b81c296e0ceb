"""A user's own profile file: same schema, errors name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import LocatedError
from harness.profiles import load_profile

VALID = """\
name: my-desk
title: Our desk's policy
source: internal policy 2024-01
tls_versions: [TLSv1.2]
min_key_bits: {rsa: 3072, ecdsa: 256, dhe: 3072}
psk_min_key_bytes: 32
required_suites: ["0xC030"]
suites:
  - code: 0xC030
    iana: TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    openssl: ECDHE-RSA-AES256-GCM-SHA384
    authentication: certificate
    forward_secret: true
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "custom.yaml"
    path.write_text(text)
    return str(path)


def test_user_profile_loads(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, VALID))
    assert p.name == "my-desk"
    assert p.allows_suite(0xC030) and not p.allows_suite(0xC02F)
    assert p.min_key_bits.rsa == 3072
    assert p.location.path.endswith("custom.yaml")


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (
            ("    forward_secret: true\n", "    forward_secret: true\n    colour: blue\n"),
            14,
            "unknown key 'colour'",
        ),
        (("code: 0xC030", "code: 49200"), 9, "hex"),
        (("code: 0xC030", "code: ECDHE-RSA-AES256-GCM-SHA384"), 9, "not hex"),
        (("[TLSv1.2]", "[TLSv1.9]"), 4, "unknown TLS version"),
        (('["0xC030"]', '["0xC02F"]'), 7, "not among the profile's suites"),
        (("authentication: certificate", "authentication: kerberos"), 12, "authentication"),
        (("psk_min_key_bytes: 32\n", ""), 1, "missing required key 'psk_min_key_bytes'"),
        (("tls_versions: [TLSv1.2]", "tls_versions: [TLSv1.2"), 5, "YAML syntax error"),
    ],
)
def test_errors_name_file_and_line(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    old, new = change
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(LocatedError) as exc:
        load_profile(path)
    assert exc.value.location.path == path
    assert exc.value.location.line == line, str(exc.value)
    assert message in exc.value.message


def test_duplicate_suite_and_tls13_without_version(tmp_path: Path) -> None:
    dup = VALID + VALID[VALID.index("  - code") :]
    with pytest.raises(LocatedError, match="listed twice") as exc:
        load_profile(write(tmp_path, dup))
    assert exc.value.location.line == 14
    tls13 = VALID.replace("0xC030\n", "0x1302\n").replace('["0xC030"]', "[]")
    with pytest.raises(LocatedError, match=r"TLS 1\.3 suite"):
        load_profile(write(tmp_path, tls13))


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LocatedError, match="duplicate key 'title'") as exc:
        load_profile(write(tmp_path, VALID.replace("source:", "title: again\nsource:")))
    assert exc.value.location.line == 3
