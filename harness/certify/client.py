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
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from OpenSSL import SSL

import harness.tunnel
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
from harness.tls.registry import group_name, is_grease, suite_label, version_name

PASS, FAIL, INCONCLUSIVE = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE
ROUNDS = ("valid", "wrong-host", "unrelated-ca", "expired")
_FFDHE2048 = Path(harness.tunnel.__file__).with_name("ffdhe2048.pem")


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
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                wire.end = "timeout"
                return False
            sock.settimeout(remaining)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                wire.end = "timeout"
                return False
            except OSError:
                data = b""
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


def certify_client(
    request: ClientRequest,
    workdir: Path,
    *,
    ready: Callable[[tuple[str, int], Path], None] | None = None,
) -> ClientOutcome:
    """Serve the rounds on ``request.listen`` and judge the client.

    ``ready(address, root_ca_path)`` is called once listening (tests and the CLI
    start or instruct the client then).

    Raises:
        HarnessError: cannot listen, or the PKI directory is unusable.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    pki = (
        TestPKI.load(request.pki_dir)
        if request.pki_dir
        else TestPKI.create(workdir / "pki", force=True)
    )
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
    try:
        if ready is not None:
            ready(address, pki.root_ca_path)
        for kind in ROUNDS:
            listener.settimeout(request.wait)
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                wires[kind] = None
                break
            serve = _Serve(_leaf_for(pki, kind), request.handshake_timeout)
            wires[kind] = serve.handle(sock, f"round {kind}")
    finally:
        listener.close()
    checks, notes = _judge(request.profile, wires, request.handshake_timeout)
    seen = [w for w in wires.values() if w is not None]
    artifacts: dict[str, str] = {}
    if seen:
        target = _Target(address[0], address[0], address[1])
        write_pcap(workdir / "certify-client.pcap", target, seen)
        artifacts["pcap"] = "certify-client.pcap"
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
    )
    done = {k: w for k, w in wires.items() if w is not None}
    return ClientOutcome(run, exit_code(run), done, address)


__all__ = ["ROUNDS", "ClientOutcome", "ClientRequest", "alert_summary", "certify_client"]
