#!/usr/bin/env python
"""Tunnel benchmark: round-trip latency and one-way stream rate of 200-byte messages
through raw TCP, a stunnel pair, a Python tunnel pair and the mixed pairs, in one run.

Usage (from the repository root)::

    .venv/bin/python bench/bench_tunnel.py [--messages N] [--seconds S] [--rounds R]
                                           [--json out.json] [--quick]

What it measures, per row:

- **RTT**: one connection, a 200-byte message written with one ``send`` and read back
  in full from an echo server, one at a time (ping-pong), ``--messages`` times after a
  warm-up; p50, p99 and mean in µs. This is a FIX request/response hop.
- **stream**: one connection, 200-byte messages written back to back (one ``send``
  each, ``TCP_NODELAY``, as a FIX engine writes) for ``--messages`` messages or
  ``--seconds``, whichever comes first, then a half-close; a sink counts the bytes and
  answers with the count once it sees EOF, which stops the clock. Messages/s and MB/s
  over the whole transfer, the tunnels' buffers drained included. The count must match
  (the half-close must travel through both tunnels: plain EOF → ``close_notify`` →
  ``shutdown(SHUT_WR)``), so a row cannot pass by losing data.
- **tunnel CPU**: user+system CPU time the two tunnel processes spent per message
  during the stream (from ``/proc/PID/stat``), the cost that limits the rate when the
  tunnels, not the sender, are the bottleneck.

Every tunnel pair runs the guide's use case 1a (section 3.2: TLS 1.2, mutual
certificates, leaf pinning, the guide's cipher list) with a fresh test PKI; the
negotiated cipher is printed with the table. Each tunnel runs in its own process, as
stunnel does (the Python tunnel through ``python -m harness tunnel``), and so do the
echo server and the sink, so the client driver in this process competes with nothing
for the GIL. One extra row runs the Python pair in this process (``PythonBackend``, as
the harness's runner does): there the two tunnel threads and the driver share one GIL.

Loopback only; bounded in count and time; everything started is stopped on every
path (the peer process also exits when this process dies: it watches its stdin).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import platform
import select
import signal
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# the harness, importable when run from a checkout (after the path is set)
from harness.backends.base import (  # noqa: E402
    Availability,
    Tunnel,
    TunnelBackend,
    write_private,
)
from harness.backends.python import PythonBackend  # noqa: E402
from harness.backends.stunnel_local import HostStunnel, LocalStunnelBackend  # noqa: E402
from harness.backends.stunnel_process import wait_ready  # noqa: E402
from harness.pki import TestPKI  # noqa: E402
from harness.stunnelconf import StunnelConfig, parse_config  # noqa: E402
from harness.stunnelconf.logfacts import parse_log  # noqa: E402
from harness.stunnelconf.rewrite import Rewrite, rewrite  # noqa: E402

MSG_SIZE = 200
#: A FIX-looking 200-byte message (content does not matter to a tunnel).
MESSAGE = (b"8=FIX.4.4\x019=178\x0135=D\x0149=BENCH\x0156=PEER\x0134=1\x01" + b"X" * 200)[:MSG_SIZE]
MODE_ECHO, MODE_SINK = b"E", b"S"
BULK = 80  # messages per send in the bulk stream: 16,000 bytes, about one TLS record
WAIT = 10.0  # seconds: the longest any single wait may take


# ----------------------------------------------------------------- the peer process


def _peer_conn(conn: socket.socket) -> None:
    """One peer connection: the first byte chooses echo or sink."""
    buf = bytearray(65536)
    view = memoryview(buf)
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mode = conn.recv(1)
        if mode == MODE_ECHO:
            while True:
                n = conn.recv_into(buf)
                if not n:
                    break
                conn.sendall(view[:n])
        elif mode == MODE_SINK:
            total = 0
            while True:
                n = conn.recv_into(buf)
                if not n:
                    break
                total += n
            conn.sendall(struct.pack("!Q", total))
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)


def serve_peer() -> int:
    """Echo/sink server (run as a child process): prints its port, serves until its
    stdin closes (so it cannot outlive the benchmark)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(listener.getsockname()[1], flush=True)

    def accept_loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_safe_peer_conn, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe or died
    listener.close()
    return 0


def _safe_peer_conn(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        _peer_conn(conn)


@contextlib.contextmanager
def peer_process() -> Iterator[tuple[str, int]]:
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve-peer"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = _readline_with_timeout(proc.stdout.fileno(), WAIT)
        yield ("127.0.0.1", int(line))
    finally:
        _stop_process(proc)


def _readline_with_timeout(fd: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise RuntimeError("peer process did not start")
        chunk = os.read(fd, 64)
        if not chunk:
            raise RuntimeError("peer process exited")
        data += chunk
    return data.decode().strip()


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        if proc.stdin:
            proc.stdin.close()
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    with contextlib.suppress(OSError):
        if proc.stdout:
            proc.stdout.close()


# ----------------------------------------------------------------- measurements


@contextlib.contextmanager
def watchdog(sock: socket.socket, seconds: float) -> Iterator[None]:
    """Blocking sockets keep the timed loop at one syscall per operation (a socket
    timeout adds a poll() before each); this bounds the run instead: past the
    deadline the socket is shut down, which ends any blocked call with an error."""
    timer = threading.Timer(seconds, lambda: _shutdown(sock))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _connect(address: tuple[str, int], mode: bytes) -> socket.socket:
    sock = socket.create_connection(address, timeout=WAIT)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(mode)
    return sock


@dataclass(frozen=True)
class RTT:
    samples: int
    p50_us: float
    p99_us: float
    mean_us: float
    tunnel_cpu_us: float | None  # CPU time of both tunnels per round trip


@dataclass(frozen=True)
class Stream:
    messages: int
    seconds: float
    msgs_per_s: float
    mb_per_s: float
    tunnel_cpu_us_per_msg: float | None


def measure_rtt(
    address: tuple[str, int], messages: int, seconds: float, tunnel_pids: list[int]
) -> RTT:
    warmup = max(10, messages // 20)
    buf = bytearray(MSG_SIZE)
    view = memoryview(buf)
    samples: list[int] = []
    clock = time.perf_counter_ns
    sock = _connect(address, MODE_ECHO)
    try:
        with watchdog(sock, seconds + WAIT):
            send, recv_into = sock.sendall, sock.recv_into
            deadline = clock() + int(seconds * 1e9)
            cpu0: float | None = None
            for i in range(warmup + messages):
                if i == warmup:
                    cpu0 = _cpu_seconds(tunnel_pids) if tunnel_pids else None
                t0 = clock()
                send(MESSAGE)
                got = 0
                while got < MSG_SIZE:
                    n = recv_into(view[got:])
                    if not n:
                        raise RuntimeError(f"echo closed after {i} round trips")
                    got += n
                t1 = clock()
                if i >= warmup:
                    samples.append(t1 - t0)
                    if t1 > deadline:
                        break
            cpu1 = _cpu_seconds(tunnel_pids) if tunnel_pids else None
            if bytes(buf) != MESSAGE:
                raise RuntimeError("echo returned different bytes")
    finally:
        sock.close()
    samples.sort()
    cpu = (cpu1 - cpu0) / len(samples) * 1e6 if cpu0 is not None and cpu1 is not None else None
    return RTT(
        samples=len(samples),
        p50_us=samples[len(samples) // 2] / 1000,
        p99_us=samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1000,
        mean_us=statistics.fmean(samples) / 1000,
        tunnel_cpu_us=cpu,
    )


def _cpu_clock(pid: int) -> int | None:
    """The CPU-time clock of another process (all its threads, ns resolution), via
    ``clock_getcpuclockid(3)``; None where libc does not offer it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        clock_id = ctypes.c_int()
        if libc.clock_getcpuclockid(pid, ctypes.byref(clock_id)) != 0:
            return None
    except (OSError, AttributeError):
        return None
    return clock_id.value


def _cpu_seconds(pids: list[int]) -> float | None:
    """User+system CPU time of processes (all threads): from their CPU-time clocks,
    else from ``/proc/PID/stat`` (clock ticks, 10 ms resolution); None if neither."""
    try:
        clocks = [_cpu_clock(pid) for pid in pids]
        if all(c is not None for c in clocks):
            return sum(time.clock_gettime(c) for c in clocks if c is not None)
        total = 0
        for pid in pids:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


def measure_stream(
    address: tuple[str, int],
    messages: int,
    seconds: float,
    tunnel_pids: list[int],
    *,
    per_send: int = 1,
) -> Stream:
    """``per_send`` messages go out with each ``send`` (1: as a FIX engine writes;
    more: a bulk writer, which makes the tunnels rather than the sender the limit)."""
    sock = _connect(address, MODE_SINK)
    payload = MESSAGE * per_send
    sent = 0
    try:
        with watchdog(sock, seconds + 2 * WAIT):
            send = sock.sendall
            cpu0 = _cpu_seconds(tunnel_pids) if tunnel_pids else None
            t0 = time.perf_counter()
            deadline = t0 + seconds
            while sent < messages:
                sends = max(1, min(1024, (messages - sent) // per_send))
                for _ in range(sends):
                    send(payload)
                sent += sends * per_send
                if time.perf_counter() > deadline:
                    break
            sock.shutdown(socket.SHUT_WR)
            reply = b""
            while len(reply) < 8:
                chunk = sock.recv(8 - len(reply))
                if not chunk:
                    raise RuntimeError("sink closed without a count")
                reply += chunk
            elapsed = time.perf_counter() - t0
            cpu1 = _cpu_seconds(tunnel_pids) if tunnel_pids else None
    finally:
        sock.close()
    (count,) = struct.unpack("!Q", reply)
    if count != sent * MSG_SIZE:
        raise RuntimeError(f"sink counted {count} bytes, {sent * MSG_SIZE} were sent")
    cpu = (cpu1 - cpu0) / sent * 1e6 if cpu0 is not None and cpu1 is not None else None
    return Stream(
        messages=sent,
        seconds=elapsed,
        msgs_per_s=sent / elapsed,
        mb_per_s=sent * MSG_SIZE / elapsed / 1e6,
        tunnel_cpu_us_per_msg=cpu,
    )


# ----------------------------------------------------------------- tunnels

GUIDE = REPO / "fixtures" / "guide"


def guide_1a(pki: TestPKI) -> tuple[StunnelConfig, StunnelConfig]:
    """The guide's case 1a (sections 3.2.1 and 3.2.2) with the test PKI's files."""
    paths = {
        "/etc/stunnel/stunnel-5.41/stunnel.pem": str(pki.server_rsa.pem_path),
        "/etc/ssl/certs/stunnel2.pem": str(pki.client_rsa.pin_path),
        "/etc/stunnel/stunnel2.pem": str(pki.client_rsa.pem_path),
        "/etc/ssl/certs/stunnel.pem": str(pki.server_rsa.pin_path),
    }
    out = []
    for name in ("1a-client", "1-server"):
        path = GUIDE / f"{name}.conf"
        config = parse_config(path.read_text(), path=str(path))
        out.append(rewrite(config, Rewrite(paths=paths)).config)
    return out[0], out[1]


class ProcessTunnel(Tunnel):
    """The Python tunnel in its own process (``python -m harness tunnel``), as a user
    runs it in place of stunnel."""

    backend = "python-process"

    def __init__(self, config: StunnelConfig, workdir: Path, label: str) -> None:
        conf = write_private(workdir / f"{label}.conf", config.render())
        self.log_path = workdir / f"{label}.log"
        command = [sys.executable, "-m", "harness", "tunnel", "-c", str(conf)]
        self._run = HostStunnel(label, command, self.log_path, cwd=REPO)
        try:
            self._bound = wait_ready(self._run, [s.name for s in config.services if s.name], 15.0)
        except BaseException:
            self.stop()
            raise

    @property
    def bound(self) -> dict[str, list[tuple[str, int]]]:
        return self._bound

    @property
    def pid(self) -> int:
        return self._run.proc.pid

    def stop(self) -> None:
        self._run.stop()


class ProcessBackend(TunnelBackend):
    name = "python-process"

    def check(self) -> Availability:
        return Availability(True, version="python -m harness tunnel")

    def start(
        self,
        config: StunnelConfig,
        workdir: Path,
        *,
        label: str,
        keylog: Path | None = None,
        timeout: float = 15.0,
    ) -> Tunnel:
        return ProcessTunnel(config, workdir, label)


@dataclass(frozen=True)
class Row:
    name: str
    client: str | None  # backend names; None for raw TCP
    server: str | None


ROWS = (
    Row("raw TCP", None, None),
    Row("stunnel → stunnel", "stunnel", "stunnel"),
    Row("python → python", "python", "python"),
    Row("python → stunnel", "python", "stunnel"),
    Row("stunnel → python", "stunnel", "python"),
    Row("python → python (in-process)", "inproc", "inproc"),
    # real stunnel of each Debian suite in a container (host network, loopback)
    Row("stunnel 5.56 → 5.56 (docker bullseye)", "docker/bullseye", "docker/bullseye"),
    Row("stunnel 5.68 → 5.68 (docker bookworm)", "docker/bookworm", "docker/bookworm"),
    Row("stunnel 5.74 → 5.74 (docker trixie)", "docker/trixie", "docker/trixie"),
)


@dataclass(frozen=True)
class RowResult:
    row: str
    rtt: RTT
    stream: Stream
    bulk: Stream
    tls: str | None  # e.g. "TLSv1.2 DHE-RSA-AES128-SHA256"


def _backend(name: str) -> TunnelBackend:
    if name.startswith("docker/"):
        from harness.backends.docker import DockerStunnelBackend

        return DockerStunnelBackend(name.split("/", 1)[1])
    if name == "stunnel":
        return LocalStunnelBackend()
    if name == "python":
        return ProcessBackend()
    return PythonBackend()


def _pid(tunnel: Tunnel) -> int | None:
    pid = getattr(tunnel, "pid", None)
    return pid if isinstance(pid, int) else None


@contextlib.contextmanager
def tunnel_pair(
    row: Row, pki: TestPKI, peer: tuple[str, int], workdir: Path
) -> Iterator[tuple[tuple[str, int], list[Tunnel]]]:
    if row.client is None or row.server is None:
        yield peer, []
        return
    client_conf, server_conf = guide_1a(pki)
    server_conf = server_conf.set_option("fix-server", "connect", f"{peer[0]}:{peer[1]}")
    tag = row.name.replace(" ", "").replace("→", "-").replace("(", "").replace(")", "")
    with _backend(row.server).start(server_conf, workdir, label=f"{tag}-server") as server:
        host, port = server.address()
        client_conf = client_conf.set_option("fix-client", "connect", f"{host}:{port}")
        with _backend(row.client).start(client_conf, workdir, label=f"{tag}-client") as client:
            yield client.address(), [client, server]


def _negotiated(tunnels: list[Tunnel]) -> str | None:
    if not tunnels:
        return None
    for conn in parse_log(tunnels[0].log_text()).connections.values():
        if conn.cipher:
            return f"{conn.version} {conn.cipher}"
    return None


def run_row(
    row: Row,
    pki: TestPKI,
    peer: tuple[str, int],
    workdir: Path,
    messages: int,
    stream_messages: int,
    seconds: float,
) -> RowResult:
    with tunnel_pair(row, pki, peer, workdir) as (address, tunnels):
        pids = [p for p in (_pid(t) for t in tunnels) if p is not None and p != os.getpid()]
        pids = pids if len(pids) == len(tunnels) else []  # in-process: not separable
        rtt = measure_rtt(address, messages, seconds, pids)
        stream = measure_stream(address, stream_messages, seconds, pids)
        bulk = measure_stream(address, stream_messages, seconds, pids, per_send=BULK)
        tls = _negotiated(tunnels)
    return RowResult(row.name, rtt, stream, bulk, tls)


# ----------------------------------------------------------------- report


def _median_result(results: list[RowResult]) -> RowResult:
    """Per measurement, the round with the median figure (RTT by p50, streams by
    rate): each figure shown is a real measurement, and one noisy round (other jobs on
    the machine) moves none of them."""

    def median_by(key: Callable[[RowResult], float]) -> RowResult:
        return sorted(results, key=key)[len(results) // 2]

    rtt = median_by(lambda r: r.rtt.p50_us)
    stream = median_by(lambda r: r.stream.msgs_per_s)
    bulk = median_by(lambda r: r.bulk.msgs_per_s)
    return RowResult(rtt.row, rtt.rtt, stream.stream, bulk.bulk, rtt.tls)


def versions() -> dict[str, str]:
    stunnel = LocalStunnelBackend().check()
    from OpenSSL import SSL

    return {
        "python": platform.python_version(),
        "python ssl": ssl.OPENSSL_VERSION,
        "pyOpenSSL's OpenSSL": SSL.OpenSSL_version(SSL.OPENSSL_VERSION).decode(),
        "stunnel": stunnel.version if stunnel.ok else f"unavailable: {stunnel.reason}",
        "cpus": str(os.cpu_count()),
        "kernel": platform.release(),
        "affinity": ",".join(str(c) for c in sorted(os.sched_getaffinity(0))),
    }


def _opt(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def render(results: list[RowResult]) -> str:
    base = {r.row: r for r in results}.get("stunnel → stunnel")
    lines = [
        "| path | RTT p50 µs | RTT p99 µs | RTT mean µs | tunnel CPU µs/RT "
        "| stream msg/s | stream MB/s | tunnel CPU µs/msg | bulk MB/s | bulk tunnel CPU µs/msg "
        "| p50 vs stunnel | stream vs stunnel | bulk vs stunnel |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cpu = _opt(r.stream.tunnel_cpu_us_per_msg, ".1f")
        rcpu = _opt(r.rtt.tunnel_cpu_us, ".1f")
        bcpu = _opt(r.bulk.tunnel_cpu_us_per_msg, ".2f")
        rel_rtt = rel_stream = rel_bulk = ""
        if base is not None and r.row != "raw TCP":
            rel_rtt = f"{r.rtt.p50_us / base.rtt.p50_us:.2f}×"
            rel_stream = f"{r.stream.msgs_per_s / base.stream.msgs_per_s:.0%}"
            rel_bulk = f"{r.bulk.msgs_per_s / base.bulk.msgs_per_s:.0%}"
        lines.append(
            f"| {r.row} | {r.rtt.p50_us:.1f} | {r.rtt.p99_us:.1f} | {r.rtt.mean_us:.1f} "
            f"| {rcpu} | {r.stream.msgs_per_s:,.0f} | {r.stream.mb_per_s:.1f} | {cpu} "
            f"| {r.bulk.mb_per_s:.0f} | {bcpu} | {rel_rtt} | {rel_stream} | {rel_bulk} |"
        )
    ciphers = sorted({r.tls for r in results if r.tls})
    lines.append("")
    lines.append(f"negotiated (guide case 1a): {', '.join(ciphers) or 'n/a'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=20000, help="round trips per row")
    parser.add_argument(
        "--stream-messages",
        type=int,
        default=2_000_000,
        help="messages per stream (capped by --seconds)",
    )
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="time cap per measurement (default 3)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; median shown")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument("--quick", action="store_true", help="smoke mode: a handful of messages")
    parser.add_argument(
        "--rows",
        metavar="NAMES",
        help="only these rows: comma-separated exact names or name prefixes "
        "(e.g. 'stunnel → stunnel,python → python'); raw TCP always runs",
    )
    parser.add_argument(
        "--cpu",
        type=int,
        metavar="N",
        help="pin this process and everything it starts to CPU N (removes cross-CPU "
        "wake-up noise; every hop then costs its CPU time plus a context switch)",
    )
    parser.add_argument("--serve-peer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_peer:
        return serve_peer()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})  # inherited by the peer and the tunnels
    messages, seconds, rounds = args.messages, args.seconds, args.rounds
    stream_messages = args.stream_messages
    if args.quick:
        messages, stream_messages, seconds, rounds = 50, 500, 1.0, 1
    stunnel_ok = LocalStunnelBackend().check().ok
    rows = [
        r
        for r in ROWS
        if (stunnel_ok or "stunnel" not in r.name or "docker" in r.name)
        and ("docker" not in r.name or _backend(str(r.client)).check().ok)
    ]
    if args.rows:
        wanted = [w.strip() for w in args.rows.split(",") if w.strip()]
        rows = [r for r in rows if r.client is None or any(r.name.startswith(w) for w in wanted)]
    if not stunnel_ok:
        print("stunnel not available: its rows are skipped", file=sys.stderr)
    info = versions()
    print("  ".join(f"{k}: {v}" for k, v in info.items()), file=sys.stderr)
    per_row: dict[str, list[RowResult]] = {r.name: [] for r in rows}
    with tempfile.TemporaryDirectory(prefix="bench-tunnel-") as tmp:
        workdir = Path(tmp)
        pki = TestPKI.create(workdir / "pki")
        with peer_process() as peer:
            for n in range(rounds):
                for row in rows:
                    result = run_row(row, pki, peer, workdir, messages, stream_messages, seconds)
                    per_row[row.name].append(result)
                    print(
                        f"round {n + 1}/{rounds} {row.name}: RTT p50 {result.rtt.p50_us:.1f} µs, "
                        f"stream {result.stream.msgs_per_s:,.0f} msg/s, "
                        f"bulk {result.bulk.mb_per_s:.0f} MB/s",
                        file=sys.stderr,
                        flush=True,
                    )
    results = [_median_result(per_row[r.name]) for r in rows]
    print(render(results))
    if args.json:
        doc = {
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "versions": info,
            "messages": messages,
            "stream_messages": stream_messages,
            "seconds": seconds,
            "rounds": {name: [asdict(r) for r in rs] for name, rs in per_row.items()},
            "median": [asdict(r) for r in results],
        }
        Path(args.json).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
