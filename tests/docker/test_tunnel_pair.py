"""Real stunnel in both roles, in containers: payload through a pinned TLS 1.2 tunnel.

    python socket → client stunnel (image A) ══TLS 1.2══► server stunnel (image B) → echo

The client pins the server's leaf certificate (``verifyPeer`` with the leaf in
``CAfile``: guide §3.1 leaf pinning). The negative control pins another leaf: the
client rejects the server, no byte reaches the echo server.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
import trustme
from stunnel_docker_kit import EchoServer

from harness.backends.docker_images import image_tag
from harness.backends.docker_launcher import StunnelContainer

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


def server_conf(run_dir: Path, backend_port: int) -> str:
    return f"""\
[FIX-server]
accept = 127.0.0.1:0
connect = 127.0.0.1:{backend_port}
cert = {run_dir}/server.pem
key = {run_dir}/server.key
sslVersion = TLSv1.2
"""


def client_conf(run_dir: Path, server_port: int, pin: str) -> str:
    return f"""\
[FIX-client]
client = yes
accept = 127.0.0.1:0
connect = 127.0.0.1:{server_port}
verifyPeer = yes
CAfile = {run_dir}/{pin}
"""


def send_through(address: tuple[str, int], payload: bytes) -> bytes:
    """Send payload into the client tunnel; return what comes back before close."""
    with socket.create_connection(address, timeout=15) as sock:
        sock.sendall(payload)
        got = b""
        try:
            while len(got) < len(payload):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
        except ConnectionResetError:
            pass
        return got


def run_pair(
    client: Any,
    run_id: str,
    run_dir: Path,
    echo: EchoServer,
    server_suite: str,
    client_suite: str,
    pin: str,
) -> tuple[bytes, str, str]:
    with (
        StunnelContainer(
            image_tag(server_suite),
            server_conf(run_dir, echo.port),
            run_dir,
            run_id=run_id,
            name="server",
            client=client,
        ) as server,
        StunnelContainer(
            image_tag(client_suite),
            client_conf(run_dir, server.bound["FIX-server"][1], pin),
            run_dir,
            run_id=run_id,
            name="client",
            client=client,
        ) as client_tunnel,
    ):
        echoed = send_through(client_tunnel.bound["FIX-client"], PAYLOAD)
    return echoed, server.logs(), client_tunnel.logs()


@pytest.mark.parametrize(("server_suite", "client_suite"), PAIRS)
def test_pinned_tls12_pair_carries_payload(
    docker_client: Any,
    stunnel_images: Any,
    run_id: str,
    run_dir: Path,
    echo_server: EchoServer,
    server_suite: str,
    client_suite: str,
) -> None:
    echoed, server_log, client_log = run_pair(
        docker_client, run_id, run_dir, echo_server, server_suite, client_suite, "pin-right.pem"
    )
    assert echoed == PAYLOAD
    assert bytes(echo_server.received) == PAYLOAD
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
    echo_server: EchoServer,
    server_suite: str,
    client_suite: str,
) -> None:
    echoed, server_log, client_log = run_pair(
        docker_client, run_id, run_dir, echo_server, server_suite, client_suite, "pin-wrong.pem"
    )
    assert echoed == b""
    assert echo_server.received == b""
    assert echo_server.connections == 0
    assert "Rejected by CERT at depth=0" in client_log
    assert "TLS accepted: new session negotiated" not in server_log
