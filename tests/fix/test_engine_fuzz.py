"""Property tests: no byte sequence makes the engine raise or write a malformed frame."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.fix import Disconnect, SessionState, encode
from tests.fix.fix_enginekit import logged_on_pair, make_pair, messages

VALID = [
    encode(
        "FIX.4.4",
        [(35, "A"), (49, "BUYSIDE"), (56, "SELLSIDE"), (34, 1), (52, "x"), (98, 0), (108, 30)],
    ).raw,
    encode(
        "FIX.4.4", [(35, "D"), (49, "BUYSIDE"), (56, "SELLSIDE"), (34, 2), (52, "x"), (11, "O1")]
    ).raw,
    encode(
        "FIX.4.4",
        [(35, "2"), (49, "BUYSIDE"), (56, "SELLSIDE"), (34, 3), (52, "x"), (7, 1), (16, 0)],
    ).raw,
    encode(
        "FIX.4.4", [(35, "4"), (49, "BUYSIDE"), (56, "SELLSIDE"), (34, 4), (52, "x"), (36, 1)]
    ).raw,
]


def mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        pos = rng.randrange(len(b)) if b else 0
        if op == 0 and b:
            b[pos] = rng.randrange(256)
        elif op == 1:
            b[pos:pos] = rng.choice(
                [b"\x01", b"=", b"9=", b"10=000\x01", b"34=1\x01", b"8=FIX.4.4\x01"]
            )
        elif op == 2 and b:
            del b[pos : pos + rng.randint(1, 8)]
        else:
            b[pos:pos] = bytes(b[: rng.randint(0, 20)])
    return bytes(b)


def check_output_well_formed(data: bytes) -> None:
    for m in messages(data):
        assert m.msg_type in {"0", "1", "2", "3", "4", "5", "A"}


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.booleans())
def test_random_bytes_never_crash_engine(data: bytes, logged_on: bool) -> None:
    if logged_on:
        _, a, _ = logged_on_pair()
    else:
        _, a, _ = make_pair()
    a.receive_data(data)
    a.events()
    check_output_well_formed(a.data_to_send())


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_mutated_fix_never_crashes_engine(seed: int) -> None:
    rng = random.Random(seed)
    _, a, _ = logged_on_pair() if rng.random() < 0.5 else make_pair()
    stream = b"".join(mutate(rng, rng.choice(VALID)) for _ in range(rng.randint(1, 4)))
    for i in range(0, len(stream), 7):
        a.receive_data(stream[i : i + 7])
    events = a.events()
    check_output_well_formed(a.data_to_send())
    if a.state is SessionState.CLOSED:
        assert any(isinstance(e, Disconnect) for e in events)
