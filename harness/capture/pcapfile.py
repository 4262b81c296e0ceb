"""Writing a standard pcap of synthesised Ethernet/IPv4/TCP frames.

The tap relay sees only socket payloads; to hand Wireshark (and the dissector) an
ordinary capture it re-creates the TCP conversation around them: a three-way
handshake when the relay connects upstream, one PSH/ACK segment per received
chunk (split to stay under the 64 KiB IP limit) with consistent sequence and
acknowledgement numbers, FIN for a half-close and RST for a reset, all with
correct IPv4 and TCP checksums.
"""

from __future__ import annotations

import functools
import ipaddress
import struct
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

LINKTYPE_ETHERNET = 1
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
MAX_SEGMENT = 32768


@functools.lru_cache(maxsize=256)
def _packed(address: str) -> bytes:
    """An IPv4 address as 4 bytes (parsed once per address, not once per segment)."""
    return ipaddress.IPv4Address(address).packed


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def write_frames(path: Path, frames: Iterable[tuple[float, bytes]], *, linktype: int) -> int:
    """Write captured frames as a classic pcap with one link type; returns the count.

    For the sniffer: scapy's ``wrpcap`` guesses a link type per packet and, for raw
    frames, mixes them ("Inconsistent linktypes detected"); here every record is the
    frame as the kernel handed it over, under the one link type of the interface.
    """
    n = 0
    with path.open("wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for t, frame in frames:
            sec = int(t)
            usec = min(round((t - sec) * 1e6), 999999)
            fh.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
            n += 1
    return n


def read_frames(path: Path) -> tuple[int, list[tuple[float, bytes]]] | None:
    """The link type and ``(time, frame)`` records of a well-formed classic pcap with
    microsecond times (what :func:`write_frames` and :class:`PcapWriter` write), or
    None for anything else (pcapng, nanosecond times, a truncated record), which the
    caller leaves to scapy. Reading our own captures needs no scapy, whose import
    costs more than a ``certify server`` run's probes."""
    data = path.read_bytes()
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        endian = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        endian = ">"
    else:
        return None
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    record = struct.Struct(endian + "IIII")
    frames: list[tuple[float, bytes]] = []
    at = 24
    while at < len(data):
        if len(data) - at < record.size:
            return None
        sec, usec, caplen, _ = record.unpack_from(data, at)
        at += record.size
        if len(data) - at < caplen:
            return None
        frames.append((sec + usec / 1e6, data[at : at + caplen]))
        at += caplen
    return linktype, frames


class PcapWriter:
    """A pcap file opened for appending frames from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO = path.open("wb")
        self._lock = threading.Lock()
        self._ip_id = 0
        # magic, v2.4, thiszone, sigfigs, snaplen, linktype
        self._fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LINKTYPE_ETHERNET))
        self._fh.flush()

    def tcp(
        self,
        t: float,
        src: tuple[str, int],
        dst: tuple[str, int],
        seq: int,
        ack: int,
        flags: int,
        payload: bytes = b"",
    ) -> None:
        """Append one TCP segment from ``src`` to ``dst`` (IPv4 addresses)."""
        s_ip = _packed(src[0])
        d_ip = _packed(dst[0])
        tcp_hdr = struct.pack(
            "!HHIIBBHHH",
            src[1],
            dst[1],
            seq & 0xFFFFFFFF,
            ack & 0xFFFFFFFF,
            5 << 4,
            flags,
            65535,
            0,
            0,
        )
        pseudo = s_ip + d_ip + struct.pack("!BBH", 0, 6, len(tcp_hdr) + len(payload))
        csum = _checksum(pseudo + tcp_hdr + payload)
        tcp_hdr = tcp_hdr[:16] + struct.pack("!H", csum) + tcp_hdr[18:]
        with self._lock:
            self._ip_id = (self._ip_id + 1) & 0xFFFF
            total = 20 + len(tcp_hdr) + len(payload)
            ip_hdr = struct.pack(
                "!BBHHHBBH4s4s", 0x45, 0, total, self._ip_id, 0x4000, 64, 6, 0, s_ip, d_ip
            )
            ip_hdr = ip_hdr[:10] + struct.pack("!H", _checksum(ip_hdr)) + ip_hdr[12:]
            frame = b"\x00" * 12 + b"\x08\x00" + ip_hdr + tcp_hdr + payload
            sec = int(t)
            usec = min(round((t - sec) * 1e6), 999999)
            self._fh.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.close()


class TcpConversation:
    """Sequence-number bookkeeping for one synthesised TCP connection."""

    def __init__(self, writer: PcapWriter, client: tuple[str, int], server: tuple[str, int]):
        self.w = writer
        self.ends = {"client": client, "server": server}
        self.seq = {"client": 1_000_000, "server": 2_000_000}
        self._lock = threading.Lock()

    def _other(self, side: str) -> str:
        return "server" if side == "client" else "client"

    def open(self, t: float) -> None:
        c, s = self.ends["client"], self.ends["server"]
        with self._lock:
            self.w.tcp(t, c, s, self.seq["client"], 0, SYN)
            self.seq["client"] += 1
            self.w.tcp(t, s, c, self.seq["server"], self.seq["client"], SYN | ACK)
            self.seq["server"] += 1
            self.w.tcp(t, c, s, self.seq["client"], self.seq["server"], ACK)

    def refused(self, t: float) -> None:
        """Upstream refused the connection: SYN answered by RST."""
        c, s = self.ends["client"], self.ends["server"]
        with self._lock:
            self.w.tcp(t, c, s, self.seq["client"], 0, SYN)
            self.w.tcp(t, s, c, 0, self.seq["client"] + 1, RST | ACK)

    def data(self, side: str, t: float, payload: bytes) -> None:
        other = self._other(side)
        with self._lock:
            for i in range(0, len(payload), MAX_SEGMENT):
                part = payload[i : i + MAX_SEGMENT]
                self.w.tcp(
                    t, self.ends[side], self.ends[other], self.seq[side], self.seq[other],
                    PSH | ACK, part,
                )  # fmt: skip
                self.seq[side] += len(part)

    def fin(self, side: str, t: float) -> None:
        other = self._other(side)
        with self._lock:
            self.w.tcp(
                t, self.ends[side], self.ends[other], self.seq[side], self.seq[other], FIN | ACK
            )
            self.seq[side] += 1

    def rst(self, side: str, t: float) -> None:
        other = self._other(side)
        with self._lock:
            self.w.tcp(
                t, self.ends[side], self.ends[other], self.seq[side], self.seq[other], RST | ACK
            )
