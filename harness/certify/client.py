"""``certify client``: the harness is the TLS server; the counterparty's initiator connects.

Theory of operation. The harness listens and serves one connection per *round*,
each with a different server certificate from a test PKI whose root the client
has been told to trust:

1. ``valid``: a certificate for 127.0.0.1 / localhost / fix-server.test, chained to
   the root. The client must accept it (otherwise the other rounds prove
   nothing). Its ClientHello is the one reported: versions, suites in order, SNI,
   groups; and whether it sends a certificate when asked (the server requests one,
   without requiring it).
2. ``wrong-host``: valid chain, but issued for 127.0.0.2 / fix-server2.test only:
   a client that checks the host or IP (guide 3.4.2 ``checkIP``) refuses it.
3. ``unrelated-ca``: issued by a CA the client has never seen.
4. ``expired``: valid chain, validity ended.

"Refuses" is read from the wire: the client sends a fatal alert or hangs up
instead of its Finished. A client that sends its ClientHello and then nothing until
the round's timeout (``--timeout``) has *stalled*: that says nothing about its
certificate checks, so the round is inconclusive, never a refusal. A client that
sends a plaintext FIX Logon to our TLS port fails ``client.plaintext-fix``. The server side runs OpenSSL over memory BIOs, recording
every byte, with a key log so the dissector can also read a TLS 1.3 client's
(encrypted) alert.

Files. The report directory may be shared (attached to a CI job, mailed to the
counterparty), so nothing secret goes there (see :mod:`harness.runner.rundir`):
the test PKI a run makes (its private keys) lives in a private 0700 work directory
outside it, deleted when the run ends; the report directory gets the reports, the
pcap and ``root-ca.pem``, the public root certificate the client must trust. The
key log stays in memory (an evidence pack takes it only with ``--include-keys``). A
``--pki`` directory of the user's is read where it is, never copied. The previous
run's report is removed before anything else happens.

Stopping. SIGINT, SIGTERM and SIGHUP (:mod:`harness.signals`) end the rounds: the
listener and the round's connection are closed, the round under way is dropped, and
the rounds that finished are judged into a report marked ``interrupted`` whose
result's error is "interrupted by SIGNAL" (so its verdict is never pass, even when
the signal came after the last round); the CLI exits 128 + the signal. Used from a worker thread, the rounds also stop once
:data:`harness.signals.STOPPING` is set (they poll it every
:data:`_POLL` seconds).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from OpenSSL import SSL

import harness.tunnel
from harness import signals
from harness.certify.catalogue import judge_client
from harness.certify.facts import client_facts
from harness.certify.probe import Target as _Target
from harness.certify.probe import Wire, write_pcap
from harness.certify.result import build_run, exit_code
from harness.checks.model import CheckResult, Note, RunResult, Verdict
from harness.dissect import Handshake, KeyLog, alert_summary
from harness.errors import HarnessError
from harness.pki import LeafFiles, TestPKI
from harness.profiles import Profile
from harness.runner.rundir import RunDirs, claim_report_dir
from harness.tls.registry import group_name, is_grease, suite_label, version_name

PASS, FAIL, INCONCLUSIVE = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE
ROUNDS = ("valid", "wrong-host", "unrelated-ca", "expired")
_FFDHE2048 = Path(harness.tunnel.__file__).with_name("ffdhe2048.pem")
#: Written into the report directory (public; file names are public interface).
PCAP_NAME = "certify-client.pcap"
ROOT_CA_NAME = "root-ca.pem"
#: How often a blocked accept/recv looks at :data:`harness.signals.STOPPING`.
_POLL = 0.25


@dataclass(frozen=True)
class ClientRequest:
    listen: tuple[str, int]
    profile: Profile
    pki_dir: Path | None = None
    wait: float = 60.0
    handshake_timeout: float = 10.0


@dataclass(frozen=True)
class ClientOutcome:
    run: RunResult
    exit_code: int
    wires: dict[str, Wire]
    address: tuple[str, int]
    #: the root certificate the client must trust (the report's public copy, or
    #: the user's ``--pki`` directory's)
    root_ca: Path | None = None


def _leaf_for(pki: TestPKI, kind: str) -> LeafFiles:
    return {
        "valid": pki.server_rsa,
        "wrong-host": pki.server_ip2,
        "unrelated-ca": pki.other_server,
        "expired": pki.expired_server,
    }[kind]


class _Serve:
    """One round: accept one connection and run the server side of a handshake."""

    def __init__(self, leaf: LeafFiles, timeout: float) -> None:
        self.timeout = timeout
        self.lines: list[bytes] = []
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_VERSION)
        ctx.set_cipher_list(b"ALL:@SECLEVEL=0")
        ctx.use_certificate_chain_file(str(leaf.cert_path))
        ctx.use_privatekey_file(str(leaf.key_path))
        ctx.load_tmp_dh(str(_FFDHE2048).encode())
        # Ask for a client certificate without requiring one: we want to see it.
        ctx.set_verify(SSL.VERIFY_PEER, lambda *a: True)
        ctx.set_keylog_callback(lambda conn, line: self.lines.append(line))
        self.ctx = ctx

    def handle(self, sock: socket.socket, name: str) -> Wire:
        wire = Wire(name)
        with contextlib.suppress(OSError):
            wire.local = sock.getpeername()[:2]
        conn = SSL.Connection(self.ctx, None)
        conn.set_accept_state()
        deadline = time.monotonic() + self.timeout

        def flush() -> None:
            while True:
                try:
                    out = conn.bio_read(65536)
                except (SSL.WantReadError, SSL.Error):
                    return
                if not out:
                    return
                try:
                    sock.sendall(out)
                except OSError:
                    return
                wire.s2c.append((time.time(), out))

        def feed() -> bool:
            while True:
                _check_stop()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    wire.end = "timeout"
                    return False
                sock.settimeout(min(remaining, _POLL))
                try:
                    data = sock.recv(65536)
                    break
                except TimeoutError:
                    continue
                except OSError:
                    data = b""
                    break
            if not data:
                wire.end = "eof"
                conn.bio_shutdown()
                return False
            wire.c2s.append((time.time(), data))
            conn.bio_write(data)
            return True

        try:
            while True:
                try:
                    conn.do_handshake()
                    flush()
                    break
                except SSL.WantReadError:
                    flush()
                    if not feed():
                        break
                except SSL.Error:
                    flush()
                    break
            with contextlib.suppress(SSL.Error):
                conn.shutdown()
            flush()
        finally:
            sock.close()
        if self.lines:
            wire.keylog = KeyLog.parse(b"\n".join(self.lines).decode("ascii", "replace"))
        return wire


def _client_refused(
    h: Handshake, end: str | None = None, timeout: float | None = None
) -> tuple[bool | None, str]:
    """Did the client refuse our certificate? (None: cannot tell) and how.

    :attr:`Handshake.refusal` reads the wire; from this seat (we are the server) a
    fatal alert of ours means the round never reached the client's judgement.
    ``end == "timeout"``: the client went silent; that is not a refusal."""
    r = h.refusal
    if r.by == "client" and r.alert is not None:
        if r.alert.description is None:
            return True, "refused: client sent an (encrypted) alert"
        return True, f"refused: client sent {r.alert.name}({r.alert.description})"
    if r.refused is False:
        return (
            False,
            f"accepted: handshake completed ({h.version_name}, {suite_label(h.cipher_selected)})",
        )
    if not h.versions_offered and not h.ciphers_offered:
        return None, f"no ClientHello seen ({h.incomplete_reason or 'no data'})"
    if r.by == "server":
        return None, f"our server gave up: {r.how}"
    if end == "timeout":
        within = f" for {timeout:g} s" if timeout is not None else ""
        return None, f"silent: the client stalled (no alert, no Finished, no close{within})"
    return True, "refused: the client closed the connection without finishing"


def _hello_notes(h: Handshake) -> list[Note]:
    suites = [c for c in h.ciphers_offered if not is_grease(c)]
    return [
        Note(
            "client.hello.versions",
            "versions offered",
            ", ".join(version_name(v) for v in h.versions_offered if not is_grease(v)) or "none",
        ),
        Note(
            "client.hello.suites",
            "cipher suites offered, in the client's order",
            ", ".join(suite_label(c) for c in suites),
        ),
        Note("client.hello.sni", "server name (SNI)", h.sni or "none sent"),
        Note(
            "client.hello.groups",
            "groups offered",
            ", ".join(group_name(g) for g in h.groups_offered if not is_grease(g)) or "none",
        ),
        Note(
            "client.certificate",
            "client certificate when requested",
            "presented: " + "; ".join(c.subject for c in h.client_certificates)
            if h.client_certificates
            else "none presented"
            if h.client_certificates is not None
            else "not visible",
        ),
    ]


def _judge(
    profile: Profile, wires: dict[str, Wire | None], timeout: float | None = None
) -> tuple[list[CheckResult], list[Note]]:
    """Freeze the rounds and fold the ``certify client`` registry over them."""
    facts = client_facts(profile, wires, lambda h, end: _client_refused(h, end, timeout))
    valid = wires.get("valid")
    notes = _hello_notes(valid.handshake()) if valid is not None else []
    return judge_client(facts), notes


def _check_stop() -> None:
    """Raise :class:`harness.signals.Interrupted` once a stop signal arrived (or
    :data:`harness.signals.STOPPING` was set): the rounds end now."""
    if signals.STOPPING.is_set():
        code = signals.stop_exit_code()
        raise signals.Interrupted(code - 128 if code is not None else signal.SIGINT)


def _accept(listener: socket.socket, wait: float) -> socket.socket | None:
    """The round's connection, or None after ``wait`` seconds (polls for a stop)."""
    deadline = time.monotonic() + wait
    while True:
        _check_stop()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        listener.settimeout(min(remaining, _POLL))
        try:
            sock, _ = listener.accept()
        except TimeoutError:
            continue
        sock.settimeout(None)
        return sock


def _private_dirs(report_dir: Path) -> RunDirs:
    """Claim the report directory (the previous run's report goes first) and make
    the run's private 0700 work directory outside it."""
    claim_report_dir(report_dir)
    for name in (PCAP_NAME, ROOT_CA_NAME):
        with contextlib.suppress(FileNotFoundError):
            (report_dir / name).unlink()
    work = Path(tempfile.mkdtemp(prefix=f"fixs-harness-work-{os.getpid()}-"))  # mode 0700
    return RunDirs(report_dir.resolve(), work.resolve())


def certify_client(
    request: ClientRequest,
    workdir: Path,
    *,
    ready: Callable[[tuple[str, int], Path], None] | None = None,
) -> ClientOutcome:
    """Serve the rounds on ``request.listen`` and judge the client.

    ``workdir`` is the report directory: it gets the pcap and, when the PKI is made
    here, ``root-ca.pem``; never a private key (see the module doc).
    ``ready(address, root_ca_path)`` is called once listening (tests and the CLI
    start or instruct the client then). A stop signal ends the rounds; the outcome
    then holds the rounds that finished and ``run.interrupted`` names the signal.

    Raises:
        HarnessError: cannot listen, or the PKI directory is unusable.
    """
    dirs = _private_dirs(workdir)
    try:
        return _certify_client(request, dirs, ready)
    finally:
        dirs.close()


def _certify_client(
    request: ClientRequest,
    dirs: RunDirs,
    ready: Callable[[tuple[str, int], Path], None] | None,
) -> ClientOutcome:
    report_dir = dirs.report_dir
    started = datetime.now(UTC)
    listener = socket.socket(socket.AF_INET6 if ":" in request.listen[0] else socket.AF_INET)
    try:
        listener.bind(request.listen)
        listener.listen(4)
    except OSError as exc:
        listener.close()
        raise HarnessError(
            f"cannot listen on {request.listen[0]}:{request.listen[1]}: {exc.strerror}"
        ) from None
    address = listener.getsockname()[:2]
    wires: dict[str, Wire | None] = {}
    interrupted: str | None = None
    root_ca: Path | None = None
    try:
        # the PKI is made with the listener already bound, so that a stop signal
        # during its generation (seconds) is reported like one between the rounds
        if request.pki_dir:
            pki = TestPKI.load(request.pki_dir)
            root_ca = pki.root_ca_path  # the user's: read where it is, not copied
        else:
            pki = TestPKI.create(dirs.pki_dir, force=True)
            dirs.pki_dir.chmod(0o700)
            partial = report_dir / f".{ROOT_CA_NAME}.tmp"  # whole or absent: a client
            shutil.copyfile(pki.root_ca_path, partial)  # may be reading it already
            partial.chmod(0o644)
            root_ca = partial.replace(report_dir / ROOT_CA_NAME)
        if ready is not None:
            ready(address, root_ca)
        for kind in ROUNDS:
            sock = _accept(listener, request.wait)
            if sock is None:
                wires[kind] = None
                break
            serve = _Serve(_leaf_for(pki, kind), request.handshake_timeout)
            wires[kind] = serve.handle(sock, f"round {kind}")
    except KeyboardInterrupt as exc:
        # a stop signal (or Ctrl-C): the round under way is dropped (its socket was
        # closed by _Serve.handle), the rounds that finished are judged below
        interrupted = getattr(exc, "signame", "SIGINT")
    finally:
        listener.close()
    checks, notes = _judge(request.profile, wires, request.handshake_timeout)
    seen = [w for w in wires.values() if w is not None]
    artifacts: dict[str, str] = {}
    if seen:
        target = _Target(address[0], address[0], address[1])
        write_pcap(report_dir / PCAP_NAME, target, seen)
        artifacts["pcap"] = PCAP_NAME
    if not request.pki_dir and root_ca is not None:
        artifacts["root-ca"] = ROOT_CA_NAME
    if interrupted is not None:
        finished_rounds = ", ".join(k for k, w in wires.items() if w is not None) or "none"
        notes = [
            Note(
                "interrupted",
                "interrupted",
                f"stopped by {interrupted}; rounds that finished: {finished_rounds} "
                f"(of {', '.join(ROUNDS)})",
            ),
            *notes,
        ]
    valid = wires.get("valid")
    finished = datetime.now(UTC)
    run = build_run(
        scenario_id="certify-client",
        title=f"certify client connecting to {address[0]}:{address[1]}",
        pair=f"certify-client:{address[0]}:{address[1]}",
        profile=request.profile.name,
        checks=checks,
        notes=notes,
        reference=valid.handshake() if valid is not None else None,
        started=started,
        finished=finished,
        artifacts=artifacts,
        # as certify server: an interrupted run is never a pass, even when the signal
        # came after the last round and every check passed
        error=f"interrupted by {interrupted}" if interrupted is not None else None,
    )
    if interrupted is not None:
        run = replace(run, interrupted=interrupted)
    done = {k: w for k, w in wires.items() if w is not None}
    code = 128 + signal.Signals[interrupted] if interrupted else exit_code(run)
    return ClientOutcome(run, code, done, address, root_ca)


__all__ = ["ROUNDS", "ClientOutcome", "ClientRequest", "alert_summary", "certify_client"]
