"""The sniffer keeps what the kernel queued, and says what the kernel dropped.

On a loaded machine the sniffer's reading thread can wait its turn for longer than
the settle time. CI once kept the SYN of a connection and none of its data (the
scenario's checks were all inconclusive: "no data in either direction"): scapy's
AsyncSniffer, stopped while frames were still queued, dropped them. Here the
reading thread is starved on purpose after its first frame; every frame of the
exchange must still be in the pcap, whether the stop waits for the queue to empty
or gives up waiting and the thread drains it. When the kernel itself drops frames
(its receive buffer full), the sniffer must say so, and a verdict resting on that
capture must be inconclusive.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from harness.capture import CaptureResult, sniff_unavailable_reason
from harness.capture.sniff import LoopbackSniffer
from harness.checks.observation import Observation
from harness.runner.run import _capture_note
from tests.capture.wire import FIN, SYN, echo_server, significant

needs_sniff = pytest.mark.skipif(
    sniff_unavailable_reason() is not None, reason=f"{sniff_unavailable_reason()}"
)

EXCHANGE = [
    ("to-server", SYN, b""),
    ("from-server", SYN, b""),  # the SYN-ACK
    ("to-server", 0, b"hello"),
    ("from-server", 0, b"hello"),
    ("to-server", FIN, b""),
    ("from-server", FIN, b""),
]


class StarvedSniffer(LoopbackSniffer):
    """Its reading thread stalls for ``stall`` seconds after the first frame."""

    stall = 0.6

    def _read_one(self) -> None:
        first = not self._frames
        super()._read_one()
        if first and self._frames:
            time.sleep(self.stall)


class BlockedSniffer(LoopbackSniffer):
    """Its reading thread reads nothing until ``go`` is set."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.go = threading.Event()

    def _read_loop(self) -> None:
        self.go.wait(10)
        super()._read_loop()


def _hello(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(b"hello")
        assert c.recv(16) == b"hello"
        c.shutdown(socket.SHUT_WR)
        assert c.recv(1) == b""


@needs_sniff
@pytest.mark.parametrize(
    "stop_timeout",
    [
        pytest.param(5.0, id="stop-waits-for-the-queue"),
        pytest.param(0.0, id="stop-gives-up-the-thread-drains"),
    ],
)
def test_a_starved_reader_loses_nothing(tmp_path: Path, stop_timeout: float) -> None:
    with echo_server() as port:
        sniffer = StarvedSniffer(port, tmp_path / "s.pcap").start()
        try:
            _hello(port)
        finally:
            sniffer.stop(stop_timeout)
    assert significant(tmp_path / "s.pcap", port) == EXCHANGE
    assert sniffer.lost is None


class NoDrainSniffer(StarvedSniffer):
    """Starved, and its thread stops reading at once when told to stop (no drain)."""

    reader: threading.Thread | None = None

    def _read_loop(self) -> None:
        self.reader = threading.current_thread()
        super()._read_loop()

    def _queued(self) -> int:
        if self._stopping.is_set() and threading.current_thread() is self.reader:
            return 0  # the thread's final drain finds nothing to do
        return super()._queued()


@needs_sniff
def test_stop_waits_for_the_queue_to_empty(tmp_path: Path) -> None:
    # without the drain, only stop's wait for an empty queue keeps the frames
    with echo_server() as port:
        sniffer = NoDrainSniffer(port, tmp_path / "s.pcap").start()
        try:
            _hello(port)
        finally:
            sniffer.stop(5.0)
    assert significant(tmp_path / "s.pcap", port) == EXCHANGE


@needs_sniff
def test_an_unstarved_reader_sees_the_same(tmp_path: Path) -> None:
    # the reference the starved runs are held to: the exchange as it is on the wire
    with echo_server() as port:
        sniffer = LoopbackSniffer(port, tmp_path / "s.pcap").start()
        try:
            _hello(port)
        finally:
            sniffer.stop()
    assert significant(tmp_path / "s.pcap", port) == EXCHANGE


@needs_sniff
def test_frames_the_kernel_dropped_are_reported(tmp_path: Path) -> None:
    with echo_server() as port:
        # the smallest receive buffer the kernel grants, and nobody reading it
        sniffer = BlockedSniffer(port, tmp_path / "s.pcap", receive_buffer=1)
        sniffer.start()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for i in range(200):
                    msg = b"%04d" % i + b"x" * 96
                    c.sendall(msg)
                    got = b""
                    while len(got) < len(msg):
                        got += c.recv(4096)
        finally:
            sniffer.go.set()
            sniffer.stop()
    assert sniffer.lost is not None
    assert "the kernel dropped" in sniffer.lost and "receive buffer was full" in sniffer.lost


def _result(lost: str | None, method: str = "sniff", fallback: str | None = None) -> CaptureResult:
    return CaptureResult(Path("tls.pcap"), method, ("127.0.0.1", 1), None, fallback, (), lost)


def test_a_capture_that_lost_frames_cannot_be_judged() -> None:
    gap = "the kernel dropped 3 of 40 frame(s) (the capture socket's receive buffer was full)"
    assert Observation(capture_gap=gap).unusable() == f"capture incomplete: {gap}"
    # control: without a gap, the missing handshake is the reason
    assert Observation(handshake_missing="nothing").unusable() == "nothing"


def test_the_capture_note_says_how_and_what_was_lost() -> None:
    assert "live capture on the loopback interface" in _capture_note(_result(None)).text
    assert "NOT WHOLE" not in _capture_note(_result(None)).text
    lost = _capture_note(_result("the kernel dropped 2 of 9 frame(s)")).text
    assert "NOT WHOLE: the kernel dropped 2 of 9 frame(s)" in lost
    tap = _capture_note(_result(None, "tap", "live capture needs root or CAP_NET_RAW")).text
    assert tap.startswith("the tap relay") and "needs root" in tap
