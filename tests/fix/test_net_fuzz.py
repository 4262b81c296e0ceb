"""Bounded fuzz of the mock acceptor over TCP: random and mutated FIX bytes.

Bounds: a fixed number of connections and a wall-clock budget (whichever ends
first); every read has a timeout. What must hold: the acceptor never crashes (no
internal errors), answers only with well-formed session messages or by closing, and
a real session on the same acceptor keeps trading throughout.
"""

from __future__ import annotations

import asyncio
import random
import time

from harness.fix import Credentials, SessionSettings, encode
from harness.fix.codec import Frame, FrameReader, parse_message
from harness.fixnet import MockAcceptor, parse_script, run_initiator

ITERATIONS = 150
BUDGET_SECONDS = 20.0

# A short logon timeout so a stalled, never-completed fuzz frame ends soon.
FUZZ = SessionSettings(
    sender_comp_id="FUZZER",
    target_comp_id="SELLSIDE",
    credentials=Credentials("u", "p"),
    logon_timeout=2.0,
)
GOOD = SessionSettings(sender_comp_id="BUYSIDE", target_comp_id="SELLSIDE", heartbeat_interval=5)


def seeds() -> list[bytes]:
    def msg(mt: str, seq: int, *body: tuple[int, object]) -> bytes:
        return encode(
            "FIX.4.4", [(35, mt), (49, "FUZZER"), (56, "SELLSIDE"), (34, seq), (52, "x"), *body]
        ).raw  # type: ignore[list-item]

    logon = msg("A", 1, (98, 0), (108, 30), (553, "u"), (554, "p"))
    return [
        logon,
        logon + msg("D", 2, (11, "F1"), (55, "X"), (54, 1), (38, 1), (40, 1)),
        logon + msg("1", 2, (112, "T")) + msg("2", 3, (7, 1), (16, 0)),
        logon + msg("4", 2, (36, 1)) + msg("5", 3),
        msg("A", 1, (98, 0), (108, 30), (141, "Y"), (95, 3), (96, b"a\x01b")),
    ]


def mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(6)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        elif op == 1:
            b[pos:pos] = rng.choice(
                [
                    b"\x01",
                    b"=",
                    b"9=0\x01",
                    b"10=000\x01",
                    b"34=0\x01",
                    b"8=FIX.4.4\x01",
                    b"35=A\x01",
                ]
            )
        elif op == 2:
            del b[pos : pos + rng.randint(1, 16)]
        elif op == 3:
            b[pos:pos] = bytes(b[rng.randrange(len(b) + 1) :][:40])
        elif op == 4:
            b[pos:pos] = rng.randbytes(rng.randint(1, 40))
        else:
            b = b[: rng.randrange(len(b) + 1)]
    return bytes(b)


async def one_fuzz_connection(port: int, payload: bytes) -> list[str]:
    """Send ``payload``, half-close, read everything back; returns the MsgTypes seen."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    try:
        writer.write(payload)
        await writer.drain()
        writer.write_eof()
        data = b""
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), 10)  # the acceptor must close
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        data = b""
    finally:
        writer.transport.abort()
    frames = FrameReader()
    frames.feed(data)
    types = []
    while (item := frames.next()) is not None:
        assert isinstance(item, Frame), f"acceptor wrote a garbled frame: {item}"
        types.append(parse_message(item.raw).msg_type)
    assert frames.buffered == 0
    return types


def test_fuzzed_connections_never_break_the_acceptor_or_other_sessions() -> None:
    rng = random.Random(20240601)
    corpus = seeds()

    async def main() -> None:
        acceptor = MockAcceptor([GOOD.swapped(), FUZZ.swapped()])
        _, port = await acceptor.start()
        try:
            good = asyncio.create_task(
                run_initiator(
                    GOOD,
                    parse_script(
                        "connect\nexpect Logon\n"
                        + "orders 20\nwait 0.05\n" * 10
                        + "logout\nexpect Logout\n"
                    ),
                    "127.0.0.1",
                    port,
                    timeout=15,
                )
            )
            seen: set[str] = set()
            start = time.monotonic()
            for n in range(ITERATIONS):
                if time.monotonic() - start > BUDGET_SECONDS:
                    break
                if n % 5 == 0:
                    payload = rng.randbytes(rng.randint(0, 300))
                else:
                    payload = mutate(rng, rng.choice(corpus))
                seen.update(await one_fuzz_connection(port, payload))
            result = await asyncio.wait_for(good, 60)
            assert result.ok, result.failures
            assert len([m for m in result.application_messages if m.msg_type == "8"]) == 200
            assert seen <= {"A", "0", "1", "2", "3", "4", "5", "8", "j"}, seen
            assert "5" in seen or "3" in seen  # the fuzz did provoke Logout/Reject answers
            assert acceptor.errors == []
            # Still serving after the storm: the good session logs on again (fresh start).
            again = await run_initiator(
                SessionSettings(
                    sender_comp_id="BUYSIDE", target_comp_id="SELLSIDE", reset_on_logon=True
                ),
                parse_script("connect\nexpect Logon\norders 1\n"),
                "127.0.0.1",
                port,
                timeout=5,
            )
            assert again.ok, again.failures
        finally:
            await acceptor.stop()

    asyncio.run(asyncio.wait_for(main(), 120))
