"""``certify fleet``: every counterparty of an inventory in one run.

Theory of operation
-------------------
**Inventory.** A YAML file lists the counterparties (name, ``host:port``, use case,
profile, trust files, PSK, FIX CompIDs and where their credentials come from, an
optional baseline report). It is read with line numbers
(:func:`harness.located_yaml.load_located_yaml`), validated by a pydantic
model with ``extra="forbid"``, then cross-checked (unique names, files that exist,
a PSK identity in its file, credential files 0600, environment variables set, the
use case in the profile). Every problem is a :class:`~harness.errors.LocatedError`
naming the file and line; nothing runs until the whole inventory is valid.
Relative paths are relative to the inventory file. Secrets never come from the
inventory itself: FIX passwords and RawData are named by an environment variable
or a file only the owner can read.

**Run.** Each counterparty is certified in its own child process, forked from
the parent that has already imported everything (a fork costs milliseconds, and
the two cores both work), at most ``concurrency`` at once. The child writes the
counterparty's reports with the writer the caller passes (``write``: certify is
orchestration and does not import the output layer, :mod:`harness.report`) and
sends its dashboard row back over a pipe. A child that
raises, or crashes outright (a signal, native code), is one *inconclusive* row
("harness crashed"); one that hangs past its deadline is killed with its whole
process group and reported *inconclusive* ("did not finish"). None of them stops
the others, and nothing outlives the run.

**Stopping.** A stop signal (SIGINT, SIGTERM, SIGHUP: :mod:`harness.signals`) to
the parent starts no new counterparty and is passed on to every child still running
(children run in their own process groups, so a terminal's Ctrl-C reaches only the
parent): each child's ``certify server`` stops its probes and writes its
counterparty's report marked interrupted (:mod:`harness.certify.server`) and sends
its row. Children that have not answered within :data:`STOP_GRACE` seconds are
killed with their process groups. The :class:`FleetResult` is then returned with
``interrupted`` set, every counterparty in it: those that finished, those
interrupted (never pass), and those never started ("not run"); the dashboard says
INTERRUPTED and the CLI exits 128 + the signal. A signal that lands while a child is
being started cannot lose it: the worker is in ``running`` before it forks, the fork
runs with the stop signals blocked (:meth:`_Worker.start`), and a row is recorded
before its worker leaves ``running``; whatever has no row when the fleet winds down
gets "not run: interrupted by SIGNAL".

**Gentle mode** for counterparties that rate-limit: at most ``per_host_limit``
probe connections open at once to one host (counterparties sharing that host run
one after the other, each scan with that concurrency) and at least
``per_host_delay`` seconds between two connection starts to it
(:mod:`harness.certify.gate`, set in the child that certifies the host).

**Output.** One report directory per counterparty (``REPORT_DIR/NAME/``, the same
files as ``certify server``), and a :class:`~harness.checks.fleetmodel.FleetResult` the
dashboard writers (:mod:`harness.report.fleet`) render. The exit code is the
worst verdict. The core never prints: progress goes to an observer callback.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.checks.fleetmodel import FleetResult, FleetRow
from harness.errors import HarnessError, LocatedError, SourceLocation
from harness.located_yaml import Locator, load_located_yaml, located_validation_error

if TYPE_CHECKING:  # kept out of import time
    from harness.certify.server import ServerRequest
    from harness.checks.model import RunResult

CASES = ("1a", "1b", "2", "3a", "3b")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FixDoc(_Doc):
    """The optional FIX Logon probe; secrets by environment variable or 0600 file."""

    sender: str = Field(min_length=1, description="our SenderCompID(49)")
    target: str = Field(min_length=1, description="their CompID, our TargetCompID(56)")
    username: str | None = None
    password_env: str | None = Field(default=None, description="Password(554) from this variable")
    password_file: str | None = Field(default=None, description="Password(554) from a 0600 file")
    raw_data_env: str | None = None
    raw_data_file: str | None = None
    begin_string: Literal["FIX.4.2", "FIX.4.4", "FIXT.1.1"] = "FIX.4.4"


class CounterpartyDoc(_Doc):
    name: str = Field(pattern=_NAME, description="unique; names the report directory")
    address: str = Field(pattern=r"^\[?[^\s\]]+\]?:[0-9]{1,5}$", description="HOST:PORT")
    case: Literal["1a", "1b", "2", "3a", "3b"] | None = None
    scope: Literal["full", "tls"] | None = Field(
        default=None, description="tls: certify the TLS layer only (as certify --scope tls)"
    )
    profile: str | None = None
    cert: str | None = None
    key: str | None = None
    cafile: str | None = None
    pin: str | None = None
    crl: str | None = None
    ocsp: str | None = None
    psk_secrets: str | None = None
    psk_identity: str | None = None
    unpinned_cert: str | None = None
    unpinned_key: str | None = None
    fix: FixDoc | None = None
    baseline: str | None = Field(default=None, description="an earlier report.json")
    expiry_days: int | None = Field(default=None, ge=0)
    timeout: float | None = Field(default=None, gt=0, le=120)
    gentle: bool = False


class DefaultsDoc(_Doc):
    profile: str = "stunnel-guide-2017"
    case: Literal["1a", "1b", "2", "3a", "3b"] | None = None
    scope: Literal["full", "tls"] = "full"
    expiry_days: int | None = Field(default=None, ge=0)
    timeout: float = Field(default=5.0, gt=0, le=120)


class InventoryDoc(_Doc):
    """The inventory file (docs/certify.md, "certify fleet")."""

    defaults: DefaultsDoc = Field(default_factory=DefaultsDoc)
    counterparties: list[CounterpartyDoc] = Field(min_length=1)


@dataclass(frozen=True)
class Counterparty:
    """One validated counterparty: what to run, the secrets its reports must not
    contain, whether its host is paced, and where it was written."""

    name: str
    request: ServerRequest
    secrets: tuple[str, ...] = ()
    gentle: bool = False
    source: SourceLocation = field(default_factory=lambda: SourceLocation("<inventory>"))

    @property
    def target(self) -> str:
        return f"{self.request.host}:{self.request.port}"


# -- reading the inventory ------------------------------------------------------


class _Reader:
    def __init__(self, loc: Locator, base: Path) -> None:
        self.loc = loc
        self.base = base
        self.profiles: dict[str, Any] = {}

    def where(self, *path: str | int) -> SourceLocation:
        return self.loc.location(path)

    def file(self, value: str | None, *path: str | int) -> Path | None:
        if value is None:
            return None
        p = Path(value)
        p = p if p.is_absolute() else self.base / p
        if not p.is_file():
            raise LocatedError(self.where(*path), f"no such file: {p}")
        return p

    def secret_file(self, value: str, *path: str | int) -> str:
        p = self.file(value, *path)
        assert p is not None
        mode = p.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise LocatedError(
                self.where(*path),
                f"{p} is readable by others (mode {stat.S_IMODE(mode):04o}); chmod 600",
            )
        text = p.read_text(encoding="utf-8").strip()
        if not text:
            raise LocatedError(self.where(*path), f"{p} is empty")
        return text

    def env(self, var: str, *path: str | int) -> str:
        value = os.environ.get(var)
        if value is None:
            raise LocatedError(self.where(*path), f"environment variable {var} is not set")
        return value

    def profile(self, name: str, *path: str | int) -> Any:
        from harness.profiles import load_profile

        if name not in self.profiles:
            ref = name
            if name.endswith((".yaml", ".yml")) and not Path(name).is_absolute():
                ref = str(self.base / name)
            try:
                self.profiles[name] = load_profile(ref)
            except HarnessError as exc:
                raise LocatedError(self.where(*path), f"profile {name!r}: {exc}") from None
        return self.profiles[name]

    def counterparty(self, i: int, doc: CounterpartyDoc, defaults: DefaultsDoc) -> Counterparty:
        from harness.certify.badcerts import CertPair
        from harness.certify.drift import load_report
        from harness.certify.policy import TrustOptions
        from harness.certify.probe import Credentials
        from harness.certify.server import ServerRequest

        at: tuple[str | int, ...] = ("counterparties", i)
        host, _, port_text = doc.address.rpartition(":")
        port = int(port_text)
        if not 0 < port < 65536:
            raise LocatedError(self.where(*at, "address"), f"port {port} out of range")
        profile_name = doc.profile or defaults.profile
        where = (*at, "profile") if doc.profile else ("defaults", "profile")
        profile = self.profile(profile_name, *where)
        case = doc.case or defaults.case
        if case is not None and profile.use_case(case) is None:
            raise LocatedError(
                self.where(*at, "case"), f"use case {case} is not in profile {profile.name}"
            )
        secrets: list[str] = []
        psk_identity, psk_key = None, None
        if doc.psk_secrets is not None:
            psk_identity, psk_key, psk_secrets = self.psk(doc, at)
            secrets += psk_secrets
        elif doc.psk_identity is not None:
            raise LocatedError(self.where(*at, "psk_identity"), "psk_identity needs psk_secrets")
        if doc.key is not None and doc.cert is None:
            raise LocatedError(self.where(*at, "key"), "key needs cert")
        unpinned = None
        if doc.unpinned_cert is not None:
            cert = self.file(doc.unpinned_cert, *at, "unpinned_cert")
            key = self.file(doc.unpinned_key, *at, "unpinned_key") or cert
            assert cert is not None and key is not None
            unpinned = CertPair("unpinned", cert, key)
        fix = self.fix(doc.fix, at) if doc.fix is not None else None
        if fix is not None:
            secrets += [x for x in (fix.password, fix.raw_data) if x]
            fix = fix.logon
        baseline = self.file(doc.baseline, *at, "baseline")
        before = None
        if baseline is not None:  # read now: its report directory is claimed later
            try:
                before = load_report(baseline)
            except HarnessError as exc:
                raise LocatedError(self.where(*at, "baseline"), str(exc)) from None
        request = ServerRequest(
            host=host.strip("[]"),
            port=port,
            profile=profile,
            case=case,
            credentials=Credentials(
                cert=self.file(doc.cert, *at, "cert"),
                key=self.file(doc.key, *at, "key"),
                psk_identity=psk_identity,
                psk_key=psk_key,
            ),
            trust=TrustOptions(
                cafile=self.file(doc.cafile, *at, "cafile"),
                pin=self.file(doc.pin, *at, "pin"),
                crl=self.file(doc.crl, *at, "crl"),
                ocsp_url=doc.ocsp,
            ),
            unpinned=unpinned,
            timeout=doc.timeout or defaults.timeout,
            fix=fix,
            expiry_days=doc.expiry_days if doc.expiry_days is not None else defaults.expiry_days,
            baseline=baseline,
            before=before,
            scope=doc.scope or defaults.scope,
        )
        return Counterparty(doc.name, request, tuple(secrets), doc.gentle, self.where(*at))

    def psk(self, doc: CounterpartyDoc, at: tuple[str | int, ...]) -> tuple[str, bytes, list[str]]:
        from harness.stunnelconf import ConfigError, parse_psk_secrets

        path = self.file(doc.psk_secrets, *at, "psk_secrets")
        assert path is not None
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            entries = parse_psk_secrets(text, path=str(path))
        except ConfigError as exc:
            raise LocatedError(self.where(*at, "psk_secrets"), str(exc)) from None
        wanted = doc.psk_identity or entries[0].identity
        match = next((e for e in entries if e.identity == wanted), None)
        if match is None:
            raise LocatedError(
                self.where(*at, "psk_identity"), f"identity {wanted!r} is not in {path}"
            )
        keys = [line.partition(":")[2].strip() for line in text.splitlines() if ":" in line]
        return match.identity, match.key, [k for k in keys if k]

    def fix(self, doc: FixDoc, at: tuple[str | int, ...]) -> _Fix:
        from harness.certify.fixlogon import FixLogon

        where = (*at, "fix")
        if doc.password_env is not None and doc.password_file is not None:
            raise LocatedError(self.where(*where, "password_file"),
                               "give password_env or password_file, not both")  # fmt: skip
        if doc.raw_data_env is not None and doc.raw_data_file is not None:
            raise LocatedError(self.where(*where, "raw_data_file"),
                               "give raw_data_env or raw_data_file, not both")  # fmt: skip
        password = None
        if doc.password_env is not None:
            password = self.env(doc.password_env, *where, "password_env")
        elif doc.password_file is not None:
            password = self.secret_file(doc.password_file, *where, "password_file")
        raw = None
        if doc.raw_data_env is not None:
            raw = self.env(doc.raw_data_env, *where, "raw_data_env")
        elif doc.raw_data_file is not None:
            raw = self.secret_file(doc.raw_data_file, *where, "raw_data_file")
        logon = FixLogon(
            sender_comp_id=doc.sender,
            target_comp_id=doc.target,
            begin_string=doc.begin_string,
            username=doc.username,
            password=password,
            raw_data=raw.encode() if raw is not None else None,
        )
        try:
            logon.settings()
        except (HarnessError, ValueError) as exc:
            raise LocatedError(self.where(*where), str(exc)) from None
        return _Fix(logon, password, raw)


@dataclass(frozen=True)
class _Fix:
    logon: Any
    password: str | None
    raw_data: str | None


def load_inventory(path: Path) -> list[Counterparty]:
    """Read, validate and resolve an inventory file.

    Raises:
        LocatedError: the first problem (with the others summarised), file:line.
    """
    loc = load_located_yaml(path)
    if not isinstance(loc.data, dict):
        raise LocatedError(loc.location(), "an inventory must be a YAML mapping")
    try:
        doc = InventoryDoc.model_validate(loc.data)
    except ValidationError as exc:
        raise located_validation_error(exc, loc, "inventory") from None
    seen: dict[str, int] = {}
    for i, c in enumerate(doc.counterparties):
        if c.name in seen:
            raise LocatedError(
                loc.location(("counterparties", i, "name")),
                f"name {c.name!r} used twice (also counterparties[{seen[c.name]}])",
            )
        seen[c.name] = i
    reader = _Reader(loc, path.parent)
    return [reader.counterparty(i, c, doc.defaults) for i, c in enumerate(doc.counterparties)]


# -- running ------------------------------------------------------------------------


@dataclass(frozen=True)
class FleetOptions:
    """How to run a fleet.

    Attributes:
        report_dir: one subdirectory per counterparty, the dashboard beside them.
        formats: report formats per counterparty.
        concurrency: counterparties certified at once.
        probe_concurrency: probe connections at once within one counterparty.
        per_host_limit: gentle mode: most probe connections open at once to a host
            (None: no limit); counterparties sharing the host run one at a time.
        per_host_delay: gentle mode: seconds between connection starts to a host.
        gentle_all: apply gentle mode to every counterparty (else only to those the
            inventory marks ``gentle: true``).
        deadline: seconds one counterparty may take before it is given up.
    """

    report_dir: Path
    formats: tuple[str, ...] = ("json", "junit", "html", "markdown")
    concurrency: int = 4
    probe_concurrency: int = 8
    per_host_limit: int | None = None
    per_host_delay: float = 0.0
    gentle_all: bool = False
    deadline: float = 300.0


#: Gentle mode when asked for without figures: one connection at a time, 0.25 s apart.
GENTLE_LIMIT, GENTLE_DELAY = 1, 0.25

Observer = Callable[[str, FleetRow | None], None]  # ("start"|"done", row)


class ReportWriter(Protocol):
    """Writes one counterparty's reports (``harness.report.write_reports``, passed
    in by the entry point: the output layer sits above certify)."""

    def __call__(
        self,
        run: RunResult,
        directory: Path,
        formats: Iterable[str],
        *,
        secrets: Iterable[str],
    ) -> object: ...


def _row_of(cp: Counterparty, run: Any, code: int, duration: float, report: str) -> FleetRow:
    result = run.results[0]
    soonest = min(result.expiry, key=lambda e: e.days_left) if result.expiry else None
    drift = run.drift
    verdict = result.verdict.value
    error = result.error
    if run.interrupted:  # only part of the checks ran: never a pass
        verdict = "fail" if verdict == "fail" else "inconclusive"
        if not (error or "").startswith("interrupted by"):
            error = f"interrupted by {run.interrupted}" + (f"; {error}" if error else "")
    return FleetRow(
        name=cp.name,
        target=cp.target,
        case=cp.request.case,
        profile=cp.request.profile.name,
        verdict=verdict,
        exit_code=code,
        defects=tuple(c.id for c in result.failed_checks),
        soonest=soonest,
        drift=len(drift.changes) if drift is not None else None,
        duration_s=duration,
        error=error,
        report_dir=report,
        source=str(cp.source),
    )


def _error_row(cp: Counterparty, error: str, duration: float) -> FleetRow:
    return FleetRow(
        name=cp.name,
        target=cp.target,
        case=cp.request.case,
        profile=cp.request.profile.name,
        verdict="inconclusive",
        exit_code=2,
        duration_s=duration,
        error=error,
        source=str(cp.source),
    )


def certify_one(
    cp: Counterparty,
    options: FleetOptions,
    write: ReportWriter,
    certify: Callable[[Any, Path], Any] | None = None,
) -> FleetRow:
    """Certify one counterparty and write its reports with ``write``; never raises
    for anything the counterparty does or any error of ours (the row says what
    happened)."""
    if certify is None:
        from harness.certify.server import certify_server

        certify = certify_server
    t0 = time.monotonic()
    directory = options.report_dir / cp.name
    try:
        gentle = options.gentle_all or cp.gentle
        limit = options.per_host_limit or (GENTLE_LIMIT if gentle else None)
        concurrency = min(options.probe_concurrency, limit or options.probe_concurrency)
        request = replace(cp.request, concurrency=concurrency)
        outcome = certify(request, directory)
        write(outcome.run, directory, options.formats, secrets=cp.secrets)
    except Exception as exc:  # one counterparty's crash never stops the others
        return _error_row(cp, f"harness error: {type(exc).__name__}: {exc}", time.monotonic() - t0)
    return _row_of(cp, outcome.run, outcome.exit_code, time.monotonic() - t0, cp.name)


def _address(host: str) -> str:
    import ipaddress
    import socket

    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        try:
            return str(socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][4][0])
        except OSError:
            return host


class _Worker:
    """One counterparty certified in a forked child process.

    The parent has imported everything already, so a fork costs milliseconds;
    the child certifies, writes the reports, sends its row back over a pipe and
    exits. A child that crashes (even in native code) or hangs past the deadline
    is one row, never the run: the parent reads the pipe, sees the exit status,
    and kills the child's process group when the deadline passes.

    Made in two steps so that a stop signal can never leave a child untracked: the
    parent creates the worker (no process yet), puts it in its ``running`` list, and
    only then calls :meth:`start`, which forks with the stop signals blocked (a
    signal arriving meanwhile is delivered right after, once ``process`` knows the
    child's pid). A worker never started has no child; it is dropped from ``running``
    and its counterparty gets a "not run" row.
    """

    def __init__(self, cp: Counterparty, work: Callable[[], FleetRow]) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.cp = cp
        self.started = time.monotonic()
        self.row: FleetRow | None = None
        self.forked = False
        self.forked_at = 0.0  # wall clock, for _sweep
        self._eof = False
        self._recv, self._send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=_child, args=(self._send, cp, work), name=f"fleet-{cp.name}", daemon=True
        )

    def start(self) -> None:
        """Fork the child (the stop signals blocked in this thread meanwhile)."""
        import signal

        from harness.signals import STOP_SIGNALS

        old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            self.started = time.monotonic()
            self.forked_at = time.time()
            self.process.start()
            self.forked = True
            self._send.close()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def poll(self) -> bool:
        """True once the child is over: its row read, or its end of the pipe closed
        without one (it crashed)."""
        if not self.forked:
            return False
        if self.row is None and not self._eof:
            try:
                if self._recv.poll():
                    self.row = self._recv.recv()
            except (EOFError, OSError):
                self._eof = True
        if self.row is not None or self._eof:
            self.process.join(timeout=5)
            self._sweep()
            return True
        return False

    def _sweep(self) -> None:
        """Remove the private work directories the child left (certify removes its
        own on every path it survives; a child killed at the deadline, or crashed,
        cannot, and they may hold the FIX probe's secrets). They are named after
        its pid and were made after it forked."""
        import shutil
        import tempfile

        pid = self.process.pid
        if pid is None or self.process.is_alive():
            return
        for path in Path(tempfile.gettempdir()).glob(f"fixs-harness-work-{pid}-*"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime >= self.forked_at - 1:  # not an older namesake
                    shutil.rmtree(path, ignore_errors=True)

    def stop(self) -> None:
        """Kill the child and everything it started (its own process group)."""
        import signal

        if not self.forked:
            self._recv.close()
            self._send.close()
            return
        pid = self.process.pid
        if pid is not None and self.process.is_alive():
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        self.process.join(timeout=5)
        self._sweep()
        self._recv.close()

    def outcome(self) -> FleetRow:
        if self.row is not None:
            return self.row
        code = self.process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        return _error_row(self.cp, f"harness crashed ({how}) while certifying",
                          time.monotonic() - self.started)  # fmt: skip


def _child(send: Any, cp: Counterparty, work: Callable[[], FleetRow]) -> None:
    import signal

    from harness.signals import STOP_SIGNALS

    os.setpgid(0, 0)  # its own process group: the parent can stop all it starts
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked by start()
    t0 = time.monotonic()
    try:
        row = work()
    except BaseException as exc:  # reported in the row
        row = _error_row(cp, f"harness error: {exc!r}", time.monotonic() - t0)
    send.send(row)
    send.close()


def run_fleet(
    counterparties: Sequence[Counterparty],
    options: FleetOptions,
    *,
    write: ReportWriter,
    observer: Observer | None = None,
    inventory: str = "",
    certify: Callable[[Any, Path], Any] | None = None,
) -> FleetResult:
    """Certify every counterparty (bounded concurrency, a deadline each, gentle
    mode per host), each in its own forked process, and return the rows in
    inventory order. ``write`` writes each counterparty's reports (in its child;
    import it before calling, so that every child inherits it loaded)."""

    notify = observer or (lambda event, row: None)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    options.report_dir.mkdir(parents=True, exist_ok=True)
    _preload(counterparties)  # once, before forking: every child inherits it
    gentle_hosts: set[str] = set()
    for cp in counterparties:
        if options.gentle_all or cp.gentle or options.per_host_limit is not None:
            gentle_hosts.add(cp.request.host)
    delay = options.per_host_delay or (GENTLE_DELAY if gentle_hosts else 0.0)
    pending = list(counterparties)
    running: list[_Worker] = []
    rows: dict[str, FleetRow] = {}
    busy_hosts: set[str] = set()
    interrupted: str | None = None
    try:
        while pending or running:
            # start what fits: the concurrency bound, and one at a time per gentle host
            for cp in list(pending):
                if len(running) >= max(1, options.concurrency):
                    break
                host = cp.request.host
                gentle = host in gentle_hosts
                if gentle and host in busy_hosts:
                    continue
                pace = delay if gentle else 0.0
                worker = _Worker(
                    cp,
                    lambda cp=cp, pace=pace: _work(cp, options, write, certify, pace),  # type: ignore[misc]
                )
                # tracked before it forks (see _Worker): a stop signal anywhere here
                # leaves the counterparty pending, or its worker in running
                running.append(worker)
                pending.remove(cp)
                if gentle:
                    busy_hosts.add(host)
                notify("start", None)
                worker.start()
            time.sleep(0.005)
            now = time.monotonic()
            for worker in list(running):
                if worker.poll():
                    row = worker.outcome()
                elif now - worker.started > options.deadline:
                    worker.stop()
                    row = _error_row(
                        worker.cp,
                        f"did not finish within {options.deadline:g} s (stopped)",
                        now - worker.started,
                    )
                else:
                    continue
                rows[worker.cp.name] = row  # the row first: then it leaves running
                running.remove(worker)
                busy_hosts.discard(worker.cp.request.host)
                notify("done", row)
    except KeyboardInterrupt as exc:
        interrupted = getattr(exc, "signame", "SIGINT")
        _wind_down(running, rows, notify, interrupted)
        _complete_rows(counterparties, rows, interrupted)
    finally:
        for worker in running:  # nothing is left behind
            worker.stop()
    finished = datetime.now(UTC)
    return FleetResult(
        inventory=inventory,
        started=started.isoformat(),
        finished=finished.isoformat(),
        duration_s=round(time.monotonic() - t0, 3),
        rows=tuple(rows[cp.name] for cp in counterparties if cp.name in rows),
        interrupted=interrupted,
    )


#: Seconds an interrupted fleet waits for its children's interrupted reports.
STOP_GRACE = 10.0


def _complete_rows(
    counterparties: Sequence[Counterparty], rows: dict[str, FleetRow], signame: str
) -> None:
    """Give every counterparty without a row (still pending, or its worker never
    forked) a "not run: interrupted by SIGNAME" row: the dashboard lists them all."""
    for cp in counterparties:
        if cp.name not in rows:
            rows[cp.name] = _error_row(cp, f"not run: interrupted by {signame}", 0.0)


def _wind_down(
    running: list[_Worker], rows: dict[str, FleetRow], notify: Observer, signame: str
) -> None:
    """Pass the stop signal on to the children still running, collect the rows they
    send (their reports marked interrupted) for up to :data:`STOP_GRACE` s, and
    kill the rest (each an inconclusive row). A later signal here is only noted
    (:mod:`harness.signals`), so this runs to its end."""
    import signal

    signum = signal.Signals[signame]
    for worker in list(running):
        if not worker.forked or worker.cp.name in rows:  # no child, or its row is in
            worker.stop()
            running.remove(worker)
            continue
        pid = worker.process.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)
    deadline = time.monotonic() + STOP_GRACE
    while running and time.monotonic() < deadline:
        for worker in list(running):
            if worker.poll():
                running.remove(worker)
                rows[worker.cp.name] = worker.outcome()
                notify("done", rows[worker.cp.name])
        time.sleep(0.02)
    for worker in list(running):
        worker.stop()
        running.remove(worker)
        rows[worker.cp.name] = _error_row(
            worker.cp,
            f"interrupted by {signame}: did not stop within {STOP_GRACE:g} s (killed)",
            time.monotonic() - worker.started,
        )


def _preload(counterparties: Sequence[Counterparty]) -> None:
    """Import and warm in the parent what every child would otherwise load again
    (fork shares it): the certify code, the cipher registry's tables,
    the host facts; the FIX probe, PSK and client-certificate code when some
    counterparty uses them."""
    import importlib

    from harness.checks.facts import host_facts
    from harness.tls import registry

    requests = [cp.request for cp in counterparties]
    modules = ["harness.certify.server"]  # the report writers: loaded by the caller
    if any(r.fix is not None for r in requests):
        modules.append("harness.certify.fixlogon")
    if any(r.credentials.psk_key is not None for r in requests):
        modules.append("harness.tunnel.tlsctx")
    if any(r.case in ("1a", "1b") or r.credentials.cert is not None for r in requests):
        modules.append("trustme")
    for name in modules:
        importlib.import_module(name)
    host_facts()
    registry.all_suites()
    registry.suite_by_code(0xC02F)
    registry.suite_by_openssl_name("")
    registry.suite_by_iana_name("")
    for value in (0x0303, 40, 29, 1, 0):
        registry.version_name(value)
        registry.alert_name(value)
        registry.group_name(value)
        registry.handshake_type_name(value)
        registry.extension_name(value)
        registry.signature_scheme_name(value)


def _work(
    cp: Counterparty,
    options: FleetOptions,
    write: ReportWriter,
    certify: Callable[[Any, Path], Any] | None,
    pace: float,
) -> FleetRow:
    """In the child: pace the host when gentle, then certify."""
    if pace > 0:
        from harness.certify import gate

        gate.pace(_address(cp.request.host), pace)
    return certify_one(cp, options, write, certify)
