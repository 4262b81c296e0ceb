"""Capture of the TLS leg: a pcap file on disk plus, on demand, its Handshakes.

Theory of operation. The wire is the source of truth, so every scenario records
the TLS leg between the client tunnel and the server tunnel. Two methods give the
same output (a standard pcap, dissected by :mod:`harness.dissect`):

* **sniff** (:mod:`harness.capture.sniff`): scapy live capture on ``lo`` filtered to
  the server's port. Needs root or CAP_NET_RAW; sees the real segments. Chosen by
  ``method="auto"`` when available.
* **tap** (:mod:`harness.capture.tap`): a recording TCP relay the client tunnel
  connects to instead of the server. Needs nothing; forwards half-closes and
  resets; writes synthesised TCP into the pcap. The fallback, and can be forced.

A key log path (``<name>.keylog`` beside the pcap, created mode 0600, removed again
if nobody wrote to it) is offered to endpoints the harness owns, so TLS 1.3
handshakes can be decrypted by the dissector and by Wireshark (Edit → Preferences → TLS → (Pre)-Master-Secret log filename).

Usage::

    with open_capture("auto", server=("127.0.0.1", 7777), workdir=tmp, name="1a") as cap:
        start_client_tunnel(connect=cap.client_target, keylog=cap.keylog_path)
        ...
    result = cap.result          # CaptureResult(pcap_path, method, ...)
    handshakes = result.handshakes()
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.capture.sniff import LoopbackSniffer, sniff_unavailable_reason
from harness.capture.tap import TapRelay
from harness.dissect import Handshake, dissect_pcap
from harness.errors import HarnessError

__all__ = [
    "CaptureMethod",
    "CaptureResult",
    "CaptureSession",
    "LoopbackSniffer",
    "TapRelay",
    "open_capture",
    "sniff_unavailable_reason",
]

CaptureMethod = Literal["auto", "tap", "sniff"]


@dataclass(frozen=True)
class CaptureResult:
    """What a finished capture left on disk.

    Attributes:
        pcap_path: the capture (classic pcap, Ethernet link type).
        method: ``tap`` or ``sniff``: the method actually used.
        server: the TLS server's address (the connections' server side).
        keylog_path: the key log beside the pcap, if an endpoint wrote one.
        fallback_reason: why ``auto`` did not sniff (None when it did, or when
            the method was forced).
        errors: relay errors seen by the tap (e.g. upstream refused).
        lost: None when the capture kept every frame, else what it lost (the
            sniffer's kernel drops): then the capture is not whole and no verdict
            may rest on it.
    """

    pcap_path: Path
    method: str
    server: tuple[str, int]
    keylog_path: Path | None = None
    fallback_reason: str | None = None
    errors: tuple[str, ...] = ()
    lost: str | None = None

    def handshakes(self) -> list[Handshake]:
        """Dissect the capture: one Handshake per TCP connection to the server."""
        return dissect_pcap(self.pcap_path, server_port=self.server[1], keylog=self.keylog_path)


class CaptureSession:
    """A running capture; a context manager that always stops its threads.

    ``client_target`` is where the client tunnel must connect: the tap's listening
    address, or the server itself when sniffing.
    """

    def __init__(
        self,
        method: CaptureMethod,
        server: tuple[str, int],
        workdir: Path,
        name: str,
        keylog_path: Path | None = None,
    ) -> None:
        if method not in ("auto", "tap", "sniff"):
            raise HarnessError(f"unknown capture method {method!r} (auto, tap or sniff)")
        self.server = server
        self.pcap_path = workdir / f"{name}.pcap"
        # the scenario runner keeps it in its private work directory, never beside
        # a pcap in a report (a key log beside a pcap discloses the traffic)
        self.keylog_path = keylog_path or workdir / f"{name}.keylog"
        self.fallback_reason: str | None = None
        self.result: CaptureResult | None = None
        self._tap: TapRelay | None = None
        self._sniffer: LoopbackSniffer | None = None
        reason = sniff_unavailable_reason() if method in ("auto", "sniff") else None
        if method == "sniff" and reason is not None:
            raise HarnessError(f"capture method 'sniff' unavailable: {reason}")
        self._auto = method == "auto"
        self.method: str = "sniff" if method in ("auto", "sniff") and reason is None else "tap"
        if method == "auto" and reason is not None:
            self.fallback_reason = reason

    @property
    def client_target(self) -> tuple[str, int]:
        if self._tap is not None:
            return self._tap.address
        return self.server

    def start(self) -> CaptureSession:
        self.pcap_path.parent.mkdir(parents=True, exist_ok=True)
        # The key log holds traffic secrets: create it owner-only before any endpoint
        # appends to it (OpenSSL and Python's ssl both open it for appending). First,
        # so that a failure here leaves no relay or sniffer thread behind.
        fd = os.open(self.keylog_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        os.chmod(self.keylog_path, 0o600)
        try:
            self._start_recorder()
        except BaseException:
            self._keylog_written()  # removes the still-empty key log
            raise
        return self

    def _start_recorder(self) -> None:
        if self.method == "sniff":
            try:
                self._sniffer = LoopbackSniffer(self.server[1], self.pcap_path).start()
            except HarnessError as exc:
                if not self._auto:
                    raise
                # auto: a sniffer that cannot start (no tcpdump to compile the BPF
                # filter, a locked-down container) is a reason to tap, not to fail.
                self.method, self.fallback_reason = "tap", str(exc)
        if self.method == "tap":
            self._tap = TapRelay(self.server, self.pcap_path).start()

    def finish(self, timeout: float = 5.0) -> CaptureResult:
        """Let open connections end (up to ``timeout``), stop, and return the result."""
        if self.result is not None:
            return self.result
        errors: tuple[str, ...] = ()
        lost: str | None = None
        try:
            if self._tap is not None:
                self._tap.wait_idle(timeout)
                errors = tuple(self._tap.errors)
            elif self._sniffer is not None:
                self._sniffer.stop(timeout)
                lost = self._sniffer.lost
        finally:
            self._stop()
        keylog = self._keylog_written()
        self.result = CaptureResult(
            self.pcap_path, self.method, self.server, keylog, self.fallback_reason, errors, lost
        )
        return self.result

    def _keylog_written(self) -> Path | None:
        with contextlib.suppress(OSError):
            if self.keylog_path.stat().st_size == 0:
                self.keylog_path.unlink()  # no endpoint wrote secrets: leave no empty file
        return self.keylog_path if self.keylog_path.exists() else None

    def _stop(self) -> None:
        if self._tap is not None:
            self._tap.stop()
        if self._sniffer is not None:
            with contextlib.suppress(Exception):
                self._sniffer.close()

    def __enter__(self) -> CaptureSession:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.finish()
        else:
            self._stop()
            self._keylog_written()


def open_capture(
    method: CaptureMethod,
    server: tuple[str, int],
    workdir: Path,
    name: str,
    *,
    keylog_path: Path | None = None,
) -> CaptureSession:
    """Start capturing the TLS leg to ``server``; see :class:`CaptureSession`.

    Args:
        method: ``auto`` (sniff when possible, else tap), ``tap`` or ``sniff``.
        server: the server tunnel's address (loopback).
        workdir: directory for ``<name>.pcap`` and ``<name>.keylog``.
        name: base name of the files.
        keylog_path: where the key log goes (default ``<workdir>/<name>.keylog``).

    Raises:
        HarnessError: ``sniff`` forced but unavailable, or the capture cannot start.
    """
    return CaptureSession(method, server, workdir, name, keylog_path).start()
