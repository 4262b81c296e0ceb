"""Tunnel features beyond the guide's five sections: HTTP CONNECT, OCSP, CApath and
CRLpath, TLS 1.3 (certificates and PSK), version limits, concurrency, session
resumption, privilege drop. Each has its negative control."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.backends.python import PythonBackend
from harness.pki import TestPKI
from harness.stunnelconf import StunnelConfig
from harness.stunnelconf.logfacts import parse_log
from harness.testing import free_loopback_port
from harness.testing.connect_proxy import ConnectProxy
from harness.testing.ocsp import OcspResponder

from .kit import EchoServer, backend_named, guide_config, roundtrip, run_pair, tunnel_pair

PY = PythonBackend()


def _set(config: StunnelConfig, **values: str | None) -> StunnelConfig:
    svc = config.service_names[0]
    for name, value in values.items():
        config = (
            config.remove_option(svc, name)
            if value is None
            else config.set_option(svc, name, value)
        )
    return config


# ---------------------------------------------------------------- HTTP CONNECT


@pytest.mark.parametrize("client_kind", ["python", "stunnel"])
def test_http_connect_through_proxy(
    client_kind: str, pki: TestPKI, echo: EchoServer, tmp_path: Path
) -> None:
    server_conf = guide_config("3-server", pki, connect=echo.address)
    with (
        PY.start(server_conf, tmp_path, label="server") as server,
        ConnectProxy(username="fixuser", password="proxy-secret-1") as proxy,
    ):
        host, port = server.address()
        client = _set(
            guide_config("3a-client", pki),
            connect=f"{proxy.address[0]}:{proxy.address[1]}",
            protocol="connect",
            protocolHost=f"{host}:{port}",
            protocolUsername="fixuser",
            protocolPassword="proxy-secret-1",
        )
        with backend_named(client_kind).start(client, tmp_path, label="client") as c:
            assert roundtrip(c.address(), b"through the proxy") == b"through the proxy"
        assert proxy.requests[0].status == 200
        assert proxy.requests[0].target == f"{host}:{port}"


def test_http_connect_wrong_proxy_password_refused(
    pki: TestPKI, echo: EchoServer, tmp_path: Path
) -> None:
    server_conf = guide_config("3-server", pki, connect=echo.address)
    with (
        PY.start(server_conf, tmp_path, label="server") as server,
        ConnectProxy(username="fixuser", password="proxy-secret-1") as proxy,
    ):
        host, port = server.address()
        client = _set(
            guide_config("3a-client", pki),
            connect=f"{proxy.address[0]}:{proxy.address[1]}",
            protocol="connect",
            protocolHost=f"{host}:{port}",
            protocolUsername="fixuser",
            protocolPassword="wrong",
        )
        with PY.start(client, tmp_path, label="client") as c:
            assert roundtrip(c.address(), b"x") == b""
            c.wait_connections_closed(5.0)
            assert "CONNECT request rejected: HTTP/1.1 407" in c.log_text()
            assert "wrong" not in c.log_text()
        assert proxy.requests[0].status == 407
    assert echo.accepted == 0


# ---------------------------------------------------------------- OCSP


@pytest.fixture(scope="module")
def ocsp_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestPKI, OcspResponder]]:
    port = free_loopback_port()
    pki = TestPKI.create(tmp_path_factory.mktemp("ocsp-pki"), ocsp_url=f"http://127.0.0.1:{port}")
    with OcspResponder(pki) as responder:
        yield pki, responder


@pytest.mark.parametrize("mode", ["OCSPaia", "OCSP"])
@pytest.mark.parametrize("server_leaf", ["server-rsa", "revoked-server"])
def test_ocsp(
    mode: str,
    server_leaf: str,
    ocsp_pki: tuple[TestPKI, OcspResponder],
    echo: EchoServer,
    tmp_path: Path,
) -> None:
    pki, _responder = ocsp_pki
    server = _set(
        guide_config("3-server", pki, connect=echo.address),
        cert=str(pki.leaf(server_leaf).pem_path),
    )
    client = guide_config("3b-client", pki)
    client = _set(client, OCSPaia="yes") if mode == "OCSPaia" else _set(client, OCSP=pki.ocsp_url)
    res = run_pair(PY, client, PY, server, tmp_path)
    if server_leaf == "server-rsa":
        assert res.received, res.client_log
        assert "OCSP: Certificate accepted" in res.client_log
    else:
        assert res.received == b""
        assert "OCSP: Certificate revoked" in res.client_log
        assert "alert certificate revoked" in res.server_log
        assert "Rejected by OCSP at depth=0" in res.client_log


def test_ocsp_unreachable_responder_rejects(pki: TestPKI, echo: EchoServer, tmp_path: Path) -> None:
    dead = free_loopback_port()
    server = guide_config("3-server", pki, connect=echo.address)
    client = _set(guide_config("3b-client", pki), OCSP=f"http://127.0.0.1:{dead}")
    res = run_pair(PY, client, PY, server, tmp_path)
    assert res.received == b""
    assert "Rejected by OCSP" in res.client_log


# ---------------------------------------------------------------- CApath / CRLpath


@pytest.mark.parametrize("server_leaf", ["server-rsa", "revoked-server"])
def test_capath_and_crlpath(
    server_leaf: str, pki: TestPKI, echo: EchoServer, tmp_path: Path
) -> None:
    server = _set(
        guide_config("3-server", pki, connect=echo.address),
        cert=str(pki.leaf(server_leaf).pem_path),
    )
    client = _set(
        guide_config("3b-client", pki),
        CAfile=None,
        CApath=str(pki.capath_dir),
        CRLpath=str(pki.crl_dir),
    )
    res = run_pair(PY, client, PY, server, tmp_path)
    if server_leaf == "server-rsa":
        assert res.received, res.client_log
    else:
        assert res.received == b""
        assert "certificate revoked" in res.client_log


def test_verify_peer_with_capath_pin(pki: TestPKI, echo: EchoServer, tmp_path: Path) -> None:
    """verifyPeer looks the pinned leaf up in CApath too (hashed directory)."""
    pins = tmp_path / "pins"
    pins.mkdir()
    from cryptography import x509
    from OpenSSL import crypto

    cert = x509.load_pem_x509_certificate(pki.server_rsa.pin_path.read_bytes())
    digest = crypto.X509.from_cryptography(cert).subject_name_hash() & 0xFFFFFFFF
    (pins / f"{digest:08x}.0").write_bytes(pki.server_rsa.pin_path.read_bytes())
    server = guide_config("3-server", pki, connect=echo.address)
    client = _set(guide_config("3a-client", pki), CAfile=None, CApath=str(pins))
    assert run_pair(PY, client, PY, server, tmp_path).received
    # control: the ECDSA server's leaf is not in the directory
    server2 = _set(server, cert=str(pki.server_ecdsa.pem_path))
    res = run_pair(PY, client, PY, server2, tmp_path)
    assert res.received == b""
    assert "Certificate not found in local repository" in res.client_log


# ---------------------------------------------------------------- versions


@pytest.mark.parametrize("pair", ["python->python", "python->stunnel", "stunnel->python"])
def test_tls13_when_not_capped(pair: str, pki: TestPKI, echo: EchoServer, tmp_path: Path) -> None:
    """The guide's client sections rely on the server capping TLS 1.2; uncapped, a
    modern pair negotiates TLS 1.3 and `ciphers` no longer applies."""
    c, s = pair.split("->")
    server = _set(guide_config("3-server", pki, connect=echo.address), sslVersion=None)
    client = guide_config("3a-client", pki)
    res = run_pair(backend_named(c), client, backend_named(s), server, tmp_path)
    assert res.received
    assert res.client and res.server
    assert res.client.version == res.server.version == "TLSv1.3"
    assert res.client.cipher == res.server.cipher == "TLS_AES_256_GCM_SHA384"


@pytest.mark.parametrize("pair", ["python->python", "python->stunnel", "stunnel->python"])
def test_tls13_psk_lands_on_sha256_suite(
    pair: str, pki: TestPKI, echo: EchoServer, tmp_path: Path
) -> None:
    c, s = pair.split("->")
    server = _set(guide_config("2-server", pki, connect=echo.address), sslVersion=None)
    client = _set(guide_config("2-client", pki), sslVersion=None)
    res = run_pair(backend_named(c), client, backend_named(s), server, tmp_path)
    assert res.received, res.client_log + res.server_log
    assert res.client and res.client.version == "TLSv1.3"
    assert res.client.cipher == "TLS_AES_128_GCM_SHA256"


def test_tls13_wrong_psk_refused(pki: TestPKI, echo: EchoServer, tmp_path: Path) -> None:
    server = _set(guide_config("2-server", pki, connect=echo.address), sslVersion=None)
    client = _set(
        guide_config("2-client", pki), sslVersion=None, PSKsecrets=str(pki.psk.wrong_key_path)
    )
    res = run_pair(PY, client, PY, server, tmp_path)
    assert res.received == b""
    assert "binder does not verify" in res.server_log


@pytest.mark.parametrize("server_kind", ["python", "stunnel"])
def test_client_offering_only_tls11_refused(
    server_kind: str, pki: TestPKI, echo: EchoServer, tmp_path: Path
) -> None:
    server = guide_config("3-server", pki, connect=echo.address)
    client = _set(guide_config("3a-client", pki), sslVersion="TLSv1.1")
    res = run_pair(PY, client, backend_named(server_kind), server, tmp_path)
    assert res.received == b""
    assert echo.accepted == 0


# ---------------------------------------------------------------- concurrency, resumption


def test_many_concurrent_connections(pki: TestPKI, echo: EchoServer, tmp_path: Path) -> None:
    server = guide_config("1-server", pki, connect=echo.address)
    client = guide_config("1a-client", pki)
    n = 40
    results: list[bytes] = [b""] * n
    with tunnel_pair(PY, client, PY, server, tmp_path) as (c, _s):
        address = c.address()

        def one(i: int) -> None:
            payload = f"order-{i:04d}".encode() * 200
            results[i] = b"ok" if roundtrip(address, payload) == payload else b"bad"

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert results == [b"ok"] * n
    assert echo.accepted == n


def test_client_session_resumption(pki: TestPKI, echo: EchoServer, tmp_path: Path) -> None:
    server = guide_config("1-server", pki, connect=echo.address)
    client = guide_config("1a-client", pki)
    with tunnel_pair(PY, client, PY, server, tmp_path) as (c, s):
        for _ in range(2):
            assert roundtrip(c.address(), b"again") == b"again"
        s.wait_connections_closed(5.0)
        server_facts = list(s.facts().connections.values())
    assert [f.reused for f in server_facts] == [False, True]
    # control: sessionResume = no
    client2 = _set(client, sessionResume="no")
    control = tmp_path / "control"  # its own logs, not appended to the first pair's
    control.mkdir()
    with tunnel_pair(PY, client2, PY, server, control) as (c, s):
        for _ in range(2):
            assert roundtrip(c.address(), b"again") == b"again"
        c.wait_connections_closed(5.0)
        s.wait_connections_closed(5.0)
        assert [f.reused for f in s.facts().connections.values()] == [False, False]


# ---------------------------------------------------------------- privileges


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_setuid_setgid_drop_privileges(pki: TestPKI, echo: EchoServer, tmp_path: Path) -> None:
    import shutil
    import tempfile

    jail = Path(tempfile.mkdtemp(prefix="fixs-priv-", dir="/tmp"))
    jail.chmod(0o777)  # the pid file is written after the privilege drop, as stunnel does
    conf = tmp_path / "priv.conf"
    conf.write_text(
        "foreground = yes\ndebug = info\nsetuid = nobody\nsetgid = nogroup\n"
        f"pid = {jail}/t.pid\n"
        f"[srv]\naccept = 127.0.0.1:0\nconnect = {echo.address[0]}:{echo.address[1]}\n"
        f"cert = {pki.server_rsa.pem_path}\n"
    )
    log = tmp_path / "priv.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness", "tunnel", "-c", str(conf)], stderr=fh
        )
    try:
        deadline = time.monotonic() + 20
        while "srv" not in parse_log(log.read_text()).bound:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.2)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        import pwd

        assert uid_line.split()[1] == str(pwd.getpwnam("nobody").pw_uid)
        assert (jail / "t.pid").read_text().strip() == str(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(jail, ignore_errors=True)


def test_many_services_in_one_config(pki: TestPKI, echo: EchoServer, tmp_path: Path) -> None:
    """One tunnel process, several services (a server and two clients of it), each
    bound to its own ephemeral port; a service refused by its peer does not disturb
    the others (control)."""
    from harness.stunnelconf import parse_config

    server = guide_config("3-server", pki, connect=echo.address)
    with PY.start(server, tmp_path, label="server") as s:
        host, port = s.address()
        text = (
            f"[good]\nclient = yes\naccept = 127.0.0.1:0\nconnect = {host}:{port}\n"
            f"verifyPeer = yes\nCAfile = {pki.server_rsa.pin_path}\n"
            f"[also-good]\nclient = yes\naccept = 127.0.0.1:0\nconnect = {host}:{port}\n"
            f"verifyChain = yes\nCAfile = {pki.chain_path}\ncheckIP = 127.0.0.1\n"
            f"[wrong-pin]\nclient = yes\naccept = 127.0.0.1:0\nconnect = {host}:{port}\n"
            f"verifyPeer = yes\nCAfile = {pki.server_ecdsa.pin_path}\n"
        )
        with PY.start(parse_config(text), tmp_path, label="clients") as c:
            assert set(c.bound) == {"good", "also-good", "wrong-pin"}
            assert len({c.address(n) for n in c.bound}) == 3
            assert roundtrip(c.address("good"), b"one") == b"one"
            assert roundtrip(c.address("wrong-pin"), b"two") == b""
            assert roundtrip(c.address("also-good"), b"three") == b"three"
