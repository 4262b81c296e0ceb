"""Real stunnel in both roles, in containers: payload through a pinned TLS 1.2 tunnel.

    python socket → client stunnel (image A) ══TLS 1.2══► server stunnel (image B) → echo

The client pins the server's leaf certificate (``verifyPeer`` with the leaf in
``CAfile``: guide §3.1 leaf pinning). The negative control pins another leaf: the
client rejects the server, no byte reaches the echo server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import trustme
from stunnel_docker_kit import PairOutcome, run_stunnel_pair

pytestmark = pytest.mark.docker

PAYLOAD = b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01"
#: (server suite, client suite): each version with itself, and oldest ↔ newest both ways.
PAIRS = [
    ("bullseye", "bullseye"),
    ("bookworm", "bookworm"),
    ("trixie", "trixie"),
    ("bullseye", "trixie"),
    ("trixie", "bullseye"),
]


def _write(path: Path, data: bytes, mode: int = 0o644) -> Path:
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """Server leaf + key, the right pin and a wrong pin (another CA's leaf)."""
    leaf = trustme.CA().issue_cert("127.0.0.1")
    other = trustme.CA().issue_cert("127.0.0.1")
    _write(tmp_path / "server.pem", leaf.cert_chain_pems[0].bytes())
    _write(tmp_path / "server.key", leaf.private_key_pem.bytes(), 0o600)
    _write(tmp_path / "pin-right.pem", leaf.cert_chain_pems[0].bytes())
    _write(tmp_path / "pin-wrong.pem", other.cert_chain_pems[0].bytes())
    return tmp_path


def run_pair(
    client: Any, run_id: str, run_dir: Path, server_suite: str, client_suite: str, pin: str
) -> PairOutcome:
    return run_stunnel_pair(
        client,
        run_id,
        run_dir,
        server_suite=server_suite,
        client_suite=client_suite,
        server_options=(
            f"cert = {run_dir}/server.pem\nkey = {run_dir}/server.key\nsslVersion = TLSv1.2\n"
        ),
        client_options=f"verifyPeer = yes\nCAfile = {run_dir}/{pin}\n",
        payload=PAYLOAD,
    )


@pytest.mark.parametrize(("server_suite", "client_suite"), PAIRS)
def test_pinned_tls12_pair_carries_payload(
    docker_client: Any,
    stunnel_images: Any,
    run_id: str,
    run_dir: Path,
    server_suite: str,
    client_suite: str,
) -> None:
    outcome = run_pair(docker_client, run_id, run_dir, server_suite, client_suite, "pin-right.pem")
    server_log, client_log = outcome.server_log, outcome.client_log
    assert outcome.payload_ok  # echoed back, and the echo server saw exactly the payload
    # Both ends say what they negotiated; the server pinned TLS 1.2.
    assert "TLS accepted: new session negotiated" in server_log
    assert "TLSv1.2 ciphersuite:" in server_log
    assert "CERT: Locally installed certificate matched" in client_log
    assert "TLSv1.2 ciphersuite:" in client_log


@pytest.mark.parametrize(("server_suite", "client_suite"), PAIRS[:3])
def test_wrong_pin_carries_nothing(
    docker_client: Any,
    stunnel_images: Any,
    run_id: str,
    run_dir: Path,
    server_suite: str,
    client_suite: str,
) -> None:
    outcome = run_pair(docker_client, run_id, run_dir, server_suite, client_suite, "pin-wrong.pem")
    server_log, client_log = outcome.server_log, outcome.client_log
    assert not outcome.payload_ok
    assert outcome.echo_received == b""
    assert outcome.echo_connections == 0
    assert "Rejected by CERT at depth=0" in client_log
    assert "TLS accepted: new session negotiated" not in server_log
