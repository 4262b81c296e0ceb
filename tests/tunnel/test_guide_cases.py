"""Issue acceptance: the guide's use cases through tunnel pairs, on loopback.

Each case runs the guide's own service sections (only addresses and file paths
replaced) and checks that a payload round-trips and that both tunnels' logs agree on
version, cipher and the authentication that happened. The negative controls for each
case are in test_negatives.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.backends.python import PythonBackend
from harness.pki import TestPKI

from .kit import EchoServer, backend_named, guide_config, run_pair

CASES = {
    "1a": ("1a-client", "1-server"),
    "1b": ("1b-client", "1-server"),
    "2": ("2-client", "2-server"),
    "3a": ("3a-client", "3-server"),
    "3b": ("3b-client", "3-server"),
}
PAYLOAD = b"8=FIX.4.4\x019=12\x0135=A\x0198=0\x01108=30\x0110=123\x01" * 50


def _check_case(case: str, res: object, pki: TestPKI) -> None:
    from .kit import PairResult

    assert isinstance(res, PairResult)
    assert res.received == PAYLOAD, res.client_log + res.server_log
    assert res.client and res.server
    assert res.client.role == "client" and res.server.role == "server"
    assert res.client.version == res.server.version == "TLSv1.2"
    assert res.client.cipher == res.server.cipher
    client_subjects = [s for d, s in res.server.peer_certificates if d == 0]
    server_subjects = [s for d, s in res.client.peer_certificates if d == 0]
    if case in ("1a", "1b"):
        assert res.client.cipher == "DHE-RSA-AES128-SHA256"  # client preference, guide order
        assert client_subjects, "server must have verified a client certificate"
        assert "client" in client_subjects[0].lower()
        assert server_subjects
    elif case == "2":
        assert res.client.cipher == "PSK-AES128-CBC-SHA"  # 0x008C, not the table's 0x0090
        assert res.client.psk_identity == res.server.psk_identity == "clientQA1"
        assert not client_subjects and not server_subjects
    else:
        assert res.client.cipher == "DHE-RSA-AES128-SHA256"
        assert not client_subjects, "3a/3b: no client certificate in TLS"
        assert server_subjects


@pytest.mark.parametrize("case", sorted(CASES))
def test_guide_case_python_pair(case: str, pki: TestPKI, echo: EchoServer, workdir: Path) -> None:
    client_name, server_name = CASES[case]
    server_conf = guide_config(server_name, pki, connect=echo.address)
    client_conf = guide_config(client_name, pki)
    py = PythonBackend()
    res = run_pair(py, client_conf, py, server_conf, workdir, PAYLOAD)
    _check_case(case, res, pki)


@pytest.mark.stunnel
@pytest.mark.parametrize("case", ["1a", "2", "3b"])
@pytest.mark.parametrize("direction", ["python->stunnel", "stunnel->python"])
def test_guide_case_interop_with_stunnel(
    case: str, direction: str, pki: TestPKI, echo: EchoServer, workdir: Path
) -> None:
    client_kind, server_kind = direction.split("->")
    client_name, server_name = CASES[case]
    server_conf = guide_config(server_name, pki, connect=echo.address)
    client_conf = guide_config(client_name, pki)
    res = run_pair(
        backend_named(client_kind),
        client_conf,
        backend_named(server_kind),
        server_conf,
        workdir,
        PAYLOAD,
    )
    _check_case(case, res, pki)
