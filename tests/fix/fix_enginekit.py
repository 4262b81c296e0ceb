"""Helpers for driving two sans-IO sessions against each other, with no sockets."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from harness.fix import Credentials, Event, Message, Role, SequenceStore, Session, SessionSettings
from harness.fix.codec import FrameReader, parse_message

INIT = SessionSettings(sender_comp_id="BUYSIDE", target_comp_id="SELLSIDE", heartbeat_interval=30)
ACC = INIT.swapped()


class FakeClock:
    """An injectable clock: time moves only when a test says so."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Chunker = Callable[[bytes], Iterator[bytes]]


def whole(data: bytes) -> Iterator[bytes]:
    yield data


def bytewise(data: bytes) -> Iterator[bytes]:
    for i in range(len(data)):
        yield data[i : i + 1]


def random_chunks(seed: int) -> Chunker:
    def chunker(data: bytes) -> Iterator[bytes]:
        rng = random.Random(seed)
        i = 0
        while i < len(data):
            n = rng.randint(1, 64)
            yield data[i : i + n]
            i += n

    return chunker


CHUNKERS: list[tuple[str, Chunker]] = [
    ("whole", whole),
    ("bytewise", bytewise),
    *((f"random{s}", random_chunks(s)) for s in (1, 2, 3)),
]


def feed(session: Session, data: bytes, chunker: Chunker = whole) -> list[Event]:
    for chunk in chunker(data):
        session.receive_data(chunk)
    return session.events()


def messages(data: bytes) -> list[Message]:
    """Split bytes written by a session into messages (they must all be well framed)."""
    reader = FrameReader()
    reader.feed(data)
    out = []
    while (item := reader.next()) is not None:
        assert not hasattr(item, "reason"), item
        out.append(parse_message(item.raw))
    assert reader.buffered == 0
    return out


def make_pair(
    *,
    clock: FakeClock | None = None,
    init: SessionSettings = INIT,
    acc: SessionSettings | None = None,
    init_store: SequenceStore | None = None,
    acc_store: SequenceStore | None = None,
) -> tuple[Session, Session, FakeClock]:
    clock = clock or FakeClock()
    i = Session(init, role=Role.INITIATOR, store=init_store, clock=clock)
    a = Session(acc or init.swapped(), role=Role.ACCEPTOR, store=acc_store, clock=clock)
    return i, a, clock


def exchange(
    a: Session, b: Session, chunker: Chunker = whole, *, rounds: int = 10
) -> tuple[list[Event], list[Event]]:
    """Shuttle bytes between two sessions until both are quiet; return their events."""
    ev_a: list[Event] = []
    ev_b: list[Event] = []
    for _ in range(rounds):
        out_a = a.data_to_send()
        out_b = b.data_to_send()
        if not out_a and not out_b:
            break
        ev_b += feed(b, out_a, chunker)
        ev_a += feed(a, out_b, chunker)
    ev_a += a.events()
    ev_b += b.events()
    return ev_a, ev_b


def logged_on_pair(**kw: object) -> tuple[Session, Session, FakeClock]:
    i, a, clock = make_pair(**kw)  # type: ignore[arg-type]
    i.logon()
    exchange(i, a)
    assert i.state.value == "active" and a.state.value == "active"
    return i, a, clock


CREDS = Credentials(username="trader1", password="s3cret-pw")
RAW_CREDS = Credentials(raw_data=b"\x00token\x01with=SOH\x0110=123\x01\xff")
