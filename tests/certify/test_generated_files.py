"""Files certify generates for its own probes: private keys and PSK secrets are
readable by their owner only, certificates by anyone, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.certify.badcerts import make_bad_client_certs
from harness.certify.fixlogon import _client_conf
from harness.certify.policy import TrustOptions
from harness.certify.probe import Credentials


@pytest.fixture
def wide_umask() -> Iterator[None]:
    old = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_must_refuse_client_certificates(tmp_path: Path, wide_umask: None) -> None:
    pairs = make_bad_client_certs(tmp_path / "bad")
    assert set(pairs) == {"self-signed", "unrelated-ca", "expired"}
    for pair in pairs.values():
        assert b"PRIVATE KEY" in pair.key.read_bytes()
        assert _mode(pair.key) == 0o600, pair.key
        assert b"PRIVATE KEY" not in pair.cert.read_bytes()
        assert _mode(pair.cert) == 0o644, pair.cert


def test_fix_probe_psk_secrets_file(tmp_path: Path, wide_umask: None) -> None:
    key = bytes(range(32))
    creds = Credentials(psk_identity="fix-client", psk_key=key)
    text = _client_conf("127.0.0.1", 4433, creds, TrustOptions(), tmp_path)
    secrets = tmp_path / "certify-fix-psk.txt"
    assert f"PSKsecrets = {secrets}" in text
    assert secrets.read_text() == f"fix-client:{key.hex()}\n"
    assert _mode(secrets) == 0o600
    # The key is in the secrets file only, never in the config text.
    assert key.hex() not in text


def test_no_psk_secrets_file_without_a_psk(tmp_path: Path) -> None:
    text = _client_conf("127.0.0.1", 4433, Credentials(), TrustOptions(), tmp_path)
    assert "PSKsecrets" not in text
    assert not (tmp_path / "certify-fix-psk.txt").exists()
