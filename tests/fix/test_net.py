"""Mock initiator and mock acceptor over real loopback TCP sockets."""

from __future__ import annotations

import asyncio
import logging

import pytest

from harness.fix import Credentials, SequenceStore, SessionSettings
from harness.fixnet import (
    MockAcceptor,
    default_script,
    parse_script,
    run_acceptor_in_thread,
    run_initiator,
)

INIT = SessionSettings(sender_comp_id="BUYSIDE", target_comp_id="SELLSIDE", heartbeat_interval=30)
CREDS = Credentials(username="trader1", password="s3cret-pw")


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, 60))


async def _with_acceptor(acc_settings, body, **kw):  # type: ignore[no-untyped-def]
    acceptor = MockAcceptor(acc_settings, **kw)
    host, port = await acceptor.start()
    assert host == "127.0.0.1"
    try:
        return await body(acceptor, host, port)
    finally:
        await acceptor.stop()


@pytest.mark.parametrize("begin", ["FIX.4.2", "FIX.4.4", "FIXT.1.1"])
def test_logon_100_orders_logout_over_tcp(begin: str) -> None:
    init = SessionSettings(sender_comp_id="BUYSIDE", target_comp_id="SELLSIDE", begin_string=begin)

    async def body(acceptor: MockAcceptor, host: str, port: int):  # type: ignore[no-untyped-def]
        result = await run_initiator(init, default_script(100), host, port, timeout=10)
        return result, acceptor

    result, acceptor = run(_with_acceptor(init.swapped(), body))
    assert result.ok, result.failures
    assert result.logon_accepted
    reports = [m for m in result.application_messages if m.msg_type == "8"]
    assert [m.get(11) for m in reports] == [f"ORD-{k}" for k in range(1, 101)]
    assert [m.get(11) for m in acceptor.orders] == [f"ORD-{k}" for k in range(1, 101)]
    sent = result.transcript.messages("out")
    assert [e.msg_type for e in sent] == ["A", *["D"] * 100, "5"]
    assert all(e.text.startswith(f"8={begin}|") for e in sent)
    assert result.disconnects == ["logout handshake completed"]
    assert acceptor.transcripts[0].messages("in", "D")[0].seq == 2
    d = result.to_dict()
    assert (
        d["transcript"]["entries"][0]["direction"] == "out"
        and d["transcript"]["entries"][0]["msg_type"] == "A"
    )


def test_script_expectation_that_does_not_hold_fails_with_line() -> None:
    script = parse_script(
        "connect\nexpect Logon\nsend NewOrderSingle 11=X 55=IBM 54=1 38=5 40=1\n"
        "expect ExecutionReport 11=Y\n",
    )

    async def body(acceptor, host, port):  # type: ignore[no-untyped-def]
        return await run_initiator(INIT, script, host, port, timeout=5)

    result = run(_with_acceptor(INIT.swapped(), body))
    assert not result.ok
    assert result.failures[0].startswith("<script>:4: expect ExecutionReport 11=Y")
    assert "got 'X'" in result.failures[0]


def test_bad_credentials_logout_text_and_redacted_refusal(caplog: pytest.LogCaptureFixture) -> None:
    acc = INIT.swapped(credentials=CREDS)
    bad = SessionSettings(
        sender_comp_id="BUYSIDE",
        target_comp_id="SELLSIDE",
        credentials=Credentials("trader1", "WRONG-PW-42"),
    )

    async def body(acceptor, host, port):  # type: ignore[no-untyped-def]
        refused = await run_initiator(bad, default_script(1), host, port, timeout=5)
        good = await run_initiator(
            INIT.swapped().swapped(credentials=CREDS), default_script(1), host, port, timeout=5
        )
        return refused, good, acceptor

    with caplog.at_level(logging.WARNING, logger="harness.fixnet"):
        refused, good, acceptor = run(_with_acceptor(acc, body))
    assert not refused.ok and not refused.logon_accepted
    assert refused.logout_text == "Invalid credentials"
    assert "connection closed" in refused.failures[0] or "Logout" in refused.failures[0]
    assert len(acceptor.refusals) == 1
    refusal = acceptor.refusals[0]
    assert "invalid credentials" in refusal and "554=***" in refusal
    everything = repr(acceptor.refusals) + caplog.text + refused.transcript.render()
    everything += "".join(t.render() for t in acceptor.transcripts)
    assert "WRONG-PW-42" not in everything and "s3cret-pw" not in everything
    assert "554=***" in caplog.text
    # Negative control: the right password logs on, on the same acceptor.
    assert good.ok and good.logon_accepted, good.failures


def test_raw_data_credentials_binary() -> None:
    creds = Credentials(raw_data=b"\x00\x01fixs\x01token\xff")
    init = SessionSettings(sender_comp_id="BUYSIDE", target_comp_id="SELLSIDE", credentials=creds)

    async def body(acceptor, host, port):  # type: ignore[no-untyped-def]
        return await run_initiator(init, default_script(3), host, port, timeout=5), acceptor

    result, _acceptor = run(_with_acceptor(init.swapped(), body))
    assert result.ok, result.failures
    logon = result.transcript.messages("out", "A")[0]
    assert f"95={len(creds.raw_data or b'')}|96=***|" in logon.text and "98=0|" in logon.text
    assert "fixs" not in result.transcript.render()


def test_wrong_comp_id_refused() -> None:
    other = SessionSettings(sender_comp_id="STRANGER", target_comp_id="SELLSIDE")

    async def body(acceptor, host, port):  # type: ignore[no-untyped-def]
        return await run_initiator(other, default_script(1), host, port, timeout=5), acceptor

    result, acceptor = run(_with_acceptor(INIT.swapped(), body))
    assert not result.ok and not result.logon_accepted
    assert result.logout_text and "CompID problem" in result.logout_text
    assert "CompID problem" in acceptor.refusals[0]


def test_connection_refused_is_an_error_not_a_failure_only() -> None:
    async def body() -> object:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        return await run_initiator(INIT, default_script(1), "127.0.0.1", port, timeout=5)

    result = run(body())
    assert not result.ok and result.error and "cannot connect" in result.error


@pytest.mark.parametrize("direction", ["report-lost", "order-lost"])
def test_reconnect_fills_gap_no_loss_no_duplicate(direction: str) -> None:
    """The connection drops mid-session; the initiator reconnects without a reset."""
    if direction == "report-lost":
        # The acceptor consumes a MsgSeqNum for ORD-6's report, never writes it, drops.
        script = parse_script(
            "connect\nexpect Logon\norders 5\n"
            "send NewOrderSingle 11=LOST-1 21=1 55=IBM 54=1 38=1 40=1\n"
            "expect disconnect\n"
            "connect\nexpect Logon\nexpect ExecutionReport 11=LOST-1 43=Y\n"
            "orders 4\nlogout\nexpect Logout\nexpect disconnect\n"
        )
        lose = {"LOST-1"}
    else:
        # The initiator's ORD-6 never reaches the acceptor; then the connection drops.
        script = parse_script(
            "connect\nexpect Logon\norders 5\n"
            "lose NewOrderSingle 11=LOST-1 21=1 55=IBM 54=1 38=1 40=1\n"
            "disconnect\n"
            "connect\nexpect Logon\nexpect ExecutionReport 11=LOST-1 !43\n"
            "orders 4\nlogout\nexpect Logout\nexpect disconnect\n"
        )
        lose = set()
    store = SequenceStore()

    async def body(acceptor, host, port):  # type: ignore[no-untyped-def]
        return await run_initiator(INIT, script, host, port, timeout=10, store=store), acceptor

    result, acceptor = run(_with_acceptor(INIT.swapped(), body, lose_reports=lose))
    assert result.ok, result.failures
    expected = [
        "ORD-1",
        "ORD-2",
        "ORD-3",
        "ORD-4",
        "ORD-5",
        "LOST-1",
        "ORD-6",
        "ORD-7",
        "ORD-8",
        "ORD-9",
    ]
    # Each order answered exactly once, in order: nothing lost, nothing duplicated.
    reports = [m.get(11) for m in result.application_messages if m.msg_type == "8"]
    orders = [m.get(11) for m in acceptor.orders]
    assert reports == expected and orders == expected
    assert len(result.application_messages) == len(
        set(m.seq_num for m in result.application_messages)
    )
    in_msgs = [e for t in acceptor.transcripts for e in t.entries if e.direction == "in"]
    out_msgs = [e for e in result.transcript.entries if e.direction == "in"]
    if direction == "report-lost":
        assert any(e.msg_type == "2" for e in result.transcript.messages("out"))  # initiator asked
    else:
        assert any(e.msg_type == "2" for t in acceptor.transcripts for e in t.messages("out"))
        assert any(e.msg_type == "D" and "43=Y" in e.text for e in in_msgs)
    assert out_msgs and store.next_sender_seq > 1
    assert len(acceptor.transcripts) == 2


def test_acceptor_in_thread_for_sync_callers() -> None:
    with run_acceptor_in_thread(INIT.swapped()) as acceptor:
        assert acceptor.address is not None
        host, port = acceptor.address
        result = asyncio.run(run_initiator(INIT, default_script(3), host, port, timeout=5))
    assert result.ok, result.failures
    assert len(acceptor.orders) == 3


def test_heartbeats_flow_on_a_quiet_session() -> None:
    init = SessionSettings(
        sender_comp_id="BUYSIDE", target_comp_id="SELLSIDE", heartbeat_interval=1
    )
    script = parse_script("connect\nexpect Logon\nexpect Heartbeat\nlogout\nexpect Logout\n")

    async def body(acceptor, host, port):  # type: ignore[no-untyped-def]
        return await run_initiator(init, script, host, port, timeout=5)

    result = run(_with_acceptor(init.swapped(), body))
    assert result.ok, result.failures
