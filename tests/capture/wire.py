"""Plain TCP on loopback for the capture tests: an echo server, and a pcap read
back as frames and as its significant segments (direction, flags, payload)."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

from harness.capture.pcapfile import LINKTYPE_ETHERNET

SYN, FIN, RST = 0x02, 0x01, 0x04


@contextlib.contextmanager
def echo_server() -> Iterator[int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = srv.accept()
            with conn:
                while data := conn.recv(65536):
                    conn.sendall(data)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        srv.close()
        t.join(5)


def frames(path: Path) -> tuple[int, list[tuple[float, bytes]]]:
    """(link type, [(time, frame)]) of a classic little-endian pcap."""
    data = path.read_bytes()
    linktype = struct.unpack("<I", data[20:24])[0]
    out, pos = [], 24
    while pos + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack("<IIII", data[pos : pos + 16])
        out.append((sec + usec / 1e6, data[pos + 16 : pos + 16 + incl]))
        pos += 16 + incl
    return linktype, out


def significant(path: Path, server_port: int) -> list[tuple[str, int, bytes]]:
    """(direction, SYN/FIN/RST bits, payload) of every frame that is not a pure ACK."""
    linktype, recs = frames(path)
    assert linktype == LINKTYPE_ETHERNET
    out = []
    for _, f in recs:
        ip = f[14:]
        ihl = (ip[0] & 0x0F) * 4
        total = int.from_bytes(ip[2:4])
        tcp = ip[ihl:total]
        sport = int.from_bytes(tcp[0:2])
        flags = tcp[13] & (SYN | FIN | RST)
        payload = tcp[(tcp[12] >> 4) * 4 :]
        if flags or payload:
            out.append(("from-server" if sport == server_port else "to-server", flags, payload))
    return out


__all__ = ["FIN", "LINKTYPE_ETHERNET", "RST", "SYN", "echo_server", "frames", "significant"]
