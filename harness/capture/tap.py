"""The tap: a transparent TCP relay that records both directions.

Placed between the client tunnel and the server tunnel (the client tunnel's
``connect =`` points at the tap, the tap connects to the server tunnel), it needs no
privileges and works with every backend. For each accepted connection it opens
one upstream connection and runs two pump threads, one per direction, each:

    recv → record (time, bytes) → sendall to the other side

and it forwards TCP's two ways of ending a direction faithfully, because TLS
peers behave differently on each and a tap that blurs them would create failures
of its own:

* EOF (the peer's FIN, a half-close) → ``shutdown(SHUT_WR)`` on the other socket;
  the opposite direction keeps flowing;
* a reset (``ECONNRESET``) → the other socket is closed with ``SO_LINGER`` 0, which
  makes the kernel send RST.

Every event is appended at once to a pcap (:mod:`harness.capture.pcapfile`) as
synthesised TCP, so even a crashed run leaves a readable capture. ``stop`` closes
the listener and every relayed socket and joins every thread, with timeouts.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.capture.pcapfile import PcapWriter, TcpConversation
from harness.errors import HarnessError

_LINGER_RESET = struct.pack("ii", 1, 0)


@dataclass
class _Relay:
    conv: TcpConversation
    downstream: socket.socket  # the client side (accepted)
    upstream: socket.socket  # the server side (connected)
    threads: list[threading.Thread] = field(default_factory=list)
    aborted: bool = False
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class TapRelay:
    """A recording TCP relay in front of ``upstream``.

    Args:
        upstream: the server address the relay forwards to (loopback).
        pcap_path: where to write the capture.
        listen_host: loopback address to listen on; the port is ephemeral.
        connect_timeout: bound on each upstream connect.
    """

    def __init__(
        self,
        upstream: tuple[str, int],
        pcap_path: Path,
        *,
        listen_host: str = "127.0.0.1",
        connect_timeout: float = 5.0,
    ) -> None:
        self.upstream = upstream
        self.pcap_path = pcap_path
        self._listen_host = listen_host
        self._connect_timeout = connect_timeout
        self._listener: socket.socket | None = None
        self._writer: PcapWriter | None = None
        self._accept_thread: threading.Thread | None = None
        self._relays: list[_Relay] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.connections = 0
        self._open = 0  # accepted and not yet fully closed (including being set up)
        self.errors: list[str] = []

    @property
    def address(self) -> tuple[str, int]:
        if self._listener is None:
            raise RuntimeError("tap not started")
        host, port = self._listener.getsockname()[:2]
        return host, port

    def start(self) -> TapRelay:
        self._writer = PcapWriter(self.pcap_path)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self._listen_host, 0))
            listener.listen(64)
            listener.settimeout(0.1)  # lets the accept loop notice stop()
        except OSError as exc:
            listener.close()
            self._writer.close()
            raise HarnessError(f"tap cannot listen on {self._listen_host}: {exc}") from exc
        self._listener = listener
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"tap-accept-{self.upstream[1]}", daemon=True
        )
        self._accept_thread.start()
        return self

    # -- accept side --------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                down, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            down.settimeout(None)
            with self._lock:
                self._open += 1
            started = False
            try:
                started = self._open_relay(down, (peer[0], peer[1]))
            except Exception as exc:  # a relay that cannot start must not kill the tap
                self.errors.append(f"relay from {peer}: {exc}")
                with contextlib.suppress(OSError):
                    down.close()
            if not started:
                with self._lock:
                    self._open -= 1

    def _open_relay(self, down: socket.socket, peer: tuple[str, int]) -> bool:
        assert self._writer is not None
        conv = TcpConversation(self._writer, peer, self.upstream)
        with self._lock:
            self.connections += 1
        try:
            up = socket.create_connection(self.upstream, timeout=self._connect_timeout)
        except OSError as exc:
            conv.refused(time.time())
            self.errors.append(f"upstream {self.upstream}: {exc}")
            _abort(down)  # the client sees the refusal as a reset, as it would directly
            return False
        up.settimeout(None)
        up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        down.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conv.open(time.time())
        relay = _Relay(conv, down, up)
        for src, dst, side in ((down, up, "client"), (up, down, "server")):
            t = threading.Thread(
                target=self._pump, args=(relay, src, dst, side), name=f"tap-{side}", daemon=True
            )
            relay.threads.append(t)
        with self._lock:
            if self._stopping.is_set():
                _abort(down)
                _abort(up)
                return False
            self._relays.append(relay)
        for t in relay.threads:
            t.start()
        return True

    # -- one direction --------------------------------------------------------------
    def _pump(self, relay: _Relay, src: socket.socket, dst: socket.socket, side: str) -> None:
        try:
            while True:
                try:
                    data = src.recv(65536)
                except OSError:
                    if not relay.aborted:
                        relay.conv.rst(side, time.time())
                        self._abort_relay(relay, dst)
                    return
                if not data:
                    if relay.aborted:
                        return
                    relay.conv.fin(side, time.time())
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    return
                relay.conv.data(side, time.time(), data)
                try:
                    dst.sendall(data)
                except OSError:
                    if not relay.aborted:
                        other = "server" if side == "client" else "client"
                        relay.conv.rst(other, time.time())
                        self._abort_relay(relay, src)
                    return
        finally:
            with relay.lock:
                relay.done += 1
                last = relay.done == 2
            if last:
                for s in (relay.downstream, relay.upstream):
                    with contextlib.suppress(OSError):
                        s.close()
                with self._lock:
                    self._open -= 1

    def _abort_relay(self, relay: _Relay, victim: socket.socket) -> None:
        """Propagate a reset: RST on ``victim``, and wake the other pump."""
        relay.aborted = True
        with contextlib.suppress(OSError):
            victim.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        for s in (relay.downstream, relay.upstream):
            # SHUT_RD sends nothing on the wire but makes a blocked recv return.
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RD)

    # -- lifecycle --------------------------------------------------------------------
    def active(self) -> int:
        with self._lock:
            return self._open

    def wait_idle(self, timeout: float, *, settle: float = 0.05) -> bool:
        """Wait until no relayed connection is open (True) or ``timeout`` passed.

        Idle must hold for ``settle`` seconds, so a connection still in the listen
        backlog (connected by the kernel, not yet accepted) is not missed.
        """
        deadline = time.monotonic() + timeout
        idle_since: float | None = None
        while True:
            now = time.monotonic()
            if self.active() == 0:
                idle_since = idle_since if idle_since is not None else now
                if now - idle_since >= settle:
                    return True
            else:
                idle_since = None
            if now >= deadline:
                return False
            time.sleep(0.01)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, cut every relayed connection, join every thread."""
        self._stopping.set()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout)
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        with self._lock:
            relays = list(self._relays)
        for relay in relays:
            if relay.done < 2:
                relay.aborted = True
                for s in (relay.downstream, relay.upstream):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for relay in relays:
            for t in relay.threads:
                t.join(max(0.0, deadline - time.monotonic()))
            for s in (relay.downstream, relay.upstream):
                with contextlib.suppress(OSError):
                    s.close()
        if self._writer is not None:
            self._writer.close()

    def __enter__(self) -> TapRelay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _abort(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    with contextlib.suppress(OSError):
        sock.close()
