"""``certify server``: scan, judge, and package the result (the public entry point).

Usage::

    outcome = certify_server(ServerRequest(host="127.0.0.1", port=7777,
                                           profile=load_profile("stunnel-guide-2017"),
                                           case="1a", ...), workdir)
    outcome.exit_code      # 0 compliant, 1 non-compliant, 2 inconclusive
    outcome.run            # RunResult for harness.report.write_reports
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness.certify.badcerts import CertPair
from harness.certify.policy import TrustOptions, evaluate
from harness.certify.probe import Credentials, Target, write_pcap
from harness.certify.result import build_run, exit_code
from harness.certify.rules import apply_defining_checks, hello_violation, missing_flags
from harness.certify.scan import ScanOptions, ServerScan, hello_facts, scan_server
from harness.certify.watch import annotate as watch_annotate
from harness.checks.facts import host_facts
from harness.checks.model import Note, RunResult
from harness.errors import HarnessError
from harness.profiles import Profile
from harness.runner.rundir import publish_item_files

if TYPE_CHECKING:  # the FIX probe (tunnel, asyncio, FIX engine) loads only when used
    from harness.certify.diagnose import PortDiagnosis
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
    #: "full" (every defining check of the case) or "tls" (the TLS layer only: the
    #: FIX Logon checks that define cases 3a/3b are knowingly left out).
    scope: str = "full"
    expiry_days: int | None = None  # cert.expiry-horizon (None: the profile's)
    baseline: Path | None = None  # an earlier report.json: report the changes since


@dataclass(frozen=True)
class ServerOutcome:
    """``headline``: one line for the terminal: what is on the port when it is not
    TLS, the flags a complete certification still needs, or the scope."""

    run: RunResult
    scan: ServerScan
    exit_code: int
    pcap_path: Path | None
    headline: str | None = None


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
    """Probe the server, judge it against the profile and use case, build the result.

    ``workdir`` is the report directory: it gets the pcap and redacted copies of the
    FIX probe tunnels' configs and logs. The files with secrets (the generated
    must-refuse client keys, the FIX probe's PSK secrets file) live in a private 0700
    work directory outside it, deleted when the scan ends (harness.runner.rundir)."""
    private = Path(tempfile.mkdtemp(prefix=f"fixs-harness-work-{os.getpid()}-"))
    try:
        return _certify_server(request, workdir, private)
    finally:
        with contextlib.suppress(OSError):
            publish_item_files(private, workdir, _secrets_of(request))
        shutil.rmtree(private, ignore_errors=True)


def _secrets_of(request: ServerRequest) -> list[str]:
    creds, fix = request.credentials, request.fix
    out = [creds.psk_key.hex()] if creds.psk_key else []
    if fix is not None:
        out += [
            x
            for x in (
                fix.password,
                fix.raw_data.decode("utf-8", "replace") if fix.raw_data else None,
            )
            if x
        ]
    return out


def _certify_server(request: ServerRequest, workdir: Path, private: Path) -> ServerOutcome:
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
            workdir=private,
            concurrency=request.concurrency,
            timeout=request.timeout,
            fix_compids=(request.fix.sender_comp_id, request.fix.target_comp_id)
            if request.fix is not None
            else ("FIXS-HARNESS", "PROBE"),
        )
    )
    diagnosis = scan.diagnosis()
    fix_facts = None
    if request.fix is not None and scan.reachable and diagnosis.is_tls:
        from harness.certify.fixlogon import fix_logon_facts

        fix_facts = fix_logon_facts(
            target.address,
            target.port,
            request.fix,
            request.credentials,
            request.trust,
            private,
            timeout=max(request.timeout, 5.0),
        )
    checks, notes = evaluate(scan, request.profile, request.case, request.trust, fix=fix_facts)
    case = request.profile.use_case(request.case) if request.case else None
    if diagnosis.is_tls:
        checks = apply_defining_checks(checks, case, request.scope)
    headline = _headline(diagnosis, missing_flags(checks, case, request.scope), request.scope)
    pcap_path: Path | None = None
    artifacts: dict[str, str] = {}
    if request.pcap and scan.reachable:
        pcap_path = write_pcap(workdir / "certify-server.pcap", target, scan.all_wires())
        artifacts["pcap"] = pcap_path.name
    reference = scan.certificate_wire() or scan.versions.get("TLSv1.2")
    if reference is not None and reference.s2c and hello_violation(hello_facts(reference)):
        reference = None  # a ServerHello outside the offer is not "what was negotiated"
    finished = datetime.now(UTC)
    if request.scope == "tls":
        notes = [*notes, Note("certify.scope", "scope", TLS_ONLY)]
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
        error=None if diagnosis.is_tls else diagnosis.text,
        section=case.section if case else None,
    )
    # the endpoint facts drift compares, cert.expiry-horizon, and the drift itself
    run = watch_annotate(run, scan, profile=request.profile, case=request.case,
                         trust=request.trust, expiry_days=request.expiry_days,
                         baseline=request.baseline)  # fmt: skip
    return ServerOutcome(run, scan, exit_code(run), pcap_path, headline)


TLS_ONLY = "TLS layer only: FIX logon not checked"


def _headline(diagnosis: PortDiagnosis, missing: list[str], scope: str) -> str | None:
    if not diagnosis.is_tls:
        return diagnosis.text
    parts = []
    if missing:
        parts.append("incomplete: add " + ", ".join(dict.fromkeys(missing)))
    if scope == "tls":
        parts.append(TLS_ONLY)
    return "; ".join(parts) or None
