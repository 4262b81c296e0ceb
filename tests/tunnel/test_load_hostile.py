"""The Python tunnel under connection floods and resets (issue 15, item 7).

A real ``fixs-harness tunnel`` process (server mode, in front of a plain TCP peer)
is flooded with idle TCP connections that never send a ClientHello: at most
``--max-clients`` are served (threads counted in /proc), the rest are refused and
logged as stunnel logs it, a legitimate TLS client still gets through once the
flood is gone, and threads and heap go back to (near) their baseline. A peer that
resets during a write is logged as stunnel logs a reset, never as an internal
error. Bounds: fixed connection counts, every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.pki import TestPKI
from harness.tunnel.proxy import DEFAULT_MAX_CLIENTS

CLI = [sys.executable, "-m", "harness"]


def _status(pid: int) -> tuple[float, int]:
    """(RSS in MB, threads) of a process."""
    text = Path(f"/proc/{pid}/status").read_text()
    rss = re.search(r"VmRSS:\s+(\d+)", text)
    threads = re.search(r"Threads:\s+(\d+)", text)
    assert rss and threads
    return int(rss.group(1)) / 1024, int(threads.group(1))


class _Sink:
    """A plain TCP peer standing for the FIX engine: it floods every connection with
    bytes (``flood``), or resets each connection after its first read (``reset``)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            if self.mode == "flood":
                chunk = b"x" * 65536
                deadline = time.monotonic() + 10
                while not self._stop.is_set() and time.monotonic() < deadline:
                    conn.sendall(chunk)
            else:
                conn.recv(1)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(5)


@contextlib.contextmanager
def tunnel_process(
    tmp_path: Path, pki: TestPKI, connect_port: int, *extra: str
) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    conf = tmp_path / "server.conf"
    conf.write_text(
        "foreground = yes\ndebug = debug\n[srv]\naccept = 127.0.0.1:0\n"
        f"connect = 127.0.0.1:{connect_port}\ncert = {pki.server_rsa.pem_path}\n"
    )
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*CLI, "tunnel", "-c", str(conf), *extra], stderr=log, stdout=log)
    try:
        deadline = time.monotonic() + 20
        while not (m := re.search(r"bound to 127\.0\.0\.1:(\d+)", log_path.read_text())):
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        yield proc, int(m.group(1)), log_path
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_threads(pid: int, at_most: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (n := _status(pid)[1]) > at_most and time.monotonic() < deadline:
        time.sleep(0.1)
    return n


def _tls_ping(port: int, pki: TestPKI) -> bytes:
    ctx = ssl.create_default_context(cafile=str(pki.root_ca_path))
    ctx.check_hostname = False
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw) as tls,
    ):
        return tls.recv(5)


FLOOD = 60  # idle connections
CAP = 20


def test_idle_flood_is_capped_refusals_logged_and_threads_released(
    tmp_path: Path, pki: TestPKI
) -> None:
    sink = _Sink("flood")
    try:
        with tunnel_process(tmp_path, pki, sink.port, "--max-clients", str(CAP)) as (
            proc,
            port,
            log_path,
        ):
            _, base_threads = _status(proc.pid)
            idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(FLOOD)]
            try:
                deadline = time.monotonic() + 20
                while log_path.read_text().count("too many clients") < FLOOD - CAP:
                    assert time.monotonic() < deadline, log_path.read_text()[-2000:]
                    time.sleep(0.05)
                rss, threads = _status(proc.pid)
                print(f"{FLOOD} idle connections, cap {CAP}: {threads} threads, {rss:.1f} MB")
                assert threads <= base_threads + CAP
                text = log_path.read_text()
                assert text.count(f"Connection rejected: too many clients (>={CAP})") == FLOOD - CAP
                assert f"LOG4[ui]: Connection rejected: too many clients (>={CAP})" in text
                assert f"Clients allowed={CAP}" in text
                # the refused ones were closed by the tunnel: they read EOF
                refused_eof = 0
                for s in idle:
                    s.settimeout(0.2)
                    with contextlib.suppress(TimeoutError, OSError):
                        refused_eof += s.recv(1) == b""
                assert refused_eof == FLOOD - CAP
            finally:
                for s in idle:
                    s.close()
            assert _wait_threads(proc.pid, base_threads, 20) <= base_threads
            # control: a real TLS client is served once the flood is gone
            assert _tls_ping(port, pki) == b"xxxxx"
            assert "Internal error" not in log_path.read_text()
    finally:
        sink.close()


def test_the_default_cap_is_documented_and_applied(tmp_path: Path, pki: TestPKI) -> None:
    assert DEFAULT_MAX_CLIENTS == 500
    with tunnel_process(tmp_path, pki, 9) as (_proc, _port, log_path):
        assert "Clients allowed=500" in log_path.read_text()


RELEASE_FLOOD = 400


def test_heap_is_handed_back_after_a_flood(tmp_path: Path, pki: TestPKI) -> None:
    """Hundreds of connection threads leave heap in glibc's arenas; once they end the
    tunnel trims it, so RSS falls back most of the way to its baseline."""
    with tunnel_process(tmp_path, pki, 9, "--max-clients", "1000") as (proc, port, _log):
        time.sleep(0.3)
        base_rss, base_threads = _status(proc.pid)
        idle = [
            socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(RELEASE_FLOOD)
        ]
        try:
            deadline = time.monotonic() + 20
            while _status(proc.pid)[1] < base_threads + RELEASE_FLOOD:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            peak_rss, peak_threads = _status(proc.pid)
        finally:
            for s in idle:
                s.close()
        assert _wait_threads(proc.pid, base_threads, 30) <= base_threads
        time.sleep(0.5)
        after_rss, after_threads = _status(proc.pid)
    print(
        f"{RELEASE_FLOOD} idle: RSS {base_rss:.1f} -> {peak_rss:.1f} MB ({peak_threads} threads)"
        f" -> {after_rss:.1f} MB after release ({after_threads} threads)"
    )
    assert peak_rss - base_rss > 10  # the flood did cost memory (the check can fail)
    assert after_rss - base_rss < (peak_rss - base_rss) / 2


@pytest.mark.parametrize("side", ["tls", "plain"])
def test_a_reset_during_a_write_is_logged_as_a_reset(
    tmp_path: Path, pki: TestPKI, side: str
) -> None:
    """``tls``: the plain peer floods, the TLS client resets mid-stream, so the tunnel's
    SSL_write meets ECONNRESET/EPIPE. ``plain``: the TLS client sends, the plain peer
    resets after its first read, so the tunnel's write to it fails."""
    sink = _Sink("flood" if side == "tls" else "reset")
    ctx = ssl.create_default_context(cafile=str(pki.root_ca_path))
    ctx.check_hostname = False
    rounds = 10
    try:
        with tunnel_process(tmp_path, pki, sink.port) as (_proc, port, log_path):
            for _ in range(rounds):
                raw = socket.create_connection(("127.0.0.1", port), timeout=10)
                tls = ctx.wrap_socket(raw)
                with contextlib.suppress(OSError):
                    if side == "tls":
                        tls.recv(1024)
                    else:
                        for _ in range(200):
                            tls.sendall(b"y" * 16384)
                # (wrap_socket took over raw's descriptor) close with a reset
                tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                tls.close()
            deadline = time.monotonic() + 20
            while (
                log_path.read_text().count("Connection reset:")
                + log_path.read_text().count("Connection closed:")
                < rounds
            ):
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.05)
            text = log_path.read_text()
    finally:
        sink.close()
    assert "Internal error" not in text, text[-3000:]
    assert "SysCallError" not in text
    # stunnel's parse_socket_error wording (a reset at ERR, EPIPE as "Socket is closed");
    # which operation meets the reset first (the write, or the next read) is the
    # kernel's call, so any of them will do, but never the old "Connection error:"
    # or "Internal error:" lines
    stunnel_style = re.findall(
        r"LOG[36]\[\d+\]: (?:SSL_write|SSL_read|writesocket|readsocket): "
        r"(?:Connection reset by peer \(104\)|Socket is closed)",
        text,
    )
    print(f"{side}: {len(stunnel_style)} stunnel-style reset lines in {rounds} rounds")
    assert len(stunnel_style) >= rounds // 2, text[-3000:]
    assert "Connection error:" not in text
