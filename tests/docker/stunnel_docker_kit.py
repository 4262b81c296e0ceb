"""Helpers for the stunnel-docker tests (a uniquely named module: tests/docker has no
__init__.py on purpose, since a package named ``docker`` would shadow the Docker SDK)."""

from __future__ import annotations

import socket
import threading


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
