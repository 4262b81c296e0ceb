"""``certify server``: scan, judge, and package the result (the public entry point).

Usage::

    outcome = certify_server(ServerRequest(host="127.0.0.1", port=7777,
                                           profile=load_profile("stunnel-guide-2017"),
                                           case="1a", ...), workdir)
    outcome.exit_code      # 0 compliant, 1 non-compliant, 2 inconclusive
    outcome.run            # RunResult for harness.report.write_reports
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness.certify.badcerts import CertPair
from harness.certify.policy import TrustOptions, evaluate
from harness.certify.probe import Credentials, Target, write_pcap
from harness.certify.result import build_run, exit_code
from harness.certify.scan import ScanOptions, ServerScan, scan_server
from harness.certify.watch import annotate
from harness.checks.facts import host_facts
from harness.checks.model import RunResult
from harness.errors import HarnessError
from harness.profiles import Profile

if TYPE_CHECKING:  # the FIX probe (tunnel, asyncio, FIX engine) loads only when used
    from harness.certify.fixlogon import FixLogon


@dataclass(frozen=True)
class ServerRequest:
    """Everything ``certify server`` needs (the CLI's flags, validated)."""

    host: str
    port: int
    profile: Profile
    case: str | None = None
    credentials: Credentials = field(default_factory=Credentials)
    trust: TrustOptions = field(default_factory=TrustOptions)
    unpinned: CertPair | None = None
    concurrency: int = 8
    timeout: float = 5.0
    pcap: bool = True
    fix: FixLogon | None = None  # the optional FIX Logon probe
    expiry_days: int | None = None  # cert.expiry-horizon (None: the profile's)
    baseline: Path | None = None  # an earlier report.json: report the changes since


@dataclass(frozen=True)
class ServerOutcome:
    run: RunResult
    scan: ServerScan
    exit_code: int
    pcap_path: Path | None


def resolve_target(host: str, port: int) -> Target:
    """``host`` may be a name or an address; names are resolved once, here."""
    if not 0 < port < 65536:
        raise HarnessError(f"port {port} out of range")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise HarnessError(f"cannot resolve {host!r}: {exc.strerror}") from None
    address = str(infos[0][4][0])
    return Target(host, address, port)


def certify_server(request: ServerRequest, workdir: Path) -> ServerOutcome:
    """Probe the server, judge it against the profile and use case, build the result."""
    if request.case is not None and request.profile.use_case(request.case) is None:
        known = ", ".join(u.id for u in request.profile.use_cases)
        raise HarnessError(f"use case {request.case!r} is not in the profile (known: {known})")
    target = resolve_target(request.host, request.port)
    # the host facts (a `stunnel -version` child) are read while the probes run
    threading.Thread(target=host_facts, name="host-facts", daemon=True).start()
    started = datetime.now(UTC)
    workdir.mkdir(parents=True, exist_ok=True)
    scan = scan_server(
        ScanOptions(
            target=target,
            profile=request.profile,
            case=request.case,
            credentials=request.credentials,
            unpinned=request.unpinned,
            workdir=workdir,
            concurrency=request.concurrency,
            timeout=request.timeout,
        )
    )
    checks, notes = evaluate(scan, request.profile, request.case, request.trust)
    if request.fix is not None and scan.reachable:
        from harness.certify.fixlogon import fix_logon_checks

        checks = [
            *checks,
            *fix_logon_checks(
                target.address,
                target.port,
                request.fix,
                request.credentials,
                request.trust,
                workdir,
                timeout=max(request.timeout, 5.0),
            ),
        ]
    pcap_path: Path | None = None
    artifacts: dict[str, str] = {}
    if request.pcap and scan.reachable:
        pcap_path = write_pcap(workdir / "certify-server.pcap", target, scan.all_wires())
        artifacts["pcap"] = pcap_path.name
    reference = scan.certificate_wire() or scan.versions.get("TLSv1.2")
    finished = datetime.now(UTC)
    case = request.profile.use_case(request.case) if request.case else None
    run = build_run(
        scenario_id="certify-server",
        title=f"certify server {target.label}"
        + (f" (use case {request.case}: {case.title})" if case else ""),
        pair=f"certify-server:{target.label}",
        profile=request.profile.name,
        checks=checks,
        notes=notes,
        reference=reference.handshake() if reference is not None and reference.s2c else None,
        started=started,
        finished=finished,
        artifacts=artifacts,
        error=None if scan.reachable else "; ".join(scan.errors) or "unreachable",
        section=case.section if case else None,
    )
    run = annotate(run, scan, profile=request.profile, case=request.case, trust=request.trust,
                   expiry_days=request.expiry_days, baseline=request.baseline)  # fmt: skip
    return ServerOutcome(run, scan, exit_code(run), pcap_path)
