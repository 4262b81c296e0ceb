"""Capture files → per-connection TCP byte streams (pure; reads only the given file).

Reads classic pcap (micro- and nanosecond) itself and pcapng through scapy's raw
reader; understands Ethernet, Linux cooked (SLL, SLL2), BSD loopback and raw IP
link types, IPv4 and IPv6. Reassembly is per direction by TCP sequence number, so
retransmissions, duplicates (a loopback packet seen twice) and out-of-order
segments do not corrupt the stream; a hole ends the stream and is reported.

A capture is input from outside: every length in it is checked against the file's
size and against :data:`MAX_RECORD_LENGTH` before anything is read, so a record
that claims 4 GiB is a :class:`~harness.errors.HarnessError` naming the record and
its byte offset, never a 4 GiB allocation or a silent end of the capture. A pcapng
file's block structure is walked and checked the same way before scapy reads it,
and anything scapy still raises becomes a HarnessError. A last record cut short
(a capture stopped mid-write) ends the capture quietly, as tcpdump and tshark do.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10

#: The longest packet record taken: libpcap's MAXIMUM_SNAPLEN (256 KiB), which no
#: capture tool writes past; tshark refuses longer records too.
MAX_RECORD_LENGTH = 262144

#: The longest pcapng block taken (a packet record plus its headers and options, or
#: a section/interface/statistics block, which are far smaller).
MAX_BLOCK_LENGTH = MAX_RECORD_LENGTH + 65536

_PCAPNG_SHB = 0x0A0D0D0A


@dataclass
class _Dir:
    isn: int | None = None  # sequence number of the first payload byte
    segments: list[tuple[int, float, bytes]] = field(default_factory=list)
    fin: bool = False
    rst: bool = False


@dataclass
class TcpConnection:
    """One TCP connection from a capture, with each direction reassembled.

    ``client`` is the side that sent the SYN (or, without a SYN in the capture,
    the side not using ``server_port``/the first sender).
    """

    client: tuple[str, int]
    server: tuple[str, int]
    start: float
    syn_seen: bool
    c2s: list[tuple[float, bytes]]
    s2c: list[tuple[float, bytes]]
    client_fin: bool
    server_fin: bool
    client_rst: bool
    server_rst: bool
    gaps: tuple[str, ...]

    @property
    def client_label(self) -> str:
        return _label(self.client)

    @property
    def server_label(self) -> str:
        return _label(self.server)


def _label(ep: tuple[str, int]) -> str:
    host, port = ep
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _packets(path: Path) -> Iterator[tuple[float, int, bytes]]:
    """(time, linktype, frame) for every packet of a pcap or pcapng file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(24)
            magic = head[:4]
            if magic in (
                b"\xd4\xc3\xb2\xa1",
                b"\xa1\xb2\xc3\xd4",
                b"\x4d\x3c\xb2\xa1",
                b"\xa1\xb2\x3c\x4d",
            ):
                endian = "<" if magic[0] in (0xD4, 0x4D) else ">"
                nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
                if len(head) < 24:
                    raise HarnessError(f"{path}: truncated pcap header")
                linktype = struct.unpack(endian + "I", head[20:24])[0] & 0xFFFF
                div = 1e9 if nano else 1e6
                number = 0
                while True:
                    offset = fh.tell()
                    rec = fh.read(16)
                    if len(rec) < 16:
                        return
                    number += 1
                    sec, frac, incl, _orig = struct.unpack(endian + "IIII", rec)
                    if incl > MAX_RECORD_LENGTH:
                        raise HarnessError(
                            f"{path}: packet record {number} at byte {offset} claims "
                            f"{incl} bytes (more than {MAX_RECORD_LENGTH}): not a valid pcap"
                        )
                    frame = fh.read(incl)
                    if len(frame) < incl:
                        return  # truncated last packet: the capture was cut
                    yield sec + frac / div, linktype, frame
            elif magic == b"\x0a\x0d\x0d\x0a":
                yield from _pcapng(path)
            else:
                raise HarnessError(f"{path}: not a pcap or pcapng file")
    except OSError as exc:
        raise HarnessError(f"cannot read capture {path}: {exc.strerror or exc}") from exc


def _check_pcapng(path: Path) -> None:
    """Walk a pcapng file's blocks (type, length, trailing length) without reading
    their bodies; raise HarnessError at the first block that cannot be right. A last
    block cut short is left to end the capture (as a cut pcap does)."""
    size = path.stat().st_size
    endian = ""
    number = 0
    with path.open("rb") as fh:
        pos = 0
        while pos + 8 <= size:
            number += 1
            fh.seek(pos)
            head = fh.read(12)
            where = f"{path}: pcapng block {number} at byte {pos}"
            if head[:4] == b"\x0a\x0d\x0d\x0a":
                bom = head[8:12]
                if bom == b"\x4d\x3c\x2b\x1a":
                    endian = "<"
                elif bom == b"\x1a\x2b\x3c\x4d":
                    endian = ">"
                else:
                    raise HarnessError(f"{where}: section header without a byte-order magic")
            elif not endian:
                raise HarnessError(f"{where}: no section header block first")
            length = struct.unpack(endian + "I", head[4:8])[0]
            if length < 12 or length % 4 or length > MAX_BLOCK_LENGTH:
                raise HarnessError(
                    f"{where}: block length {length} is implausible (a multiple of 4 "
                    f"from 12 to {MAX_BLOCK_LENGTH} expected): not a valid pcapng"
                )
            if pos + length > size:
                return  # the last block was cut: the capture was stopped mid-write
            fh.seek(pos + length - 4)
            if struct.unpack(endian + "I", fh.read(4))[0] != length:
                raise HarnessError(f"{where}: trailing block length differs from {length}")
            pos += length


def _pcapng(path: Path) -> Iterator[tuple[float, int, bytes]]:
    from scapy.utils import RawPcapNgReader  # scapy only for pcapng

    _check_pcapng(path)
    try:
        reader = RawPcapNgReader(str(path))
    except Exception as exc:  # scapy's own complaint, whatever its type
        raise HarnessError(f"{path}: not a readable pcapng file: {exc}") from exc
    try:
        number = 0
        while True:
            number += 1
            try:
                item = next(reader, None)
            except Exception as exc:  # scapy raises assorted types on a bad block
                raise HarnessError(
                    f"{path}: pcapng packet {number} cannot be read: {type(exc).__name__}: {exc}"
                ) from exc
            if item is None:
                return
            frame, meta = item
            m: Any = meta  # pcapng metadata (scapy types it as the pcap one)
            try:
                ts = ((m.tshigh << 32) | m.tslow) / m.tsresol
                linktype = int(m.linktype)
            except (AttributeError, TypeError, ZeroDivisionError) as exc:
                raise HarnessError(f"{path}: pcapng packet {number}: bad metadata: {exc}") from exc
            yield ts, linktype, frame
    finally:
        reader.close()


def _ip_payload(linktype: int, frame: bytes) -> bytes | None:
    if linktype == 1:  # Ethernet
        ethertype, off = int.from_bytes(frame[12:14]), 14
        while ethertype in (0x8100, 0x88A8) and len(frame) >= off + 4:
            ethertype, off = int.from_bytes(frame[off + 2 : off + 4]), off + 4
        return frame[off:] if ethertype in (0x0800, 0x86DD) else None
    if linktype == 113:  # Linux cooked v1
        return frame[16:] if int.from_bytes(frame[14:16]) in (0x0800, 0x86DD) else None
    if linktype == 276:  # Linux cooked v2
        return frame[20:] if int.from_bytes(frame[0:2]) in (0x0800, 0x86DD) else None
    if linktype in (0, 108):  # BSD loopback: 4-byte address family
        return frame[4:]
    if linktype in (101, 12, 228, 229, 14):  # raw IP
        return frame
    return None


def _tcp(ip: bytes) -> tuple[str, str, bytes] | None:
    if len(ip) < 20:
        return None
    version = ip[0] >> 4
    if version == 4:
        ihl = (ip[0] & 0x0F) * 4
        total = int.from_bytes(ip[2:4])
        if ip[9] != 6 or int.from_bytes(ip[6:8]) & 0x1FFF:  # not TCP, or a fragment
            return None
        src = str(ipaddress.IPv4Address(ip[12:16]))
        dst = str(ipaddress.IPv4Address(ip[16:20]))
        return src, dst, ip[ihl : total if total >= ihl else len(ip)]
    if version == 6 and len(ip) >= 40:
        if ip[6] != 6:  # extension headers are not expected on loopback
            return None
        plen = int.from_bytes(ip[4:6])
        src = str(ipaddress.IPv6Address(ip[8:24]))
        dst = str(ipaddress.IPv6Address(ip[24:40]))
        return src, dst, ip[40 : 40 + plen]
    return None


class _Conn:
    def __init__(self, client: tuple[str, int], server: tuple[str, int], start: float, syn: bool):
        self.client, self.server, self.start, self.syn = client, server, start, syn
        self.dirs = {client: _Dir(), server: _Dir()}
        self.closed = False

    def add(self, src: tuple[str, int], t: float, seq: int, flags: int, payload: bytes) -> None:
        d = self.dirs[src]
        if flags & SYN:
            d.isn = (seq + 1) & 0xFFFFFFFF
        elif d.isn is None:
            d.isn = seq
        if payload:
            d.segments.append(((seq - d.isn + (1 if flags & SYN else 0)) & 0xFFFFFFFF, t, payload))
        if flags & FIN:
            d.fin = True
        if flags & RST:
            d.rst = True

    def stream(self, ep: tuple[str, int], gaps: list[str]) -> list[tuple[float, bytes]]:
        d = self.dirs[ep]
        out: list[tuple[float, bytes]] = []
        pos = 0
        for off, t, data in sorted(d.segments, key=lambda s: (s[0], s[1])):
            if off > pos:
                gaps.append(f"{_label(ep)}: {off - pos} bytes missing at stream offset {pos}")
                break
            if off + len(data) <= pos:
                continue  # retransmission or duplicate
            out.append((t, data[pos - off :]))
            pos = off + len(data)
        return out

    def freeze(self) -> TcpConnection:
        gaps: list[str] = []
        c2s = self.stream(self.client, gaps)
        s2c = self.stream(self.server, gaps)
        cd, sd = self.dirs[self.client], self.dirs[self.server]
        return TcpConnection(
            self.client, self.server, self.start, self.syn, c2s, s2c,
            cd.fin, sd.fin, cd.rst, sd.rst, tuple(gaps),
        )  # fmt: skip


def read_tcp_connections(path: Path, *, server_port: int | None = None) -> list[TcpConnection]:
    """All TCP connections in a capture, in order of first packet.

    Args:
        path: a pcap or pcapng file.
        server_port: keep only connections with this port at one end; it also
            decides which side is the server when the SYN was not captured.

    Raises:
        HarnessError: the file cannot be read or is not a capture.
    """
    conns: list[_Conn] = []
    live: dict[frozenset[tuple[str, int]], _Conn] = {}
    for t, linktype, frame in _packets(path):
        ip = _ip_payload(linktype, frame)
        parsed = _tcp(ip) if ip is not None else None
        if parsed is None:
            continue
        src_ip, dst_ip, tcp = parsed
        if len(tcp) < 20:
            continue
        sport, dport = int.from_bytes(tcp[0:2]), int.from_bytes(tcp[2:4])
        if server_port is not None and server_port not in (sport, dport):
            continue
        seq = int.from_bytes(tcp[4:8])
        hlen = (tcp[12] >> 4) * 4
        flags = tcp[13]
        payload = tcp[hlen:]
        src, dst = (src_ip, sport), (dst_ip, dport)
        key = frozenset((src, dst))
        conn = live.get(key)
        is_new_syn = flags & SYN and not flags & ACK
        if conn is None or (is_new_syn and conn.dirs[src].isn is not None and conn.closed):
            if is_new_syn:
                client, server = src, dst
            elif server_port is not None:
                client, server = (dst, src) if sport == server_port else (src, dst)
            else:
                client, server = src, dst
            conn = _Conn(client, server, t, bool(is_new_syn))
            live[key] = conn
            conns.append(conn)
        conn.add(src, t, seq, flags, payload)
        if flags & (FIN | RST):
            conn.closed = True
    return [c.freeze() for c in conns]
