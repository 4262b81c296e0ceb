"""Acceptance: the cipher code in each report equals what an independent capture of
the same run shows, for every shipped scenario.

The harness is run as users run it (``python -m harness run scenarios``) with its own
capture forced to the tap relay, while tcpdump records the loopback interface on its
own. tshark (not the harness's dissector) then reads every ServerHello from
tcpdump's file. A ServerHello belongs to a result when it travels on one of the TCP
connections the result's server tunnel logged: the tunnel's log names the port it
is ``bound to`` and the peer port of every connection it ``accepted``, and a
(server port, peer port) pair names one connection on loopback for the short life
of a run, even with other engineers' traffic on the same interface. Ports the
kernel reuses across scenarios are disambiguated by the peer port.

A scenario whose handshake was refused before the ServerHello must show no
ServerHello in either source; every other scenario must show exactly the reported
code in every ServerHello on its connections (including the resumed probe
connection the runner opens to read TCP_NODELAY).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.runner.scenario_kit import IN_CI, REPO, SHIPPED, require_tool

BOUND = re.compile(r"Service \[[^\]]+\] \(FD=\d+\) bound to 127\.0\.0\.1:(\d+)")
ACCEPTED = re.compile(r"accepted connection from 127\.0\.0\.1:(\d+)")
#: Only TCP segments whose payload starts with a TLS handshake record (0x16) holding a
#: ServerHello (type 2): the loopback of a shared machine carries gigabytes of other
#: traffic, which would swamp the kernel buffer. The server's first write on a
#: connection begins with its ServerHello, so that message always starts a segment.
SERVER_HELLO_BPF = "tcp and tcp[((tcp[12:1] & 0xf0) >> 2):1] = 0x16 and tcp[((tcp[12:1] & 0xf0) >> 2) + 5:1] = 0x02"
STUNNEL_PAIRS = ("python:stunnel-local", "stunnel-local:python", "stunnel-local:stunnel-local")


@dataclass(frozen=True)
class ServerHello:
    src_port: int
    dst_port: int
    cipher: int


@dataclass(frozen=True)
class Connections:
    """The server tunnel's listening port and the peer ports it accepted."""

    server_port: int
    peer_ports: frozenset[int]


def server_connections(log: str) -> Connections:
    bound = BOUND.findall(log)
    assert len(bound) == 1, f"expected one 'bound to' line in the server log, got {bound}"
    return Connections(int(bound[0]), frozenset(int(p) for p in ACCEPTED.findall(log)))


def read_server_hellos(tshark: str, pcap: Path, ports: set[int]) -> list[ServerHello]:
    decode = [arg for port in sorted(ports) for arg in ("-d", f"tcp.port=={port},tls")]
    proc = subprocess.run(
        [
            tshark, "-n", "-r", str(pcap), *decode,
            "-Y", "tls.handshake.type == 2",
            "-T", "fields", "-E", "occurrence=f",
            "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tls.handshake.ciphersuite",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    hellos = []
    for line in proc.stdout.splitlines():
        src, dst, cipher = line.split("\t")
        hellos.append(ServerHello(int(src), int(dst), int(cipher, 16)))
    return hellos


def compare(report: dict[str, Any], report_dir: Path, hellos: list[ServerHello]) -> list[str]:
    """Every disagreement between the report's cipher codes and the ServerHellos."""
    problems = []
    for r in report["results"]:
        label = f"{r['scenario_id']}[{r['backend_pair']}]"
        log = (report_dir / r["artifacts"]["server-log"]).read_text()
        conns = server_connections(log)
        seen = {
            h.cipher
            for h in hellos
            if h.src_port == conns.server_port and h.dst_port in conns.peer_ports
        }
        # a refused handshake has no "negotiated" block: its ServerHello is in the ladder
        negotiated = (r["negotiated"] or {}).get("cipher") or (r["handshake"] or {}).get(
            "cipher_selected"
        )
        reported = {int(negotiated["code"], 16)} if negotiated else set()
        if seen != reported:
            problems.append(
                f"{label}: report says {sorted(map(hex, reported))}, "
                f"tcpdump shows {sorted(map(hex, seen))} on port {conns.server_port}"
            )
    return problems


@pytest.fixture
def tcpdump(tmp_path: Path) -> Iterator[Path]:
    """tcpdump on ``lo`` (all TCP) for the duration of the test; stopped on every path."""
    binary = require_tool("tcpdump")
    if os.geteuid() != 0:
        reason = "tcpdump on lo needs root (or CAP_NET_RAW)"
        if IN_CI:
            pytest.fail(f"{reason}; CI=true: this test must run", pytrace=False)
        pytest.skip(reason)
    pcap = tmp_path / "independent.pcap"
    log = (tmp_path / "tcpdump.err").open("w+")
    # --immediate-mode: hand each packet over at once (otherwise packets still in the
    # kernel ring when tcpdump stops are lost); -U: write each packet at once; -B: a
    # large kernel buffer so nothing is dropped
    proc = subprocess.Popen(
        [
            binary,
            "-i",
            "lo",
            "-n",
            "-U",
            "--immediate-mode",
            "-B",
            "32768",
            "-s",
            "0",
            "-w",
            str(pcap),
            SERVER_HELLO_BPF,
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 10
        while "listening on" not in Path(log.name).read_text():
            assert proc.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, "tcpdump did not start within 10 s"
            time.sleep(0.05)
        yield pcap
        # let the last packets reach the file, then stop tcpdump and read its tally
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        tally = Path(log.name).read_text()
        dropped = re.search(r"(\d+) packets dropped by kernel", tally)
        assert dropped is not None and dropped.group(1) == "0", tally
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _run_shipped(tmp_path: Path, pairs: tuple[str, ...]) -> tuple[dict[str, Any], Path]:
    report_dir = tmp_path / "report"
    args = [arg for pair in pairs for arg in ("-p", pair)]
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", str(SHIPPED), *args,
         "--capture", "tap", "--report-dir", str(report_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    # 0 or 1: the comparison holds whether or not a check failed; 2 would be an error
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    report = json.loads((report_dir / "report.json").read_text())
    assert {r["backend_pair"] for r in report["results"]} == set(pairs)
    assert not [r for r in report["results"] if r["error"]]
    return report, report_dir


def _check(report: dict[str, Any], report_dir: Path, pcap: Path) -> None:
    tshark = require_tool("tshark")
    results = report["results"]
    ports = {
        server_connections((report_dir / r["artifacts"]["server-log"]).read_text()).server_port
        for r in results
    }
    hellos = read_server_hellos(tshark, pcap, ports)
    assert compare(report, report_dir, hellos) == []
    # the comparison is not vacuous: most scenarios negotiated, with varied suites ...
    codes = [
        r["negotiated"]["cipher"]["code"] for r in results if (r["negotiated"] or {}).get("cipher")
    ]
    assert len(codes) >= len(results) // 2 and len(set(codes)) >= 3
    # ... and the negative control: one altered report code must be caught
    tampered = json.loads(json.dumps(report))
    victim = next(r for r in tampered["results"] if (r["negotiated"] or {}).get("cipher"))
    victim["negotiated"]["cipher"]["code"] = "0xC0FF"
    assert len(compare(tampered, report_dir, hellos)) == 1


def test_report_ciphers_match_tcpdump_python_pair(tcpdump: Path, tmp_path: Path) -> None:
    require_tool("tshark")
    report, report_dir = _run_shipped(tmp_path, ("python:python",))
    _check(report, report_dir, tcpdump)


@pytest.mark.stunnel
def test_report_ciphers_match_tcpdump_stunnel_pairs(tcpdump: Path, tmp_path: Path) -> None:
    require_tool("tshark")
    require_tool("stunnel")
    report, report_dir = _run_shipped(tmp_path, STUNNEL_PAIRS)
    _check(report, report_dir, tcpdump)
