"""``certify server``: scan, judge, and package the result (the public entry point).

Usage::

    outcome = certify_server(ServerRequest(host="127.0.0.1", port=7777,
                                           profile=load_profile("stunnel-guide-2017"),
                                           case="1a", ...), workdir)
    outcome.exit_code      # 0 compliant, 1 non-compliant, 2 inconclusive, 128+N stopped
    outcome.run            # RunResult for harness.report.write_reports

Stopping. The report directory is claimed first (:func:`harness.runner.rundir.
claim_report_dir`: the previous run's reports, ``artifacts/`` and pcap go before any
probe), so an interrupted or killed run never leaves an old report looking current.
A stop signal (SIGINT, SIGTERM, SIGHUP: :mod:`harness.signals`) ends the scan
(:func:`harness.certify.scan.scan_server` returns what it has) or the FIX Logon probe
(its in-process tunnel is stopped, its initiator's event loop cancelled); the checks
whose probes all ran to their end keep their verdicts (:func:`settle_interrupted`),
every other check is inconclusive ("not run: interrupted"), never pass, the report
is marked ``interrupted`` with a note naming the steps that finished, and the exit
code is 128 + the signal.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import tempfile
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness import signals
from harness.certify.badcerts import CertPair
from harness.certify.policy import TrustOptions, evaluate
from harness.certify.probe import Credentials, Target, write_pcap
from harness.certify.result import build_run, exit_code
from harness.certify.rules import apply_defining_checks, hello_violation, missing_flags
from harness.certify.scan import STEPS, ScanOptions, ServerScan, hello_facts, scan_server
from harness.certify.watch import annotate as watch_annotate
from harness.checks.facts import prefetch_host_facts
from harness.checks.model import CheckResult, Note, RunResult, Verdict
from harness.errors import HarnessError
from harness.profiles import Profile
from harness.runner.rundir import claim_report_dir, publish_item_files

if TYPE_CHECKING:  # the FIX probe (tunnel, asyncio, FIX engine) loads only when used
    from harness.certify.diagnose import PortDiagnosis
    from harness.certify.drift import Snapshot
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
    #: ``baseline`` already read (:func:`harness.certify.drift.load_report`); when
    #: None and ``baseline`` is set, :func:`certify_server` reads it before it claims
    #: the report directory, where the baseline usually lies (``--report-dir r
    #: --baseline r/report.json``): read after the claim, it would be gone.
    before: Snapshot | None = None


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
    work directory outside it, deleted when the scan ends (harness.runner.rundir).
    The previous run's report in ``workdir`` is removed first (see the module doc),
    after the baseline report (often that very report) has been read."""
    _check_case(request)
    if request.baseline is not None and request.before is None:
        from harness.certify.drift import load_report

        request = replace(request, before=load_report(request.baseline))
    claim_report_dir(workdir)
    with contextlib.suppress(FileNotFoundError):
        (workdir / PCAP_NAME).unlink()
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


PCAP_NAME = "certify-server.pcap"


def _check_case(request: ServerRequest) -> None:
    if request.case is not None and request.profile.use_case(request.case) is None:
        known = ", ".join(u.id for u in request.profile.use_cases)
        raise HarnessError(f"use case {request.case!r} is not in the profile (known: {known})")


def _certify_server(request: ServerRequest, workdir: Path, private: Path) -> ServerOutcome:
    target = resolve_target(request.host, request.port)
    # the host facts (`stunnel -version`, `openssl version`: children) are read while
    # the probes run
    threading.Thread(target=prefetch_host_facts, name="host-facts", daemon=True).start()
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
    interrupted = scan.interrupted
    fix_facts = None
    fix_done = request.fix is None
    if request.fix is not None and interrupted is None and scan.reachable and diagnosis.is_tls:
        from harness.certify.fixlogon import fix_logon_facts

        try:
            fix_facts = fix_logon_facts(
                target.address,
                target.port,
                request.fix,
                request.credentials,
                request.trust,
                private,
                timeout=max(request.timeout, 5.0),
            )
        except KeyboardInterrupt as exc:  # a stop signal: the tunnel was stopped
            interrupted = getattr(exc, "signame", "SIGINT")
        else:
            fix_done = not signals.STOPPING.is_set()
        if not fix_done and interrupted is None:
            interrupted = signals.stop_reason() or "SIGINT"
    checks, notes = evaluate(scan, request.profile, request.case, request.trust, fix=fix_facts)
    case = request.profile.use_case(request.case) if request.case else None
    if diagnosis.is_tls:
        checks = apply_defining_checks(checks, case, request.scope)
    if interrupted is not None:
        checks = settle_interrupted(checks, scan.finished, fix_done, interrupted)
        notes = [_interrupted_note(interrupted, scan.finished, fix_done, request), *notes]
    headline = _headline(diagnosis, missing_flags(checks, case, request.scope), request.scope)
    if interrupted is not None:
        headline = f"interrupted by {interrupted}: " + _finished_text(
            scan.finished, fix_done, request
        )
    pcap_path: Path | None = None
    artifacts: dict[str, str] = {}
    if request.pcap and scan.reachable:
        pcap_path = write_pcap(workdir / PCAP_NAME, target, scan.all_wires())
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
        error=_error_text(diagnosis, interrupted, scan.finished),
        section=case.section if case else None,
    )
    if interrupted is None or ("all" in scan.finished and fix_done):
        # the endpoint facts drift compares, cert.expiry-horizon, and the drift
        # itself; never from a partial scan, which would read what was not asked
        # as what the endpoint no longer does
        run = watch_annotate(run, scan, profile=request.profile, case=request.case,
                             trust=request.trust, expiry_days=request.expiry_days,
                             baseline=request.baseline, before=request.before)  # fmt: skip
    if interrupted is not None:
        run = replace(run, interrupted=interrupted)
        return ServerOutcome(run, scan, 128 + signal.Signals[interrupted], pcap_path, headline)
    return ServerOutcome(run, scan, exit_code(run), pcap_path, headline)


def _error_text(
    diagnosis: PortDiagnosis, interrupted: str | None, finished: list[str]
) -> str | None:
    """The result's ``error``: what is on the port when it is not TLS; for an
    interrupted run "interrupted by ...", so that its verdict is never pass even
    when every check it holds passed (a scan stopped before its version probes
    ended cannot say what the port is)."""
    if interrupted is None:
        return None if diagnosis.is_tls else diagnosis.text
    if diagnosis.is_tls or "versions" not in finished:
        return f"interrupted by {interrupted}"
    return f"interrupted by {interrupted}; {diagnosis.text}"


#: Which scan step (:data:`harness.certify.scan.STEPS`) decides a check, by id
#: prefix; ``fix`` is the FIX Logon probe. A check not listed needs the whole scan.
_STEP_OF: tuple[tuple[str, str], ...] = (
    ("connect", "versions"),
    ("endpoint.tls", "versions"),
    ("tls.handshake", "versions"),
    ("fix.plaintext-refused", "versions"),
    ("tls.version.", "versions"),
    ("tls.compression.", "versions"),
    ("tls.cipher.", "suites"),
    ("tls.kx.", "suites"),
    ("cert.", "suites"),  # the reference chain may come from a single-suite probe
    ("fix.logon.", "fix"),
)


def _step_of(check_id: str) -> str:
    for prefix, step in _STEP_OF:
        if check_id == prefix or (prefix.endswith(".") and check_id.startswith(prefix)):
            return step
    return "all"


def settle_interrupted(
    checks: list[CheckResult], finished: list[str], fix_done: bool, signame: str
) -> list[CheckResult]:
    """The checks of an interrupted run: those decided by a step that ran to its end
    keep their verdicts; every other one is inconclusive, whatever the partial facts
    suggested (a probe that gave up is no refusal, a suite not yet asked about is
    not a missing one). Not-applicable and not-reached stay as they are."""
    done = set(finished) | ({"fix"} if fix_done else set())
    out = []
    for check in checks:
        step = _step_of(check.id)
        if step in done or check.verdict in (Verdict.NOT_APPLICABLE, Verdict.NOT_REACHED):
            out.append(check)
            continue
        out.append(
            replace(
                check,
                verdict=Verdict.INCONCLUSIVE,
                observed=f"not run to its end: interrupted by {signame}",
                reason=f"the {step} probes did not finish",
                evidence=(),
                consequence_of=None,
            )
        )
    return out


def _finished_text(finished: list[str], fix_done: bool, request: ServerRequest) -> str:
    steps = [s for s in STEPS if s in finished]
    if request.fix is not None and fix_done:
        steps.append("fix")
    wanted = [*STEPS, *(["fix"] if request.fix is not None else [])]
    return (
        f"probe steps finished: {', '.join(steps) or 'none'} (of {', '.join(wanted)}); "
        "the checks of the others are inconclusive"
    )


def _interrupted_note(
    signame: str, finished: list[str], fix_done: bool, request: ServerRequest
) -> Note:
    return Note(
        "interrupted",
        "interrupted",
        f"stopped by {signame}; " + _finished_text(finished, fix_done, request),
    )


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
