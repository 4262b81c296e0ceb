"""``Handshake.refusal``: the one reading of "refused, by whom, with what", and the
three seats that word it (run's check, certify server, certify client).

Rows are built from the dissector's own frozen facts (no capture needed: these are
the facts a capture yields); tests/dissect/test_real_peers.py and the certify tests
show real handshakes reaching the same facts.
"""

from __future__ import annotations

import pytest

from harness.certify.client import _client_refused
from harness.certify.facts import server_refusal
from harness.dissect import Alert, Handshake, Refusal
from harness.dissect.model import FATAL, WARNING

HELLO = {"versions_offered": (0x0304, 0x0303), "ciphers_offered": (0x1301, 0xC02F)}


def _alert(sender: str, description: int | None, level: int | None = FATAL) -> Alert:
    encrypted = description is None
    return Alert(sender, None if encrypted else level, description, encrypted, 0.0)  # type: ignore[arg-type]


def _hs(negotiated: bool | None, *alerts: Alert, **kw: object) -> Handshake:
    fields: dict[str, object] = {**HELLO, **kw}
    return Handshake(True, None, negotiated, alerts=alerts, **fields)  # type: ignore[arg-type]


SERVER_40 = _alert("server", 40)
CLIENT_48 = _alert("client", 48)
SERVER_ENC = _alert("server", None)
CLIENT_ENC = _alert("client", None)
CLOSE_NOTIFY = _alert("client", 0, WARNING)

ROWS = [
    # (case, handshake, refused, by, alert)
    ("completed", _hs(True), False, None, None),
    ("completed, close_notify after", _hs(True, CLOSE_NOTIFY), False, None, None),
    ("completed, encrypted close after", _hs(True, SERVER_ENC), False, None, None),
    ("server refused", _hs(False, SERVER_40), True, "server", SERVER_40),
    ("client refused", _hs(False, CLIENT_48), True, "client", CLIENT_48),
    ("first fatal decides", _hs(False, CLIENT_48, SERVER_40), True, "client", CLIENT_48),
    ("late refusal after Finished (key log)", _hs(True, SERVER_40), True, "server", SERVER_40),
    ("encrypted server alert, TLS 1.3", _hs(None, SERVER_ENC), True, "server", SERVER_ENC),
    ("encrypted client alert, TLS 1.3", _hs(None, CLIENT_ENC), True, "client", CLIENT_ENC),
    ("closed, no alert", _hs(False), True, None, None),
    ("warning alert is not a refusal", _hs(False, CLOSE_NOTIFY), True, None, None),
    ("cannot tell", _hs(None), None, None, None),
]


@pytest.mark.parametrize(("case", "hs", "refused", "by", "alert"), ROWS, ids=[r[0] for r in ROWS])
def test_refusal(
    case: str, hs: Handshake, refused: bool | None, by: str | None, alert: Alert | None
) -> None:
    assert hs.refusal == Refusal(refused, by, alert)  # type: ignore[arg-type]


def test_how_words_the_alert() -> None:
    assert _hs(False, SERVER_40).refusal.how == "handshake_failure(40) from the server"
    assert _hs(None, CLIENT_ENC).refusal.how == "an encrypted alert from the client"
    assert _hs(False).refusal.how == "no alert"


SERVER_SEAT = [
    (_hs(False, SERVER_40), True, "refused: server sent handshake_failure(40)"),
    (_hs(None, SERVER_ENC), True, "refused: the server sent an (encrypted) alert"),
    (_hs(True, version_selected=0x0303, cipher_selected=0xC02F), False, "accepted"),
    (_hs(False), True, "refused: the server closed the connection without finishing"),
    (_hs(False, CLIENT_48), None, "our client gave up"),  # our own probe, not the server
    (_hs(None, CLIENT_ENC), None, "our client gave up: an encrypted alert from the client"),
    (_hs(None), None, "cannot tell"),
]


@pytest.mark.parametrize(("hs", "refused", "how"), SERVER_SEAT)
def test_certify_server_seat(hs: Handshake, refused: bool | None, how: str) -> None:
    got, text = server_refusal(hs)
    assert got is refused
    assert text.startswith(how)


CLIENT_SEAT = [
    (_hs(False, CLIENT_48), None, True, "refused: client sent unknown_ca(48)"),
    (_hs(None, CLIENT_ENC), None, True, "refused: client sent an (encrypted) alert"),
    (_hs(True, version_selected=0x0303, cipher_selected=0xC02F), None, False, "accepted"),
    (_hs(False), None, True, "refused: the client closed the connection without finishing"),
    (_hs(False), "timeout", None, "silent"),
    (_hs(False, SERVER_40), None, None, "our server gave up"),  # not the client's judgement
    (Handshake(False, "no data", None), None, None, "no ClientHello seen"),
]


@pytest.mark.parametrize(("hs", "end", "refused", "how"), CLIENT_SEAT)
def test_certify_client_seat(
    hs: Handshake, end: str | None, refused: bool | None, how: str
) -> None:
    got, text = _client_refused(hs, end, 5.0)
    assert got is refused
    assert text.startswith(how)
