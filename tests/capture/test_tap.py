"""The tap relay: faithful forwarding (data, half-close, reset), recording, cleanup."""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.capture.tap import TapRelay
from harness.dissect import read_tcp_connections

TIMEOUT = 5.0


class OneShotServer:
    """A loopback server running ``handler(conn)`` for each accepted connection."""

    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)  # the accept loop polls its stop flag
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.errors: list[BaseException] = []
        self.threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._loop, daemon=True)
        self._stop = threading.Event()
        self._accept.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(TIMEOUT)
            t = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self.threads.append(t)
            t.start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self.handler(conn)
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._accept.join(TIMEOUT)
        self.sock.close()
        for t in self.threads:
            t.join(TIMEOUT)


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[socket.socket], None]], OneShotServer]]:
    servers: list[OneShotServer] = []

    def start(handler: Callable[[socket.socket], None]) -> OneShotServer:
        servers.append(OneShotServer(handler))
        return servers[-1]

    try:
        yield start
    finally:
        for s in servers:
            s.close()


@pytest.fixture
def tap_for(tmp_path: Path) -> Iterator[Callable[[int], TapRelay]]:
    taps: list[TapRelay] = []

    def start(port: int) -> TapRelay:
        taps.append(TapRelay(("127.0.0.1", port), tmp_path / f"t{len(taps)}.pcap").start())
        return taps[-1]

    try:
        yield start
    finally:
        for t in taps:
            t.stop()


def _recv_all(sock: socket.socket) -> bytes:
    out = b""
    while True:
        data = sock.recv(65536)
        if not data:
            return out
        out += data


def _connect(addr: tuple[str, int]) -> socket.socket:
    s = socket.create_connection(addr, timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


def test_relays_and_records_both_directions(serve, tap_for) -> None:
    big = bytes(range(256)) * 1000  # spans many segments and pcap frames

    def echo(conn: socket.socket) -> None:
        conn.sendall(_recv_all(conn)[::-1])

    server = serve(echo)
    tap = tap_for(server.port)
    with _connect(tap.address) as c:
        c.sendall(big)
        c.shutdown(socket.SHUT_WR)
        assert _recv_all(c) == big[::-1]
    assert tap.wait_idle(TIMEOUT)
    tap.stop()
    (conn,) = read_tcp_connections(tap.pcap_path, server_port=server.port)
    assert b"".join(d for _, d in conn.c2s) == big
    assert b"".join(d for _, d in conn.s2c) == big[::-1]
    assert conn.syn_seen and conn.client_fin and conn.server_fin
    assert not (conn.client_rst or conn.server_rst) and conn.gaps == ()
    assert conn.server == ("127.0.0.1", server.port)
    times = [t for t, _ in conn.c2s] + [t for t, _ in conn.s2c]
    assert all(t > 0 for t in times) and max(t for t, _ in conn.c2s) <= min(t for t, _ in conn.s2c)


def test_half_close_is_forwarded_and_the_other_direction_keeps_flowing(serve, tap_for) -> None:
    seen: dict[str, bytes] = {}

    def respond_after_eof(conn: socket.socket) -> None:
        seen["request"] = _recv_all(conn)  # returns only when the client's FIN arrived
        conn.sendall(b"response after your FIN")

    server = serve(respond_after_eof)
    tap = tap_for(server.port)
    with _connect(tap.address) as c:
        c.sendall(b"request")
        c.shutdown(socket.SHUT_WR)
        assert _recv_all(c) == b"response after your FIN"
    assert seen["request"] == b"request"
    assert not server.errors


def test_without_half_close_the_server_sees_no_eof(serve, tap_for) -> None:
    # Negative control for the half-close test: the EOF is the client's, not the tap's.
    outcome: dict[str, object] = {}
    done = threading.Event()

    def wait_for_eof(conn: socket.socket) -> None:
        conn.settimeout(0.5)
        try:
            outcome["data"] = conn.recv(100), conn.recv(100)
        except TimeoutError:
            outcome["timeout"] = True
        done.set()

    server = serve(wait_for_eof)
    tap = tap_for(server.port)
    with _connect(tap.address) as c:
        c.sendall(b"x")
        assert done.wait(TIMEOUT)
    assert outcome == {"timeout": True}


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


@pytest.mark.parametrize("abortive", [True, False])
def test_server_reset_reaches_the_client_as_a_reset(serve, tap_for, abortive: bool) -> None:
    def close_after_greeting(conn: socket.socket) -> None:
        conn.sendall(b"bye")
        conn.recv(10)  # the client's "ok": makes the order deterministic
        if abortive:
            _reset(conn)

    server = serve(close_after_greeting)
    tap = tap_for(server.port)
    with _connect(tap.address) as c:
        assert c.recv(3) == b"bye"
        c.sendall(b"ok")
        if abortive:
            with pytest.raises(ConnectionResetError):
                _recv_all(c)
        else:  # negative control: an orderly close arrives as EOF, not a reset
            assert _recv_all(c) == b""
    assert tap.wait_idle(TIMEOUT)
    tap.stop()
    (conn,) = read_tcp_connections(tap.pcap_path)
    assert conn.server_rst is abortive
    assert conn.server_fin is not abortive


def test_client_reset_reaches_the_server_as_a_reset(serve, tap_for) -> None:
    got: dict[str, object] = {}
    done = threading.Event()

    def read(conn: socket.socket) -> None:
        try:
            got["data"] = conn.recv(10)
            got["next"] = conn.recv(10)
        except ConnectionResetError:
            got["reset"] = True
        done.set()

    server = serve(read)
    tap = tap_for(server.port)
    c = _connect(tap.address)
    c.sendall(b"hi")
    _reset(c)
    assert done.wait(TIMEOUT)
    assert got.get("reset") is True, got
    assert tap.wait_idle(TIMEOUT)
    tap.stop()
    (conn,) = read_tcp_connections(tap.pcap_path)
    assert conn.client_rst and b"".join(d for _, d in conn.c2s) == b"hi"


def test_refused_upstream_is_a_reset_and_recorded(tap_for) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]  # nothing listens once closed
    tap = tap_for(dead_port)
    with pytest.raises((ConnectionResetError, ConnectionAbortedError)), _connect(tap.address) as c:
        c.sendall(b"x")
        if c.recv(1) == b"":
            raise ConnectionResetError("closed")  # either is an immediate refusal
    tap.stop()
    assert tap.errors and "upstream" in tap.errors[0]
    (conn,) = read_tcp_connections(tap.pcap_path)
    assert conn.server_rst and conn.c2s == []


def test_many_concurrent_connections(serve, tap_for) -> None:
    def echo(conn: socket.socket) -> None:
        conn.sendall(_recv_all(conn))

    server = serve(echo)
    tap = tap_for(server.port)
    results: dict[int, bytes] = {}

    def client(i: int) -> None:
        with _connect(tap.address) as c:
            c.sendall(f"conn-{i:03d}".encode() * 50)
            c.shutdown(socket.SHUT_WR)
            results[i] = _recv_all(c)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 2)
    assert {i: r for i, r in results.items()} == {
        i: f"conn-{i:03d}".encode() * 50 for i in range(24)
    }
    assert tap.wait_idle(TIMEOUT)
    tap.stop()
    conns = read_tcp_connections(tap.pcap_path, server_port=server.port)
    assert len(conns) == 24
    assert sorted(b"".join(d for _, d in c.c2s) for c in conns) == sorted(results.values())
    assert all(b"".join(d for _, d in c.s2c) == b"".join(d for _, d in c.c2s) for c in conns)


def test_stop_cuts_idle_connections_and_joins_threads(serve, tap_for) -> None:
    hold, reached = threading.Event(), threading.Event()

    def idle(conn: socket.socket) -> None:
        reached.set()
        hold.wait(TIMEOUT)

    server = serve(idle)
    tap = tap_for(server.port)
    c = _connect(tap.address)
    try:
        c.sendall(b"x")
        assert reached.wait(TIMEOUT)
        assert not tap.wait_idle(0.2)  # the connection is alive
        tap.stop(timeout=TIMEOUT)
        assert tap.active() == 0
        assert not [t for t in threading.enumerate() if t.name.startswith("tap-")]
    finally:
        hold.set()
        c.close()


@pytest.mark.skipif(shutil.which("tshark") is None, reason="needs tshark")
def test_wireshark_reads_the_tap_pcap_with_valid_checksums(serve, tap_for) -> None:
    def echo(conn: socket.socket) -> None:
        conn.sendall(_recv_all(conn))

    server = serve(echo)
    tap = tap_for(server.port)
    with _connect(tap.address) as c:
        c.sendall(b"z" * 70000)
        c.shutdown(socket.SHUT_WR)
        _recv_all(c)
    assert tap.wait_idle(TIMEOUT)
    tap.stop()

    def tshark(*args: str) -> list[str]:
        out = subprocess.run(
            ["tshark", "-r", str(tap.pcap_path), "-o", "tcp.check_checksum:TRUE", *args],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return [line for line in out.stdout.splitlines() if line.strip()]

    assert len(tshark("-Y", "tcp")) >= 8
    assert (
        tshark("-Y", "tcp.checksum.status == 0 || ip.checksum.status == 0 || _ws.malformed") == []
    )
    assert tshark("-Y", "tcp.analysis.flags && !tcp.analysis.window_update") == []
    payload = tshark("-T", "fields", "-e", "tcp.len", "-Y", f"tcp.dstport == {server.port}")
    assert sum(int(x) for x in payload) == 70000
