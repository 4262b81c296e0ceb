"""The FIX codec: framing (BodyLength, CheckSum), parsing, data fields, redaction."""

from __future__ import annotations

import random

import pytest

from harness.fix.codec import (
    CodecError,
    Frame,
    FrameReader,
    GarbledFrame,
    checksum,
    encode,
    parse_message,
    render,
)
from tests.fix.fix_enginekit import CHUNKERS, Chunker

# A message written out by hand; BodyLength and CheckSum computed independently below.
BODY = b"35=0\x0149=A\x0156=B\x0134=1\x0152=20240101-00:00:00.000\x01"
HEAD = b"8=FIX.4.4\x019=%d\x01" % len(BODY)
GOOD = HEAD + BODY + b"10=%03d\x01" % (sum(HEAD + BODY) % 256)


def frames(data: bytes, chunker: Chunker) -> list[Frame | GarbledFrame]:
    reader = FrameReader()
    out: list[Frame | GarbledFrame] = []
    for chunk in chunker(data):
        reader.feed(chunk)
        while (item := reader.next()) is not None:
            out.append(item)
    return out


def test_encode_matches_hand_computed_frame() -> None:
    msg = encode(
        "FIX.4.4", [(35, "0"), (49, "A"), (56, "B"), (34, 1), (52, "20240101-00:00:00.000")]
    )
    assert msg.raw == GOOD
    assert parse_message(GOOD).fields == msg.fields


def test_checksum_is_byte_sum_mod_256() -> None:
    assert checksum(b"\xff\x02") == 1
    assert checksum(b"") == 0


@pytest.mark.parametrize(("name", "chunker"), CHUNKERS)
def test_good_frames_any_chunking(name: str, chunker: Chunker) -> None:
    stream = GOOD * 3
    got = frames(stream, chunker)
    assert [type(f) for f in got] == [Frame, Frame, Frame]
    assert all(f.raw == GOOD for f in got)


@pytest.mark.parametrize(("name", "chunker"), CHUNKERS)
def test_bad_checksum_is_garbled_not_accepted(name: str, chunker: Chunker) -> None:
    bad = GOOD[:-4] + (b"%03d" % ((int(GOOD[-4:-1]) + 1) % 256)) + b"\x01"
    got = frames(bad + GOOD, chunker)
    assert isinstance(got[0], GarbledFrame) and "CheckSum" in got[0].reason
    assert got[0].raw == bad
    # Negative control: the intact message right behind it is framed normally.
    assert got[1:] == [Frame(GOOD)]


@pytest.mark.parametrize("delta", [-5, -1, 1, 7])
@pytest.mark.parametrize(("name", "chunker"), CHUNKERS)
def test_wrong_body_length_is_garbled_and_reader_resyncs(
    delta: int, name: str, chunker: Chunker
) -> None:
    wrong = GOOD.replace(b"9=%d" % len(BODY), b"9=%d" % (len(BODY) + delta), 1)
    got = frames(wrong + GOOD + GOOD, chunker)
    assert isinstance(got[0], GarbledFrame) and "BodyLength" in got[0].reason
    assert [f for f in got if isinstance(f, Frame)] == [Frame(GOOD), Frame(GOOD)]


@pytest.mark.parametrize(("name", "chunker"), CHUNKERS)
def test_garbage_before_frame(name: str, chunker: Chunker) -> None:
    got = frames(b"\x00\xffhello 8=FIY|" + GOOD, chunker)
    assert isinstance(got[0], GarbledFrame) and "garbage" in got[0].reason
    assert got[1:] == [Frame(GOOD)]


@pytest.mark.parametrize(
    "junk",
    [
        b"8=FIX.4.4\x019=abc\x01",  # BodyLength not a number
        b"8=FIX.4.4\x0135=0\x01",  # BodyLength not second
        b"8=FIX.4.4" + b"x" * 40,  # BeginString never ends
        b"8=FIX.4.4\x019=99999999\x01",  # absurd BodyLength
    ],
)
def test_malformed_headers_are_garbled(junk: bytes) -> None:
    got = frames(junk + GOOD, next(c for n, c in CHUNKERS if n == "bytewise"))
    assert isinstance(got[0], GarbledFrame)
    assert got[-1] == Frame(GOOD)


def test_incomplete_frame_waits() -> None:
    reader = FrameReader()
    reader.feed(GOOD[:-1])
    assert reader.next() is None
    reader.feed(GOOD[-1:])
    assert reader.next() == Frame(GOOD)


@pytest.mark.parametrize(("name", "chunker"), CHUNKERS)
def test_20_kib_message(name: str, chunker: Chunker) -> None:
    text = "".join(random.Random(5).choice("ABCDEFGHIJ0123456789 ") for _ in range(20 * 1024))
    msg = encode("FIX.4.4", [(35, "B"), (49, "A"), (56, "B"), (34, 2), (52, "x"), (58, text)])
    assert len(msg.raw) > 20 * 1024
    got = frames(msg.raw, chunker)
    assert got == [Frame(msg.raw)]
    assert parse_message(got[0].raw).get(58) == text


@pytest.mark.parametrize(("name", "chunker"), CHUNKERS)
def test_binary_raw_data_with_soh_and_fake_trailer(name: str, chunker: Chunker) -> None:
    blob = bytes(range(256)) + b"\x0110=000\x018=FIX.4.4\x01"
    msg = encode("FIX.4.4", [(35, "A"), (34, 1), (95, len(blob)), (96, blob), (58, "after")])
    got = frames(msg.raw + GOOD, chunker)
    assert got == [Frame(msg.raw), Frame(GOOD)]
    parsed = parse_message(got[0].raw)
    assert parsed.get_bytes(96) == blob
    assert parsed.get(58) == "after"


def test_raw_data_shorter_than_announced_is_rejected() -> None:
    msg = encode("FIX.4.4", [(35, "A"), (34, 1), (95, 3), (96, b"a\x01b")])
    broken = msg.raw.replace(b"95=3", b"95=9")
    with pytest.raises(CodecError):
        parse_message(broken)


def test_encoder_refuses_raw_data_without_its_length() -> None:
    with pytest.raises(CodecError):
        encode("FIX.4.4", [(35, "A"), (96, b"secret")])
    with pytest.raises(CodecError):
        encode("FIX.4.4", [(35, "A"), (95, 5), (96, b"secret")])
    with pytest.raises(CodecError):
        encode("FIX.4.4", [(35, "A"), (58, "a\x01b")])


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"8=FIX.4.4\x019=5\x0135=0\x01abc=1\x01", 0),
        (b"8=FIX.4.4\x019=5\x0135=0\x0158=\x01", 4),
        (b"8=FIX.4.4\x019=5\x0149=A\x01", 6),
    ],
)
def test_parse_errors_carry_session_reject_reason(raw: bytes, reason: int) -> None:
    with pytest.raises(CodecError) as exc:
        parse_message(raw)
    assert exc.value.reject_reason == reason


def test_render_redacts_passwords_and_raw_data_but_keeps_lengths() -> None:
    blob = b"tok\x01en"
    msg = encode(
        "FIX.4.4",
        [
            (35, "A"),
            (553, "trader1"),
            (554, "s3cret-pw"),
            (95, len(blob)),
            (96, blob),
            (925, "new-pw"),
        ],
    )
    text = msg.render()
    assert "554=***|" in text and "96=***|" in text and "925=***|" in text
    assert "95=6|" in text and "553=trader1|" in text
    assert "s3cret" not in text and "tok" not in text and "new-pw" not in text
    assert render(msg.raw) == text
    # Negative control: unredacted rendering does show the values.
    assert "554=s3cret-pw|" in msg.render(redact=False)


def test_render_redacts_garbled_bytes_too() -> None:
    raw = b"8=FIX.4.4\x019=999\x01554=hunter2\x0195=4\x0196=ab\x01c\x0158=ok\x01"
    text = render(raw)
    assert "hunter2" not in text and "ab" not in text.replace("58=ok", "")
    assert "554=***" in text and "96=***" in text and "58=ok" in text
