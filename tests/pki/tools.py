"""Real OpenSSL command-line tools, each run with a timeout and always stopped."""

from __future__ import annotations

import re
import selectors
import subprocess
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
