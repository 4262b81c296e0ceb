"""The optional FIX Logon probe of ``certify server``: a real FIX session through the
counterparty's TLS endpoint.

Our Python tunnel runs in-process as a TLS client to the endpoint (with the same
credentials as the TLS probes: client certificate, pin or CA file, PSK), and the mock
FIX initiator logs on through it: Logon → Logout. When FIX credentials were given, a
second session sends a deliberately wrong password (or RawData) and must be refused:
a Logout, or a disconnect, and no session. Both sessions reset sequence numbers
(ResetSeqNumFlag=Y), as certification sessions normally do.

The probe explains itself: when our Logon gets no session, our tunnel's log of that
very connection (:func:`harness.stunnelconf.logfacts.parse_log`) and the initiator's
transcript say whether our tunnel rejected the server's certificate (and why), the
TLS handshake failed, the FIX engine closed before answering, the Logon was refused
(Logout Text(58)), or nothing came back in time (:func:`explain`).

FIXS probes no peer has: ``--foreign-sender`` (authorization must be bound to the
authenticated identity) and ``--other-cert`` (another counterparty's certificate
cannot log on as us).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.backends.base import TunnelStartError, write_private
from harness.backends.python import PythonBackend
from harness.certify import rules
from harness.certify.badcerts import CertPair
from harness.certify.facts import FixFacts
from harness.certify.policy import TrustOptions
from harness.certify.probe import Credentials
from harness.certify.rules import LogonFacts
from harness.errors import HarnessError, SourceLocation
from harness.fix.settings import Credentials as FixCredentials
from harness.fixnet import SessionSettings, parse_script, run_initiator
from harness.fixnet.conversation import ConversationResult
from harness.stunnelconf import parse_config
from harness.stunnelconf.logfacts import ConnectionFacts, parse_log

_SCRIPT = "connect\nexpect Logon\nlogout\nexpect Logout\nexpect disconnect\n"
_WRONG = "fixs-harness-deliberately-wrong"


@dataclass(frozen=True)
class FixLogon:
    """The FIX session to try (the CLI's --sender/--target/--username/--password...).

    ``foreign_sender``: another counterparty's SenderCompID; a Logon with our
    credentials under it must be refused (``fix.logon.compid-bound``). ``other``: a
    certificate the server trusts for another counterparty; our Logon over a TLS
    session authenticated with it must be refused, at the handshake or the Logon
    (``fix.logon.other-identity-refused``).
    """

    sender_comp_id: str
    target_comp_id: str
    begin_string: str = "FIX.4.4"
    heartbeat_interval: int = 30
    username: str | None = None
    password: str | None = None
    raw_data: bytes | None = None
    foreign_sender: str | None = None
    other: CertPair | None = None

    @property
    def has_credentials(self) -> bool:
        return self.password is not None or self.raw_data is not None

    def settings(self, *, wrong: bool = False, sender: str | None = None) -> SessionSettings:
        creds = None
        if self.has_credentials or self.username is not None:
            password = self.password
            raw = self.raw_data
            if wrong:
                password = _WRONG if password is not None else None
                raw = _WRONG.encode() if raw is not None else None
            creds = FixCredentials(username=self.username, password=password, raw_data=raw)
        return SessionSettings(
            sender_comp_id=sender or self.sender_comp_id,
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
        "debug = info",  # the negotiation lines the probe's explanation reads
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


def explain(result: ConversationResult, tls: list[ConnectionFacts], timeout: float) -> str:
    """Why a Logon got no session, from the initiator's result and our tunnel's log of
    the same attempt: our tunnel rejected the server's certificate (and why), the TLS
    handshake failed, the FIX engine closed before answering, or nothing came back in
    time."""
    if result.error:
        return result.error
    rejected = [r for c in tls for r in c.rejected]
    if rejected:
        return f"our TLS client rejected the server's certificate: {rejected[0]}"
    negotiated = any(
        c.negotiated or c.role is not None or c.peer_certificates or (c.bytes_to_tls or 0) > 0
        for c in tls
    )
    errors = [e for c in tls for e in c.errors]
    if tls and not negotiated:
        return "the TLS handshake failed: " + (errors[0] if errors else "no reason logged")
    inbound = [e for e in result.transcript.entries if getattr(e, "direction", "") == "in"]
    # the conversation's timeout wording (harness.fixnet.conversation: _stall)
    timed_out = any("session stalled" in f or "within" in f for f in result.failures)
    if timed_out and not inbound:
        return f"no answer to the Logon within {timeout:g} s"
    if not inbound:
        return "TLS fine, but the FIX engine closed the connection before answering the Logon"
    return "; ".join(result.failures[:1]) or "no Logon reply"


def _attempt(
    settings: SessionSettings, tunnel: Any, script: Any, timeout: float
) -> tuple[ConversationResult, LogonFacts]:
    """One Logon through the local tunnel, with the tunnel log's account of it."""
    before = set(parse_log(_log_text(tunnel)).connections)
    result = asyncio.run(run_initiator(settings, script, *tunnel.address(), timeout=timeout))
    deadline = time.monotonic() + 1.0
    while True:  # the tunnel logs the connection's end just after the initiator sees it
        facts = parse_log(_log_text(tunnel))
        new = [c for k, c in facts.connections.items() if k not in before]
        if all(c.closed for c in new) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return result, LogonFacts(
        accepted=result.logon_accepted,
        error=result.error,
        logout_text=result.logout_text,
        explanation=None if result.logon_accepted else explain(result, new, timeout),
    )


def _log_text(tunnel: Any) -> str:
    path = getattr(tunnel, "log_path", None)
    if path is None:
        return ""
    try:
        return str(Path(path).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ""


def _start(
    host: str, port: int, credentials: Credentials, trust: TrustOptions, workdir: Path, label: str
) -> Any:
    text = _client_conf(host, port, credentials, trust, workdir)
    config = parse_config(text, path=str(workdir / f"{label}.conf"))
    return PythonBackend().start(config, workdir, label=label)


def fix_logon_facts(
    host: str,
    port: int,
    fix: FixLogon,
    credentials: Credentials,
    trust: TrustOptions,
    workdir: Path,
    *,
    timeout: float = 10.0,
) -> FixFacts:
    """Run the Logon probe(s) and freeze what each showed (judged by the registry's
    ``fix.logon.*`` units); failures are data, never exceptions."""
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        tunnel = _start(host, port, credentials, trust, workdir, "certify-fix")
    except (TunnelStartError, HarnessError) as exc:
        return FixFacts(start_error=str(exc))
    script = parse_script(_SCRIPT, origin=SourceLocation("<certify FIX probe>", 1))
    bad = foreign = other = None
    with tunnel:
        _, facts = _attempt(fix.settings(), tunnel, script, timeout)
        if fix.has_credentials:
            _, bad = _attempt(fix.settings(wrong=True), tunnel, script, timeout)
        if fix.foreign_sender is not None:
            _, foreign = _attempt(fix.settings(sender=fix.foreign_sender), tunnel, script, timeout)
    other_error = None
    if fix.other is not None:
        other_creds = Credentials(cert=fix.other.cert, key=fix.other.key)
        try:
            other_tunnel = _start(host, port, other_creds, trust, workdir, "certify-fix-other")
        except (TunnelStartError, HarnessError) as exc:
            other_error = str(exc)
        else:
            with other_tunnel:
                _, other = _attempt(fix.settings(), other_tunnel, script, timeout)
    return FixFacts(
        logon=facts,
        bad=bad,
        foreign_sender=fix.foreign_sender,
        foreign=foreign,
        other_given=fix.other is not None,
        other=other,
        other_start_error=other_error,
    )


# The pure judges moved to .rules (re-exported here for callers of the old names).
logon_accepted = rules.logon_accepted
bad_credentials_refused = rules.bad_credentials_refused
