"""certify server against the guide's own server sections, run by real stunnel and
by the project's Python tunnel (use cases 1a, 3b and 2), with negative controls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.backends.base import TunnelBackend
from harness.backends.python import PythonBackend
from harness.certify import Credentials, ServerRequest, TrustOptions, certify_server
from harness.checks.model import Verdict
from harness.pki import TestPKI
from harness.profiles import Profile
from harness.stunnelconf import parse_psk_secrets
from tests.tunnel.kit import EchoServer, guide_config, require_stunnel


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    try:
        yield server
    finally:
        server.close()


def backend(name: str) -> TunnelBackend:
    return require_stunnel() if name == "stunnel" else PythonBackend()


def run(
    port: int, profile: Profile, workdir: Path, case: str, **kw: object
) -> tuple[int, set[str]]:
    outcome = certify_server(
        ServerRequest("127.0.0.1", port, profile, case=case, **kw),  # type: ignore[arg-type]
        workdir / "out",
    )
    failed = {c.id for c in outcome.run.results[0].checks if c.verdict is Verdict.FAIL}
    return outcome.exit_code, failed


@pytest.mark.parametrize("name", ["stunnel", "python"])
def test_guide_1_server_is_compliant_for_case_1a(
    name: str, pki: TestPKI, guide: Profile, workdir: Path, echo: EchoServer
) -> None:
    conf = guide_config("1-server", pki, connect=echo.address)
    with backend(name).start(conf, workdir, label="server") as server:
        port = server.address()[1]
        code, failed = run(
            port, guide, workdir, "1a",
            credentials=Credentials(cert=pki.client_rsa.pem_path),
            trust=TrustOptions(pin=pki.server_rsa.pin_path, cafile=pki.root_ca_path),
        )  # fmt: skip
    assert (code, failed) == (0, set())


@pytest.mark.parametrize("name", ["stunnel", "python"])
def test_guide_3_server_fails_case_1a_but_passes_3b(
    name: str, pki: TestPKI, guide: Profile, workdir: Path, echo: EchoServer
) -> None:
    """The case 3 server asks no client certificate: right for 3b, wrong for 1a."""
    conf = guide_config("3-server", pki, connect=echo.address)
    with backend(name).start(conf, workdir, label="server") as server:
        port = server.address()[1]
        ok = run(port, guide, workdir, "3b", trust=TrustOptions(cafile=pki.root_ca_path))
        bad = run(port, guide, workdir, "1a", credentials=Credentials(cert=pki.client_rsa.pem_path))
    assert ok == (0, set())
    assert bad == (1, {"auth.client-certificate.required"})


@pytest.mark.parametrize("name", ["stunnel", "python"])
def test_guide_2_psk_server(
    name: str, pki: TestPKI, guide: Profile, workdir: Path, echo: EchoServer
) -> None:
    conf = guide_config("2-server", pki, connect=echo.address)
    entry = parse_psk_secrets(pki.psk_path.read_text())[0]
    creds = Credentials(psk_identity=entry.identity, psk_key=entry.key)
    with backend(name).start(conf, workdir, label="server") as server:
        port = server.address()[1]
        outcome = certify_server(
            ServerRequest("127.0.0.1", port, guide, case="2", credentials=creds), workdir / "out"
        )
        wrong = Credentials(psk_identity=entry.identity, psk_key=b"x" * 40)
        # negative control: with a wrong key our "valid" handshake is refused
        bad = certify_server(
            ServerRequest("127.0.0.1", port, guide, case="2", credentials=wrong), workdir / "bad"
        )
    checks = {c.id: c for c in outcome.run.results[0].checks}
    assert outcome.exit_code == 0, [c for c in checks.values() if c.verdict is not Verdict.PASS]
    assert checks["auth.psk.accepted"].verdict is Verdict.PASS
    assert checks["auth.psk.wrong-key.refused"].verdict is Verdict.PASS
    assert checks["auth.psk.unknown-identity.refused"].verdict is Verdict.PASS
    # certificate suites: not applicable to a PSK server, not missing
    assert checks["tls.cipher.required.0xC030"].verdict is Verdict.NOT_APPLICABLE
    assert "pre-shared keys" in (checks["tls.cipher.required.0xC030"].reason or "")
    assert bad.exit_code == 1
    assert {c.id for c in bad.run.results[0].failed_checks} == {"auth.psk.accepted"}
