"""Wire capture → Handshake: what a TLS handshake actually showed on the wire.

Theory of operation. The harness asserts what it *saw* on the TLS leg, not what a
tunnel says it did. A capture (pcap from the tap or the live sniffer, or any pcap a
user brings) is read into TCP connections (:mod:`harness.dissect.pcap`), each
direction reassembled by sequence number. Each connection's two byte streams go to
the sans-IO engine (:mod:`harness.dissect.engine`), which cuts TLS records, parses
handshake messages across record and segment boundaries, optionally decrypts the
TLS 1.3 handshake with an NSS key log (:mod:`harness.dissect.keylog`), and returns a
frozen :class:`Handshake` (:mod:`harness.dissect.model`).

Parsing is done here, by hand, over bounds-checked readers rather than with
scapy's TLS layer: its session-tracking dissector raises or silently mis-parses on
truncated and hostile input, and the harness needs "incomplete, because ..." for
those cases. scapy is used only to read pcapng files.

Public API::

    dissect_pcap(path, *, server_port=None, keylog=None) -> list[Handshake]
    dissect_streams(client_to_server, server_to_client, *, keylog=None) -> Handshake
    read_tcp_connections(path, *, server_port=None) -> list[TcpConnection]
"""

from __future__ import annotations

from pathlib import Path

from harness.dissect.engine import alert_summary, cut_records, dissect_streams
from harness.dissect.keylog import KeyLog
from harness.dissect.model import (
    Alert,
    ApplicationData,
    CertInfo,
    Handshake,
    HandshakeMessage,
    Refusal,
)
from harness.dissect.pcap import TcpConnection, read_tcp_connections
from harness.errors import HarnessError

__all__ = [
    "Alert",
    "ApplicationData",
    "CertInfo",
    "Handshake",
    "HandshakeMessage",
    "KeyLog",
    "Refusal",
    "TcpConnection",
    "alert_summary",
    "cut_records",
    "dissect_pcap",
    "dissect_streams",
    "read_tcp_connections",
]


def dissect_pcap(
    path: Path, *, server_port: int | None = None, keylog: Path | None = None
) -> list[Handshake]:
    """One Handshake per TCP connection in the capture, in order of first packet.

    Args:
        path: pcap or pcapng file.
        server_port: only connections to/from this port (the TLS server's).
        keylog: NSS key log for TLS 1.3 decryption; when None, a ``<pcap>.keylog``
            file next to the capture is used if it exists (the capture writes one
            there for Wireshark).

    Raises:
        HarnessError: the file is missing or not a capture (bad input, not a
            dissection result: a capture with no TLS yields incomplete Handshakes).
    """
    if keylog is None:
        beside = path.with_suffix(".keylog")
        keylog = beside if beside.exists() else None
    keys = None
    if keylog is not None:
        try:
            keys = KeyLog.load(keylog)
        except OSError as exc:
            raise HarnessError(f"cannot read key log {keylog}: {exc.strerror or exc}") from exc
    return [
        dissect_streams(
            conn.c2s, conn.s2c, keylog=keys, client=conn.client_label, server=conn.server_label
        )
        for conn in read_tcp_connections(path, server_port=server_port)
    ]
