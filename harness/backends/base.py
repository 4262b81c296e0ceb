"""The tunnel backend interface: one way to run a stunnel.conf, whatever runs it.

A backend takes a stunnel.conf (already rewritten for loopback by the runner), starts
a tunnel, reports the addresses its services are bound to (from the ``bound to``
log line, so ``accept = 127.0.0.1:0`` works), exposes its log, and stops it on every
path. A backend that cannot run here says why through :meth:`TunnelBackend.check`;
whether that is a skip or a failure is the caller's decision (a failure in CI).
"""

from __future__ import annotations

import abc
import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

from harness import signals
from harness.errors import HarnessError
from harness.stunnelconf import StunnelConfig
from harness.stunnelconf.logfacts import LogFacts, parse_log


class BackendUnavailable(HarnessError):
    """The backend cannot run on this machine (missing binary, no Docker engine, ...)."""


class TunnelStartError(HarnessError):
    """The tunnel refused to start; carries its log (e.g. stunnel's own error text)."""

    def __init__(self, message: str, log: str = "") -> None:
        self.log = log
        super().__init__(message)


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""
    version: str = ""  # e.g. "stunnel 5.68 (OpenSSL 3.0.19)"


class Tunnel(abc.ABC):
    """A running tunnel. A context manager; :meth:`stop` is idempotent."""

    backend: str
    log_path: Path
    #: Seconds between two :meth:`health` probes (a Docker round trip costs more
    #: than reading /proc).
    health_interval: float = 0.1

    def health(self) -> str | None:
        """None while the tunnel runs and can answer; else what happened to it
        (``killed by signal SIGKILL``, ``stopped (...)``). Read by the runner's
        tunnel watch (:mod:`harness.runner.watch`) during an item; never raises."""
        return None

    @property
    def pid(self) -> int | None:
        """The process holding the tunnel's sockets (for live socket checks)."""
        return None

    @property
    @abc.abstractmethod
    def bound(self) -> dict[str, list[tuple[str, int]]]:
        """Service name → addresses it listens on."""

    def address(self, service: str | None = None) -> tuple[str, int]:
        """The first bound address of ``service`` (or of the only service)."""
        bound = self.bound
        if service is None:
            if len(bound) != 1:
                raise HarnessError(f"tunnel has {len(bound)} services; name one")
            service = next(iter(bound))
        addrs = bound.get(service)
        if not addrs:
            raise HarnessError(f"service [{service}] is not bound")
        return addrs[0]

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def facts(self) -> LogFacts:
        return parse_log(self.log_text())

    def wait_connections_closed(self, timeout: float) -> bool:
        """Wait until every connection in the log has its ``Connection closed/reset``
        line: stunnel writes a connection's verdict lines as it ends, so a log read
        before that can miss them. Returns False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            conns = [c for c in self.facts().connections.values() if c.service is not None]
            if conns and all(c.closed for c in conns):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    @abc.abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Tunnel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class TunnelBackend(abc.ABC):
    """Starts tunnels of one kind (python, stunnel-local, stunnel-docker/SUITE)."""

    name: str

    @abc.abstractmethod
    def check(self) -> Availability:
        """Can this backend run here? Never raises."""

    @abc.abstractmethod
    def start(
        self,
        config: StunnelConfig,
        workdir: Path,
        *,
        label: str,
        keylog: Path | None = None,
        timeout: float = 15.0,
    ) -> Tunnel:
        """Start a tunnel for ``config``; its files go under ``workdir`` named after
        ``label``. Raises TunnelStartError (with the log) when it does not come up."""


def describe_exit(returncode: int) -> str:
    """A process's end in words: ``exited with status 1``, ``killed by signal SIGKILL``
    (``subprocess`` reports a signal as a negative return code; a container's shell
    convention is 128 + signal)."""
    if returncode < 0:
        try:
            return f"killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    if returncode > 128:
        with_signal = ""
        with contextlib.suppress(ValueError):
            with_signal = f" ({signal.Signals(returncode - 128).name})"
        return f"exited with status {returncode}{with_signal}"
    return f"exited with status {returncode}"


def process_state(pid: int) -> str | None:
    """The process's state letter from ``/proc/PID/stat`` (``R``, ``S``, ``T`` stopped,
    ``Z`` zombie...), None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    # the command name is in parentheses and may contain spaces: the state follows it
    rest = stat.rpartition(")")[2].split()
    return rest[0] if rest else None


def stopped_state(pid: int | None) -> str | None:
    """A fault description when ``pid`` is stopped or gone, else None."""
    if pid is None:
        return None
    state = process_state(pid)
    if state is None:
        return f"process {pid} is gone"
    if state in ("T", "t"):
        return f"stopped (process {pid} in state {state}, e.g. SIGSTOP): not answering"
    if state in ("Z", "X"):
        return f"exited (process {pid} is a zombie)"
    return None


def write_private(path: Path, text: str) -> Path:
    """Write a file readable by its owner only (configs may name key files)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT: tighten it
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


class Stoppable(Protocol):
    """Anything started that can be stopped (idempotently)."""

    def stop(self) -> object: ...


class Registry:
    """What a backend started and has not stopped yet, so that every path stops it.

    An item is added the moment it exists and discarded when stopped. The owner
    hooks :meth:`stop_all` to the paths that must stop everything (the stop signals
    through :func:`harness.signals.register_aborter`, interpreter exit); an item
    whose stop fails does not keep the others running.
    """

    def __init__(self) -> None:
        self._live: dict[int, Stoppable] = {}
        self._lock = threading.Lock()

    def add(self, item: Stoppable) -> None:
        """Register ``item``; after a stop signal, stop it at once instead.

        A start that was under way on a worker thread when the first stop signal
        arrived finishes after the aborters ran (:func:`harness.signals.abort_everything`
        stops only what is registered): registering first and then reading
        :data:`harness.signals.STOPPING` leaves no gap, since the flag is set before
        the aborters take their snapshot. The start then ends in
        :class:`harness.signals.Interrupted`.
        """
        with self._lock:
            self._live[id(item)] = item
        if signals.STOPPING.is_set():
            with contextlib.suppress(Exception):
                item.stop()
            self.discard(item)
            signals.check_stopping()
            raise HarnessError("stopped as it started: the run is stopping")

    def discard(self, item: Stoppable) -> None:
        with self._lock:
            self._live.pop(id(item), None)

    def live(self) -> list[Stoppable]:
        with self._lock:
            return list(self._live.values())

    def stop_all(self) -> None:
        """Stop every registered item (safe from ``atexit`` and a signal's thread)."""
        for item in self.live():
            with contextlib.suppress(Exception):
                item.stop()
            self.discard(item)
