"""Negative controls: each must be refused, with the alert the refusing peer sent,
seen in the other side's log; no payload may reach the echo server's client.

Every case runs python↔python, and against real stunnel in the refusing role where
stunnel is installed, so our tunnel's refusals are checked against stunnel's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.backends.python import PythonBackend
from harness.pki import TestPKI
from harness.stunnelconf import StunnelConfig

from .kit import EchoServer, backend_named, guide_config, run_pair


@dataclass(frozen=True)
class Negative:
    client: str
    server: str
    client_set: dict[str, str | None] = field(default_factory=dict)
    server_set: dict[str, str | None] = field(default_factory=dict)
    ips: dict[str, str] | None = None
    server_log: tuple[str, ...] = ()  # all must appear in the server's log
    client_log: tuple[str, ...] = ()  # all must appear in the client's log


def _cases(pki: TestPKI) -> dict[str, Negative]:
    return {
        "no-client-certificate": Negative(
            "1a-client",
            "1-server",
            client_set={"cert": None},
            server_log=("peer did not return a certificate",),
            client_log=("alert handshake failure",),
        ),
        "client-certificate-not-pinned": Negative(
            "1a-client",
            "1-server",
            client_set={"cert": str(pki.client_ecdsa.pem_path)},
            server_log=("Rejected by CERT at depth=0",),
            client_log=("alert bad certificate",),
        ),
        "server-certificate-unrelated-ca": Negative(
            "1b-client",
            "1-server",
            server_set={"cert": str(pki.other_server.pem_path)},
            client_log=("CERT: Pre-verification error: unable to get local issuer certificate",),
            server_log=("alert unknown ca",),
        ),
        "wrong-psk-key": Negative(
            "2-client",
            "2-server",
            client_set={"PSKsecrets": str(pki.psk.wrong_key_path)},
            server_log=("decryption failed or bad record mac",),
        ),
        "unknown-psk-identity": Negative(
            "2-client",
            "2-server",
            client_set={
                "PSKsecrets": str(pki.psk.unknown_identity_path),
                "PSKidentity": pki.psk.unknown_identity,
            },
            server_log=("PSK identity not found",),
            client_log=("alert unknown psk identity",),
        ),
        "checkip-mismatch": Negative(
            "3b-client",
            "3-server",
            ips={"192.168.153.32": "127.0.0.2"},
            client_log=("CERT: Subject checks failed",),
            server_log=("alert internal error",),
        ),
        "expired-server-certificate": Negative(
            "3b-client",
            "3-server",
            server_set={"cert": str(pki.expired_server.pem_path)},
            client_log=("certificate has expired",),
            server_log=("alert certificate expired",),
        ),
        "revoked-server-certificate-crlfile": Negative(
            "3b-client",
            "3-server",
            client_set={"CRLfile": str(pki.crl_path)},
            server_set={"cert": str(pki.revoked_server.pem_path)},
            client_log=("certificate revoked",),
            server_log=("alert certificate revoked",),
        ),
    }


NAMES = [
    "no-client-certificate",
    "client-certificate-not-pinned",
    "server-certificate-unrelated-ca",
    "wrong-psk-key",
    "unknown-psk-identity",
    "checkip-mismatch",
    "expired-server-certificate",
    "revoked-server-certificate-crlfile",
]


def _apply(config: StunnelConfig, changes: dict[str, str | None]) -> StunnelConfig:
    svc = config.service_names[0]
    for name, value in changes.items():
        config = (
            config.remove_option(svc, name)
            if value is None
            else config.set_option(svc, name, value)
        )
    return config


def _run(
    name: str, client_kind: str, server_kind: str, pki: TestPKI, echo: EchoServer, workdir: Path
) -> None:
    case = _cases(pki)[name]
    server = _apply(guide_config(case.server, pki, connect=echo.address), case.server_set)
    client = _apply(guide_config(case.client, pki, ips=case.ips), case.client_set)
    res = run_pair(backend_named(client_kind), client, backend_named(server_kind), server, workdir)
    assert res.received == b"", "a refused handshake must carry no payload"
    assert echo.accepted == 0, "the server tunnel must not reach the FIX acceptor"
    assert (
        res.client is None
        or not res.client.negotiated
        or res.server is None
        or not res.server.negotiated
    )
    for text in case.server_log:
        assert text in res.server_log, f"server log lacks {text!r}:\n{res.server_log}"
    for text in case.client_log:
        assert text in res.client_log, f"client log lacks {text!r}:\n{res.client_log}"


@pytest.mark.parametrize("name", NAMES)
def test_refused_python_pair(name: str, pki: TestPKI, echo: EchoServer, workdir: Path) -> None:
    _run(name, "python", "python", pki, echo, workdir)


@pytest.mark.stunnel
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("pair", ["python->stunnel", "stunnel->python"])
def test_refused_against_stunnel(
    name: str, pair: str, pki: TestPKI, echo: EchoServer, workdir: Path
) -> None:
    client_kind, server_kind = pair.split("->")
    _run(name, client_kind, server_kind, pki, echo, workdir)


def test_positive_control_same_fixtures(pki: TestPKI, echo: EchoServer, workdir: Path) -> None:
    """The fixtures the negatives alter do work unaltered (so each refusal is due to
    the one change it makes)."""
    py = PythonBackend()
    for client_name, server_name in (
        ("1a-client", "1-server"),
        ("2-client", "2-server"),
        ("3b-client", "3-server"),
    ):
        res = run_pair(
            py,
            guide_config(client_name, pki),
            py,
            guide_config(server_name, pki, connect=echo.address),
            workdir,
        )
        assert res.received
