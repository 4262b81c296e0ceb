"""Real OpenSSL command-line tools, each run with a timeout and always stopped."""

from __future__ import annotations

import re
import selectors
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


def openssl(*args: str | Path, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run ``openssl`` with a timeout, stdin closed, stdout+stderr merged."""
    return subprocess.run(
        ["openssl", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def s_server(args: Sequence[str | Path], *, timeout: float = 10) -> Iterator[int]:
    """Run ``openssl s_server`` on 127.0.0.1, yield its port, always kill it.

    The port is ephemeral: s_server prints ``ACCEPT 127.0.0.1:PORT`` once bound,
    which is also the readiness signal (no polling, no race).
    """
    proc = subprocess.Popen(
        ["openssl", "s_server", "-accept", "127.0.0.1:0", *map(str, args)],
        # s_server ends its connection when its stdin hits EOF: keep a pipe open.
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        seen = b""
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while not (m := re.search(rb"ACCEPT 127\.0\.0\.1:(\d+)", seen)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"s_server not ready: {seen.decode(errors='replace')}")
                if not sel.select(left):
                    continue
                chunk = proc.stdout.read1(4096)  # type: ignore[attr-defined]
                if not chunk:  # EOF: it exited before binding
                    raise AssertionError(f"s_server exited: {seen.decode(errors='replace')}")
                seen += chunk
        yield int(m.group(1))
    finally:
        proc.kill()
        proc.wait(timeout=10)
        for pipe in (proc.stdin, proc.stdout):
            if pipe:
                pipe.close()


def s_client(port: int, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """One handshake with ``openssl s_client`` (stdin closed: it hangs up at once)."""
    return openssl(
        "s_client", "-connect", f"127.0.0.1:{port}", "-verify_return_error", *args, timeout=20
    )


STUNNEL = "/usr/bin/stunnel"


@contextmanager
def stunnel(conf: str, path: Path, *, timeout: float = 15) -> Iterator[tuple[int, list[bytes]]]:
    """Run the real stunnel in the foreground; yield (accept port, log chunks).

    Readiness is the ``bound to 127.0.0.1:PORT`` log line; the process is killed
    (whole session) on every path. The log list keeps filling while it runs.
    """
    path.write_text(conf)
    proc = subprocess.Popen(
        [STUNNEL, str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    chunks: list[bytes] = []
    reader: threading.Thread | None = None
    try:
        assert proc.stderr is not None
        stderr = proc.stderr
        ready = threading.Event()

        def pump() -> None:
            while chunk := stderr.read1(4096):  # type: ignore[attr-defined]
                chunks.append(chunk)
                if re.search(rb"bound to 127\.0\.0\.1:\d+", b"".join(chunks)):
                    ready.set()
            ready.set()  # EOF: exited

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        ready.wait(timeout)
        m = re.search(rb"bound to 127\.0\.0\.1:(\d+)", b"".join(chunks))
        if not m:
            raise AssertionError(f"stunnel not ready: {b''.join(chunks).decode(errors='replace')}")
        yield int(m.group(1)), chunks
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if reader is not None:
            reader.join(10)
        if proc.stderr:
            proc.stderr.close()


@contextmanager
def echo_server(tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """A plain TCP echo server on 127.0.0.1 standing in for the FIX acceptor.

    With ``tls`` it is a TLS server (the far end of a client-side tunnel).
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            try:
                conn.settimeout(10)
                if tls is not None:
                    conn = tls.wrap_socket(conn, server_side=True)
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                pass
            finally:
                conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        t.join(10)
        listener.close()


def round_trip(port: int, payload: bytes = b"8=FIX.4.4\x0135=A\x01") -> bytes:
    """Send through a tunnel's accept port; what came back (b"" if it was cut)."""
    got = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            # a refusing tunnel may reset the connection before the send completes
            s.sendall(payload)
            while len(got) < len(payload) and (chunk := s.recv(4096)):
                got += chunk
    except (ConnectionResetError, BrokenPipeError, TimeoutError):
        pass
    return got


def wait_for_log(chunks: list[bytes], pattern: bytes, timeout: float = 10) -> bool:
    """Wait until the log collected so far matches ``pattern``, at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, b"".join(chunks)):
            return True
        time.sleep(0.02)
    return False
