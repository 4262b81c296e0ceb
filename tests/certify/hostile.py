"""Endpoints that are not TLS servers, on loopback, for the "what is on the port"
diagnosis: a real HTTP server (the standard library's), and raw-socket peers that stay
silent, close after reading, or answer bytes that are not TLS. Every one is stopped
(thread joined, sockets closed) when its context ends."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Quiet(BaseHTTPRequestHandler):
    # Answer unparseable requests with a status line (HTTP/1.0), as web servers do,
    # rather than the bare HTML page of HTTP/0.9.
    default_request_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        return


@contextlib.contextmanager
def http_server() -> Iterator[int]:
    """A plaintext HTTP server (answers a ClientHello with ``HTTP/1.0 400``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    server.timeout = 1
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextlib.contextmanager
def raw_server(handle: Callable[[socket.socket], None] | None) -> Iterator[int]:
    """A TCP listener; ``handle`` runs on each accepted connection (None: never
    accept, the kernel completes the TCP handshake: a *silent* port)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.05)
    stop = threading.Event()
    conns: list[socket.socket] = []
    workers: list[threading.Thread] = []

    def serve(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            assert handle is not None
            handle(conn)

    def loop() -> None:
        # each connection on its own thread: a handler that waits for the client
        # (up to 2 s) must not queue the probes behind it, or a loaded machine turns
        # "answered wrongly" into "not answered in time"
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            conns.append(conn)
            conn.settimeout(2)
            worker = threading.Thread(target=serve, args=(conn,), daemon=True)
            workers.append(worker)
            worker.start()

    thread = threading.Thread(target=loop) if handle is not None else None
    if thread is not None:
        thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        if thread is not None:
            thread.join(10)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        for worker in workers:
            worker.join(5)
        for c in conns:
            c.close()
        listener.close()


def close_after_read(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.close()


def garbage(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"\x00\x07garbage\xff\xfe not a TLS record at all")
    conn.close()


def stall_after_read(conn: socket.socket) -> None:
    """Read the ClientHello, then say nothing (the connection stays open until the
    server context ends)."""
    conn.recv(65536)


def endless_certificate(conn: socket.socket) -> None:
    """A ServerHello for TLS 1.2 and then a Certificate message whose records never end
    (capped here at 4 MiB so a broken reader cannot run forever)."""
    conn.recv(65536)
    hello_body = (
        b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\xc0\x30" + b"\x00"  # no session id, suite, null
    )
    hello = b"\x02" + len(hello_body).to_bytes(3, "big") + hello_body
    conn.sendall(b"\x16\x03\x03" + len(hello).to_bytes(2, "big") + hello)
    cert_head = b"\x0b" + (0xFFFFFF).to_bytes(3, "big") + (0xFFFFFD).to_bytes(3, "big")
    chunk = b"\x16\x03\x03" + (16384).to_bytes(2, "big")
    sent = 0
    first = True
    while sent < 4 * 1024 * 1024:
        body = (cert_head + b"\x30" * (16384 - len(cert_head))) if first else b"\x30" * 16384
        first = False
        conn.sendall(chunk + body)
        sent += len(body)


def bogus_server_hello(
    suite: int = 0xFFFF, version: int = 0x0303
) -> Callable[[socket.socket], None]:
    """Answer every ClientHello with a ServerHello naming ``suite``/``version`` (which
    the client never offered), then ServerHelloDone."""

    def handle(conn: socket.socket) -> None:
        conn.recv(65536)
        body = (
            version.to_bytes(2, "big") + b"\x22" * 32 + b"\x00" + suite.to_bytes(2, "big") + b"\x00"
        )
        hello = b"\x02" + len(body).to_bytes(3, "big") + body
        done = b"\x0e\x00\x00\x00"
        msgs = hello + done
        conn.sendall(b"\x16\x03\x03" + len(msgs).to_bytes(2, "big") + msgs)
        conn.recv(65536)

    return handle
