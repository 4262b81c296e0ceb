"""One packet, one frame: the live sniffer on ``lo`` against the tap (issue 15, item 6).

One plain TCP connection goes through the tap to an echo server while the sniffer
captures the tap→server leg. Request and reply alternate (the client waits for each
echo), so every write is one segment on the wire and one record in the tap: the two
captures must then agree frame for frame on everything that is not a pure ACK
(direction, SYN/FIN/RST, payload). The sniffed pcap must also have one link type
and nothing tshark calls a retransmission or duplicate ACK. Control: the same
sniffed frames each written twice (what the sniffer used to produce) fail both.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from harness.capture import sniff_unavailable_reason
from harness.capture.pcapfile import LINKTYPE_ETHERNET, write_frames
from harness.capture.sniff import LoopbackSniffer
from harness.capture.tap import TapRelay
from tests.capture.wire import echo_server, frames, significant

TSHARK = shutil.which("tshark")
pytestmark = [
    pytest.mark.skipif(
        sniff_unavailable_reason() is not None, reason=f"{sniff_unavailable_reason()}"
    ),
    pytest.mark.skipif(TSHARK is None, reason="needs tshark"),
]

ROUNDS = 6


def tshark_findings(path: Path) -> tuple[set[str], list[str]]:
    """(link types tshark sees, frames it flags as retransmission/duplicate)."""
    assert TSHARK is not None
    encaps = subprocess.run(
        [TSHARK, "-r", str(path), "-T", "fields", "-e", "frame.encap_type"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()  # fmt: skip
    flagged = subprocess.run(
        [
            TSHARK, "-r", str(path), "-T", "fields", "-e", "frame.number", "-Y",
            "tcp.analysis.retransmission or tcp.analysis.duplicate_ack"
            " or tcp.analysis.spurious_retransmission or tcp.analysis.fast_retransmission",
        ],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()  # fmt: skip
    return set(encaps), flagged


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    d = tmp_path_factory.mktemp("onepacket")
    with echo_server() as port:
        sniffer = LoopbackSniffer(port, d / "sniff.pcap").start()
        try:
            with TapRelay(("127.0.0.1", port), d / "tap.pcap") as tap:
                with socket.create_connection(tap.address, timeout=10) as c:
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    for i in range(ROUNDS):
                        msg = f"8=FIX.4.4|35=D|11=ORD-{i}|".encode()
                        c.sendall(msg)
                        got = b""
                        while len(got) < len(msg):
                            got += c.recv(65536)
                        assert got == msg
                    c.shutdown(socket.SHUT_WR)
                    assert c.recv(1) == b""
                assert tap.wait_idle(10)
        finally:
            sniffer.stop()
    return d / "sniff.pcap", d / "tap.pcap", port


def test_sniffed_frames_match_the_taps_frame_for_frame(captured: tuple[Path, Path, int]) -> None:
    sniffed, tapped, port = captured
    s, t = significant(sniffed, port), significant(tapped, port)
    assert len(t) == 2 + 2 * ROUNDS + 2  # SYN, SYN-ACK, the messages, two FINs
    assert s == t


def test_sniffed_pcap_has_one_link_type_and_nothing_tshark_flags(
    captured: tuple[Path, Path, int],
) -> None:
    sniffed, _, _ = captured
    encaps, flagged = tshark_findings(sniffed)
    assert encaps == {"1"}  # Ethernet
    assert flagged == []
    _, recs = frames(sniffed)
    assert len({f for _, f in recs}) == len(recs)  # no frame twice


def test_control_every_frame_twice_fails_both_checks(
    captured: tuple[Path, Path, int], tmp_path: Path
) -> None:
    sniffed, tapped, port = captured
    _, recs = frames(sniffed)
    doubled = tmp_path / "doubled.pcap"
    write_frames(doubled, [r for r in recs for _ in (0, 1)], linktype=LINKTYPE_ETHERNET)
    assert significant(doubled, port) != significant(tapped, port)
    _, flagged = tshark_findings(doubled)
    assert len(flagged) >= len(recs) // 2
