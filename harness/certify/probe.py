"""Probe connections: each one records its own wire bytes and is judged by the dissector.

Two kinds of probe, both over a plain TCP socket to the target:

* :func:`hello_probe` sends a hand-built ClientHello (:mod:`harness.certify.hello`)
  and reads the server's first flight, then hangs up. One round trip; used for
  versions, cipher suites, preference order, compression, certificates and
  key-exchange sizes.
* :class:`TlsClient` runs a complete handshake with OpenSSL (pyOpenSSL over memory
  BIOs, so that every byte passes through our hands on its way to and from the
  socket). Used where a handshake must finish: client certificates, PSK,
  session resumption. Under TLS 1.3 it keeps reading after its own Finished until
  the server's NewSessionTicket or alert arrives, because a server judges the
  client's certificate only then; it keeps the key log (in memory) so the
  dissector can decrypt that part.

Either way the probe keeps the bytes of both directions with their times
(:class:`Wire`); the verdict comes from ``dissect_streams`` over those bytes, never
from what OpenSSL says about the connection. :func:`write_pcap` turns a run's
probes into one ordinary pcap file for Wireshark.

Failures are data: a refused or timed-out connection is a :class:`Wire` with
``error`` set, not an exception. Each wire also says whether TCP connected and how
the reading ended (``end``), so a port that accepts and never answers reads as
*silent*, not *unreachable* (:mod:`harness.certify.diagnose`). Once a stop signal
arrived (:data:`harness.signals.STOPPING`) no new probe connects and a waiting one
gives up within :data:`_POLL` s (``end == "stopped"``, ``error ==`` :data:`STOPPED`).

A hello probe reads at most :data:`MAX_FLIGHT_BYTES` of the server's first flight
(an endless Certificate ends the probe with ``end == "oversize"``), and asks the
dissector only when the bytes read end on a TLS record boundary with a new record
completed, so the cost stays linear in what the server sends.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from OpenSSL import SSL

from harness import signals
from harness.capture.pcapfile import PcapWriter, TcpConversation
from harness.certify.gate import wait_turn
from harness.certify.hello import HelloSpec, client_hello, flight_over, is_ip_address
from harness.dissect import Handshake, KeyLog, dissect_streams
from harness.tls.versions import openssl_version

#: Most bytes a hello probe reads from the server (a first flight is a few KiB).
MAX_FLIGHT_BYTES = 256 * 1024
#: Most bytes a complete-handshake probe reads from the server (OpenSSL itself
#: refuses a certificate list over 100 KiB; this also bounds a server that floods
#: application data while a TLS 1.3 probe waits for its verdict).
MAX_HANDSHAKE_BYTES = 1024 * 1024
#: How often a probe waiting for the server looks at :data:`harness.signals.STOPPING`.
_POLL = 0.2
#: ``Wire.error`` of a probe not made, or given up, because a stop signal arrived.
STOPPED = "stopped: the run was interrupted"
#: TLS record content types (change_cipher_spec .. heartbeat).
_TLS_CONTENT_TYPES = frozenset(range(20, 25))


@dataclass(frozen=True)
class Target:
    """The server under test: ``host`` as the user wrote it (name or address), the
    address actually connected to, and the port."""

    host: str
    address: str
    port: int

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class Wire:
    """What one probe connection carried, direction by direction.

    ``error`` is set when no TLS conversation could take place (connection
    refused, timeout before any answer); ``local`` is the client's address.
    """

    name: str
    c2s: list[tuple[float, bytes]] = field(default_factory=list)
    s2c: list[tuple[float, bytes]] = field(default_factory=list)
    local: tuple[str, int] = ("127.0.0.1", 0)
    error: str | None = None
    keylog: KeyLog | None = field(default=None, repr=False)
    #: TCP connected (a silent server is connected, an unreachable one is not).
    connected: bool = False
    #: How reading ended: "flight" (the server's flight was over), "eof", "reset",
    #: "timeout", "oversize" (more than MAX_FLIGHT_BYTES), "not-tls", or None.
    end: str | None = None
    _handshake: Handshake | None = field(default=None, repr=False)

    def handshake(self) -> Handshake:
        """The dissector's reading of this connection (cached)."""
        if self._handshake is None:
            self._handshake = dissect_streams(self.c2s, self.s2c, keylog=self.keylog)
        return self._handshake

    def server_certificates_der(self) -> tuple[bytes, ...]:
        """The server's certificate chain as sent, when the dissector could read it
        (a cleartext TLS ≤ 1.2 Certificate message, or a decrypted TLS 1.3 one)."""
        return tuple(c.der for c in self.handshake().server_certificates or ())


def _connect(target: Target, timeout: float, wire: Wire) -> socket.socket | None:
    if signals.STOPPING.is_set():  # a stop signal: no new probe connection
        wire.error = STOPPED
        return None
    wait_turn(target.address)  # gentle mode: per-host pacing (harness.certify.gate)
    try:
        sock = socket.create_connection((target.address, target.port), timeout=timeout)
    except TimeoutError:
        wire.error = f"connect to {target.label}: timed out after {timeout:g} s"
        return None
    except OSError as exc:
        wire.error = f"connect to {target.label}: {exc.strerror or exc}"
        return None
    wire.connected = True
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with contextlib.suppress(OSError):
        wire.local = sock.getsockname()[:2]
    return sock


def _recv(sock: socket.socket, deadline: float, wire: Wire | None = None) -> bytes | None:
    """Up to 64 KiB before ``deadline``; b"" on EOF or reset, None on timeout or
    once a stop signal arrived (``wire.end`` says which: the wait is sliced so that
    a probe gives up within :data:`_POLL` s of :data:`harness.signals.STOPPING`)."""
    while True:
        if signals.STOPPING.is_set():
            if wire is not None:
                wire.end = "stopped"
            return None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if wire is not None:
                wire.end = "timeout"
            return None
        sock.settimeout(min(remaining, _POLL))
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            if wire is not None:
                wire.end = "reset"
            return b""
        except OSError:
            if wire is not None:
                wire.end = "reset"
            return b""
        break
    if not data and wire is not None:
        wire.end = "eof"
    return data


def _over_cap(wire: Wire, cap: int) -> bool:
    """Has the server sent more than ``cap`` bytes? (Then ``wire.end`` is "oversize".)"""
    if sum(len(d) for _, d in wire.s2c) > cap:
        wire.end = "oversize"
        return True
    return False


class RecordScanner:
    """Finds TLS record boundaries in a growing byte stream, incrementally.

    ``feed`` returns True when at least one new record completed and the bytes so
    far end exactly on a record boundary (the only moments worth dissecting).
    ``not_tls`` is set when a record header is not TLS (content type 20-24,
    version major 3): the peer is not speaking TLS.
    """

    def __init__(self) -> None:
        self.size = 0
        self.pos = 0  # offset of the next record header
        self._head = bytearray()  # the bytes of an incomplete record header
        self.not_tls = False

    def feed(self, data: bytes) -> bool:
        chunk_start = self.size
        self.size += len(data)
        completed = chunk_start < self.pos <= self.size  # a body begun earlier ends here
        while not self.not_tls and self.pos < self.size:
            have = len(self._head)
            lo = self.pos + have - chunk_start  # where the header's missing bytes start
            self._head += data[lo : lo + 5 - have]
            if len(self._head) < 5:
                break
            head = bytes(self._head)
            self._head.clear()
            if head[0] not in _TLS_CONTENT_TYPES or head[1] != 3:
                self.not_tls = True
                break
            self.pos += 5 + int.from_bytes(head[3:5], "big")
            if self.pos <= self.size:
                completed = True
        return completed and self.pos == self.size


def hello_probe(target: Target, name: str, spec: HelloSpec, *, timeout: float = 5.0) -> Wire:
    """Send one ClientHello, read the server's first flight, hang up."""
    wire = Wire(name)
    sock = _connect(target, timeout, wire)
    if sock is None:
        return wire
    deadline = time.monotonic() + timeout
    try:
        hello = client_hello(spec)
        try:
            sock.sendall(hello)
        except OSError as exc:
            wire.error = f"send: {exc.strerror or exc}"
            return wire
        wire.c2s.append((time.time(), hello))
        scanner = RecordScanner()
        while True:
            data = _recv(sock, deadline, wire)
            if data is None:
                if not wire.s2c:
                    wire.error = (
                        STOPPED
                        if wire.end == "stopped"
                        else f"no answer from {target.label} within {timeout:g} s"
                    )
                break
            if not data:
                break
            wire.s2c.append((time.time(), data))
            boundary = scanner.feed(data)
            if scanner.not_tls:
                wire.end = "not-tls"
                break
            if scanner.size > MAX_FLIGHT_BYTES:
                wire.end = "oversize"
                break
            if boundary:
                wire._handshake = None
                if flight_over(wire.handshake()):
                    wire.end = "flight"
                    break
    finally:
        sock.close()
    wire._handshake = None
    return wire


@dataclass(frozen=True)
class Credentials:
    """What our client may present: a certificate chain + key (PEM paths), a PSK."""

    cert: Path | None = None
    key: Path | None = None
    psk_identity: str | None = None
    psk_key: bytes | None = field(default=None, repr=False)


class TlsClient:
    """One OpenSSL client context; :meth:`handshake` runs one recorded connection.

    The context accepts any server certificate (the harness judges certificates
    itself, from the wire) and any suite OpenSSL has (security level 0), so that a
    weak server is seen, not avoided.
    """

    def __init__(
        self,
        target: Target,
        *,
        versions: tuple[int, int] = (0x0303, 0x0303),
        ciphers: str = "ALL:COMPLEMENTOFALL:@SECLEVEL=0",
        credentials: Credentials | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self._keep: list[Any] = []
        self._lines: dict[int, list[bytes]] = {}
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_min_proto_version(openssl_version(versions[0]))
        ctx.set_max_proto_version(openssl_version(versions[1]))
        ctx.set_cipher_list(ciphers.encode())
        ctx.set_verify(SSL.VERIFY_NONE, lambda *a: True)
        creds = credentials or Credentials()
        if creds.cert is not None:
            ctx.use_certificate_chain_file(str(creds.cert))
            ctx.use_privatekey_file(str(creds.key or creds.cert))
        if creds.psk_identity is not None and creds.psk_key is not None:
            from harness.tunnel.tlsctx import install_psk_client  # only PSK runs need it

            self._keep.append(install_psk_client(ctx, creds.psk_identity, creds.psk_key))
        ctx.set_keylog_callback(self._keylog)
        self.ctx = ctx

    def _keylog(self, conn: SSL.Connection, line: bytes) -> None:
        self._lines.setdefault(id(conn), []).append(line)

    def handshake(
        self, name: str, *, session: SSL.Session | None = None
    ) -> tuple[Wire, SSL.Session | None]:
        """Run one handshake; returns its wire record and the session (for resumption)."""
        wire = Wire(name)
        sock = _connect(self.target, self.timeout, wire)
        if sock is None:
            return wire, None
        conn = SSL.Connection(self.ctx, None)
        host = self.target.host
        if not is_ip_address(host):
            conn.set_tlsext_host_name(host.encode("idna"))
        if session is not None:
            conn.set_session(session)
        conn.set_connect_state()
        deadline = time.monotonic() + self.timeout
        got_session: SSL.Session | None = None
        try:
            done = self._pump(conn, sock, wire, deadline, conn.do_handshake)
            if done:
                got_session = conn.get_session()
                if wire.handshake().version_selected == 0x0304:
                    self._await_verdict(conn, sock, wire, deadline)
                    got_session = conn.get_session()
                with contextlib.suppress(SSL.Error):
                    conn.shutdown()
                self._flush(conn, sock, wire)
        finally:
            sock.close()
            lines = self._lines.pop(id(conn), [])
            if lines:
                wire.keylog = KeyLog.parse(b"\n".join(lines).decode("ascii", "replace"))
            wire._handshake = None
        return wire, got_session

    def _flush(self, conn: SSL.Connection, sock: socket.socket, wire: Wire) -> bool:
        while True:
            try:
                out = conn.bio_read(65536)
            except SSL.WantReadError:
                return True
            except SSL.Error:
                return True
            if not out:
                return True
            try:
                sock.sendall(out)
            except OSError:
                return False
            wire.c2s.append((time.time(), out))

    def _pump(
        self,
        conn: SSL.Connection,
        sock: socket.socket,
        wire: Wire,
        deadline: float,
        step: Callable[[], object],
    ) -> bool:
        """Drive ``step`` until it succeeds (True) or fails (False), moving bytes."""
        while True:
            try:
                step()
                self._flush(conn, sock, wire)
                return True
            except SSL.WantReadError:
                if not self._flush(conn, sock, wire):
                    return False
                data = _recv(sock, deadline, wire)
                if data is None:
                    if not wire.s2c:
                        wire.error = (
                            STOPPED
                            if wire.end == "stopped"
                            else f"no answer from {self.target.label} within {self.timeout:g} s"
                        )
                    return False
                if not data:
                    conn.bio_shutdown()
                    continue
                wire.s2c.append((time.time(), data))
                if _over_cap(wire, MAX_HANDSHAKE_BYTES):
                    return False
                conn.bio_write(data)
            except (SSL.ZeroReturnError, SSL.SysCallError):
                self._flush(conn, sock, wire)
                return False
            except SSL.Error:
                self._flush(conn, sock, wire)  # our own alert, if OpenSSL made one
                return False

    def _await_verdict(
        self, conn: SSL.Connection, sock: socket.socket, wire: Wire, deadline: float
    ) -> None:
        """TLS 1.3: read until the server's NewSessionTicket (it accepted us) or an
        alert / EOF (it did not). Bounded by ``deadline`` and by 2 s."""
        deadline = min(deadline, time.monotonic() + 2.0)
        while time.monotonic() < deadline:
            try:
                conn.recv(65536)
                continue  # application data: the server accepted us long ago
            except SSL.WantReadError:
                pass
            except SSL.Error:
                self._flush(conn, sock, wire)
                return
            lines = self._lines.get(id(conn), [])
            wire.keylog = KeyLog.parse(b"\n".join(lines).decode("ascii", "replace"))
            wire._handshake = None
            h = wire.handshake()
            if h.new_session_ticket or any(a.sender == "server" for a in h.alerts):
                return
            data = _recv(sock, deadline)
            if data is None:
                return
            if not data:
                conn.bio_shutdown()
                return
            wire.s2c.append((time.time(), data))
            if _over_cap(wire, MAX_HANDSHAKE_BYTES):
                return
            conn.bio_write(data)


def write_pcap(path: Path, target: Target, wires: Sequence[Wire]) -> Path:
    """All probes of a run as one pcap (synthesised TCP around the recorded bytes)."""
    writer = PcapWriter(path)
    try:
        server_ip = target.address if ":" not in target.address else "127.0.0.1"
        for wire in wires:
            if wire.error and not wire.c2s:
                continue
            client = (wire.local[0] if ":" not in wire.local[0] else "127.0.0.1", wire.local[1])
            conv = TcpConversation(writer, client, (server_ip, target.port))
            events = [(t, "client", d) for t, d in wire.c2s] + [
                (t, "server", d) for t, d in wire.s2c
            ]
            events.sort(key=lambda e: e[0])
            start = events[0][0] if events else time.time()
            conv.open(start)
            for t, side, data in events:
                conv.data(side, t, data)
            end = events[-1][0] if events else start
            conv.fin("client", end)
            conv.fin("server", end)
    finally:
        writer.close()
    return path
