"""Sans-IO FIX: codec and session engine, no sockets, no clocks of its own.

Theory of operation
-------------------
``codec`` turns bytes into validated frames and messages and back (BodyLength(9) and
CheckSum(10) checked on receipt, data fields such as RawData(96) read by their length
field, secrets redacted in every rendering). ``session`` is the FIX session layer as
one state machine (:data:`harness.fix.session.TRANSITIONS`): bytes in, events out;
calls in, messages out; time injected. ``settings`` holds the frozen per-session
settings shared with the network drivers in :mod:`harness.fixnet`.

Typical use, as in h11::

    s = Session(settings, role=Role.INITIATOR)
    s.logon()
    sock.sendall(s.data_to_send())
    s.receive_data(sock.recv(65536))
    for event in s.events():
        ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness import lazy

if TYPE_CHECKING:
    from harness.fix.codec import (
        MSG_TYPE_NAMES,
        SECRET_TAGS,
        CodecError,
        Frame,
        FrameReader,
        GarbledFrame,
        Message,
        encode,
        parse_message,
        render,
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
    from harness.fix.session import (
        TRANSITIONS,
        LocalProtocolError,
        Role,
        SequenceStore,
        Session,
        SessionState,
    )
    from harness.fix.settings import KEEP, Credentials, SessionSettings

# Start-up is part of the product (docs/architecture.md): ``certify server`` needs
# only the codec (its plaintext Logon probe), not the session state machine; the
# names below are resolved from their submodules on first use (PEP 562).
_LAZY = {
    "MSG_TYPE_NAMES": "codec",
    "SECRET_TAGS": "codec",
    "CodecError": "codec",
    "Frame": "codec",
    "FrameReader": "codec",
    "GarbledFrame": "codec",
    "Message": "codec",
    "encode": "codec",
    "parse_message": "codec",
    "render": "codec",
    "ApplicationMessage": "events",
    "Disconnect": "events",
    "DuplicateIgnored": "events",
    "Event": "events",
    "GapDetected": "events",
    "GarbledMessage": "events",
    "HeartbeatReceived": "events",
    "LoggedOn": "events",
    "LoggedOut": "events",
    "LogonRefused": "events",
    "MessageReceived": "events",
    "RejectReceived": "events",
    "RejectSent": "events",
    "ResendRequested": "events",
    "SequenceResetReceived": "events",
    "TestRequestReceived": "events",
    "TRANSITIONS": "session",
    "LocalProtocolError": "session",
    "Role": "session",
    "SequenceStore": "session",
    "Session": "session",
    "SessionState": "session",
    "KEEP": "settings",
    "Credentials": "settings",
    "SessionSettings": "settings",
}


def __getattr__(name: str) -> Any:
    return lazy.resolve(__name__, _LAZY, name)


def __dir__() -> list[str]:
    return lazy.names(__name__, _LAZY)


__all__ = [
    "KEEP",
    "MSG_TYPE_NAMES",
    "SECRET_TAGS",
    "TRANSITIONS",
    "ApplicationMessage",
    "CodecError",
    "Credentials",
    "Disconnect",
    "DuplicateIgnored",
    "Event",
    "Frame",
    "FrameReader",
    "GapDetected",
    "GarbledFrame",
    "GarbledMessage",
    "HeartbeatReceived",
    "LocalProtocolError",
    "LoggedOn",
    "LoggedOut",
    "LogonRefused",
    "Message",
    "MessageReceived",
    "RejectReceived",
    "RejectSent",
    "ResendRequested",
    "Role",
    "SequenceResetReceived",
    "SequenceStore",
    "Session",
    "SessionSettings",
    "SessionState",
    "TestRequestReceived",
    "encode",
    "parse_message",
    "render",
]
