"""The CONNECT proxy over real sockets, and through the real stunnel's ``protocol = connect``."""

from __future__ import annotations

import base64
import logging
import socket
import ssl
import threading
from pathlib import Path

import pytest

from harness.pki import TestPKI
from harness.testing.connect_proxy import ConnectProxy
from tests.pki.tools import STUNNEL, echo_server, stunnel

PASSWORD = "pw-Sekr1t-do-not-log"


def connect_via(
    proxy: ConnectProxy, target: str, auth: str | None = None
) -> tuple[socket.socket, str]:
    """Send a CONNECT the way stunnel does; return the socket and the response head."""
    s = socket.create_connection(proxy.address, timeout=10)
    head = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
    if auth is not None:
        head += f"Proxy-Authorization: basic {base64.b64encode(auth.encode()).decode()}\r\n"
    s.sendall((head + "\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return s, data.decode("latin-1")


def test_tunnel_relays_both_ways() -> None:
    with echo_server() as port, ConnectProxy() as proxy:
        s, head = connect_via(proxy, f"127.0.0.1:{port}")
        with s:
            assert head.startswith("HTTP/1.1 200")
            payload = b"8=FIX.4.4\x01" * 5000  # bigger than one read
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            got = b""
            while chunk := s.recv(65536):
                got += chunk
        assert got == payload
    (req,) = proxy.requests
    assert (req.method, req.target, req.status, req.username) == (
        "CONNECT",
        f"127.0.0.1:{port}",
        200,
        None,
    )


@pytest.mark.parametrize(
    ("auth", "status"),
    [(None, 407), ("fix:wrong", 407), ("other:" + PASSWORD, 407), ("fix:" + PASSWORD, 200)],
)
def test_basic_auth(auth: str | None, status: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with echo_server() as port, ConnectProxy(username="fix", password=PASSWORD) as proxy:
        s, head = connect_via(proxy, f"127.0.0.1:{port}", auth)
        s.close()
    assert head.startswith(f"HTTP/1.1 {status}")
    if status == 407:
        assert "Proxy-Authenticate: Basic" in head
    (req,) = proxy.requests
    assert req.status == status
    # The password never reaches the record or the log, in clear or in base64.
    encoded = base64.b64encode(f"fix:{PASSWORD}".encode()).decode()
    for text in (repr(req), caplog.text):
        assert PASSWORD not in text and encoded not in text
    if auth is not None:
        assert ("Proxy-Authorization", "basic <redacted>") in req.headers
        assert req.username == auth.split(":")[0]


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("10.0.0.1:443", 403),
        ("192.0.2.1:7777", 403),
        ("fix.example.com:443", 403),  # refused, never resolved
        ("127.0.0.1", 400),
        ("127.0.0.1:99999", 400),
    ],
)
def test_refused_targets(target: str, status: int) -> None:
    with ConnectProxy() as proxy:
        s, head = connect_via(proxy, target)
        s.close()
    assert head.startswith(f"HTTP/1.1 {status}")
    assert proxy.requests[0].status == status


def test_localhost_and_other_loopback_allowed() -> None:
    # Positive control for the refusals above.
    with echo_server() as port, ConnectProxy() as proxy:
        for target in (f"localhost:{port}", f"127.0.0.1:{port}"):
            s, head = connect_via(proxy, target)
            s.close()
            assert head.startswith("HTTP/1.1 200"), head


def test_other_methods_and_unreachable_target() -> None:
    with ConnectProxy() as proxy:
        s = socket.create_connection(proxy.address, timeout=10)
        s.sendall(b"GET http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 405")
        s.close()
        free = socket.create_server(("127.0.0.1", 0))
        port = free.getsockname()[1]
        free.close()  # nothing listens there now
        s, head = connect_via(proxy, f"127.0.0.1:{port}")
        s.close()
        assert head.startswith("HTTP/1.1 502")


def test_stop_closes_open_tunnels() -> None:
    with echo_server() as port:
        proxy = ConnectProxy().start()
        try:
            s, head = connect_via(proxy, f"127.0.0.1:{port}")
            assert head.startswith("HTTP/1.1 200")
        finally:
            proxy.stop()
        with s:
            assert s.recv(10) == b""  # the proxy hung up on us
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(proxy.address, timeout=5)
    assert not [t for t in threading.enumerate() if t.name.startswith("connect-proxy")]


def test_rejects_non_loopback_bind() -> None:
    with pytest.raises(ValueError):
        ConnectProxy(host="0.0.0.0")
    with pytest.raises(ValueError):
        ConnectProxy(username="only-user")


# ---- with the real stunnel ------------------------------------------------------


def stunnel_client_conf(pki: TestPKI, proxy: ConnectProxy, tls_port: int, password: str) -> str:
    return f"""foreground = yes
pid =
debug = info
syslog = no
[fix-initiator]
client = yes
accept = 127.0.0.1:0
connect = {proxy.address[0]}:{proxy.address[1]}
protocol = connect
protocolHost = 127.0.0.1:{tls_port}
protocolUsername = fix
protocolPassword = {password}
verifyChain = yes
CAfile = {pki.chain_path}
checkHost = fix-server.test
sslVersion = TLSv1.2
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI.create(tmp_path_factory.mktemp("pki"))


@pytest.mark.stunnel
@pytest.mark.skipif(not Path(STUNNEL).exists(), reason="stunnel not installed")
@pytest.mark.parametrize("password", [PASSWORD, "wrong"])
def test_stunnel_protocol_connect(pki: TestPKI, tmp_path: Path, password: str) -> None:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(pki.server_rsa.pem_path)
    with echo_server(tls) as tls_port, ConnectProxy(username="fix", password=PASSWORD) as proxy:
        conf = stunnel_client_conf(pki, proxy, tls_port, password)
        with (
            stunnel(conf, tmp_path / "stunnel.conf") as (port, _),
            socket.create_connection(("127.0.0.1", port), timeout=10) as s,
        ):
            s.sendall(b"8=FIX.4.4\x019=5\x0135=A\x0110=000\x01")
            try:
                echoed = s.recv(4096)
            except ConnectionResetError:
                echoed = b""
    (req,) = proxy.requests
    assert req.target == f"127.0.0.1:{tls_port}"
    assert req.username == "fix"
    if password == PASSWORD:
        assert req.status == 200
        assert echoed.startswith(b"8=FIX.4.4")
    else:
        # Negative control: same setup, wrong password, no tunnel.
        assert req.status == 407
        assert echoed == b""
