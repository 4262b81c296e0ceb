"""Conversation script parsing and session settings validation (pure)."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError, LocatedError, SourceLocation
from harness.fix import KEEP, Credentials, SessionSettings
from harness.fixnet import default_script, parse_script
from harness.fixnet.script import FieldCheck


def test_parse_every_step_kind() -> None:
    script = parse_script(
        """
        # comment
        connect
        expect Logon 108=30 !141
        send NewOrderSingle ClOrdID=A 55=IBM 58="two words"
        send TestRequest 112=PING
        expect Heartbeat TestReqID=PING
        expect ExecutionReport 11=A 37=* 58~part
        orders 3 55=MSFT
        lose D 11=L
        wait 0.5
        logout "see you"
        expect Logout
        disconnect
        expect disconnect
        """
    )
    kinds = [s.kind for s in script.steps]
    assert kinds == [
        "connect",
        "expect",
        "send",
        "send",
        "expect",
        "expect",
        "orders",
        "lose",
        "wait",
        "logout",
        "expect",
        "disconnect",
        "expect-disconnect",
    ]
    send = script.steps[2]
    assert send.msg_type == "D" and send.fields == ((11, "A"), (55, "IBM"), (58, "two words"))
    assert script.steps[1].checks == (FieldCheck(108, "=", "30"), FieldCheck(141, "!"))
    assert script.steps[5].checks[1:] == (FieldCheck(37, "*"), FieldCheck(58, "~", "part"))
    assert script.steps[9].text == "see you"
    assert script.steps[2].location.line == 5


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("frobnicate", "unknown step"),
        ("expect", "needs a MsgType"),
        ("expect NoSuchMessage", "unknown MsgType"),
        ("send Logon", "session messages are the engine's"),
        ("send D 11", "expected tag=value"),
        ("send D Bogus=1", "unknown tag"),
        ("orders x", "positive count"),
        ("wait -1", "between 0 and 3600"),
        ("connect now", "takes no arguments"),
        ('send D 58="unterminated', "cannot split"),
        ("expect D =5", "field check"),
    ],
)
def test_script_errors_name_file_and_line(line: str, message: str) -> None:
    text = "connect\n\n" + line + "\n"
    with pytest.raises(LocatedError) as exc:
        parse_script(text, origin=SourceLocation("scenarios/x.yaml", 12))
    assert exc.value.location == SourceLocation("scenarios/x.yaml", 14)
    assert message in str(exc.value) and str(exc.value).startswith("scenarios/x.yaml:14: ")


def test_default_scripts() -> None:
    assert [s.kind for s in default_script(5).steps] == [
        "connect",
        "expect",
        "orders",
        "logout",
        "expect",
        "expect-disconnect",
    ]
    assert "logout" not in [s.kind for s in default_script(5, acceptor=True).steps]


def test_settings_from_mapping() -> None:
    s = SessionSettings.from_mapping(
        {
            "sender_comp_id": "A",
            "target_comp_id": "B",
            "begin_string": "FIXT.1.1",
            "heartbeat_interval": 10,
            "reset_on_logon": True,
            "credentials": {"username": "u", "password": "pw-secret"},
        }
    )
    assert (
        s.default_appl_ver_id == "9"
        and s.reset_on_logon
        and s.credentials == Credentials("u", "pw-secret")
    )
    assert "pw-secret" not in repr(s)
    raw = SessionSettings.from_mapping(
        {"sender_comp_id": "A", "target_comp_id": "B", "credentials": {"raw_data_hex": "00ff01"}}
    )
    assert raw.credentials is not None and raw.credentials.raw_data == b"\x00\xff\x01"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"sender_comp_id": "A", "target_comp_id": "B", "heartbeat": 5}, "'heartbeat'"),
        ({"sender_comp_id": "A"}, "'target_comp_id'"),
        (
            {"sender_comp_id": "A", "target_comp_id": "B", "heartbeat_interval": "5"},
            "'heartbeat_interval'",
        ),
        ({"sender_comp_id": "A", "target_comp_id": "B", "reset_on_logon": 1}, "'reset_on_logon'"),
        ({"sender_comp_id": "A", "target_comp_id": "B", "begin_string": "FIX.5.0"}, "begin_string"),
        ({"sender_comp_id": "A|B", "target_comp_id": "B"}, "sender_comp_id"),
        ({"sender_comp_id": "A", "target_comp_id": "B", "credentials": {"user": "x"}}, "'user'"),
        (
            {"sender_comp_id": "A", "target_comp_id": "B", "credentials": {"username": "x"}},
            "password",
        ),
        (
            {"sender_comp_id": "A", "target_comp_id": "B", "credentials": {"raw_data_hex": "zz"}},
            "raw_data_hex",
        ),
    ],
)
def test_settings_errors_name_the_key(data: dict, needle: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(HarnessError) as exc:
        SessionSettings.from_mapping(data, origin=SourceLocation("s.yaml", 3))
    assert needle in str(exc.value) and str(exc.value).startswith("s.yaml:3: ")


def test_swapped_keeps_replaces_or_drops_credentials() -> None:
    creds = Credentials(username="u", password="p")
    other = Credentials(raw_data=b"\x01raw")
    init = SessionSettings("CLIENT", "SERVER", begin_string="FIXT.1.1", credentials=creds)
    kept = init.swapped()
    assert (kept.sender_comp_id, kept.target_comp_id) == ("SERVER", "CLIENT")
    assert kept.default_appl_ver_id == "9" and kept.begin_string == "FIXT.1.1"
    assert kept.credentials is creds and init.swapped(credentials=KEEP).credentials is creds
    assert init.swapped(credentials=other).credentials is other
    # None says "no credentials"; before KEEP existed it silently meant "keep".
    assert init.swapped(credentials=None).credentials is None
    assert init.swapped().swapped() == init
