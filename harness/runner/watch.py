"""Watching the tunnels while a scenario item runs: a dead tunnel is a named fault.

Theory of operation
-------------------
A tunnel that dies, or stops answering, in the middle of an item makes the FIX
conversation fail and the capture look like a refused handshake. Read as checks,
that is a non-compliance verdict against a counterparty that did nothing wrong.
So while an item runs, a :class:`TunnelWatch` thread asks every tunnel it watches
for its health (:meth:`harness.backends.base.Tunnel.health`: has the stunnel
process exited, and with which status or signal; is it stopped (SIGSTOP, state
``T``) and so not answering; has the container exited; has an in-process tunnel's
accepting thread died) every ``interval`` seconds. The first fault of each tunnel
is kept with the time it was seen and the last lines of the tunnel's log. A tunnel
that hangs while its process still runs cannot be told from a slow peer here; the
conversation reports it as a stalled session (``fix.script``: which message got no
answer, after how long).

Planned stops are not faults: the runner :meth:`TunnelWatch.close`\\ s the watch
before it stops the tunnels. A fault makes the item an error (exit 2), through
:class:`TunnelFaultError`, which carries what was observed so far so that the
checks (e.g. a stalled ``fix.script``) are still shown beside the error.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.backends.base import Tunnel

#: How many log lines a fault quotes.
LOG_TAIL = 5


@dataclass(frozen=True)
class TunnelFault:
    """One tunnel's fault.

    Attributes:
        tunnel: the tunnel's role in the item (``client`` or ``server``).
        backend: e.g. ``stunnel-local``.
        what: e.g. ``killed by signal SIGKILL``, ``exited with status 1``,
            ``stopped (process state T): not answering``.
        seen_at: wall-clock time the watch saw it (UTC).
        after_s: seconds since the watch started watching this tunnel.
        log_tail: the last lines of the tunnel's log.
    """

    tunnel: str
    backend: str
    what: str
    seen_at: datetime
    after_s: float
    log_tail: tuple[str, ...] = ()

    def describe(self) -> str:
        stamp = self.seen_at.strftime("%H:%M:%S.%f")[:-3]
        head = (
            f"{self.tunnel} tunnel ({self.backend}) {self.what}, seen at {stamp} UTC, "
            f"{self.after_s:.1f} s after it started"
        )
        if not self.log_tail:
            return head + "; its log is empty"
        return head + "; last log lines:\n" + "\n".join(f"    {line}" for line in self.log_tail)


class TunnelFaultError(HarnessError):
    """A tunnel failed during an item: the item is an error, not a verdict.

    ``observation`` is what the item observed before it ended (the runner still
    shows its checks beside the error), or None.
    """

    def __init__(self, faults: list[TunnelFault], observation: Any = None) -> None:
        self.faults = tuple(faults)
        self.observation = observation
        super().__init__("tunnel fault: " + "\n".join(f.describe() for f in faults))


class TunnelWatch:
    """Polls the health of the tunnels of one item on a background thread.

    A context manager; :meth:`close` stops the thread (bounded) and returns the faults.
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self._tunnels: dict[str, tuple[Tunnel, float, float]] = {}  # name → (t, start, next)
        self._faults: dict[str, TunnelFault] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tunnel-watch", daemon=True)
        self._thread.start()

    def watch(self, name: str, tunnel: Tunnel) -> None:
        now = time.monotonic()
        with self._lock:
            self._tunnels[name] = (tunnel, now, now)

    def faults(self) -> list[TunnelFault]:
        with self._lock:
            return list(self._faults.values())

    def check_now(self) -> list[TunnelFault]:
        """Poll every tunnel once, now (also after the thread stopped), and return
        the faults."""
        with self._lock:
            tunnels = {k: v for k, v in self._tunnels.items() if k not in self._faults}
        for name, (tunnel, started, _next) in tunnels.items():
            self._poll(name, tunnel, started)
        return self.faults()

    def close(self) -> list[TunnelFault]:
        """Stop watching (before planned stops) and return the faults seen."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(5)
        return self.check_now()

    def _poll(self, name: str, tunnel: Tunnel, started: float) -> None:
        try:
            what = tunnel.health()
        except Exception as exc:  # a health probe must never take the run down
            what = f"could not be asked for its health ({type(exc).__name__}: {exc})"
        if what is None:
            return
        lines = [line for line in tunnel.log_text().splitlines() if line.strip()]
        fault = TunnelFault(
            tunnel=name,
            backend=tunnel.backend,
            what=what,
            seen_at=datetime.now(UTC),
            after_s=time.monotonic() - started,
            log_tail=tuple(lines[-LOG_TAIL:]),
        )
        with self._lock:
            self._faults.setdefault(name, fault)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            now = time.monotonic()
            with self._lock:
                due = [
                    (name, t, started)
                    for name, (t, started, nxt) in self._tunnels.items()
                    if nxt <= now and name not in self._faults
                ]
                for name, t, started in due:
                    self._tunnels[name] = (t, started, now + t.health_interval)
            for name, tunnel, started in due:
                if self._stop.is_set():
                    return
                self._poll(name, tunnel, started)

    def __enter__(self) -> TunnelWatch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
