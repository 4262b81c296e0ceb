#!/usr/bin/env python
"""Tap benchmark: the round-trip time the capture tap adds to a connection.

Usage (from the repository root)::

    .venv/bin/python bench/bench_tap.py [--messages N] [--size BYTES] [--json out.json]

One connection, a ``--size``-byte message written with one ``send`` and read back in
full from an echo server, one at a time (ping-pong, a FIX request/response hop),
``--messages`` times after a warm-up, first straight to the echo server and then
through a :class:`harness.capture.tap.TapRelay` that records every chunk into a pcap,
as the harness runs it. The echo server is a separate process so it does not compete
with the tap for the interpreter; the tap runs in this process, as in a scenario.
Reports p50/p99/mean per path and the added RTT (difference of the medians). The pcap
is checked to hold every byte, so a row cannot pass by dropping data. Loopback only;
bounded by ``--messages`` and a 120 s deadline.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.capture.tap import TapRelay
from harness.dissect import read_tcp_connections

ECHO = r"""
import socket, sys
srv = socket.create_server(("127.0.0.1", 0))
print(srv.getsockname()[1], flush=True)
srv.settimeout(120)
while True:
    try:
        conn, _ = srv.accept()
    except OSError:
        break
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data)
"""


def ping_pong(addr: tuple[str, int], messages: int, size: int, deadline: float) -> list[float]:
    payload = b"8" * size
    rtts: list[float] = []
    with socket.create_connection(addr, timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(messages + 50):  # 50 warm-up exchanges
            if time.monotonic() > deadline:
                raise TimeoutError("benchmark deadline exceeded")
            t0 = time.perf_counter()
            s.sendall(payload)
            got = 0
            while got < size:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("echo server closed")
                got += len(chunk)
            if i >= 50:
                rtts.append(time.perf_counter() - t0)
    return rtts


def summary(rtts: list[float]) -> dict[str, float]:
    us = sorted(r * 1e6 for r in rtts)
    return {
        "p50_us": round(statistics.median(us), 1),
        "p99_us": round(us[int(len(us) * 0.99) - 1], 1),
        "mean_us": round(statistics.fmean(us), 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    deadline = time.monotonic() + 120
    echo = subprocess.Popen([sys.executable, "-c", ECHO], stdout=subprocess.PIPE, text=True)
    try:
        assert echo.stdout is not None
        port = int(echo.stdout.readline())
        direct = ping_pong(("127.0.0.1", port), args.messages, args.size, deadline)
        with tempfile.TemporaryDirectory() as tmp:
            pcap = Path(tmp) / "bench.pcap"
            tap = TapRelay(("127.0.0.1", port), pcap).start()
            try:
                tapped = ping_pong(tap.address, args.messages, args.size, deadline)
                tap.wait_idle(10)
            finally:
                tap.stop()
            (conn,) = read_tcp_connections(pcap)
            recorded = sum(len(d) for _, d in conn.c2s)
            expected = (args.messages + 50) * args.size
            if recorded != expected:
                raise SystemExit(f"tap recorded {recorded} bytes, expected {expected}")
            pcap_bytes = pcap.stat().st_size
    finally:
        echo.kill()
        echo.wait(5)
    rows = {"direct": summary(direct), "tap": summary(tapped)}
    result = {
        "messages": args.messages,
        "size": args.size,
        "rows": rows,
        "added_rtt_p50_us": round(rows["tap"]["p50_us"] - rows["direct"]["p50_us"], 1),
        "pcap_bytes": pcap_bytes,
    }
    print(f"{args.messages} ping-pongs of {args.size} B on loopback")
    print(f"{'path':<8} {'p50 µs':>8} {'p99 µs':>8} {'mean µs':>8}")
    for name, r in rows.items():
        print(f"{name:<8} {r['p50_us']:>8} {r['p99_us']:>8} {r['mean_us']:>8}")
    print(f"tap adds {result['added_rtt_p50_us']} µs at the median; pcap {pcap_bytes} B")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
