"""The sniffer: live capture of the TLS leg on the loopback interface with scapy.

Needs root or CAP_NET_RAW (an AF_PACKET socket). The BPF filter keeps only the
TLS leg's port, so other traffic on the shared loopback stays out of the capture.
It sees the real segments (real sequence numbers, retransmissions, window
updates), which the tap can only synthesise; the dissector reassembles both the
same way.

One packet, one frame: on ``lo`` an AF_PACKET socket sees every packet twice, once
leaving (``sll_pkttype`` PACKET_OUTGOING) and once arriving (PACKET_HOST). Keeping
both made tshark flag half the frames as retransmissions and duplicate ACKs. The
sniffer reads through scapy's ``L2Socket``, which drops the outgoing copy (as
libpcap does on loopback), and writes the frames itself under the interface's one
link type (Ethernet on ``lo``), so the pcap has neither duplicates nor mixed link
types.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path
from typing import Any

from harness.capture.pcapfile import LINKTYPE_ETHERNET, write_frames
from harness.errors import HarnessError

LOOPBACK_IFACE = "lo"

#: ARPHRD_ETHER and ARPHRD_LOOPBACK: the kernel hands over frames with an Ethernet
#: header (zero MAC addresses on lo), so the pcap's link type is Ethernet.
_ETHERNET_FRAMED = (1, 772)


def sniff_unavailable_reason() -> str | None:
    """None when live capture works here, else why not (for the report)."""
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    except PermissionError:
        return "live capture needs root or CAP_NET_RAW"
    except (OSError, AttributeError) as exc:
        return f"no AF_PACKET sockets here: {exc}"
    s.close()
    try:
        import scapy.sendrecv  # noqa: F401
    except Exception as exc:
        return f"scapy unavailable: {exc}"
    return None


class LoopbackSniffer:
    """Captures TCP traffic to/from ``port`` on the loopback interface into a pcap.

    Args:
        port: the TLS server's port (both directions are kept).
        pcap_path: where :meth:`stop` writes the capture.
        settle: on stop, how long the capture must have been quiet before the
            sniffer is stopped, so the last FIN/RST are in (bounded by ``timeout``).
    """

    def __init__(
        self, port: int, pcap_path: Path, *, settle: float = 0.2, iface: str | None = None
    ) -> None:
        self.port = port
        self.iface = iface or LOOPBACK_IFACE
        self.pcap_path = pcap_path
        self._settle = settle
        self._sniffer: Any = None
        self._socket: Any = None
        self._last_packet = time.monotonic()
        self._started = threading.Event()

    def _seen(self, _pkt: Any) -> None:
        self._last_packet = time.monotonic()

    def start(self, timeout: float = 5.0) -> LoopbackSniffer:
        from scapy.arch.linux import L2Socket
        from scapy.sendrecv import AsyncSniffer

        try:
            # L2Socket (unlike the L2ListenSocket sniff() opens by default) drops the
            # PACKET_OUTGOING copy: each loopback packet is kept once, as it arrives.
            sock = L2Socket(iface=self.iface, filter=f"tcp port {self.port}")
        except Exception as exc:
            raise HarnessError(f"cannot sniff on {self.iface}: {exc}") from exc
        hatype = sock.ins.getsockname()[3]
        if hatype not in _ETHERNET_FRAMED:
            sock.close()
            raise HarnessError(
                f"cannot sniff on {self.iface}: hardware type {hatype} not supported"
            )
        self._socket = sock
        self._sniffer = AsyncSniffer(
            opened_socket=sock,
            store=True,
            prn=self._seen,
            started_callback=self._started.set,
        )
        try:
            self._sniffer.start()
        except Exception as exc:
            sock.close()
            raise HarnessError(f"cannot sniff on {self.iface}: {exc}") from exc
        deadline = time.monotonic() + timeout
        while not self._started.wait(0.02):
            thread = getattr(self._sniffer, "thread", None)
            if thread is not None and not thread.is_alive():  # died before it started
                error = getattr(self._sniffer, "exception", None) or "sniffer thread exited"
                self._halt()
                raise HarnessError(f"cannot sniff on {self.iface}: {error}")
            if time.monotonic() > deadline:
                self._halt()
                raise HarnessError(f"sniffer on {self.iface} did not start within {timeout}s")
        return self

    def _halt(self) -> list[Any]:
        sniffer, self._sniffer = self._sniffer, None
        if sniffer is None:
            return []
        with contextlib.suppress(Exception):
            if sniffer.running:
                sniffer.stop(join=True)
        with contextlib.suppress(Exception):
            sniffer.join(5.0)
        sock, self._socket = self._socket, None
        if sock is not None:  # scapy closes only the sockets it opened itself
            with contextlib.suppress(Exception):
                sock.close()
        return list(sniffer.results or [])

    def stop(self, timeout: float = 5.0) -> int:
        """Wait for the traffic to settle, stop, write the pcap; returns packet count."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and time.monotonic() - self._last_packet < self._settle:
            time.sleep(0.02)
        packets = self._halt()
        # On lo the kernel hands over Ethernet-framed packets (zero MAC addresses).
        frames = ((float(p.time), bytes(p)) for p in packets)
        return write_frames(self.pcap_path, frames, linktype=LINKTYPE_ETHERNET)

    def close(self) -> None:
        """Stop without writing (error paths)."""
        self._halt()
