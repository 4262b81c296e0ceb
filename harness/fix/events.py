"""Events the session engine reports: small frozen classes with domain names.

Every well-framed inbound message first yields :class:`MessageReceived` (so a driver
can keep a transcript and a script can match it), then the event(s) saying what it
meant for the session. Bytes that fail framing yield :class:`GarbledMessage`.
:class:`Disconnect` tells the driver to flush :meth:`Session.outgoing` and close.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.fix.codec import Message


@dataclass(frozen=True)
class MessageReceived:
    """A message passed framing (BodyLength, CheckSum) and parsing."""

    message: Message


@dataclass(frozen=True)
class GarbledMessage:
    """Bytes discarded because they are not a valid frame; no sequence number consumed."""

    reason: str
    raw: bytes


@dataclass(frozen=True)
class LoggedOn:
    """The Logon exchange completed: the session is established."""

    heartbeat_interval: int
    reset_seq_num: bool


@dataclass(frozen=True)
class LogonRefused:
    """We (an acceptor) refused a Logon: a Logout with ``reason`` as Text(58) was sent.

    ``logon`` is the refused Logon, for a redacted log line.
    """

    reason: str
    logon: Message | None = None


@dataclass(frozen=True)
class LoggedOut:
    """A Logout was received. ``text`` is its Text(58); ``answered_ours`` is True when
    it was the reply to our Logout (the handshake completed)."""

    text: str | None
    answered_ours: bool


@dataclass(frozen=True)
class ApplicationMessage:
    """An in-sequence application message (e.g. NewOrderSingle, ExecutionReport)."""

    message: Message


@dataclass(frozen=True)
class HeartbeatReceived:
    test_req_id: str | None


@dataclass(frozen=True)
class TestRequestReceived:
    """The peer asked for a Heartbeat; the engine has already queued it."""

    __test__ = False  # not a pytest test class
    test_req_id: str


@dataclass(frozen=True)
class GapDetected:
    """A MsgSeqNum above the expected one: a ResendRequest was queued."""

    expected: int
    received: int


@dataclass(frozen=True)
class ResendRequested:
    """The peer asked for messages ``begin``..``end`` (0 = up to the latest); answered."""

    begin: int
    end: int


@dataclass(frozen=True)
class SequenceResetReceived:
    new_seq_no: int
    gap_fill: bool


@dataclass(frozen=True)
class DuplicateIgnored:
    """A PossDupFlag=Y message below the expected MsgSeqNum: already processed."""

    seq_num: int


@dataclass(frozen=True)
class RejectReceived:
    """A session-level Reject(3) from the peer."""

    ref_seq_num: int | None
    reason: str | None
    text: str | None


@dataclass(frozen=True)
class RejectSent:
    """We rejected message ``ref_seq_num`` with SessionRejectReason(373) ``reason``."""

    ref_seq_num: int
    reason: int
    text: str


@dataclass(frozen=True)
class Disconnect:
    """The session is over on this connection; flush outgoing bytes and close.

    ``graceful`` is True only after a completed Logout handshake.
    """

    reason: str
    graceful: bool = False


Event = (
    MessageReceived
    | GarbledMessage
    | LoggedOn
    | LogonRefused
    | LoggedOut
    | ApplicationMessage
    | HeartbeatReceived
    | TestRequestReceived
    | GapDetected
    | ResendRequested
    | SequenceResetReceived
    | DuplicateIgnored
    | RejectReceived
    | RejectSent
    | Disconnect
)
