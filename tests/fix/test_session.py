"""The sans-IO session engine, two engines wired back to back, no sockets, fake clock."""

from __future__ import annotations

import pytest

from harness.fix import (
    ApplicationMessage,
    Disconnect,
    DuplicateIgnored,
    GapDetected,
    GarbledMessage,
    LocalProtocolError,
    LoggedOn,
    LoggedOut,
    LogonRefused,
    RejectSent,
    Role,
    SequenceStore,
    Session,
    SessionSettings,
    SessionState,
    encode,
)
from harness.fix.session import TRANSITIONS, Trigger, utc_timestamp
from tests.fix.fix_enginekit import (
    ACC,
    CHUNKERS,
    CREDS,
    INIT,
    RAW_CREDS,
    Chunker,
    FakeClock,
    exchange,
    feed,
    logged_on_pair,
    make_pair,
    messages,
)

ORDER = [(11, "ORD-1"), (55, "IBM"), (54, "1"), (38, "100"), (40, "1")]


def of(events: list[object], kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def peer_msg(session: Session, msg_type: str, seq: int, body: list, **hdr: object) -> bytes:  # type: ignore[type-arg]
    """A message as the peer of ``session`` would write it (by hand, for edge cases)."""
    s = session.settings
    fields = [
        (35, msg_type),
        (49, hdr.get("sender", s.target_comp_id)),
        (56, hdr.get("target", s.sender_comp_id)),
        (34, seq),
        *([(43, "Y")] if hdr.get("poss_dup") else []),
        (52, "20240101-00:00:00.000"),
        *body,
    ]
    return encode(str(hdr.get("begin", s.begin_string)), fields).raw


# ---------------------------------------------------------------- Logon


@pytest.mark.parametrize(("name", "chunker"), CHUNKERS)
@pytest.mark.parametrize("begin", ["FIX.4.2", "FIX.4.4", "FIXT.1.1"])
def test_logon_both_roles_any_chunking(name: str, chunker: Chunker, begin: str) -> None:
    init = SessionSettings(
        sender_comp_id="BUY", target_comp_id="SELL", begin_string=begin, heartbeat_interval=15
    )
    i, a, _ = make_pair(init=init)
    logon = i.logon()
    assert i.state is SessionState.LOGON_SENT
    assert logon.get(108) == "15" and logon.get(98) == "0"
    assert (logon.get(1137) == "9") is (begin == "FIXT.1.1")
    ev_i, ev_a = exchange(i, a, chunker)
    assert of(ev_a, LoggedOn) == [LoggedOn(15, False)]
    assert of(ev_i, LoggedOn) == [LoggedOn(15, False)]
    assert i.state is a.state is SessionState.ACTIVE
    assert i.store.next_sender_seq == 2 and i.store.next_target_seq == 2
    assert a.store.next_sender_seq == 2 and a.store.next_target_seq == 2


def test_acceptor_adopts_initiator_heartbeat_and_reset_flag() -> None:
    init = SessionSettings(
        sender_comp_id="BUY", target_comp_id="SELL", heartbeat_interval=7, reset_on_logon=True
    )
    acc = SessionSettings(sender_comp_id="SELL", target_comp_id="BUY", heartbeat_interval=30)
    acc_store = SequenceStore(next_sender_seq=50, next_target_seq=40)
    i, a, _ = make_pair(init=init, acc=acc, init_store=SequenceStore(9, 9), acc_store=acc_store)
    i.logon()
    ev_i, ev_a = exchange(i, a)
    assert of(ev_a, LoggedOn) == [LoggedOn(7, True)]
    assert a.heartbeat_interval == 7
    assert acc_store.next_sender_seq == 2 and acc_store.next_target_seq == 2
    assert of(ev_i, LoggedOn) == [LoggedOn(7, True)]


def test_first_message_not_logon_disconnects_acceptor() -> None:
    _, a, _ = make_pair()
    ev = feed(a, peer_msg(a, "D", 1, ORDER))
    assert isinstance(ev[-1], Disconnect) and "not a Logon" in ev[-1].reason
    assert a.state is SessionState.CLOSED
    assert a.data_to_send() == b""  # FIX: disconnect without a Logout before Logon


def test_garbage_before_logon_disconnects_acceptor() -> None:
    _, a, _ = make_pair()
    ev = feed(a, b"GET / HTTP/1.1\r\n\r\n8=FIX.4.4\x01")
    assert of(ev, GarbledMessage) and isinstance(ev[-1], Disconnect)


@pytest.mark.parametrize(("sender", "target"), [("INTRUDER", "SELLSIDE"), ("BUYSIDE", "OTHER")])
def test_wrong_comp_id_at_logon_is_refused_with_logout_text(sender: str, target: str) -> None:
    init = SessionSettings(sender_comp_id=sender, target_comp_id=target)
    i = Session(init, role=Role.INITIATOR, clock=FakeClock())
    a = Session(ACC, role=Role.ACCEPTOR, clock=FakeClock())
    i.logon()
    ev_i, ev_a = exchange(i, a)
    refused = of(ev_a, LogonRefused)
    assert refused and "CompID problem" in refused[0].reason
    assert a.state is SessionState.CLOSED and i.state is SessionState.CLOSED
    lo = of(ev_i, LoggedOut)
    assert lo and lo[0].text and "CompID problem" in lo[0].text
    assert not of(ev_i, LoggedOn)


def test_wrong_comp_id_in_session_rejected_then_logout() -> None:
    _i, a, _ = logged_on_pair()
    ev = feed(a, peer_msg(a, "D", 2, ORDER, sender="SOMEONE"))
    rejects = of(ev, RejectSent)
    assert rejects and rejects[0].reason == 9
    out = messages(a.data_to_send())
    assert [m.msg_type for m in out] == ["3", "5"]
    assert out[0].get(373) == "9" and "CompID" in (out[1].get(58) or "")
    assert isinstance(ev[-1], Disconnect)


def test_wrong_begin_string_is_logout() -> None:
    _i, a, _ = logged_on_pair()
    ev = feed(a, peer_msg(a, "0", 2, [], begin="FIX.4.2"))
    out = messages(a.data_to_send())
    assert out[-1].msg_type == "5" and "BeginString" in (out[-1].get(58) or "")
    assert isinstance(ev[-1], Disconnect)


# ---------------------------------------------------------- credentials


@pytest.mark.parametrize("creds", [CREDS, RAW_CREDS], ids=["password", "rawdata"])
def test_good_credentials_log_on(creds: object) -> None:
    init = SessionSettings(sender_comp_id="BUY", target_comp_id="SELL", credentials=creds)  # type: ignore[arg-type]
    i, a, _ = make_pair(init=init)
    logon = i.logon()
    if creds is RAW_CREDS:
        assert logon.get_bytes(96) == RAW_CREDS.raw_data and logon.get(95) == str(
            len(RAW_CREDS.raw_data or b"")
        )
        assert logon.get(98) == "0"
    else:
        assert logon.get(553) == "trader1" and logon.get(554) == "s3cret-pw"
    ev_i, ev_a = exchange(i, a, CHUNKERS[1][1])
    assert of(ev_a, LoggedOn) and of(ev_i, LoggedOn)


@pytest.mark.parametrize(
    "sent",
    [
        None,
        SessionSettings(
            sender_comp_id="A", target_comp_id="B", credentials=CREDS
        ).credentials.__class__(username="trader1", password="wrong"),
    ],
    ids=["missing", "wrong-password"],
)
def test_bad_credentials_logout_with_text_no_session(sent: object) -> None:
    init = SessionSettings(sender_comp_id="BUY", target_comp_id="SELL", credentials=sent)  # type: ignore[arg-type]
    acc = SessionSettings(sender_comp_id="SELL", target_comp_id="BUY", credentials=CREDS)
    i, a, _ = make_pair(init=init, acc=acc)
    i.logon()
    ev_i, ev_a = exchange(i, a)
    refused = of(ev_a, LogonRefused)
    assert refused and "credentials" in refused[0].reason
    assert "s3cret" not in refused[0].reason and "wrong" not in refused[0].reason
    assert of(ev_i, LoggedOut)[0].text == "Invalid credentials"
    assert isinstance(ev_i[-1], Disconnect) and isinstance(ev_a[-1], Disconnect)
    assert not of(ev_i, LoggedOn) and not of(ev_a, LoggedOn)


def test_wrong_raw_data_refused() -> None:
    from harness.fix import Credentials

    init = SessionSettings(
        sender_comp_id="BUY", target_comp_id="SELL", credentials=Credentials(raw_data=b"x\x01y")
    )
    acc = SessionSettings(sender_comp_id="SELL", target_comp_id="BUY", credentials=RAW_CREDS)
    i, a, _ = make_pair(init=init, acc=acc)
    i.logon()
    ev_i, ev_a = exchange(i, a)
    assert of(ev_a, LogonRefused) and not of(ev_i, LoggedOn)


# --------------------------------------------------- heartbeats and timers


def test_heartbeat_sent_after_interval_of_silence() -> None:
    i, _a, clock = logged_on_pair()
    clock.advance(29.9)
    i.check_timers()
    assert i.data_to_send() == b""  # negative control: not yet
    clock.advance(0.1)
    i.check_timers()
    out = messages(i.data_to_send())
    assert [m.msg_type for m in out] == ["0"]
    # Next: a TestRequest when the peer has been silent for 1.2 x HeartBtInt.
    assert i.next_deadline() == pytest.approx(clock.now + 6)


def test_test_request_after_peer_silence_then_heartbeat_answer() -> None:
    i, a, clock = logged_on_pair()
    clock.advance(30)
    i.check_timers()
    a.check_timers()
    exchange(i, a)  # both heartbeat; nothing is pending
    clock.advance(35.9)  # 1.2 x 30 = 36 s of silence not yet reached
    i.check_timers()
    hb = messages(i.data_to_send())
    assert [m.msg_type for m in hb] == ["0"]
    feed(a, hb[0].raw)
    clock.advance(0.1)
    i.check_timers()
    out = messages(i.data_to_send())
    assert [m.msg_type for m in out] == ["1"]
    trid = out[0].get(112)
    ev_a = feed(a, out[0].raw)
    reply = messages(a.data_to_send())
    assert [m.msg_type for m in reply] == ["0"] and reply[0].get(112) == trid
    assert any(type(e).__name__ == "TestRequestReceived" for e in ev_a)
    feed(i, reply[0].raw)
    clock.advance(29)
    i.check_timers()
    assert i.state is SessionState.ACTIVE


def test_unanswered_test_request_disconnects() -> None:
    i, _a, clock = logged_on_pair()
    clock.advance(36)
    i.check_timers()
    assert [m.msg_type for m in messages(i.data_to_send())] == [
        "1"
    ]  # TestRequest counts as traffic
    clock.advance(29.9)
    i.check_timers()
    assert i.state is SessionState.ACTIVE  # negative control
    clock.advance(0.1)
    i.check_timers()
    ev = i.events()
    assert isinstance(ev[-1], Disconnect) and "heartbeat timeout" in ev[-1].reason


def test_logon_timeout() -> None:
    i, a, clock = make_pair()
    i.logon()
    i.data_to_send()
    clock.advance(9.9)
    i.check_timers()
    assert i.state is SessionState.LOGON_SENT
    clock.advance(0.1)
    i.check_timers()
    assert i.state is SessionState.CLOSED
    assert a.next_deadline() == pytest.approx(clock.now - 10 + 10)


def test_zero_heartbeat_interval_means_no_timers() -> None:
    init = SessionSettings(sender_comp_id="BUY", target_comp_id="SELL", heartbeat_interval=0)
    i, _a, clock = logged_on_pair(init=init)
    clock.advance(10_000)
    i.check_timers()
    assert i.data_to_send() == b"" and i.next_deadline() is None


# --------------------------------------------------- sequence numbers


@pytest.mark.parametrize(("name", "chunker"), CHUNKERS)
def test_gap_resend_with_possdup_and_gap_fill(name: str, chunker: Chunker) -> None:
    i, a, _ = logged_on_pair()
    # Initiator sends three orders; the second is lost on the wire.
    m2 = i.send_application("D", [(11, "A")])
    i.send_test_request("T1")  # an admin message between: must become a gap fill
    m3 = i.send_application("D", [(11, "B")])
    m4 = i.send_application("D", [(11, "C")])
    i.outgoing()
    ev = feed(a, m2.raw + m4.raw, chunker)
    assert of(ev, GapDetected) == [GapDetected(3, 5)]
    assert [e.message.get(11) for e in of(ev, ApplicationMessage)] == ["A"]
    rr = messages(a.data_to_send())
    assert [(m.msg_type, m.get(7), m.get(16)) for m in rr] == [("2", "3", "0")]
    feed(i, rr[0].raw, chunker)
    resent = messages(i.data_to_send())
    assert [(m.msg_type, m.seq_num, m.get(43)) for m in resent] == [
        ("4", 3, "Y"),  # the TestRequest is not resent: gap-filled
        ("D", 4, "Y"),
        ("D", 5, "Y"),
    ]
    assert resent[0].get(36) == "4" and resent[0].get(123) == "Y"
    assert resent[1].get(122) == m3.get(52)
    ev = feed(a, b"".join(m.raw for m in resent), chunker)
    assert [e.message.get(11) for e in of(ev, ApplicationMessage)] == ["B", "C"]
    # The original seq 5, arriving late, is now a duplicate without PossDup: too low.
    assert a.store.next_target_seq == 6


def test_resend_request_gap_fills_admin_messages() -> None:
    i, _a, _ = logged_on_pair()
    i.send_test_request("x")  # 2
    i.send_application("D", [(11, "A")])  # 3
    i.outgoing()
    rr = peer_msg(i, "2", 2, [(7, 1), (16, 0)])
    ev = feed(i, rr)
    out = messages(i.data_to_send())
    assert [(m.msg_type, m.seq_num, m.get(123), m.get(36)) for m in out] == [
        ("4", 1, "Y", "3"),
        ("D", 3, None, None),
    ]
    assert all(m.poss_dup for m in out)
    assert not of(ev, Disconnect)


def test_gap_fill_advances_expected_number() -> None:
    _i, a, _ = logged_on_pair()
    ev = feed(a, peer_msg(a, "4", 2, [(123, "Y"), (36, 10)], poss_dup=True))
    assert a.store.next_target_seq == 10
    ev = feed(a, peer_msg(a, "D", 10, ORDER))
    assert of(ev, ApplicationMessage)


def test_sequence_reset_reset_ignores_seq_and_refuses_to_lower() -> None:
    _i, a, _ = logged_on_pair()
    feed(a, peer_msg(a, "4", 99, [(36, 20)]))
    assert a.store.next_target_seq == 20
    ev = feed(a, peer_msg(a, "4", 20, [(36, 5)]))
    assert of(ev, RejectSent)[0].reason == 5 and a.store.next_target_seq == 20


def test_seq_too_low_without_possdup_is_logout() -> None:
    _i, a, _ = logged_on_pair()
    ev = feed(a, peer_msg(a, "D", 1, ORDER))
    out = messages(a.data_to_send())
    assert out[-1].msg_type == "5" and "too low" in (out[-1].get(58) or "")
    assert isinstance(ev[-1], Disconnect)


def test_seq_too_low_with_possdup_is_ignored() -> None:
    _i, a, _ = logged_on_pair()
    ev = feed(a, peer_msg(a, "D", 1, ORDER, poss_dup=True))
    assert of(ev, DuplicateIgnored) == [DuplicateIgnored(1)] and not of(ev, ApplicationMessage)
    assert a.state is SessionState.ACTIVE


def test_reconnect_without_reset_fills_gap() -> None:
    """A connection drops after the acceptor consumed a number the initiator never saw."""
    clock = FakeClock()
    i_store, a_store = SequenceStore(), SequenceStore()
    i, a, _ = logged_on_pair(clock=clock, init_store=i_store, acc_store=a_store)
    i.send_application("D", ORDER)
    exchange(i, a)
    a.send_application("8", [(11, "ORD-1"), (150, "0")])
    a.outgoing()  # lost with the connection
    i.receive_eof()
    a.receive_eof()
    i2, a2, _ = make_pair(clock=clock, init_store=i_store, acc_store=a_store)
    i2.logon()
    ev_i, _ev_a = exchange(i2, a2)
    assert of(ev_i, GapDetected) == [GapDetected(2, 3)]  # report 2 lost; Logon reply is 3
    apps = of(ev_i, ApplicationMessage)
    assert [(e.message.get(11), e.message.poss_dup) for e in apps] == [("ORD-1", True)]
    assert i_store.next_target_seq == a_store.next_sender_seq


# --------------------------------------------------- garbled in session


@pytest.mark.parametrize(("name", "chunker"), CHUNKERS)
def test_bad_checksum_in_session_is_discarded_without_consuming_seq(
    name: str, chunker: Chunker
) -> None:
    _i, a, _ = logged_on_pair()
    good = peer_msg(a, "D", 2, ORDER)
    bad = good[:-4] + b"000\x01" if not good.endswith(b"000\x01") else good[:-4] + b"001\x01"
    ev = feed(a, bad, chunker)
    assert of(ev, GarbledMessage) and not of(ev, ApplicationMessage)
    assert a.store.next_target_seq == 2 and a.state is SessionState.ACTIVE
    ev = feed(a, good, chunker)  # negative control: the intact copy is processed
    assert len(of(ev, ApplicationMessage)) == 1


def test_bad_body_length_in_session_is_discarded() -> None:
    _i, a, _ = logged_on_pair()
    good = peer_msg(a, "D", 2, ORDER)
    bad = good.replace(b"\x019=", b"\x019=1", 1)
    ev = feed(a, bad + good)
    assert of(ev, GarbledMessage) and len(of(ev, ApplicationMessage)) == 1


def test_malformed_field_is_rejected_and_consumes_seq() -> None:
    _i, a, _ = logged_on_pair()
    body = b"35=D\x0149=BUYSIDE\x0156=SELLSIDE\x0134=2\x0152=x\x01xx=1\x01"
    head = b"8=FIX.4.4\x019=%d\x01" % len(body)
    raw = head + body + b"10=%03d\x01" % (sum(head + body) % 256)
    ev = feed(a, raw)
    assert of(ev, RejectSent)[0].reason == 0
    assert a.store.next_target_seq == 3
    out = messages(a.data_to_send())
    assert out[0].msg_type == "3" and out[0].get(45) == "2"


def test_missing_required_tag_is_rejected() -> None:
    _i, a, _ = logged_on_pair()
    ev = feed(a, peer_msg(a, "1", 2, []))
    assert of(ev, RejectSent)[0].reason == 1
    assert a.store.next_target_seq == 3


@pytest.mark.parametrize(("name", "chunker"), CHUNKERS)
def test_20_kib_application_message_and_binary_raw_data(name: str, chunker: Chunker) -> None:
    i, a, _ = logged_on_pair()
    blob = bytes(range(256)) * 4
    text = "X" * (20 * 1024)
    i.send_application("D", [*ORDER, (58, text), (95, len(blob)), (96, blob)])
    ev = feed(a, i.data_to_send(), chunker)
    (app,) = of(ev, ApplicationMessage)
    assert app.message.get(58) == text and app.message.get_bytes(96) == blob


# --------------------------------------------------- logout and local errors


def test_logout_handshake() -> None:
    i, a, _ = logged_on_pair()
    i.logout("bye")
    assert i.state is SessionState.LOGOUT_SENT
    ev_i, ev_a = exchange(i, a)
    assert of(ev_a, LoggedOut) == [LoggedOut("bye", answered_ours=False)]
    assert of(ev_i, LoggedOut) == [LoggedOut(None, answered_ours=True)]
    assert ev_i[-1] == Disconnect("logout handshake completed", graceful=True)
    assert isinstance(ev_a[-1], Disconnect) and ev_a[-1].graceful
    assert i.state is a.state is SessionState.CLOSED


def test_logout_reply_timeout() -> None:
    i, _a, clock = logged_on_pair()
    i.logout()
    clock.advance(10)
    i.check_timers()
    assert i.state is SessionState.CLOSED and not i.events()[-1].graceful  # type: ignore[union-attr]


def test_local_protocol_errors() -> None:
    i, a, _ = make_pair()
    with pytest.raises(LocalProtocolError):
        i.send_application("D", ORDER)
    with pytest.raises(LocalProtocolError):
        a.logon()
    i.logon()
    with pytest.raises(LocalProtocolError):
        i.logon()
    with pytest.raises(LocalProtocolError):
        i.logout()
    exchange(i, a)
    with pytest.raises(LocalProtocolError):
        i.send_application("0", [])


def test_eof_closes() -> None:
    _i, a, _ = logged_on_pair()
    a.receive_eof()
    ev = a.events()
    assert isinstance(ev[-1], Disconnect) and not ev[-1].graceful
    a.receive_data(b"anything")
    assert a.events() == []


def test_transition_table_covers_every_state() -> None:
    states = {s for s, _ in TRANSITIONS} | set(TRANSITIONS.values())
    assert states == set(SessionState)
    assert (SessionState.AWAITING_LOGON, Trigger.RECV_APP) not in TRANSITIONS
    assert not any(s is SessionState.CLOSED for s, _ in TRANSITIONS)  # CLOSED is final


def test_utc_timestamp_format() -> None:
    assert utc_timestamp(0.5) == "19700101-00:00:00.500"


def test_settings_swapped_and_init_constants() -> None:
    assert ACC.sender_comp_id == INIT.target_comp_id
