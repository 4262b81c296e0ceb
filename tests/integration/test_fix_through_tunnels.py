"""Issue 3 over issue 2: the mock FIX initiator and acceptor complete Logon → 100
NewOrderSingle/ExecutionReport → Logout through two Python tunnels (the guide's case
1a sections), and through a python→stunnel pair; bad credentials are refused through
the tunnels too (negative control)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.errors import SourceLocation
from harness.fix.settings import Credentials
from harness.fixnet import (
    SessionSettings,
    default_script,
    parse_script,
    run_acceptor_in_thread,
    run_initiator,
)
from harness.pki import TestPKI
from tests.tunnel.kit import backend_named, guide_config, tunnel_pair

INITIATOR = SessionSettings(
    sender_comp_id="CLIENT1",
    target_comp_id="SERVER1",
    credentials=Credentials(username="clientQA1", password="Fix-Logon-Pa55word"),
    reset_on_logon=True,
)
ACCEPTOR = SessionSettings(
    sender_comp_id="SERVER1",
    target_comp_id="CLIENT1",
    credentials=Credentials(username="clientQA1", password="Fix-Logon-Pa55word"),
    reset_on_logon=True,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI.create(tmp_path_factory.mktemp("pki"))


@pytest.mark.parametrize("pair", ["python->python", "python->stunnel", "stunnel->python"])
def test_100_orders_through_tunnels(pair: str, pki: TestPKI, tmp_path: Path) -> None:
    client_kind, server_kind = pair.split("->")
    with run_acceptor_in_thread(ACCEPTOR) as acceptor:
        assert acceptor.address is not None
        server = guide_config("3-server", pki, connect=acceptor.address)
        client = guide_config("3a-client", pki)
        with tunnel_pair(
            backend_named(client_kind), client, backend_named(server_kind), server, tmp_path
        ) as (c, _s):
            host, port = c.address()
            result = asyncio.run(
                run_initiator(INITIATOR, default_script(100), host, port, timeout=10)
            )
    assert result.ok, result.failures
    assert result.logon_accepted
    reports = [m for m in result.application_messages if m.get(35) == "8"]
    assert len(reports) == 100
    assert [m.get(11) for m in reports] == [f"ORD-{i}" for i in range(1, 101)]
    assert len(acceptor.orders) == 100
    # the transcript never shows the password
    assert "Fix-Logon-Pa55word" not in result.transcript.render()


def test_large_message_crosses_tls_record_boundary(pki: TestPKI, tmp_path: Path) -> None:
    """A 20 KiB field (more than one 16 KiB TLS record) arrives intact."""
    script = parse_script(
        "connect\nexpect Logon\nsend NewOrderSingle 11=BIG 55=IBM 54=1 38=1 40=1 58="
        + "x" * 20480
        + "\n"
        "expect ExecutionReport 11=BIG\nlogout\nexpect Logout\nexpect disconnect\n",
        origin=SourceLocation("<test>", 1),
    )
    with run_acceptor_in_thread(ACCEPTOR) as acceptor:
        assert acceptor.address is not None
        server = guide_config("3-server", pki, connect=acceptor.address)
        client = guide_config("3a-client", pki)
        py = backend_named("python")
        with tunnel_pair(py, client, py, server, tmp_path) as (c, _s):
            result = asyncio.run(run_initiator(INITIATOR, script, *c.address(), timeout=10))
    assert result.ok, result.failures
    assert acceptor.orders[0].get(58) == "x" * 20480


def test_bad_password_refused_through_tunnels(pki: TestPKI, tmp_path: Path) -> None:
    bad = SessionSettings(
        sender_comp_id="CLIENT1",
        target_comp_id="SERVER1",
        credentials=Credentials(username="clientQA1", password="wrong-password-1"),
        reset_on_logon=True,
    )
    with run_acceptor_in_thread(ACCEPTOR) as acceptor:
        assert acceptor.address is not None
        server = guide_config("3-server", pki, connect=acceptor.address)
        client = guide_config("3a-client", pki)
        py = backend_named("python")
        with tunnel_pair(py, client, py, server, tmp_path) as (c, _s):
            result = asyncio.run(run_initiator(bad, default_script(1), *c.address(), timeout=10))
    assert not result.logon_accepted
    assert result.logout_text == "Invalid credentials"
    assert acceptor.refusals and "554=***" in acceptor.refusals[0]
    assert "wrong-password-1" not in "".join(acceptor.refusals)
