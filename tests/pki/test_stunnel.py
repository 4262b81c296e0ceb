"""The generated files used as-is by the real stunnel (5.68), in the guide's use cases.

Each case runs a server stunnel in front of an echo "FIX acceptor" and a client
stunnel in front of the test; bytes come back only if the handshake succeeded.
Every positive case has a negative control that changes one file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from harness.pki import TestPKI
from harness.testing import free_loopback_port
from harness.testing.ocsp import OcspResponder

from .tools import STUNNEL, echo_server, round_trip, stunnel, wait_for_log

pytestmark = [
    pytest.mark.stunnel,
    pytest.mark.skipif(not Path(STUNNEL).exists(), reason="stunnel not installed"),
]

GLOBAL = "foreground = yes\npid =\nsyslog = no\ndebug = info\n"
PAYLOAD = b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01"


def run_pair(
    tmp: Path, server: str, client: str, *, expect: str | None = None
) -> tuple[bytes, str]:
    """Start server and client stunnel, send PAYLOAD, return (echo, both logs).

    Each stunnel's log is read by its own thread, and the two stunnels write their
    verdicts independently: the client's "Connection closed" says nothing about
    whether the server's line is in yet. A test that asserts on a log line names it
    in ``expect``; the pair then waits (bounded) for that very line in either log.
    """
    with ExitStack() as stack:
        fix_port = stack.enter_context(echo_server())
        s_port, s_log = stack.enter_context(
            stunnel(
                f"{GLOBAL}[fix-acceptor]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:{fix_port}\n{server}",
                tmp / "server.conf",
            )
        )
        c_port, c_log = stack.enter_context(
            stunnel(
                f"{GLOBAL}[fix-initiator]\nclient = yes\naccept = 127.0.0.1:0\n"
                f"connect = 127.0.0.1:{s_port}\n{client}",
                tmp / "client.conf",
            )
        )
        echoed = round_trip(c_port, PAYLOAD)
        # The client's log is read by another thread: wait (bounded) for the line
        # that ends the connection so the verdict lines are in before we look.
        wait_for_log(c_log, rb"Connection (closed|reset)")
        deadline = time.monotonic() + 10
        while expect is not None and time.monotonic() < deadline:
            if expect.encode() in b"".join(s_log) + b"".join(c_log):
                break
            time.sleep(0.02)
        logs = (b"".join(s_log) + b"".join(c_log)).decode(errors="replace")
    return echoed, logs


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPKI]:
    yield TestPKI.create(
        tmp_path_factory.mktemp("pki"), ocsp_url=f"http://127.0.0.1:{free_loopback_port()}"
    )


@pytest.mark.parametrize(("client_leaf", "ok"), [("client-rsa", True), ("client-ecdsa", False)])
def test_case_1a_mutual_leaf_pinning(
    pki: TestPKI, tmp_path: Path, client_leaf: str, ok: bool
) -> None:
    # Guide 3.2 case 1a: cert = x.pem (chain + key), verifyPeer with the peer's
    # leaf alone as CAfile. The control presents a valid but unpinned client.
    server = (
        f"cert = {pki.server_rsa.pem_path}\nverifyPeer = yes\nCAfile = {pki.client_rsa.pin_path}\n"
    )
    client = (
        f"cert = {pki.leaf(client_leaf).pem_path}\nverifyPeer = yes\n"
        f"CAfile = {pki.server_rsa.pin_path}\nsslVersion = TLSv1.2\n"
    )
    line = "Certificate not found in local repository"  # the server's verdict
    echoed, logs = run_pair(tmp_path, server, client, expect=None if ok else line)
    assert (echoed == PAYLOAD) is ok, logs
    if not ok:
        assert line in logs


@pytest.mark.parametrize(("server_leaf", "ok"), [("server-ecdsa", True), ("expired-server", False)])
def test_case_3b_chain_and_check_ip(
    pki: TestPKI, tmp_path: Path, server_leaf: str, ok: bool
) -> None:
    leaf = pki.leaf(server_leaf)
    server = f"cert = {leaf.cert_path}\nkey = {leaf.key_path}\n"
    client = f"verifyChain = yes\nCAfile = {pki.root_ca_path}\ncheckIP = 127.0.0.1\nsslVersion = TLSv1.2\n"
    line = "ECDHE-ECDSA" if ok else "certificate has expired"
    echoed, logs = run_pair(tmp_path, server, client, expect=line)
    assert (echoed == PAYLOAD) is ok, logs
    assert line in logs


def test_check_ip_mismatch_with_the_second_loopback_address(pki: TestPKI, tmp_path: Path) -> None:
    server = f"cert = {pki.server_ip2.pem_path}\n"
    client = (
        f"verifyChain = yes\nCAfile = {pki.chain_path}\ncheckIP = 127.0.0.1\nsslVersion = TLSv1.2\n"
    )
    line = "CERT: Subject checks failed"
    echoed, logs = run_pair(tmp_path, server, client, expect=line)
    assert echoed == b""
    assert line in logs


@pytest.mark.parametrize(("server_leaf", "ok"), [("server-rsa", True), ("revoked-server", False)])
def test_crl_file_and_path(pki: TestPKI, tmp_path: Path, server_leaf: str, ok: bool) -> None:
    server = f"cert = {pki.leaf(server_leaf).pem_path}\n"
    for option in (f"CRLfile = {pki.crl_path}", f"CRLpath = {pki.crl_dir}"):
        client = f"verifyChain = yes\nCApath = {pki.capath_dir}\n{option}\nsslVersion = TLSv1.2\n"
        line = None if ok else "certificate revoked"
        echoed, logs = run_pair(tmp_path, server, client, expect=line)
        assert (echoed == PAYLOAD) is ok, logs
        if line:
            assert line in logs


@pytest.mark.parametrize("option", ["OCSPaia = yes", "OCSP = {url}"])
@pytest.mark.parametrize(("server_leaf", "ok"), [("server-rsa", True), ("revoked-server", False)])
def test_ocsp_through_the_responder(
    pki: TestPKI, tmp_path: Path, server_leaf: str, ok: bool, option: str
) -> None:
    server = f"cert = {pki.leaf(server_leaf).pem_path}\n"
    with OcspResponder(pki) as responder:
        ocsp = option.format(url=responder.url)
        client = f"verifyChain = yes\nCAfile = {pki.chain_path}\n{ocsp}\nsslVersion = TLSv1.2\n"
        # the client's OCSP verdict (a bare "revoked" would also match the file name
        # revoked-server.pem in the server's log: a check that could not fail)
        line = None if ok else "OCSP: Status: revoked"
        echoed, logs = run_pair(tmp_path, server, client, expect=line)
    assert (echoed == PAYLOAD) is ok, logs
    asked = {s for e in responder.exchanges for s in e.serials}
    assert pki.leaf(server_leaf).serial in asked
    if not ok:
        assert line in logs
    elif option.startswith("OCSP ="):
        # With an explicit URL stunnel also asks about the intermediate (depth 1),
        # which the responder answers from the root's database.
        assert {e.issuer for e in responder.exchanges} == {"intermediate", "root"}


@pytest.mark.parametrize(("client_file", "ok"), [("path", True), ("wrong_key_path", False)])
def test_case_2_psk(pki: TestPKI, tmp_path: Path, client_file: str, ok: bool) -> None:
    ciphers = "ciphers = PSK-AES128-CBC-SHA:PSK-AES256-CBC-SHA\nsslVersion = TLSv1.2\n"
    server = f"PSKsecrets = {pki.psk.path}\n{ciphers}"
    client = f"PSKsecrets = {getattr(pki.psk, client_file)}\nPSKidentity = clientQA1\n{ciphers}"
    echoed, logs = run_pair(tmp_path, server, client)
    assert (echoed == PAYLOAD) is ok, logs
    assert "Insecure file permissions" not in logs  # the 0600 mode is what stunnel wants
    for line in pki.psk.path.read_text().splitlines():
        assert line.split(":", 1)[1] not in logs
