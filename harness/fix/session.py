"""The FIX session engine: a sans-IO state machine for one connection.

Theory of operation
-------------------
Bytes in, events out; calls in, messages out. A driver (harness.fixnet, or a test)
feeds what it read with :meth:`Session.receive_data` (any chunking, even one byte at a
time), then drains :meth:`Session.events`. Everything the engine wants on the wire,
the driver's own messages and the engine's automatic answers (Heartbeat to a
TestRequest, resends to a ResendRequest, Reject, Logout), is drained with
:meth:`Session.outgoing` (each :class:`~harness.fix.codec.Message` has ``.raw``). Time
is injected: ``clock`` is called for SendingTime and timers, and the driver calls
:meth:`Session.check_timers` at :meth:`Session.next_deadline`. Nothing here sleeps,
reads a socket or logs.

The state machine is the :data:`TRANSITIONS` table below: (state, trigger) → next
state. A local call missing from the table raises :class:`LocalProtocolError` (you
broke the rules); an inbound message missing from it is the peer breaking the rules
and ends the session (Logout with Text(58), then :class:`~harness.fix.events.Disconnect`),
as the FIX session layer prescribes. Validation failures of an inbound Logon or of a
message header always lead to ``CLOSED`` too.

Sequence numbers live in a :class:`SequenceStore` that outlives one connection, so a
driver that reconnects without ResetSeqNumFlag continues the numbering and the gap is
closed by ResendRequest → resend (PossDupFlag=Y) / SequenceReset-GapFill.

Rules implemented (FIX Session Layer, FIX 4.2/4.4/FIXT.1.1):

* BodyLength(9)/CheckSum(10) validated; a garbled frame is discarded without
  consuming a sequence number (and before Logon it ends the connection).
* A framed message with a malformed field gets Reject(3) with SessionRejectReason.
* Wrong BeginString → Logout and disconnect; wrong CompID → Reject(373=9), Logout,
  disconnect (before Logon: Logout with Text and disconnect, no session).
* MsgSeqNum too high → ResendRequest(7=expected, 16=0), message discarded (it comes
  back in the resend); too low without PossDupFlag → Logout and disconnect; too low
  with PossDupFlag=Y → ignored.
* MsgType(35) that no FIX version defines (and is not user-defined, U...) →
  Reject(373=11) and the number is consumed; a defined application message is the
  application's to accept or refuse (BusinessMessageReject).
* ResendRequest with BeginSeqNo(7) < 1, EndSeqNo(16) < 0, either not a number, or
  EndSeqNo below BeginSeqNo (and not 0) → Reject(373=5, 371=the tag), nothing resent.
* Before a Logon is accepted, the peer is nobody: a message larger than
  :data:`~harness.fix.codec.MAX_LOGON_BODY_LENGTH` is garbled (never buffered), and an
  acceptor's refusal Logout carries the store's next MsgSeqNum without consuming it,
  so refusing a stranger never moves the numbers of a session it shares CompIDs with.
  A driver's ``logon_gate`` may refuse a Logon before anything touches the store (the
  mock acceptor refuses a second Logon while the session is logged on elsewhere).
* HeartBtInt: Heartbeat after HeartBtInt of silence from us; TestRequest after
  1.2 × HeartBtInt of silence from the peer; disconnect if that stays unanswered for
  another HeartBtInt.
"""

from __future__ import annotations

import enum
import hmac
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from harness.fix.codec import (
    ADMIN_MSG_TYPES,
    DEFAULT_MAX_BODY_LENGTH,
    MAX_LOGON_BODY_LENGTH,
    CodecError,
    FieldValue,
    Frame,
    FrameReader,
    Message,
    encode,
    is_defined_msg_type,
    parse_message,
)
from harness.fix.events import (
    ApplicationMessage,
    Disconnect,
    DuplicateIgnored,
    Event,
    GapDetected,
    GarbledMessage,
    HeartbeatReceived,
    LoggedOn,
    LoggedOut,
    LogonRefused,
    MessageReceived,
    RejectReceived,
    RejectSent,
    ResendRequested,
    SequenceResetReceived,
    TestRequestReceived,
)
from harness.fix.settings import SessionSettings


class LocalProtocolError(Exception):
    """The caller asked the engine to do something the session rules forbid now."""


class Role(enum.Enum):
    INITIATOR = "initiator"
    ACCEPTOR = "acceptor"


class SessionState(enum.Enum):
    IDLE = "idle"  # initiator, connected, Logon not sent yet
    AWAITING_LOGON = "awaiting-logon"  # acceptor, connected, waiting for the Logon
    LOGON_SENT = "logon-sent"  # initiator, waiting for the Logon reply
    ACTIVE = "active"  # session established
    LOGOUT_SENT = "logout-sent"  # we sent Logout, waiting for the reply
    CLOSED = "closed"  # over on this connection; the driver closes the socket


class Trigger(enum.Enum):
    SEND_LOGON = "send Logon"
    SEND_APP = "send application message"
    SEND_LOGOUT = "send Logout"
    RECV_LOGON = "receive Logon"
    RECV_LOGOUT = "receive Logout"
    RECV_ADMIN = "receive session message"
    RECV_APP = "receive application message"


S, T = SessionState, Trigger

#: The session state machine: (state, trigger) → next state. Absent = not allowed.
#: Failures (validation, timeouts, peer closing) go to CLOSED from any state.
TRANSITIONS: dict[tuple[SessionState, Trigger], SessionState] = {
    (S.IDLE, T.SEND_LOGON): S.LOGON_SENT,
    (S.AWAITING_LOGON, T.RECV_LOGON): S.ACTIVE,  # acceptor: accepted Logon
    (S.LOGON_SENT, T.RECV_LOGON): S.ACTIVE,  # initiator: Logon answered
    (S.LOGON_SENT, T.RECV_LOGOUT): S.CLOSED,  # initiator: Logon refused
    (S.ACTIVE, T.SEND_APP): S.ACTIVE,
    (S.ACTIVE, T.RECV_APP): S.ACTIVE,
    (S.ACTIVE, T.RECV_ADMIN): S.ACTIVE,
    (S.ACTIVE, T.SEND_LOGOUT): S.LOGOUT_SENT,
    (S.ACTIVE, T.RECV_LOGOUT): S.CLOSED,  # we answer the Logout, then close
    (S.LOGOUT_SENT, T.RECV_ADMIN): S.LOGOUT_SENT,  # still answer resends etc.
    (S.LOGOUT_SENT, T.RECV_APP): S.LOGOUT_SENT,
    (S.LOGOUT_SENT, T.RECV_LOGOUT): S.CLOSED,  # handshake complete
}

#: Fields a session message must carry, checked before it is acted on.
REQUIRED_FIELDS: dict[str, tuple[int, ...]] = {
    "A": (98, 108),
    "1": (112,),
    "2": (7, 16),
    "3": (45,),
    "4": (36,),
}

_SEQ_RE = re.compile(rb"\x0134=(\d{1,9})\x01")


@dataclass
class SentRecord:
    """An application message we sent, kept to answer ResendRequests."""

    msg_type: str
    body: tuple[tuple[int, bytes], ...]
    sending_time: str


@dataclass
class SequenceStore:
    """Sequence numbers and sent messages of one session, across connections.

    This is the one mutable piece a driver keeps between connections (FIX's "message
    store"); everything else lives and dies with one :class:`Session`.
    """

    next_sender_seq: int = 1
    next_target_seq: int = 1
    sent: dict[int, SentRecord] = field(default_factory=dict)

    def reset(self) -> None:
        self.next_sender_seq = 1
        self.next_target_seq = 1
        self.sent.clear()


def utc_timestamp(epoch: float) -> str:
    """FIX UTCTimestamp with milliseconds: ``YYYYMMDD-HH:MM:SS.sss``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


class Session:
    """One FIX session on one connection, seen from ``role``.

    Args:
        settings: CompIDs, BeginString, HeartBtInt, credentials (sent by an
            initiator, required by an acceptor).
        role: INITIATOR sends the Logon (call :meth:`logon`); ACCEPTOR waits for it.
        store: sequence numbers and sent messages; pass the same store to the next
            connection's Session to continue the session without a reset.
        clock: returns epoch seconds; inject a fake one in tests (no sleeps).
        max_body_length: the largest message taken once logged on (before that,
            at most :data:`~harness.fix.codec.MAX_LOGON_BODY_LENGTH`).
        logon_gate: acceptor only: called with a Logon whose CompIDs match, before
            anything else is checked or the store touched; a returned reason refuses
            the Logon (Logout with that text), None lets it through.
    """

    def __init__(
        self,
        settings: SessionSettings,
        *,
        role: Role,
        store: SequenceStore | None = None,
        clock: Callable[[], float] = time.time,
        max_body_length: int = DEFAULT_MAX_BODY_LENGTH,
        logon_gate: Callable[[Message], str | None] | None = None,
    ) -> None:
        self.settings = settings
        self.role = role
        self.store = store if store is not None else SequenceStore()
        self._clock = clock
        self._max_body = max_body_length
        self._logon_gate = logon_gate
        self._reader = FrameReader(max_body_length=min(max_body_length, MAX_LOGON_BODY_LENGTH))
        self._events: deque[Event] = deque()
        self._out: list[Message] = []
        self.state = SessionState.IDLE if role is Role.INITIATOR else SessionState.AWAITING_LOGON
        self.heartbeat_interval = settings.heartbeat_interval
        now = clock()
        self._state_since = now
        self._last_sent = now
        self._last_received = now
        self._test_request_pending: str | None = None
        self._test_request_sent_at = 0.0
        self._test_request_counter = 0
        self._resend_until: int | None = None
        self._reset_sent = False

    # ------------------------------------------------------------------ calls

    def logon(self) -> Message:
        """Initiator: queue the Logon (with credentials, and ResetSeqNumFlag if set)."""
        if self.role is not Role.INITIATOR:
            raise LocalProtocolError("only an initiator sends the first Logon")
        self._transition_local(Trigger.SEND_LOGON)
        if self.settings.reset_on_logon:
            self.store.reset()
            self._reset_sent = True
        return self._queue("A", self._logon_body(self.heartbeat_interval, self._reset_sent))

    def send_application(self, msg_type: str, fields: Sequence[tuple[int, FieldValue]]) -> Message:
        """Queue an application message; it is kept for resends. Returns it."""
        if msg_type in ADMIN_MSG_TYPES:
            raise LocalProtocolError(f"35={msg_type} is a session message, not an application one")
        self._transition_local(Trigger.SEND_APP)
        return self._queue(msg_type, list(fields), record=True)

    def send_test_request(self, test_req_id: str | None = None) -> str:
        """Queue a TestRequest; the peer must answer with Heartbeat(112=id)."""
        if self.state is not SessionState.ACTIVE:
            raise LocalProtocolError(f"cannot send TestRequest in state {self.state.value}")
        self._test_request_counter += 1
        trid = test_req_id or f"TEST-{self._test_request_counter}"
        self._queue("1", [(112, trid)])
        self._test_request_pending = trid
        self._test_request_sent_at = self._clock()
        return trid

    def logout(self, text: str | None = None) -> Message:
        """Start the Logout handshake; the session closes when the peer answers."""
        self._transition_local(Trigger.SEND_LOGOUT)
        return self._queue("5", [(58, text)] if text else [])

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the connection; events become available."""
        if self.state is SessionState.CLOSED:
            return
        self._reader.feed(data)
        while self.state is not SessionState.CLOSED:
            item = self._reader.next()
            if item is None:
                break
            if isinstance(item, Frame):
                self._on_frame(item.raw)
            else:
                self._events.append(GarbledMessage(item.reason, item.raw))
                if self.state in (SessionState.AWAITING_LOGON, SessionState.LOGON_SENT):
                    # Before Logon nothing is trusted: a garbled first message ends it.
                    self._fail(f"garbled message before Logon: {item.reason}")

    def receive_eof(self) -> None:
        """The peer closed the connection (or it dropped)."""
        if self.state is SessionState.CLOSED:
            return
        was = self.state
        self._set_state(SessionState.CLOSED)
        self._events.append(Disconnect(f"connection closed by peer in state {was.value}"))

    def next_event(self) -> Event | None:
        """The next event, or None when more bytes (or time) are needed."""
        return self._events.popleft() if self._events else None

    def events(self) -> list[Event]:
        """All pending events, oldest first."""
        out = list(self._events)
        self._events.clear()
        return out

    def outgoing(self) -> list[Message]:
        """Messages to write, in order (each has ``.raw``); drains the queue."""
        out, self._out = self._out, []
        return out

    def data_to_send(self) -> bytes:
        """The bytes of :meth:`outgoing`, concatenated."""
        return b"".join(m.raw for m in self.outgoing())

    def check_timers(self) -> None:
        """Run heartbeat, test-request, logon and logout timers against ``clock()``."""
        now = self._clock()
        st = self.state
        if st in (SessionState.AWAITING_LOGON, SessionState.LOGON_SENT):
            if now - self._state_since >= self.settings.logon_timeout:
                self._fail(f"no Logon within {self.settings.logon_timeout:g}s")
        elif st is SessionState.LOGOUT_SENT:
            if now - self._state_since >= self.settings.logout_timeout:
                self._fail(f"no Logout reply within {self.settings.logout_timeout:g}s")
        elif st is SessionState.ACTIVE and self.heartbeat_interval > 0:
            hbi = self.heartbeat_interval
            if self._test_request_pending is not None:
                if now - self._test_request_sent_at >= hbi:
                    self._fail(
                        f"heartbeat timeout: TestRequest {self._test_request_pending} unanswered"
                    )
                    return
            elif now - self._last_received >= hbi * 1.2:
                self.send_test_request()
            if now - self._last_sent >= hbi:
                self._queue("0", [])

    def next_deadline(self) -> float | None:
        """When :meth:`check_timers` next has something to do (epoch seconds)."""
        st = self.state
        if st in (SessionState.AWAITING_LOGON, SessionState.LOGON_SENT):
            return self._state_since + self.settings.logon_timeout
        if st is SessionState.LOGOUT_SENT:
            return self._state_since + self.settings.logout_timeout
        if st is SessionState.ACTIVE and self.heartbeat_interval > 0:
            hbi = self.heartbeat_interval
            peer = (
                self._test_request_sent_at + hbi
                if self._test_request_pending is not None
                else self._last_received + hbi * 1.2
            )
            return min(self._last_sent + hbi, peer)
        return None

    # ------------------------------------------------------------- internals

    def _set_state(self, state: SessionState) -> None:
        self.state = state
        self._state_since = self._clock()
        if state is SessionState.ACTIVE:
            self._reader.max_body_length = self._max_body

    def _transition_local(self, trigger: Trigger) -> None:
        nxt = TRANSITIONS.get((self.state, trigger))
        if nxt is None:
            raise LocalProtocolError(f"cannot {trigger.value} in state {self.state.value}")
        self._set_state(nxt)

    def _fail(self, reason: str, *, logout_text: str | None = None) -> None:
        """End the session: optionally send Logout(58=text), then ask for a disconnect."""
        if self.state is SessionState.CLOSED:
            return
        if logout_text is not None:
            self._queue("5", [(58, logout_text)])
        self._set_state(SessionState.CLOSED)
        self._events.append(Disconnect(reason))

    def _logon_body(self, hbi: int, reset: bool) -> list[tuple[int, FieldValue]]:
        body: list[tuple[int, FieldValue]] = [(98, 0), (108, hbi)]
        if reset:
            body.append((141, "Y"))
        creds = self.settings.credentials
        if creds is not None and self.role is Role.INITIATOR:
            if creds.raw_data is not None:
                body += [(95, len(creds.raw_data)), (96, creds.raw_data)]
            else:
                if creds.username is not None:
                    body.append((553, creds.username))
                if creds.password is not None:
                    body.append((554, creds.password))
        if self.settings.begin_string == "FIXT.1.1":
            body.append((1137, self.settings.default_appl_ver_id or "9"))
        return body

    def _queue(
        self,
        msg_type: str,
        body: Sequence[tuple[int, FieldValue]],
        *,
        seq: int | None = None,
        orig_sending_time: str | None = None,
        record: bool = False,
    ) -> Message:
        now = self._clock()
        sending_time = utc_timestamp(now)
        resend = seq is not None
        if seq is None:
            seq = self.store.next_sender_seq
            if not (self.role is Role.ACCEPTOR and self.state is SessionState.AWAITING_LOGON):
                # (an acceptor's refusal before any Logon is accepted consumes nothing)
                self.store.next_sender_seq += 1
        header: list[tuple[int, FieldValue]] = [
            (35, msg_type),
            (49, self.settings.sender_comp_id),
            (56, self.settings.target_comp_id),
            (34, seq),
        ]
        if resend:
            header.append((43, "Y"))
        header.append((52, sending_time))
        if orig_sending_time is not None:
            header.append((122, orig_sending_time))
        msg = encode(self.settings.begin_string, [*header, *body])
        if record:
            stored = tuple((t, v) for t, v in msg.body_fields() if t not in (35, 49, 56, 34, 52))
            self.store.sent[seq] = SentRecord(msg_type, stored, sending_time)
        self._out.append(msg)
        self._last_sent = now
        return msg

    def _send_reject(
        self,
        ref_seq: int,
        reason: int,
        text: str,
        *,
        ref_tag: int | None = None,
        ref_msg_type: str | None = None,
    ) -> None:
        body: list[tuple[int, FieldValue]] = [(45, ref_seq)]
        if ref_tag is not None:
            body.append((371, ref_tag))
        if ref_msg_type:
            body.append((372, ref_msg_type))
        body += [(373, reason), (58, text)]
        self._queue("3", body)
        self._events.append(RejectSent(ref_seq, reason, text))

    # ------------------------------------------------------------- inbound

    def _on_frame(self, raw: bytes) -> None:
        try:
            msg = parse_message(raw)
        except CodecError as exc:
            self._on_malformed(raw, exc)
            return
        self._last_received = self._clock()
        self._test_request_pending = None  # any message proves the peer is alive
        self._events.append(MessageReceived(msg))
        if msg.begin_string != self.settings.begin_string:
            self._fail(
                f"wrong BeginString {msg.begin_string!r}",
                logout_text=f"Incorrect BeginString {msg.begin_string}, expected {self.settings.begin_string}",
            )
            return
        mt = msg.msg_type
        trigger = (
            Trigger.RECV_LOGON
            if mt == "A"
            else Trigger.RECV_LOGOUT
            if mt == "5"
            else Trigger.RECV_ADMIN
            if mt in ADMIN_MSG_TYPES
            else Trigger.RECV_APP
        )
        st = self.state
        if (st, trigger) not in TRANSITIONS:
            if st is SessionState.AWAITING_LOGON:
                # FIX: a first message that is not a Logon is answered by a disconnect.
                self._fail(f"first message is 35={mt}, not a Logon")
            else:
                self._fail(
                    f"unexpected 35={mt} in state {st.value}",
                    logout_text=f"Unexpected MsgType {mt} in state {st.value}",
                )
            return
        if trigger is Trigger.RECV_LOGON:
            if self.role is Role.ACCEPTOR:
                self._on_logon_as_acceptor(msg)
            else:
                self._on_logon_reply(msg)
            return
        if st is SessionState.LOGON_SENT:  # Logout instead of a Logon reply
            text = msg.get(58)
            self._events.append(LoggedOut(text, answered_ours=False))
            self._fail(f"logon refused: {text or 'no Text(58)'}")
            return
        if not self._check_header(msg):
            return
        if trigger is Trigger.RECV_LOGOUT:
            self._on_logout(msg)
            return
        if not self._check_seq(msg):
            return
        self._on_in_session(msg)

    def _on_malformed(self, raw: bytes, exc: CodecError) -> None:
        self._events.append(GarbledMessage(f"malformed: {exc.reason}", raw))
        if self.state in (SessionState.AWAITING_LOGON, SessionState.LOGON_SENT):
            self._fail(f"malformed message before Logon: {exc.reason}")
            return
        m = _SEQ_RE.search(raw)
        seq = int(m.group(1)) if m else None
        if seq is not None and seq == self.store.next_target_seq:
            # A framed message with a bad field: Reject it and consume its number.
            self._send_reject(seq, exc.reject_reason, exc.reason, ref_tag=exc.tag)
            self._consume(seq)

    def _consume(self, seq: int) -> None:
        self.store.next_target_seq = seq + 1
        if self._resend_until is not None and self.store.next_target_seq > self._resend_until:
            self._resend_until = None

    def _check_header(self, msg: Message) -> bool:
        s = self.settings
        seq = msg.seq_num
        if seq is None:
            self._fail("MsgSeqNum(34) missing", logout_text="MsgSeqNum(34) missing or invalid")
            return False
        if msg.get(49) != s.target_comp_id or msg.get(56) != s.sender_comp_id:
            text = (
                f"CompID problem: SenderCompID(49)={msg.get(49)} TargetCompID(56)={msg.get(56)}, "
                f"expected {s.target_comp_id}/{s.sender_comp_id}"
            )
            self._send_reject(seq, 9, text, ref_msg_type=msg.msg_type)
            self._fail(text, logout_text=text)
            return False
        for tag in (52, *REQUIRED_FIELDS.get(msg.msg_type, ())):
            if not msg.has(tag) and seq == self.store.next_target_seq:
                self._send_reject(
                    seq, 1, f"Required tag missing: {tag}", ref_tag=tag, ref_msg_type=msg.msg_type
                )
                self._consume(seq)
                return False
        return True

    def _check_seq(self, msg: Message) -> bool:
        """Decide whether an in-session message is processed now."""
        seq = msg.seq_num
        assert seq is not None  # checked by _check_header
        mt = msg.msg_type
        if mt == "4" and msg.get(123) != "Y":
            return True  # SequenceReset-Reset ignores MsgSeqNum
        expected = self.store.next_target_seq
        if seq == expected:
            return True
        if seq > expected:
            self._events.append(GapDetected(expected, seq))
            if mt == "2":
                self._answer_resend(msg)  # answer the peer's request despite the gap
            self._request_resend(expected, seq)
            return False
        if msg.poss_dup:
            self._events.append(DuplicateIgnored(seq))
            return False
        text = f"MsgSeqNum too low, expecting {expected} but received {seq}"
        self._fail(text, logout_text=text)
        return False

    def _request_resend(self, expected: int, seen: int) -> None:
        if self._resend_until is not None and self._resend_until >= expected:
            self._resend_until = max(self._resend_until, seen)
            return  # a resend is already on its way; EndSeqNo=0 covers newer messages
        self._resend_until = seen
        self._queue("2", [(7, expected), (16, 0)])

    def _on_in_session(self, msg: Message) -> None:
        mt = msg.msg_type
        seq = msg.seq_num
        assert seq is not None
        if mt == "0":
            self._events.append(HeartbeatReceived(msg.get(112)))
        elif mt == "1":
            trid = msg.get(112) or ""
            self._queue("0", [(112, trid)])
            self._events.append(TestRequestReceived(trid))
        elif mt == "2":
            self._answer_resend(msg)
        elif mt == "3":
            self._events.append(RejectReceived(msg.get_int(45), msg.get(373), msg.get(58)))
        elif mt == "4":
            self._on_sequence_reset(msg, seq)
            return  # sets the expected number itself
        elif not is_defined_msg_type(mt):
            self._send_reject(seq, 11, f"Invalid MsgType {mt}", ref_msg_type=mt)
        else:
            self._events.append(ApplicationMessage(msg))
        self._consume(seq)

    def _on_sequence_reset(self, msg: Message, seq: int) -> None:
        new = msg.get_int(36)
        gap_fill = msg.get(123) == "Y"
        expected = self.store.next_target_seq
        if new is None or new < expected or (gap_fill and new <= seq):
            self._send_reject(
                seq,
                5,
                f"NewSeqNo(36)={msg.get(36)} would lower the expected MsgSeqNum {expected}",
                ref_tag=36,
                ref_msg_type="4",
            )
            if gap_fill:
                self._consume(seq)
            return
        self._events.append(SequenceResetReceived(new, gap_fill))
        self.store.next_target_seq = new
        if self._resend_until is not None and new > self._resend_until:
            self._resend_until = None

    def _answer_resend(self, msg: Message) -> None:
        # get_int is None for anything but digits: absent, negative or not a number
        begin = msg.get_int(7)
        end = msg.get_int(16)
        if begin is None or begin < 1:
            self._reject_resend(msg, 7, f"BeginSeqNo(7)={msg.get(7)} must be 1 or more")
            return
        if end is None or 0 < end < begin:
            text = f"EndSeqNo(16)={msg.get(16)} must be 0 or at least BeginSeqNo(7)={begin}"
            self._reject_resend(msg, 16, text)
            return
        self._events.append(ResendRequested(begin, end))
        last = self.store.next_sender_seq - 1
        if end == 0 or end > last:
            end = last
        gap_start: int | None = None
        for s in range(begin, end + 1):
            rec = self.store.sent.get(s)
            if rec is None:
                if gap_start is None:
                    gap_start = s
                continue
            if gap_start is not None:
                self._gap_fill(gap_start, s)
                gap_start = None
            self._queue(rec.msg_type, rec.body, seq=s, orig_sending_time=rec.sending_time)
        if gap_start is not None:
            self._gap_fill(gap_start, end + 1)

    def _reject_resend(self, msg: Message, tag: int, text: str) -> None:
        """Reject(373=5, value out of range) a ResendRequest asking for the impossible."""
        seq = msg.seq_num
        assert seq is not None  # checked by _check_header
        self._send_reject(seq, 5, text, ref_tag=tag, ref_msg_type="2")

    def _gap_fill(self, seq: int, new_seq: int) -> None:
        self._queue("4", [(123, "Y"), (36, new_seq)], seq=seq)

    def _on_logout(self, msg: Message) -> None:
        seq = msg.seq_num
        assert seq is not None
        expected = self.store.next_target_seq
        if seq < expected and not msg.poss_dup:
            low = f"MsgSeqNum too low, expecting {expected} but received {seq}"
            self._fail(low, logout_text=low)
            return
        if seq == expected:
            self._consume(seq)
        text = msg.get(58)
        if self.state is SessionState.LOGOUT_SENT:
            self._events.append(LoggedOut(text, answered_ours=True))
            self._set_state(SessionState.CLOSED)
            self._events.append(Disconnect("logout handshake completed", graceful=True))
            return
        self._queue("5", [])
        self._events.append(LoggedOut(text, answered_ours=False))
        self._set_state(SessionState.CLOSED)
        self._events.append(Disconnect("peer logged out", graceful=True))

    # ---- Logon

    def _refuse(self, reason: str, logon: Message, *, text: str | None = None) -> None:
        self._events.append(LogonRefused(reason, logon))
        self._fail(f"logon refused: {reason}", logout_text=text or reason)

    def _check_credentials(self, msg: Message) -> str | None:
        want = self.settings.credentials
        if want is None:
            return None
        if want.raw_data is not None:
            got = msg.get_bytes(96)
            if got is None:
                return "credentials missing: RawData(96) required"
            if not hmac.compare_digest(got, want.raw_data):
                return "invalid credentials in RawData(96)"
            return None
        password = msg.get_bytes(554)
        user = msg.get(553)
        if password is None:
            return "credentials missing: Password(554) required"
        ok_user = want.username is None or user == want.username
        ok_pw = hmac.compare_digest(password, (want.password or "").encode("latin-1"))
        if not (ok_user and ok_pw):
            return f"invalid credentials for Username(553)={user}"
        return None

    def _on_logon_as_acceptor(self, msg: Message) -> None:
        s = self.settings
        if msg.get(49) != s.target_comp_id or msg.get(56) != s.sender_comp_id:
            self._refuse(
                f"CompID problem: SenderCompID(49)={msg.get(49)} TargetCompID(56)={msg.get(56)}, "
                f"expected {s.target_comp_id}/{s.sender_comp_id}",
                msg,
            )
            return
        gate = self._logon_gate(msg) if self._logon_gate is not None else None
        if gate is not None:
            self._refuse(gate, msg)
            return
        seq = msg.seq_num
        if seq is None:
            self._refuse("MsgSeqNum(34) missing or invalid", msg)
            return
        hbi = msg.get_int(108)
        if hbi is None:
            self._refuse("HeartBtInt(108) missing or invalid", msg)
            return
        if msg.get(98) != "0":
            self._refuse(f"EncryptMethod(98)={msg.get(98)} not supported, must be 0", msg)
            return
        if s.begin_string == "FIXT.1.1" and not msg.has(1137):
            self._refuse("DefaultApplVerID(1137) required for FIXT.1.1", msg)
            return
        problem = self._check_credentials(msg)
        if problem is not None:
            # The peer learns only that its credentials were refused, not which part.
            self._refuse(problem, msg, text="Invalid credentials")
            return
        reset = msg.get(141) == "Y"
        if reset:
            if seq != 1:
                self._refuse(f"ResetSeqNumFlag(141)=Y with MsgSeqNum(34)={seq}, must be 1", msg)
                return
            self.store.reset()
        expected = self.store.next_target_seq
        if seq < expected:
            self._refuse(f"MsgSeqNum too low, expecting {expected} but received {seq}", msg)
            return
        self._set_state(TRANSITIONS[(self.state, Trigger.RECV_LOGON)])
        self.heartbeat_interval = hbi  # the acceptor adopts the initiator's HeartBtInt
        self._queue("A", self._logon_body(hbi, reset))
        self._events.append(LoggedOn(hbi, reset))
        self._after_logon_seq(seq, expected)

    def _on_logon_reply(self, msg: Message) -> None:
        s = self.settings
        seq = msg.seq_num
        if msg.get(49) != s.target_comp_id or msg.get(56) != s.sender_comp_id:
            text = (
                f"CompID problem: SenderCompID(49)={msg.get(49)} TargetCompID(56)={msg.get(56)}, "
                f"expected {s.target_comp_id}/{s.sender_comp_id}"
            )
            self._fail(text, logout_text=text)
            return
        if seq is None:
            self._fail("MsgSeqNum(34) missing", logout_text="MsgSeqNum(34) missing or invalid")
            return
        expected = self.store.next_target_seq
        if seq < expected:
            text = f"MsgSeqNum too low, expecting {expected} but received {seq}"
            self._fail(text, logout_text=text)
            return
        self._set_state(TRANSITIONS[(self.state, Trigger.RECV_LOGON)])
        self._events.append(LoggedOn(self.heartbeat_interval, msg.get(141) == "Y"))
        self._after_logon_seq(seq, expected)

    def _after_logon_seq(self, seq: int, expected: int) -> None:
        if seq > expected:
            self._events.append(GapDetected(expected, seq))
            self._request_resend(expected, seq)
        else:
            self._consume(seq)
