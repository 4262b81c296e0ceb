"""The optional FIX Logon probe of ``certify server``: a real FIX session through the
counterparty's TLS endpoint.

Our Python tunnel runs in-process as a TLS client to the endpoint (with the same
credentials as the TLS probes: client certificate, pin or CA file, PSK), and the mock
FIX initiator logs on through it: Logon → Logout. When FIX credentials were given, a
second session sends a deliberately wrong password (or RawData) and must be refused:
a Logout, or a disconnect, and no session. Both sessions reset sequence numbers
(ResetSeqNumFlag=Y), as certification sessions normally do.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from harness.backends.base import TunnelStartError, write_private
from harness.backends.python import PythonBackend
from harness.certify.policy import TrustOptions
from harness.certify.probe import Credentials
from harness.checks.model import CheckResult, Verdict
from harness.errors import HarnessError, SourceLocation
from harness.fix.settings import Credentials as FixCredentials
from harness.fixnet import SessionSettings, parse_script, run_initiator
from harness.stunnelconf import parse_config

_SCRIPT = "connect\nexpect Logon\nlogout\nexpect Logout\nexpect disconnect\n"
_WRONG = "fixs-harness-deliberately-wrong"


@dataclass(frozen=True)
class FixLogon:
    """The FIX session to try (the CLI's --sender/--target/--username/--password...)."""

    sender_comp_id: str
    target_comp_id: str
    begin_string: str = "FIX.4.4"
    heartbeat_interval: int = 30
    username: str | None = None
    password: str | None = None
    raw_data: bytes | None = None

    @property
    def has_credentials(self) -> bool:
        return self.password is not None or self.raw_data is not None

    def settings(self, *, wrong: bool = False) -> SessionSettings:
        creds = None
        if self.has_credentials or self.username is not None:
            password = self.password
            raw = self.raw_data
            if wrong:
                password = _WRONG if password is not None else None
                raw = _WRONG.encode() if raw is not None else None
            creds = FixCredentials(username=self.username, password=password, raw_data=raw)
        return SessionSettings(
            sender_comp_id=self.sender_comp_id,
            target_comp_id=self.target_comp_id,
            begin_string=self.begin_string,
            heartbeat_interval=self.heartbeat_interval,
            credentials=creds,
            reset_on_logon=True,
        )


def _client_conf(
    host: str, port: int, credentials: Credentials, trust: TrustOptions, workdir: Path
) -> str:
    lines = [
        "[certify-fix]",
        "client = yes",
        "accept = 127.0.0.1:0",
        f"connect = {host}:{port}",
    ]
    if credentials.cert is not None:
        lines.append(f"cert = {credentials.cert}")
        if credentials.key is not None:
            lines.append(f"key = {credentials.key}")
    if trust.pin is not None:
        lines += ["verifyPeer = yes", f"CAfile = {trust.pin}"]
    elif trust.cafile is not None:
        lines += ["verifyChain = yes", f"CAfile = {trust.cafile}"]
    if credentials.psk_identity and credentials.psk_key:
        secrets = workdir / "certify-fix-psk.txt"
        write_private(secrets, f"{credentials.psk_identity}:{credentials.psk_key.hex()}\n")
        lines += [f"PSKsecrets = {secrets}", f"PSKidentity = {credentials.psk_identity}"]
    return "\n".join(lines) + "\n"


def fix_logon_checks(
    host: str,
    port: int,
    fix: FixLogon,
    credentials: Credentials,
    trust: TrustOptions,
    workdir: Path,
    *,
    timeout: float = 10.0,
) -> list[CheckResult]:
    """Run the Logon probe(s); failures are data (checks), never exceptions."""
    workdir.mkdir(parents=True, exist_ok=True)
    text = _client_conf(host, port, credentials, trust, workdir)
    config = parse_config(text, path=str(workdir / "certify-fix.conf"))
    checks: list[CheckResult] = []
    try:
        tunnel = PythonBackend().start(config, workdir, label="certify-fix")
    except (TunnelStartError, HarnessError) as exc:
        return [
            CheckResult(
                "fix.logon.accepted",
                "FIX Logon through the TLS session",
                "3.4",
                Verdict.INCONCLUSIVE,
                "Logon answered with Logon",
                "not attempted",
                f"the local TLS client could not start: {exc}",
            )
        ]
    script = parse_script(_SCRIPT, origin=SourceLocation("<certify FIX probe>", 1))
    with tunnel:
        local = tunnel.address()
        good = asyncio.run(run_initiator(fix.settings(), script, *local, timeout=timeout))
        if good.error:
            verdict, observed = Verdict.INCONCLUSIVE, good.error
        elif good.logon_accepted:
            verdict, observed = Verdict.PASS, "accepted"
        else:
            verdict = Verdict.FAIL
            observed = (
                f"refused (Logout Text={good.logout_text!r})"
                if good.logout_text
                else ("; ".join(good.failures[:1]) or "no Logon reply")
            )
        checks.append(
            CheckResult(
                "fix.logon.accepted",
                "FIX Logon through the TLS session",
                "3.4",
                verdict,
                "Logon answered with Logon",
                observed,
            )
        )
        if fix.has_credentials:
            bad = asyncio.run(
                run_initiator(fix.settings(wrong=True), script, *local, timeout=timeout)
            )
            if bad.error:
                verdict, observed = Verdict.INCONCLUSIVE, bad.error
            elif bad.logon_accepted:
                verdict, observed = Verdict.FAIL, "a wrong credential was accepted"
            else:
                verdict = Verdict.PASS
                observed = (
                    f"refused with Logout Text={bad.logout_text!r}"
                    if bad.logout_text
                    else "refused (disconnected, no Logout)"
                )
            checks.append(
                CheckResult(
                    "fix.logon.bad-credentials-refused",
                    "A wrong FIX credential is refused (no session)",
                    "3.4",
                    verdict,
                    "Logout or disconnect, no session",
                    observed,
                )
            )
    return checks
