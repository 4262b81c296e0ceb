"""A stunnel.conf with bytes that are not UTF-8: a file:line error, exit 2, no traceback.

On main, ``tunnel --check`` and ``lint`` died with a UnicodeDecodeError traceback and
exit 1 (indistinguishable from lint findings). The control: the same file with the
byte removed is accepted by both.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.certify.lint import lint_text
from harness.errors import HarnessError
from harness.profiles import load_profile
from harness.stunnelconf import ConfigError, parse_file
from harness.stunnelconf.parser import decode_config

REPO = Path(__file__).resolve().parents[2]
CONF = (
    b"; a client\n"
    b"[fix-client]\n"
    b"client = yes\n"
    b"accept = 127.0.0.1:2002\n"
    b"connect = 127.0.0.1:7777\n"
    b"verifyChain = yes\n"
    b"CAfile = CA_FILE\n"
    b"checkHost = server.example\n"
    b"CRLfile = CRL_FILE\n"
    b"ciphers = ECDHE-RSA-AES128-GCM-SHA256\n"
    b"sslVersion = TLSv1.2\n"
)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def conf_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from harness.pki import TestPKI

    pki = TestPKI.create(tmp_path_factory.mktemp("pki"))
    return CONF.replace(b"CA_FILE", str(pki.root_ca_path).encode()).replace(
        b"CRL_FILE", str(pki.crl_path).encode()
    )


@pytest.mark.parametrize("bad", [b"\xff", b"\xe9", b"\xc3\x28", b"\xed\xa0\x80"])
def test_tunnel_check_and_lint_name_file_and_line(
    tmp_path: Path, conf_bytes: bytes, bad: bytes
) -> None:
    path = tmp_path / "bad.conf"
    path.write_bytes(conf_bytes.replace(b"server.example", b"server" + bad + b".example"))
    for args in (("tunnel", "--check", str(path)), ("lint", str(path))):
        proc = _cli(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert f"{path}:8: byte 0x{bad[0]:02X} at column 19 is not UTF-8 text" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_control_the_clean_file_is_accepted(tmp_path: Path, conf_bytes: bytes) -> None:
    path = tmp_path / "good.conf"
    path.write_bytes(conf_bytes)
    proc = _cli("tunnel", "--check", str(path))
    assert proc.returncode == 0, proc.stderr
    proc = _cli("lint", str(path))
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr


def test_a_byte_order_mark_and_latin_text_in_comments_decode(tmp_path: Path) -> None:
    path = tmp_path / "bom.conf"
    path.write_bytes("\ufeff; café\n".encode() + CONF)
    assert parse_file(str(path)).service_names == ["fix-client"]


def test_bounded_fuzz_parser_and_lint_raise_only_located_errors() -> None:
    """300 byte-level mutants: parse and lint either work or raise a HarnessError."""
    rng = random.Random(715)
    profile = load_profile("stunnel-guide-2017")
    started = time.monotonic()
    refused = 0
    for _ in range(300):
        data = bytearray(CONF)
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(data))
            if rng.random() < 0.6:
                data[pos] = rng.randrange(256)
            else:
                data[pos:pos] = rng.choice([b"\n[", b"=", b"\x00", b"\xff\xfe", b"\n  x\n", b"]"])
        try:
            text = decode_config(bytes(data), path="m.conf")
            lint_text(text, profile, path="m.conf")
        except ConfigError as exc:
            assert exc.location.path == "m.conf"
            refused += 1
        except HarnessError:
            refused += 1
        assert time.monotonic() - started < 60
    assert refused > 10
