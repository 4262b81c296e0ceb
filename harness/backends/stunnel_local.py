"""Backend ``stunnel-local``: the host's stunnel binary (Debian's stunnel4).

The config is prepared and watched by the shared stunnel manager
(:mod:`harness.backends.stunnel_process`: loopback check, the runner's process
globals, readiness from ``bound to`` and the port, one start error, one clean-up
registry) and written next to its log; stunnel runs in the foreground in its own
session with its log on stderr, captured to the log file.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

from harness import signals
from harness.backends.base import (
    Availability,
    BackendUnavailable,
    Tunnel,
    TunnelBackend,
    describe_exit,
    stopped_state,
    write_private,
)
from harness.backends.stunnel_process import (
    REGISTRY,
    Observation,
    StunnelRun,
    prepare,
    wait_ready,
)
from harness.stunnelconf import StunnelConfig


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


class HostStunnel(StunnelRun):
    """A stunnel process on this host (``command``: the binary and its config; or
    anything that runs like it, e.g. ``python -m harness tunnel -c CONF``), in its
    own session, its stdout and stderr in ``log_path``; registered until stopped."""

    def __init__(
        self, name: str, command: list[str], log_path: Path, *, cwd: Path | None = None
    ) -> None:
        self.name = name
        self.log_path = log_path
        log_fh = open(log_path, "wb")  # noqa: SIM115 (closed below on every path)
        try:
            # the start and the registration in one try, and one section a stop signal
            # does not cut (signals.deferred: raised inside Popen, after the fork, it
            # would orphan the process); a signal during it, or a start that finished
            # after it (Registry.add), stops the process below
            with signals.deferred():
                self.proc = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log_fh,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    cwd=cwd,
                )
                REGISTRY.add(self)
        except BaseException:
            if getattr(self, "proc", None) is not None:
                self.stop()
            raise
        finally:
            log_fh.close()

    def observe(self) -> Observation:
        code = self.proc.poll()
        try:
            log = self.log_path.read_text(errors="replace")
        except OSError:
            log = ""
        return Observation(log, ended=code is not None, exit_code=code)

    def wait_exit(self, timeout: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout)

    def stop(self) -> None:
        """SIGTERM (and SIGCONT: a stopped stunnel acts on SIGTERM only once
        continued), SIGKILL after 3 s; idempotent."""
        proc = self.proc
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
                proc.send_signal(signal.SIGCONT)
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(3)
        REGISTRY.discard(self)


class LocalStunnel(Tunnel):
    backend = "stunnel-local"

    def __init__(self, run: HostStunnel, bound: dict[str, list[tuple[str, int]]]) -> None:
        self._run = run
        self.log_path = run.log_path
        self._bound = bound

    @property
    def bound(self) -> dict[str, list[tuple[str, int]]]:
        return self._bound

    @property
    def pid(self) -> int | None:
        return self._run.proc.pid

    def health(self) -> str | None:
        code = self._run.proc.poll()
        if code is not None:
            return describe_exit(code)
        return stopped_state(self._run.proc.pid)

    def stop(self) -> None:
        self._run.stop()


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
            raise BackendUnavailable(avail.reason)
        prepared = prepare(config)
        conf = write_private(workdir / f"{label}.conf", prepared.text)
        run = HostStunnel(label, [self._binary, str(conf)], workdir / f"{label}.log")
        try:
            bound = wait_ready(run, prepared.services, timeout)
        except BaseException:
            run.stop()
            raise
        return LocalStunnel(run, bound)
