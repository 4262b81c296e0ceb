"""Reading our own classic pcaps without scapy (harness.capture.pcapfile.read_frames)
gives what scapy's reader gives; anything else is left to scapy."""

from __future__ import annotations

import struct
from pathlib import Path

from scapy.utils import RawPcapReader

from harness.capture.pcapfile import PcapWriter, TcpConversation, read_frames, write_frames


def _scapy(path: Path) -> tuple[int, list[tuple[float, bytes]]]:
    reader = RawPcapReader(str(path))
    try:
        linktype = int(reader.linktype)
        frames = [(m.sec + m.usec / 1e6, bytes(f)) for f, m in reader]  # type: ignore[attr-defined]
    finally:
        reader.close()
    return linktype, frames


def _tap_like(path: Path) -> None:
    writer = PcapWriter(path)
    conv = TcpConversation(writer, ("127.0.0.1", 40000), ("127.0.0.1", 40001))
    conv.open(1000.25)
    conv.data("client", 1000.5, b"\x16\x03\x01" + b"x" * 300)
    conv.data("server", 1000.75, b"\x16\x03\x03" + b"y" * 70000)  # split into segments
    conv.fin("client", 1001.0)
    writer.close()


def test_our_pcaps_read_as_scapy_reads_them(tmp_path: Path) -> None:
    tap = tmp_path / "tap.pcap"
    _tap_like(tap)
    sniffed = tmp_path / "sniff.pcap"
    write_frames(sniffed, [(1.000001, b"\x00" * 60), (2.5, b"\x01" * 1514)], linktype=1)
    big_endian = tmp_path / "be.pcap"
    big_endian.write_bytes(
        struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 113)
        + struct.pack(">IIII", 7, 250000, 3, 3)
        + b"abc"
    )
    for path in (tap, sniffed, big_endian):
        ours = read_frames(path)
        assert ours is not None
        assert ours == _scapy(path)
    assert len(read_frames(tap)[1]) >= 6  # type: ignore[index]


def test_what_it_cannot_read_is_left_to_scapy(tmp_path: Path) -> None:
    """Negative controls: a truncated record, pcapng and nanosecond pcaps give None
    (the evidence pack then asks scapy), and the comparison above sees a change."""
    tap = tmp_path / "tap.pcap"
    _tap_like(tap)
    data = tap.read_bytes()
    for name, content in {
        "cut-data.pcap": data[:-5],
        "cut-header.pcap": data + b"\x00" * 7,
        "ng.pcapng": b"\x0a\x0d\x0d\x0a" + data[4:],
        "nano.pcap": struct.pack("<I", 0xA1B23C4D) + data[4:],
        "short.pcap": data[:20],
    }.items():
        path = tmp_path / name
        path.write_bytes(content)
        assert read_frames(path) is None, name
    changed = tmp_path / "changed.pcap"
    changed.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert read_frames(changed) != _scapy(tap)
