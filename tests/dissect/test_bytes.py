"""Byte-level behaviour of the engine: segmentation, truncation, garbage, non-TLS.

The streams are real: one TLS 1.2 mutual-TLS handshake with application data and
one TLS 1.3 handshake with its key log, captured through the tap from openssl
s_server/s_client once per session.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.capture.tap import TapRelay
from harness.dissect import KeyLog, cut_records, dissect_streams, read_tcp_connections
from tests.capture.peers import Pki, s_client, s_server

Chunks = list[tuple[float, bytes]]


@dataclass(frozen=True)
class Captured:
    c2s: Chunks
    s2c: Chunks
    keylog: KeyLog | None


def _capture(tmp: Path, server_args: list[str], client_args: list[str], send: bytes) -> Captured:
    keylog = tmp / "keys.log"
    with s_server(tmp, server_args) as port:
        pcap = tmp / "c.pcap"
        tap = TapRelay(("127.0.0.1", port), pcap).start()
        try:
            s_client(tap.address, [*client_args, "-keylogfile", str(keylog)], send=send)
            assert tap.wait_idle(10)
        finally:
            tap.stop()
    (conn,) = read_tcp_connections(pcap, server_port=port)
    return Captured(conn.c2s, conn.s2c, KeyLog.load(keylog) if keylog.exists() else None)


@pytest.fixture(scope="module")
def tls12(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Captured:
    return _capture(
        tmp_path_factory.mktemp("b12"),
        ["-cert", str(pki.rsa_server), "-verify", "2", "-CAfile", str(pki.ca)],
        ["-tls1_2", "-cert", str(pki.client), "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
        b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01\n",
    )


@pytest.fixture(scope="module")
def tls13(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Captured:
    return _capture(
        tmp_path_factory.mktemp("b13"),
        ["-cert", str(pki.rsa_server), "-verify", "2", "-CAfile", str(pki.ca)],
        ["-tls1_3", "-cert", str(pki.client)],
        b"hello\n",
    )


def _resegment(chunks: Chunks, rng: random.Random, max_len: int) -> Chunks:
    """Split every chunk at random points; each piece keeps its chunk's time."""
    out: Chunks = []
    for t, data in chunks:
        pos = 0
        while pos < len(data):
            n = rng.randint(1, max_len)
            out.append((t, data[pos : pos + n]))
            pos += n
    return out


def test_reference_captures_are_what_the_tests_assume(tls12: Captured, tls13: Captured) -> None:
    h12 = dissect_streams(tls12.c2s, tls12.s2c)
    assert h12.complete and h12.negotiated is True and h12.mutual_tls is True
    assert h12.application_data.client_records >= 1
    h13 = dissect_streams(tls13.c2s, tls13.s2c, keylog=tls13.keylog)
    assert h13.complete and h13.negotiated is True and h13.decrypted and h13.mutual_tls is True


def test_server_hello_compression_and_certificate_der(tls12: Captured, pki: Pki) -> None:
    h = dissect_streams(tls12.c2s, tls12.s2c)
    assert h.compression_selected == 0
    sent = x509.load_pem_x509_certificate(pki.rsa_server.read_bytes())
    assert h.server_certificates is not None and h.client_certificates
    assert h.server_certificates[0].der == sent.public_bytes(serialization.Encoding.DER)
    for cert in h.server_certificates + h.client_certificates:
        assert hashlib.sha256(cert.der).hexdigest() == cert.sha256
        assert "der" not in cert.to_dict()
    assert h.to_dict()["compression_selected"] == 0
    # Negative control: the same flight with DEFLATE (1) in the ServerHello's
    # compression byte (record header 5 + handshake header 4 + version 2 + random 32,
    # then the session id vector and the cipher suite).
    s2c = b"".join(d for _, d in tls12.s2c)
    assert s2c[5] == 2  # ServerHello
    at = 5 + 4 + 2 + 32
    at += 1 + s2c[at] + 2
    assert s2c[at] == 0
    deflate = s2c[:at] + b"\x01" + s2c[at + 1 :]
    assert dissect_streams(tls12.c2s, [(0.0, deflate)]).compression_selected == 1


@pytest.mark.parametrize("which", ["tls12", "tls13"])
@pytest.mark.parametrize("seed", range(12))
def test_random_segmentation_gives_the_same_record(which: str, seed: int, request) -> None:
    cap: Captured = request.getfixturevalue(which)
    reference = dissect_streams(cap.c2s, cap.s2c, keylog=cap.keylog)
    rng = random.Random(seed)
    max_len = rng.choice([1, 3, 7, 64, 700, 5000])
    again = dissect_streams(
        _resegment(cap.c2s, rng, max_len), _resegment(cap.s2c, rng, max_len), keylog=cap.keylog
    )
    assert again == reference


def test_one_byte_at_a_time(tls12: Captured) -> None:
    reference = dissect_streams(tls12.c2s, tls12.s2c)
    rng = random.Random(0)
    assert (
        dissect_streams(_resegment(tls12.c2s, rng, 1), _resegment(tls12.s2c, rng, 1)) == reference
    )


def _handshake_end(chunks: Chunks, sender: str) -> int:
    """Offset just after the sender's last handshake-protocol record (its Finished)."""
    pos, end = 0, 0
    for rec in cut_records(chunks, sender).records:  # type: ignore[arg-type]
        pos += 5 + len(rec.payload)
        if rec.type in (20, 22):
            end = pos
    return end


def _truncate(chunks: Chunks, n: int) -> Chunks:
    out: Chunks = []
    left = n
    for t, data in chunks:
        if left <= 0:
            break
        out.append((t, data[:left]))
        left -= len(data)
    return out


@pytest.mark.parametrize("direction", ["client", "server"])
def test_truncation_never_gives_a_false_negotiated(tls12: Captured, direction: str) -> None:
    stream = tls12.c2s if direction == "client" else tls12.s2c
    total = sum(len(d) for _, d in stream)
    end = _handshake_end(stream, direction)
    assert 0 < end <= total
    rng = random.Random(direction)
    cuts = sorted({0, 1, 4, 5, 6, end - 1, *rng.sample(range(end), min(60, end))})
    for n in cuts:
        cut = _truncate(stream, n)
        c2s, s2c = (cut, tls12.s2c) if direction == "client" else (tls12.c2s, cut)
        h = dissect_streams(c2s, s2c)
        assert h.negotiated is not True, f"cut at {n}: {h.incomplete_reason}"
        if n < end:
            assert not h.complete or h.fatal_alert is not None, f"cut at {n}"
            assert h.incomplete_reason, f"cut at {n}"


def test_truncation_inside_a_record_names_the_cut(tls12: Captured) -> None:
    stream = tls12.s2c
    h = dissect_streams(tls12.c2s, _truncate(stream, 30))
    assert not h.complete
    assert h.incomplete_reason is not None and "server stream ends inside a record" in (
        h.incomplete_reason
    )
    # Negative control: the uncut stream is complete.
    assert dissect_streams(tls12.c2s, stream).complete


@pytest.mark.parametrize(
    ("payload", "expect"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not TLS"),
        (
            b"8=FIX.4.4\x019=65\x0135=A\x0134=1\x0149=C\x0156=S\x0198=0\x01108=30\x0110=123\x01",
            "not TLS",
        ),
        (b"SSH-2.0-OpenSSH_9.2\r\n", "not TLS"),
        (bytes.fromhex("802e0100020015000000100000"), "SSLv2"),
        (b"\x16\x03\x01\x00", "ends inside a record header"),
    ],
)
def test_non_tls_client_streams(payload: bytes, expect: str, tls12: Captured) -> None:
    h = dissect_streams([(1.0, payload)], [])
    assert not h.complete and h.negotiated is not True
    assert h.incomplete_reason is not None and expect in h.incomplete_reason
    # A TLS server answering with non-TLS bytes is caught on the server side.
    h2 = dissect_streams(tls12.c2s[:1], [(2.0, b"HTTP/1.1 400 Bad Request\r\n\r\n")])
    assert not h2.complete and "server stream is not TLS" in (h2.incomplete_reason or "")


def test_empty_streams() -> None:
    h = dissect_streams([], [])
    assert not h.complete and h.incomplete_reason == "no data in either direction"
    assert h.negotiated is False


def test_garbage_after_handshake_withdraws_the_verdict(tls12: Captured) -> None:
    h = dissect_streams([*tls12.c2s, (9e9, b"\x00garbage")], tls12.s2c)
    assert not h.complete and "not TLS after" in (h.incomplete_reason or "")
    assert h.negotiated is None


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400), st.binary(max_size=400))
def test_random_bytes_never_raise(c: bytes, s: bytes) -> None:
    h = dissect_streams([(1.0, c)], [(2.0, s)])
    assert h.negotiated is not True
    assert not h.complete and h.incomplete_reason
    assert "internal dissector error" not in h.incomplete_reason


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_mutated_handshakes_never_raise(tls12: Captured, data: st.DataObject) -> None:
    c = bytearray(b"".join(d for _, d in tls12.c2s))
    s = bytearray(b"".join(d for _, d in tls12.s2c))
    for buf in (c, s):
        for _ in range(data.draw(st.integers(1, 4))):
            i = data.draw(st.integers(0, len(buf) - 1))
            buf[i] = data.draw(st.integers(0, 255))
    h = dissect_streams([(1.0, bytes(c))], [(2.0, bytes(s))])
    # The engine's last-resort handler would turn a crash into this reason: forbid it.
    assert "internal dissector error" not in (h.incomplete_reason or "")
