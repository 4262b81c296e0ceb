"""Logging in stunnel's line format, so one log parser serves every backend.

stunnel writes ``YYYY.MM.DD HH:MM:SS LOG<level>[<id>]: <text>``, where ``<id>`` is
``ui`` for the main thread, ``cron`` for housekeeping and a connection number for each
client connection; levels are syslog's (3 err, 4 warning, 5 notice, 6 info, 7 debug).
A line is written when its level is at most the configured ``debug`` level.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

EMERG, ALERT, CRIT, ERR, WARNING, NOTICE, INFO, DEBUG = range(8)


class StunnelLog:
    """A thread-safe sink for stunnel-format lines (to a file, stderr, or both)."""

    def __init__(
        self,
        *,
        level: int = NOTICE,
        stream: TextIO | None = None,
        path: str | None = None,
        defer: bool = False,
    ) -> None:
        self.level = level
        # start-up lines are held back until release(): a config that fails to load
        # then gives its one-line error and nothing else
        self._pending: list[str] | None = [] if defer else None
        self._streams: list[TextIO] = []
        self._owned: list[TextIO] = []
        self._lock = threading.Lock()
        if stream is not None:
            self._streams.append(stream)
        if path is not None:
            fh = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
            self._streams.append(fh)
            self._owned.append(fh)

    def enabled(self, level: int) -> bool:
        return level <= self.level

    def log(self, level: int, ident: str, text: str) -> None:
        if level > self.level:
            return
        stamp = time.strftime("%Y.%m.%d %H:%M:%S")
        line = f"{stamp} LOG{level}[{ident}]: {text}\n"
        with self._lock:
            if self._pending is not None:
                self._pending.append(line)
                return
            self._write(line)

    def _write(self, line: str) -> None:
        for stream in self._streams:
            try:
                stream.write(line)
                stream.flush()
            except (OSError, ValueError):
                pass  # a closed stderr must not kill a connection thread

    def release(self) -> None:
        """Write the held-back start-up lines and log directly from now on."""
        with self._lock:
            pending, self._pending = self._pending or [], None
            for line in pending:
                self._write(line)

    def close(self) -> None:
        with self._lock:
            for fh in self._owned:
                fh.close()
            self._streams = [s for s in self._streams if s not in self._owned]
            self._owned.clear()


class ConnLog:
    """The log as seen by one connection (fixed ``[id]``)."""

    __slots__ = ("ident", "sink")

    def __init__(self, sink: StunnelLog, ident: str) -> None:
        self.sink = sink
        self.ident = ident

    def __call__(self, level: int, text: str) -> None:
        self.sink.log(level, self.ident, text)

    def enabled(self, level: int) -> bool:
        return self.sink.enabled(level)


def stderr_log(level: int) -> StunnelLog:
    return StunnelLog(level=level, stream=sys.stderr)
