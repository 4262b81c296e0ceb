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

Nothing is lost at the end. The frames are read raw (no scapy dissection per
packet) by the sniffer's own thread; :meth:`LoopbackSniffer.stop` waits until the
kernel's queue is empty and the wire has been quiet for a moment, and the thread
reads whatever is still queued before it ends. A starved reading thread (a loaded
machine) therefore delays the capture, it does not cut it: with scapy's
``AsyncSniffer``, stopping dropped the queued frames and a run kept the SYN of a
connection and none of its data. What the kernel itself had to drop (its receive
buffer full) is counted (``PACKET_STATISTICS``) and reported as :attr:`lost`, which
makes the capture unusable for a verdict.
"""

from __future__ import annotations

import contextlib
import fcntl
import select
import socket
import struct
import termios
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

_SOL_PACKET = 263
_PACKET_STATISTICS = 6  # struct tpacket_stats {unsigned tp_packets, tp_drops}
_SO_RCVBUFFORCE = 33  # as root, past net.core.rmem_max
#: The receive buffer asked for (the kernel doubles it): room for a few thousand
#: handshake-sized frames while the reading thread waits for its turn.
RECEIVE_BUFFER = 8 * 1024 * 1024
#: Larger than any frame on lo (MTU 65536 plus the Ethernet header).
_MAX_FRAME = 1 << 17


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
        settle: on stop, how long the wire must have been quiet (and the kernel's
            queue empty) before the sniffer stops, so the last FIN/RST are in
            (bounded by ``timeout``).
        receive_buffer: the socket's receive buffer, in bytes.

    Attributes:
        lost: after :meth:`stop`, None when every frame was kept, else what the
            kernel dropped (the capture cannot be trusted to be whole).
    """

    def __init__(
        self,
        port: int,
        pcap_path: Path,
        *,
        settle: float = 0.2,
        iface: str | None = None,
        receive_buffer: int = RECEIVE_BUFFER,
    ) -> None:
        self.port = port
        self.iface = iface or LOOPBACK_IFACE
        self.pcap_path = pcap_path
        self.lost: str | None = None
        self._settle = settle
        self._receive_buffer = receive_buffer
        self._socket: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._frames: list[tuple[float, bytes]] = []
        self._last_packet = time.monotonic()
        self._error: str | None = None

    def start(self) -> LoopbackSniffer:
        """Open the socket (frames queue from here on) and start the reading thread."""
        from scapy.arch.linux import L2Socket

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
        try:
            sock.ins.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, self._receive_buffer)
        except OSError:  # not root: as much as net.core.rmem_max allows
            with contextlib.suppress(OSError):
                sock.ins.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self._receive_buffer)
        self._socket = sock
        try:
            _drops(sock)  # reading resets the kernel's counters: count from here on
        except OSError as exc:
            self._socket = None
            sock.close()
            raise HarnessError(f"cannot sniff on {self.iface}: no drop count: {exc}") from exc
        self._thread = threading.Thread(
            target=self._read_loop, name=f"sniff-{self.port}", daemon=True
        )
        try:
            self._thread.start()
        except RuntimeError as exc:
            self._thread = None
            self._halt()
            raise HarnessError(f"cannot sniff on {self.iface}: {exc}") from exc
        return self

    # -- the reading thread -----------------------------------------------------------
    def _read_loop(self) -> None:
        poller = select.poll()  # not select(): a descriptor above 1023 is fine
        poller.register(self._socket.ins.fileno(), select.POLLIN)
        try:
            while not self._stopping.is_set():
                if poller.poll(50):
                    self._read_one()
            while self._queued():  # what arrived before the stop, still queued
                self._read_one()
        except Exception as exc:  # the socket failed: say so, do not hang the stop
            self._error = f"the capture socket failed: {exc}"

    def _read_one(self) -> None:
        _, data, ts = self._socket.recv_raw(_MAX_FRAME)
        if data is None:  # the outgoing copy of a loopback packet
            return
        self._frames.append((float(ts if ts is not None else time.time()), bytes(data)))
        self._last_packet = time.monotonic()

    def _queued(self) -> int:
        """Bytes of the next frame waiting in the kernel's queue (0: none)."""
        raw = fcntl.ioctl(self._socket.ins.fileno(), termios.FIONREAD, b"\0\0\0\0")
        return int(struct.unpack("i", raw)[0])

    # -- stopping ---------------------------------------------------------------------
    def _halt(self) -> list[tuple[float, bytes]]:
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(5.0)
            if thread.is_alive():
                self._error = "the capture thread did not finish reading within 5 s"
        sock, self._socket = self._socket, None
        if sock is not None:
            try:
                drops = _drops(sock)
            except (OSError, struct.error) as exc:  # unknown is not "none": not whole
                self.lost = f"the kernel's drop count could not be read: {exc}"
            else:
                if drops:
                    self.lost = (
                        f"the kernel dropped {drops} frame(s) "
                        "(the capture socket's receive buffer was full)"
                    )
            with contextlib.suppress(Exception):
                sock.close()
        if self._error and self.lost is None:
            self.lost = self._error
        frames, self._frames = self._frames, []
        return frames

    def stop(self, timeout: float = 5.0) -> int:
        """Wait for the traffic to settle, stop, write the pcap; returns the frame count."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (
            time.monotonic() - self._last_packet < self._settle or self._pending()
        ):
            time.sleep(0.02)
        frames = self._halt()
        # On lo the kernel hands over Ethernet-framed packets (zero MAC addresses).
        return write_frames(self.pcap_path, iter(frames), linktype=LINKTYPE_ETHERNET)

    def _pending(self) -> bool:
        try:
            return self._socket is not None and self._queued() > 0
        except OSError:
            return False

    def close(self) -> None:
        """Stop without writing (error paths)."""
        self._halt()


def _drops(sock: Any) -> int:
    """Frames the kernel dropped for ``sock`` since the last call (the read resets the
    counters; struct tpacket_stats is {tp_packets, tp_drops})."""
    _, drops = struct.unpack("II", sock.ins.getsockopt(_SOL_PACKET, _PACKET_STATISTICS, 8))
    return int(drops)
