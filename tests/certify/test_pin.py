"""pin: the downloaded file pins the server for a verifyPeer client (our tunnel), and
another server's pin file does not."""

from __future__ import annotations

from pathlib import Path

from harness.backends.python import PythonBackend
from harness.certify import download_chain, resolve_target, write_pin_file
from harness.cli import main
from harness.pki import TestPKI
from harness.stunnelconf import parse_config
from tests.tunnel.kit import EchoServer, guide_config, roundtrip

from .peers import s_server, server_args

PAYLOAD = b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01"


def client_conf(port: int, pin: Path) -> str:
    return (
        "[pin-client]\nclient = yes\naccept = 127.0.0.1:0\n"
        f"connect = 127.0.0.1:{port}\nsslVersion = TLSv1.2\nverifyPeer = yes\nCAfile = {pin}\n"
    )


def test_pin_file_pins_the_server(pki: TestPKI, workdir: Path) -> None:
    echo = EchoServer()
    try:
        conf = guide_config("3-server", pki, connect=echo.address)
        with PythonBackend().start(conf, workdir, label="server") as server:
            port = server.address()[1]
            certs = download_chain(resolve_target("127.0.0.1", port))
            pin = write_pin_file(certs, workdir / "peer.pem")
            assert certs[0].subject.endswith("CN=fix-server.test")
            assert len(certs) == 2  # leaf + intermediate, as stunnel's cert file sends them
            assert "IP:127.0.0.1" in certs[0].sans
            with s_server(server_args(pki, leaf="other-server"), workdir / "other.log") as other:
                other_pin = write_pin_file(
                    download_chain(resolve_target("127.0.0.1", other)), workdir / "other.pem"
                )
            backend = PythonBackend()
            conf_ok = parse_config(client_conf(port, pin), path="ok")
            with backend.start(conf_ok, workdir, label="client-ok") as client:
                assert roundtrip(client.address(), PAYLOAD) == PAYLOAD
            conf_bad = parse_config(client_conf(port, other_pin), path="bad")
            with backend.start(conf_bad, workdir, label="client-bad") as client:
                assert roundtrip(client.address(), PAYLOAD) == b""
    finally:
        echo.close()


def test_pin_cli(pki: TestPKI, workdir: Path, capsys: object) -> None:
    with s_server(server_args(pki), workdir / "s.log") as port:
        out = workdir / "peer.pem"
        assert main(["pin", f"127.0.0.1:{port}", "-o", str(out), "--leaf-only"]) == 0
    text = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "SHA-256:" in text and "RSA 2048 bits" in text and "IP:127.0.0.1" in text
    assert out.read_bytes().count(b"BEGIN CERTIFICATE") == 1
    assert pki.server_rsa.pin_path.read_bytes().strip() == out.read_bytes().strip()


def test_pin_closed_port_is_a_usage_error(workdir: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        assert main(["pin", f"127.0.0.1:{port}", "-o", str(workdir / "x.pem")]) == 2
    assert not (workdir / "x.pem").exists()
