"""Capture files from outside: implausible lengths and mutants (issue 15, item 7).

Hand-built pcap and pcapng files holding one TCP exchange are the controls (they
read as one connection); the same files with one length made implausible must be a
:class:`HarnessError` naming the record, at once (no 4 GiB allocation, no silent "no
TCP connections"), and ``fixs-harness dissect`` must say so in one line, exit 2.
Then bounded mutation fuzzing (a fixed number of mutants and a time budget) of
both formats: the reader either reads or raises HarnessError, nothing else.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

from harness.capture.tap import TapRelay
from harness.cli import main
from harness.dissect import dissect_pcap
from harness.dissect.pcap import read_tcp_connections
from harness.errors import HarnessError
from tests.capture.peers import Pki, s_client, s_server

MUTANTS = 310  # per format: 620 in all, as in the fuzz run
BUDGET_SECONDS = 20.0
EDITCAP = shutil.which("editcap")


def _tcp_packet(sport: int, dport: int, seq: int, flags: int, payload: bytes = b"") -> bytes:
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload
    total = 20 + len(tcp)
    ip = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        total,
        1,
        0,
        64,
        6,
        0,
        bytes([127, 0, 0, 1]),
        bytes([127, 0, 0, 2]),
    )
    return ip + tcp


PACKETS = [
    _tcp_packet(40000, 9000, 100, 0x02),  # SYN
    _tcp_packet(40000, 9000, 101, 0x18, b"8=FIX.4.4\x01"),  # PSH ACK with data
    _tcp_packet(40000, 9000, 111, 0x11),  # FIN ACK
]


def pcap_bytes(packets: list[bytes] = PACKETS, *, lengths: dict[int, int] | None = None) -> bytes:
    """Classic little-endian pcap, raw IPv4 link type (101); ``lengths`` overrides the
    recorded length of packet N (0-based)."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    for i, p in enumerate(packets):
        incl = (lengths or {}).get(i, len(p))
        out += struct.pack("<IIII", 1_700_000_000 + i, 0, incl, len(p)) + p
    return out


def _block(btype: int, body: bytes, *, length: int | None = None) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    n = 12 + len(body) if length is None else length
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng_bytes(*, epb_length: int | None = None) -> bytes:
    shb = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = _block(1, struct.pack("<HHI", 101, 0, 65535))
    out = shb + idb
    for i, p in enumerate(PACKETS):
        ts = (1_700_000_000 + i) * 1_000_000
        body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(p), len(p)) + p
        out += _block(6, body, length=epb_length if i == 1 else None)
    return out


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make", [pcap_bytes, pcapng_bytes], ids=["pcap", "pcapng"])
def test_the_hand_built_captures_read_as_one_connection(tmp_path: Path, make: object) -> None:
    path = _write(tmp_path, "good", make())  # type: ignore[operator]
    (conn,) = read_tcp_connections(path)
    assert conn.syn_seen and conn.client_fin
    assert b"".join(d for _, d in conn.c2s) == b"8=FIX.4.4\x01"


@pytest.mark.parametrize("length", [0xFFFFFFFF, 0x7FFFFFFF, 262145])
def test_a_pcap_record_of_implausible_length_is_a_clear_error(tmp_path: Path, length: int) -> None:
    path = _write(tmp_path, "bad.pcap", pcap_bytes(lengths={1: length}))
    started = time.monotonic()
    with pytest.raises(HarnessError, match=r"packet record 2 at byte \d+ claims"):
        read_tcp_connections(path)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("length", "why"),
    [
        (0xFFFFFFFC, "implausible"),
        (0xFFFFFFFF, "implausible"),
        (8, "implausible"),
        (62, "implausible"),
    ],
)
def test_a_pcapng_block_of_implausible_length_is_a_clear_error(
    tmp_path: Path, length: int, why: str
) -> None:
    path = _write(tmp_path, "bad.pcapng", pcapng_bytes(epb_length=length))
    with pytest.raises(
        HarnessError, match=rf"pcapng block 4 at byte \d+: block length {length} is {why}"
    ):
        read_tcp_connections(path)


def test_pcapng_trailing_length_mismatch_and_missing_section_header(tmp_path: Path) -> None:
    good = pcapng_bytes()
    shb_len = 28
    idb_len = 20
    # the IDB's trailing length altered
    bad = bytearray(good)
    bad[shb_len + idb_len - 4 : shb_len + idb_len] = struct.pack("<I", 24)
    with pytest.raises(HarnessError, match="block 2 at byte 28: trailing block length"):
        read_tcp_connections(_write(tmp_path, "a.pcapng", bytes(bad)))
    # a file with the pcapng magic whose section header has no byte-order magic
    with pytest.raises(HarnessError, match="byte-order magic"):
        read_tcp_connections(_write(tmp_path, "b.pcapng", good[:8] + b"\x00" * 4 + good[12:]))


def test_dissect_cli_says_it_in_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, data in (
        ("bad.pcap", pcap_bytes(lengths={0: 0xFFFFFFFF})),
        ("bad.pcapng", pcapng_bytes(epb_length=0xFFFFFFFC)),
    ):
        assert main(["dissect", str(_write(tmp_path, name, data))]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("fixs-harness: error: "), err
        assert name in err and "Traceback" not in err
    # control: the good capture is dissected (exit 0), its connection listed
    assert main(["dissect", str(_write(tmp_path, "good.pcap", pcap_bytes())), "--json"]) == 0


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if len(b) < 8:
            break
        op = rng.randrange(5)
        pos = rng.randrange(len(b))
        if op == 0:
            b[pos] = rng.randrange(256)
        elif op == 1:  # a length-looking word made extreme
            b[pos : pos + 4] = struct.pack(
                "<I", rng.choice([0, 3, 0xFFFFFFFF, 0x80000000, rng.randrange(1 << 32)])
            )
        elif op == 2:
            del b[pos : pos + rng.randint(1, 32)]
        elif op == 3:
            b[pos:pos] = rng.randbytes(rng.randint(1, 32))
        else:
            b = b[:pos]
    return bytes(b)


@pytest.mark.parametrize("make", [pcap_bytes, pcapng_bytes], ids=["pcap", "pcapng"])
def test_mutants_read_or_raise_harness_error(tmp_path: Path, make: object) -> None:
    rng = random.Random(15)
    seed = make()  # type: ignore[operator]
    path = tmp_path / "m"
    deadline = time.monotonic() + BUDGET_SECONDS
    tried = errors = 0
    for _ in range(MUTANTS):
        if time.monotonic() > deadline:
            break
        path.write_bytes(_mutate(rng, seed))
        tried += 1
        try:
            read_tcp_connections(path)
        except HarnessError:
            errors += 1
    print(f"{tried} mutants, {errors} refused with a HarnessError")
    assert tried >= 100  # the budget is generous: a slow reader is itself a finding
    assert errors > 0  # the mutants do reach the checks


def _real_capture(tmp_path: Path, pki: Pki) -> Path:
    with (
        s_server(tmp_path, ["-cert", str(pki.rsa_server)]) as port,
        TapRelay(("127.0.0.1", port), tmp_path / "leg.pcap") as tap,
    ):
        s_client(tap.address, ["-tls1_2"])
        assert tap.wait_idle(10)
    return tmp_path / "leg.pcap"


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_mutants_of_a_real_tls_capture_dissect_or_raise_harness_error(
    tmp_path: Path, pki: Pki, fmt: str
) -> None:
    """The whole pipeline (capture reader, TCP reassembly, TLS dissection) on 310
    mutants of a real TLS 1.2 handshake, half of them mutated only after the file
    header: a Handshake list or a HarnessError, nothing else."""
    seed_path = _real_capture(tmp_path, pki)
    if fmt == "pcapng":
        if EDITCAP is None:
            pytest.skip("needs editcap to write pcapng")
        subprocess.run(
            [EDITCAP, "-F", "pcapng", str(seed_path), str(tmp_path / "leg.pcapng")],
            check=True,
            timeout=60,
        )
        seed_path = tmp_path / "leg.pcapng"
    seed = seed_path.read_bytes()
    assert dissect_pcap(seed_path)[0].complete  # control: the seed itself dissects
    rng = random.Random(1507)
    path = tmp_path / f"m.{fmt}"
    deadline = time.monotonic() + BUDGET_SECONDS
    tried = 0
    for i in range(MUTANTS):
        if time.monotonic() > deadline:
            break
        data = bytearray(seed)
        if i % 2:
            data = bytearray(_mutate(rng, seed))
        else:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(40, len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        tried += 1
        with contextlib.suppress(HarnessError):
            dissect_pcap(path)
    print(f"{tried} {fmt} mutants of a real capture")
    assert tried >= 100
