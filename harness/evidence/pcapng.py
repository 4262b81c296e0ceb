"""A minimal pcapng writer: one section, one interface, comments, decryption secrets.

pcapng (draft-ietf-opsawg-pcapng) is a sequence of blocks, each ``type, length,
body, length`` padded to 32 bits, with options as ``code, length, value`` padded the
same way and ended by option 0. An evidence pack's capture needs four blocks:

* Section Header (``0x0A0D0D0A``), naming the writing application (``shb_userappl``);
* one Interface Description (1): the link type of every packet, microsecond times;
* optionally one Decryption Secrets block (10) of type ``TLSK`` holding an NSS key
  log, so Wireshark decrypts the TLS sessions without a separate file (written only
  when the user asks for session keys, and the file is then 0600);
* Enhanced Packet blocks (6), each optionally with ``opt_comment`` (1), which name
  the item or probe a connection belongs to.

scapy reads pcapng but cannot write decryption-secrets blocks, hence this writer;
tests read its output back with tshark and capinfos.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

SHB, IDB, EPB, DSB = 0x0A0D0D0A, 0x00000001, 0x00000006, 0x0000000A
BYTE_ORDER_MAGIC = 0x1A2B3C4D
SECRETS_TLS_KEYLOG = 0x544C534B  # "TLSK"
OPT_END, OPT_COMMENT = 0, 1
SHB_USERAPPL = 4
IF_NAME, IF_TSRESOL = 2, 9


def _pad(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 4)


def _options(options: list[tuple[int, bytes]]) -> bytes:
    if not options:
        return b""
    out = b"".join(struct.pack("<HH", code, len(v)) + _pad(v) for code, v in options)
    return out + struct.pack("<HH", OPT_END, 0)


def _block(block_type: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)


class PcapngWriter:
    """Writes one section with one interface to ``fh`` (little-endian)."""

    def __init__(
        self, fh: BinaryIO, linktype: int, *, application: str, interface: str = "loopback"
    ) -> None:
        self._fh = fh
        shb = struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1) + _options(
            [(SHB_USERAPPL, application.encode())]
        )
        fh.write(_block(SHB, shb))
        idb = struct.pack("<HHI", linktype, 0, 262144) + _options(
            [(IF_NAME, interface.encode()), (IF_TSRESOL, bytes([6]))]
        )
        fh.write(_block(IDB, idb))
        self.packets = 0

    def decryption_secrets(self, keylog: bytes) -> None:
        """An NSS key log for the TLS sessions that follow."""
        body = struct.pack("<II", SECRETS_TLS_KEYLOG, len(keylog)) + _pad(keylog)
        self._fh.write(_block(DSB, body))

    def packet(self, t: float, frame: bytes, comment: str | None = None) -> None:
        micros = round(t * 1_000_000)
        body = struct.pack(
            "<IIIII", 0, micros >> 32, micros & 0xFFFFFFFF, len(frame), len(frame)
        ) + _pad(frame)
        if comment:
            body += _options([(OPT_COMMENT, comment.encode())])
        self._fh.write(_block(EPB, body))
        self.packets += 1
