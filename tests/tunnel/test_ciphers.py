"""Each of the guide's 12 certificate suites and the PSK suites can be negotiated when
both sides are limited to it; a suite only one side allows is refused (control)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.backends.python import PythonBackend
from harness.pki import TestPKI

from .kit import EchoServer, guide_config, run_pair

CERT_SUITES = [
    "DHE-RSA-AES128-SHA256",
    "DHE-RSA-AES128-GCM-SHA256",
    "DHE-RSA-AES256-SHA256",
    "DHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
]
# the guide's configs negotiate PSK-*; its table names DHE-PSK-* (0x0090/0x0091)
PSK_SUITES = [
    "PSK-AES128-CBC-SHA",
    "PSK-AES256-CBC-SHA",
    "DHE-PSK-AES128-CBC-SHA",
    "DHE-PSK-AES256-CBC-SHA",
]


@pytest.mark.parametrize("suite", CERT_SUITES)
def test_certificate_suite_forced(
    suite: str, pki: TestPKI, echo: EchoServer, workdir: Path
) -> None:
    ecdsa = "ECDSA" in suite
    server = guide_config("1-server", pki, connect=echo.address, ecdsa=ecdsa)
    client = guide_config("1a-client", pki, ecdsa=ecdsa)
    server = server.set_option("fix-server", "ciphers", suite)
    client = client.set_option("fix-client", "ciphers", suite)
    py = PythonBackend()
    res = run_pair(py, client, py, server, workdir)
    assert res.received, res.client_log + res.server_log
    assert res.client and res.server
    assert res.client.cipher == res.server.cipher == suite
    assert res.client.version == "TLSv1.2"


@pytest.mark.parametrize("suite", PSK_SUITES)
def test_psk_suite_forced(suite: str, pki: TestPKI, echo: EchoServer, workdir: Path) -> None:
    server = guide_config("2-server", pki, connect=echo.address).set_option(
        "fix-server", "ciphers", suite
    )
    client = guide_config("2-client", pki).set_option("fix-client", "ciphers", suite)
    py = PythonBackend()
    res = run_pair(py, client, py, server, workdir)
    assert res.received, res.client_log + res.server_log
    assert res.client and res.server
    assert res.client.cipher == res.server.cipher == suite
    assert res.client.psk_identity == "clientQA1"


def test_disjoint_suites_refused(pki: TestPKI, echo: EchoServer, workdir: Path) -> None:
    """Control: the guide's PSK names on one side, its table's DHE-PSK on the other."""
    server = guide_config("2-server", pki, connect=echo.address).set_option(
        "fix-server", "ciphers", "DHE-PSK-AES128-CBC-SHA:DHE-PSK-AES256-CBC-SHA"
    )
    client = guide_config("2-client", pki)
    py = PythonBackend()
    res = run_pair(py, client, py, server, workdir)
    assert res.received == b""
    assert echo.accepted == 0
    assert "no shared cipher" in res.server_log


def test_ecdsa_suite_with_rsa_certificate_refused(
    pki: TestPKI, echo: EchoServer, workdir: Path
) -> None:
    """Control: an ECDHE-ECDSA suite cannot be served with an RSA certificate."""
    suite = "ECDHE-ECDSA-AES256-GCM-SHA384"
    server = guide_config("1-server", pki, connect=echo.address).set_option(
        "fix-server", "ciphers", suite
    )
    client = guide_config("1a-client", pki).set_option("fix-client", "ciphers", suite)
    py = PythonBackend()
    res = run_pair(py, client, py, server, workdir)
    assert res.received == b""
    assert "no shared cipher" in res.server_log
