"""Helpers for the stunnel-docker tests (a uniquely named module: tests/docker has no
__init__.py on purpose, since a package named ``docker`` would shadow the Docker SDK)."""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class EchoServer:
    """A loopback TCP echo server standing in for the FIX acceptor.

    Records every byte it receives, so a test can prove nothing got through.
    """

    def __init__(self) -> None:
        self.received = bytearray()
        self.connections = 0
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(10)
                try:
                    while data := conn.recv(65536):
                        self.received += data
                        conn.sendall(data)
                except OSError:
                    continue

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=15)


def _negotiated(log: str) -> tuple[str, str] | None:
    match = re.search(r"(TLSv[\d.]+) ciphersuite: (\S+)", log)
    return (match.group(1), match.group(2)) if match else None


@dataclass(frozen=True)
class PairOutcome:
    """What one stunnel↔stunnel exchange showed: payload, negotiated, both logs."""

    payload_ok: bool
    server_log: str
    client_log: str
    echo_received: bytes = b""
    echo_connections: int = 0

    @property
    def server_negotiated(self) -> tuple[str, str] | None:
        return _negotiated(self.server_log)

    @property
    def client_negotiated(self) -> tuple[str, str] | None:
        return _negotiated(self.client_log)


def exchange(address: tuple[str, int], payload: bytes) -> bytes:
    """Send payload into a client tunnel; return what comes back before close.

    A refused handshake makes stunnel reset the local socket, possibly before the
    payload is even written: a reset at any point ends the exchange, it is not an
    error of the test.
    """
    got = b""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(15)
        try:
            # Even connect() can see the reset when stunnel is quick to refuse.
            sock.connect(address)
            sock.sendall(payload)
            while len(got) < len(payload):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (ConnectionResetError, BrokenPipeError, TimeoutError):
            pass
    return got


def run_stunnel_pair(
    docker_client: Any,
    run_id: str,
    run_dir: Path,
    *,
    server_suite: str,
    client_suite: str,
    server_options: str,
    client_options: str,
    payload: bytes = b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01",
) -> PairOutcome:
    """Server stunnel (in front of an echo server) ← client stunnel ← payload.

    The options are a service section's body without accept/connect/client, which
    this helper sets to loopback (as the runner's rewriting does).
    """
    from harness.backends.docker_images import image_tag
    from harness.backends.docker_launcher import StunnelContainer

    echo = EchoServer()
    try:
        with StunnelContainer(
            image_tag(server_suite),
            f"[fix-server]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:{echo.port}\n"
            + server_options,
            run_dir,
            run_id=run_id,
            name="server",
            client=docker_client,
        ) as server:
            port = server.bound["fix-server"][1]
            with StunnelContainer(
                image_tag(client_suite),
                f"[fix-client]\nclient = yes\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:{port}\n"
                + client_options,
                run_dir,
                run_id=run_id,
                name="client",
                client=docker_client,
            ) as client:
                got = exchange(client.bound["fix-client"], payload)
        ok = got == payload and bytes(echo.received) == payload
        return PairOutcome(ok, server.logs(), client.logs(), bytes(echo.received), echo.connections)
    finally:
        echo.close()
