"""Helpers for tunnel tests: the guide's sections made runnable on loopback, an echo
server standing for the FIX engines, and a pair runner for any two backends."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.backends.base import Tunnel, TunnelBackend
from harness.backends.python import PythonBackend
from harness.backends.stunnel_local import LocalStunnelBackend
from harness.pki import TestPKI
from harness.stunnelconf import StunnelConfig, parse_config
from harness.stunnelconf.logfacts import ConnectionFacts
from harness.stunnelconf.rewrite import Rewrite, rewrite

GUIDE = Path(__file__).resolve().parents[2] / "fixtures" / "guide"
IN_CI = os.environ.get("CI") == "true"


def require_stunnel() -> LocalStunnelBackend:
    backend = LocalStunnelBackend()
    avail = backend.check()
    if not avail.ok:
        if IN_CI:
            pytest.fail(f"stunnel-local backend must run in CI: {avail.reason}")
        pytest.skip(avail.reason)
    return backend


def backend_named(name: str) -> TunnelBackend:
    return require_stunnel() if name == "stunnel" else PythonBackend()


def guide_paths(pki: TestPKI, *, ecdsa: bool = False) -> dict[str, str]:
    """The guide's file names → test PKI files, as each case uses them."""
    server = pki.server_ecdsa if ecdsa else pki.server_rsa
    return {
        # server side
        "/etc/stunnel/stunnel-5.41/stunnel.pem": str(server.pem_path),
        "/etc/stunnel/stunnel.pem": str(server.pem_path),
        "/etc/ssl/certs/stunnel2.pem": str(pki.client_rsa.pin_path),
        "/home/orc/stunnel/stunnel-5.41/psk.txt": str(pki.psk_path),
        # client side
        "/etc/stunnel/stunnel2.pem": str(pki.client_rsa.pem_path),
        "/etc/ssl/certs/ca-chain.cert.pem": str(pki.chain_path),
        "psk.txt": str(pki.psk_path),
    }


def guide_config(
    name: str,
    pki: TestPKI,
    *,
    connect: tuple[str, int] | None = None,
    ecdsa: bool = False,
    extra_paths: dict[str, str] | None = None,
    ips: dict[str, str] | None = None,
) -> StunnelConfig:
    """A guide section (fixtures/guide/NAME.conf) rewritten to run here."""
    path = GUIDE / f"{name}.conf"
    config = parse_config(path.read_text(), path=str(path))
    paths = guide_paths(pki, ecdsa=ecdsa)
    if name in ("1a-client", "3a-client"):  # pins the server leaf
        server = pki.server_ecdsa if ecdsa else pki.server_rsa
        paths["/etc/ssl/certs/stunnel.pem"] = str(server.pin_path)
    else:  # 1b: the same file name, but verifyChain needs the CA
        paths["/etc/ssl/certs/stunnel.pem"] = str(pki.chain_path)
    paths.update(extra_paths or {})
    svc = config.service_names[0]
    spec = Rewrite(
        connect={svc: connect} if connect else {},
        paths=paths,
        ips=ips if ips is not None else {"192.168.153.32": "127.0.0.1"},
    )
    return rewrite(config, spec).config


class EchoServer:
    """A threaded TCP echo server on 127.0.0.1:0 (stands for the FIX acceptor)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.address: tuple[str, int] = self.sock.getsockname()
        self.accepted = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        t = threading.Thread(target=self._loop, daemon=True)
        t.start()
        self._threads.append(t)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)
            t = threading.Thread(target=self._echo, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    with contextlib.suppress(OSError):
                        conn.shutdown(socket.SHUT_WR)
                    return
                try:
                    conn.sendall(data)
                except OSError:
                    return

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for c in self._conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        for t in self._threads:
            t.join(2)


def roundtrip(address: tuple[str, int], payload: bytes, *, timeout: float = 10.0) -> bytes:
    """Send ``payload``, half-close, read until EOF. Returns what came back (b'' when
    the client tunnel refuses: it closes or resets the connection, possibly before
    we finished sending)."""
    chunks: list[bytes] = []
    try:
        with socket.create_connection(address, timeout=timeout) as s:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
    except (ConnectionResetError, BrokenPipeError, TimeoutError):
        pass
    except OSError as exc:
        # the tunnel reset the connection between our send and our half-close (seen
        # under load): shutdown() then finds it gone; still a refusal, nothing came back
        if exc.errno != errno.ENOTCONN:
            raise
    return b"".join(chunks)


@dataclass
class PairResult:
    received: bytes
    client: ConnectionFacts | None
    server: ConnectionFacts | None
    client_log: str
    server_log: str


def _only_connection(tunnel: Tunnel) -> ConnectionFacts | None:
    conns = list(tunnel.facts().connections.values())
    return conns[-1] if conns else None


@contextlib.contextmanager
def tunnel_pair(
    client_backend: TunnelBackend,
    client_conf: StunnelConfig,
    server_backend: TunnelBackend,
    server_conf: StunnelConfig,
    workdir: Path,
) -> Iterator[tuple[Tunnel, Tunnel]]:
    """Start the server tunnel, point the client's ``connect`` at it, start the client."""
    with server_backend.start(server_conf, workdir, label="server") as server:
        svc = client_conf.service_names[0]
        host, port = server.address()
        client_conf = client_conf.set_option(svc, "connect", f"{host}:{port}")
        with client_backend.start(client_conf, workdir, label="client") as client:
            yield client, server


def run_pair(
    client_backend: TunnelBackend,
    client_conf: StunnelConfig,
    server_backend: TunnelBackend,
    server_conf: StunnelConfig,
    workdir: Path,
    payload: bytes = b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01",
) -> PairResult:
    with tunnel_pair(client_backend, client_conf, server_backend, server_conf, workdir) as (
        client,
        server,
    ):
        received = roundtrip(client.address(), payload)
        client.wait_connections_closed(5.0)
        server.wait_connections_closed(5.0)
    return PairResult(
        received,
        _only_connection(client),
        _only_connection(server),
        client.log_text(),
        server.log_text(),
    )
