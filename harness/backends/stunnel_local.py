"""Backend ``stunnel-local``: the host's stunnel binary (Debian's stunnel4).

The config is written next to its log; stunnel runs in the foreground with its log
on stderr (captured to the log file); readiness is the ``bound to`` line of every
service, with a timeout; a stunnel that exits early fails at once with its own error
text. Processes are tracked and killed on every path, including interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from harness import signals
from harness.backends.base import (
    Availability,
    Tunnel,
    TunnelBackend,
    TunnelStartError,
    describe_exit,
    stopped_state,
    write_private,
)
from harness.stunnelconf import StunnelConfig
from harness.stunnelconf.logfacts import parse_log

_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()


def _kill_all() -> None:
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        _terminate(proc)


atexit.register(_kill_all)
signals.register_aborter(_kill_all)


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
            # a stopped stunnel (SIGSTOP) acts on SIGTERM only once continued
            proc.send_signal(signal.SIGCONT)
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(3)
    with _LIVE_LOCK:
        _LIVE.discard(proc)


def stunnel_binary() -> str | None:
    for name in ("stunnel", "stunnel4"):
        path = shutil.which(name) or (
            f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None
        )
        if path:
            return path
    return None


_VERSION_RE = re.compile(r"stunnel (\d+\.\d+)")
_OPENSSL_RE = re.compile(r"Running\s+with OpenSSL (\S+)")


def wait_for_bound(
    read_log: Callable[[], str],
    services: list[str],
    exited: Callable[[], bool],
    timeout: float,
) -> dict[str, list[tuple[str, int]]]:
    """Poll a log until each service has a ``bound to`` line (or the process died)."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        text = read_log()
        facts = parse_log(text)
        if all(s in facts.bound for s in services):
            return facts.bound_addresses()
        if facts.configuration_failed or exited():
            errors = [e for e in facts.startup_errors if "Configuration failed" not in e]
            detail = errors[-1] if errors else "stunnel exited"
            raise TunnelStartError(f"stunnel refused to start: {detail}", text)
        if time.monotonic() > deadline:
            raise TunnelStartError(
                f"stunnel did not report 'bound to' for {services} within {timeout:.0f}s", text
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


class LocalStunnel(Tunnel):
    backend = "stunnel-local"

    def __init__(
        self, proc: subprocess.Popen[bytes], log_path: Path, bound: dict[str, list[tuple[str, int]]]
    ) -> None:
        self._proc = proc
        self.log_path = log_path
        self._bound = bound

    @property
    def bound(self) -> dict[str, list[tuple[str, int]]]:
        return self._bound

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    def health(self) -> str | None:
        code = self._proc.poll()
        if code is not None:
            return describe_exit(code)
        return stopped_state(self._proc.pid)

    def stop(self) -> None:
        _terminate(self._proc)


class LocalStunnelBackend(TunnelBackend):
    name = "stunnel-local"

    def __init__(self, binary: str | None = None) -> None:
        self._binary = binary or stunnel_binary()
        self._availability: Availability | None = None

    def check(self) -> Availability:
        if self._availability is not None:
            return self._availability
        if not self._binary:
            self._availability = Availability(
                False, "no stunnel binary on PATH (install it: apt-get install stunnel4)"
            )
            return self._availability
        try:
            out = subprocess.run(
                [self._binary, "-version"], capture_output=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            self._availability = Availability(False, f"{self._binary} -version failed: {exc}")
            return self._availability
        text = (out.stdout + out.stderr).decode(errors="replace")
        m, o = _VERSION_RE.search(text), _OPENSSL_RE.search(text)
        version = f"stunnel {m.group(1) if m else '?'} (OpenSSL {o.group(1) if o else '?'})"
        self._availability = Availability(True, version=version)
        return self._availability

    def start(
        self,
        config: StunnelConfig,
        workdir: Path,
        *,
        label: str,
        keylog: Path | None = None,
        timeout: float = 15.0,
    ) -> Tunnel:
        avail = self.check()
        if not avail.ok or not self._binary:
            from harness.backends.base import BackendUnavailable

            raise BackendUnavailable(avail.reason)
        conf = write_private(workdir / f"{label}.conf", config.render())
        log_path = workdir / f"{label}.log"
        log_fh = open(log_path, "wb")  # noqa: SIM115 - owned by the process
        try:
            proc = subprocess.Popen(
                [self._binary, str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log_fh.close()
        with _LIVE_LOCK:
            _LIVE.add(proc)
        services = [s.name for s in config.services if s.name and s.get("accept") is not None]
        try:
            bound = wait_for_bound(
                lambda: log_path.read_text(errors="replace"),
                services,
                lambda: proc.poll() is not None,
                timeout,
            )
        except BaseException:
            _terminate(proc)
            raise
        return LocalStunnel(proc, log_path, bound)
