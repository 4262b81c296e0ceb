"""Interop with a third-party FIX engine: QuickFIX (C++, via the quickfix-py wheel).

QuickFIX validates our messages against its FIX 4.4 data dictionary and enforces the
session rules on its side; we validate its messages with ours. Both directions:
QuickFIX initiator → our MockAcceptor, our initiator → QuickFIX acceptor. Skipped when
the wheel is not installed (it is a dev dependency on x86_64 / CPython 3.11).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harness.fix import Credentials, SessionSettings
from harness.fixnet import parse_script, run_acceptor_in_thread, run_initiator

fix: Any = pytest.importorskip("quickfix")

DICTIONARY = Path(sys.prefix) / "share" / "quickfix" / "FIX44.xml"
if not DICTIONARY.exists():  # pragma: no cover - depends on how the wheel was installed
    pytest.skip("QuickFIX data dictionary not found", allow_module_level=True)

CREDS = Credentials(username="trader1", password="qf-s3cret")


class QuickFixApp(fix.Application):  # type: ignore[misc]
    """Records what QuickFIX sees; as acceptor, answers NewOrderSingle itself."""

    def __init__(self, *, password: str | None = None, answer_orders: bool = False) -> None:
        super().__init__()
        self.logged_on = threading.Event()
        self.logged_out = threading.Event()
        self.received: list[str] = []
        self.session_id: Any = None
        self._password = password
        self._answer = answer_orders
        self._n = 0

    def onCreate(self, session_id: Any) -> None:
        pass

    def onLogon(self, session_id: Any) -> None:
        self.session_id = session_id
        self.logged_on.set()

    def onLogout(self, session_id: Any) -> None:
        self.logged_out.set()

    def toAdmin(self, message: Any, session_id: Any) -> None:
        if self._password is not None and message.getHeader().getField(35) == "A":
            message.setField(553, "trader1")
            message.setField(554, self._password)

    def fromAdmin(self, message: Any, session_id: Any) -> None:
        pass

    def toApp(self, message: Any, session_id: Any) -> None:
        pass

    def fromApp(self, message: Any, session_id: Any) -> None:
        self.received.append(message.toString())
        if self._answer and message.getHeader().getField(35) == "D":
            self._n += 1
            er = fix.Message()
            er.getHeader().setField(fix.MsgType("8"))
            for field in (
                fix.OrderID(f"QF-{self._n}"),
                fix.ExecID(f"QE-{self._n}"),
                fix.ExecType("0"),
                fix.OrdStatus("0"),
                fix.ClOrdID(message.getField(11)),
                fix.Symbol(message.getField(55)),
                fix.Side(message.getField(54)),
                fix.LeavesQty(float(message.getField(38))),
                fix.CumQty(0),
                fix.AvgPx(0),
            ):
                er.setField(field)
            fix.Session.sendToTarget(er, session_id)


def _config(tmp: Path, body: str) -> Any:
    text = (
        "[DEFAULT]\nStartTime=00:00:00\nEndTime=00:00:00\nReconnectInterval=1\n"
        f"UseDataDictionary=Y\nDataDictionary={DICTIONARY}\n"
        "[SESSION]\nBeginString=FIX.4.4\nHeartBtInt=30\n" + body
    )
    path = tmp / "quickfix.cfg"
    path.write_text(text)
    return fix.SessionSettings(str(path))


@contextmanager
def quickfix_engine(kind: str, app: QuickFixApp, settings: Any) -> Iterator[Any]:
    factory = fix.SocketInitiator if kind == "initiator" else fix.SocketAcceptor
    # No log factory: this wheel's SocketAcceptor crashes in stop() when given a
    # FileLogFactory after a session ran (seen with quickfix-py 0.0.3); our own
    # transcripts record the conversation anyway.
    engine = factory(app, fix.MemoryStoreFactory(), settings)
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()


def _wait(predicate: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def _order(clordid: str) -> Any:
    m = fix.Message()
    m.getHeader().setField(fix.MsgType("D"))
    for field in (
        fix.ClOrdID(clordid),
        fix.HandlInst("1"),
        fix.Symbol("IBM"),
        fix.Side("1"),
        fix.TransactTime(),
        fix.OrderQty(100),
        fix.OrdType("1"),
    ):
        m.setField(field)
    return m


ACCEPTOR = SessionSettings(sender_comp_id="SELLSIDE", target_comp_id="BUYSIDE", credentials=CREDS)


@pytest.mark.parametrize("password", ["qf-s3cret", "not-the-password"], ids=["good", "bad-control"])
def test_quickfix_initiator_against_mock_acceptor(tmp_path: Path, password: str) -> None:
    with run_acceptor_in_thread(ACCEPTOR) as acceptor:
        assert acceptor.address is not None
        port = acceptor.address[1]
        settings = _config(
            tmp_path,
            "ConnectionType=initiator\nSenderCompID=BUYSIDE\nTargetCompID=SELLSIDE\n"
            f"SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\nResetOnLogon=Y\n",
        )
        app = QuickFixApp(password=password)
        with quickfix_engine("initiator", app, settings):
            if password != "qf-s3cret":
                assert _wait(lambda: len(acceptor.refusals) >= 1)
                assert not app.logged_on.is_set()
                return
            assert app.logged_on.wait(10)
            for k in range(1, 6):
                fix.Session.sendToTarget(_order(f"Q{k}"), app.session_id)
            # QuickFIX validated each ExecutionReport against its FIX 4.4 dictionary.
            assert _wait(lambda: len(app.received) == 5)
        # engine.stop() ran the Logout handshake.
        assert app.logged_out.is_set()
    assert [m.get(11) for m in acceptor.orders] == [f"Q{k}" for k in range(1, 6)]
    assert [f"11=Q{k}\x01" in r for k, r in enumerate(app.received, 1)] == [True] * 5
    inbound = [e.msg_type for e in acceptor.transcripts[0].entries if e.direction == "in"]
    assert inbound[0] == "A" and "5" in inbound and acceptor.errors == []
    assert "qf-s3cret" not in acceptor.transcripts[0].render()


def test_mock_initiator_against_quickfix_acceptor() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    peer = subprocess.Popen(
        [sys.executable, "-m", "tests.fix.quickfix_peer", str(port)],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert peer.stdout is not None and peer.stdin is not None
        ready = peer.stdout.readline()  # the peer prints this first, or dies (EOF)
        assert ready.strip() == "ready", ready
        init = SessionSettings(sender_comp_id="BUYSIDE", target_comp_id="SELLSIDE")
        script = parse_script(
            "connect\nexpect Logon 98=0 108=30\n"
            "send TestRequest 112=PING\nexpect Heartbeat 112=PING\n"
            "orders 5\nlogout\nexpect Logout\nexpect disconnect\n"
        )
        result = asyncio.run(run_initiator(init, script, "127.0.0.1", port, timeout=10))
        peer.stdin.close()  # the peer exits on EOF
        peer.wait(timeout=20)
        out = peer.stdout.read()
    finally:
        if peer.poll() is None:
            peer.kill()
            peer.wait(timeout=10)
    assert result.ok, result.failures
    assert [m.get(11) for m in result.application_messages] == [f"ORD-{k}" for k in range(1, 6)]
    # QuickFIX validated and accepted all five orders we sent.
    received = [line for line in out.splitlines() if line.startswith("RECV ")]
    assert [("35=D|" in r and f"11=ORD-{k}|" in r) for k, r in enumerate(received, 1)] == [True] * 5
