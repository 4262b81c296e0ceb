"""``certify server``, step 1: probe the server and collect what the wire showed.

Split into jobs, then fold (sslyze's plugin shape). Each job is one or a few probe
connections (:mod:`harness.certify.probe`); jobs run on a bounded thread pool
(``concurrency`` connections at most). Three phases, because later questions
depend on earlier answers:

1. **versions**: one ClientHello per version, SSL 3.0 … TLS 1.3, offering every
   suite that version can carry (the profile's first). The TLS 1.2 hello also
   offers DEFLATE, so it answers "does the server compress?" too.
2. for each accepted version: every **profile suite** alone (accepted or not, by
   the ServerHello); every **other suite** in one batched hello, repeated without
   the one the server picked until it refuses (so all accepted forbidden suites
   are listed, in a few connections); then the **client-authentication**, **PSK**
   and **resumption** handshakes with OpenSSL.
3. the server's **preference order** among the suites it accepted: offered in one
   order and in reverse; if the server picks the same suite both times it imposes
   its own order, which is then read off by removing its pick one at a time.

Stopping. A stop signal (:mod:`harness.signals`) ends the scan at once: the probes
under way give up (:mod:`harness.certify.probe` polls
:data:`harness.signals.STOPPING`), queued ones are cancelled, and the partial
:class:`ServerScan` comes back with ``interrupted`` naming the signal and
``finished`` listing the steps whose every probe ran to its end before the signal
(:data:`STEPS`, in order: a later step never finishes before an earlier one). The
judging of an interrupted scan (:mod:`harness.certify.server`) keeps only the checks
those steps decide.

The result, :class:`ServerScan`, holds every probe's :class:`~harness.certify.probe.Wire`
(so the report can show and save them) and the facts derived from their
dissection. Judging those facts against a profile is :mod:`harness.certify.policy`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from harness import signals
from harness.certify.badcerts import CertPair, make_bad_client_certs
from harness.certify.diagnose import PortDiagnosis, diagnose, plaintext_logon_probe, probe_facts
from harness.certify.hello import HelloSpec, offerable
from harness.certify.probe import Credentials, Target, TlsClient, Wire, hello_probe
from harness.certify.rules import HelloFacts, hello_violation
from harness.profiles import Profile
from harness.tls.registry import all_suites
from harness.tls.versions import TLS12, TLS_VERSION_CODES, TLS_VERSIONS

#: Bound on the "remove the pick and ask again" loops (a server accepting more
#: forbidden suites than this is reported with the first ones found).
MAX_BATCH_ROUNDS = 48

#: The scan's steps, in the order they finish: ``versions`` (the version hellos and
#: the plaintext Logon probe), ``suites`` (single-suite and batched hellos), ``all``
#: (client authentication, PSK, resumption, preference order: the scan's end).
STEPS: tuple[str, ...] = ("versions", "suites", "all")


@dataclass(frozen=True)
class ScanOptions:
    """What to ask and with which credentials.

    Attributes:
        target: the server.
        profile: whose suites are probed one by one (all others are batched).
        case: the guide use case (1a, 1b, 2, 3a, 3b) or None.
        credentials: our client certificate/key and PSK, when given.
        unpinned: a client certificate chaining to the server's CA but not pinned
            by it (only the user can have one), for the "unpinned" refusal probe.
        workdir: where generated must-refuse client certificates go.
        concurrency: most connections open at once.
        timeout: bound on each probe connection.
    """

    target: Target
    profile: Profile
    case: str | None = None
    credentials: Credentials = field(default_factory=Credentials)
    unpinned: CertPair | None = None
    workdir: Path | None = None
    concurrency: int = 8
    timeout: float = 5.0
    #: CompIDs for the plaintext FIX Logon probe (sender, target).
    fix_compids: tuple[str, str] = ("FIXS-HARNESS", "PROBE")


@dataclass
class SuiteProbe:
    """One suite offered alone (or found by a batch) at one version."""

    code: int
    version: str
    accepted: bool | None
    wire: Wire


@dataclass
class ServerScan:
    """Everything the probes saw, before any judgement."""

    target: Target
    versions: dict[str, Wire] = field(default_factory=dict)
    suites: list[SuiteProbe] = field(default_factory=list)
    batches: dict[str, list[Wire]] = field(default_factory=dict)
    forbidden_accepted: dict[str, list[int]] = field(default_factory=dict)
    preference: dict[str, tuple[bool | None, tuple[int, ...]]] = field(default_factory=dict)
    client_auth: dict[str, Wire] = field(default_factory=dict)
    psk: dict[str, Wire] = field(default_factory=dict)
    resumption: list[Wire] = field(default_factory=list)
    auth_version: int | None = None
    errors: list[str] = field(default_factory=list)
    plaintext: Wire | None = None
    timeout: float = 5.0
    #: the steps (:data:`STEPS`) whose probes all ran to their end
    finished: list[str] = field(default_factory=list)
    #: the stop signal that ended the scan early ("SIGTERM"...), None when it ran out
    interrupted: str | None = None

    def step_done(self, step: str) -> None:
        """Record ``step`` as finished, unless a stop signal arrived meanwhile (its
        probes may then have given up early)."""
        if not signals.STOPPING.is_set():
            self.finished.append(step)

    def hello_wires(self) -> list[Wire]:
        """Every hand-built-ClientHello probe (versions, suites, batches, order)."""
        wires = list(self.versions.values()) + [p.wire for p in self.suites]
        for batch in self.batches.values():
            wires += batch
        unique: dict[int, Wire] = {}
        for w in wires:  # a batch's accepted pick is also a suite probe
            unique.setdefault(id(w), w)
        return list(unique.values())

    def hello_facts(self) -> list[HelloFacts]:
        return [hello_facts(w) for w in self.hello_wires() if w.s2c]

    def diagnosis(self) -> PortDiagnosis:
        """What is on the port (``tls`` when any probe got a ServerHello)."""
        facts = [probe_facts(w) for w in self.versions.values()]
        if self.plaintext is not None:
            facts.append(probe_facts(self.plaintext))
        return diagnose(facts, self.timeout)

    def all_wires(self) -> list[Wire]:
        wires = list(self.versions.values())
        wires += [p.wire for p in self.suites]
        for batch in self.batches.values():
            wires += batch
        wires += list(self.client_auth.values()) + list(self.psk.values()) + self.resumption
        if self.plaintext is not None:
            wires.append(self.plaintext)
        return wires

    # -- derived facts -------------------------------------------------------
    def version_accepted(self, name: str) -> bool | None:
        """True: the server answered with this version; None: the probe failed."""
        wire = self.versions.get(name)
        if wire is None or (wire.error and not wire.s2c):
            return None
        h = wire.handshake()
        if hello_violation(hello_facts(wire)):
            return None  # a protocol violation, not an answer (tls.server-hello.valid)
        # A HelloRetryRequest names the version too: the server is willing.
        return h.version_selected == TLS_VERSION_CODES[name]

    @property
    def reachable(self) -> bool:
        """TCP connected (a silent server is reachable)."""
        return any(w.connected for w in self.versions.values())

    @property
    def speaks_tls(self) -> bool:
        return self.diagnosis().is_tls

    def accepted_versions(self) -> list[str]:
        return [name for name in TLS_VERSIONS if self.version_accepted(name)]

    def accepted_suites(self, version: str | None = None) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for p in self.suites:
            if p.accepted and (version is None or p.version == version):
                out.setdefault(p.code, []).append(p.version)
        return out

    def server_key_types(self) -> set[str]:
        """Key types of the leaf certificates the server sent in any probe."""
        types: set[str] = set()
        for wire in self.all_wires():
            certs = wire.handshake().server_certificates if wire.s2c else None
            if certs:
                types.add(certs[0].key_type)
        return types

    def certificate_wire(self) -> Wire | None:
        """The probe whose cleartext Certificate message is the reference chain:
        the TLS 1.2 version probe, else any TLS ≤ 1.2 probe that carried one."""
        candidates = [self.versions.get("TLSv1.2")] + [p.wire for p in self.suites]
        for wire in candidates:
            if wire is not None and wire.s2c and wire.server_certificates_der():
                return wire
        return None


def hello_facts(wire: Wire) -> HelloFacts:
    """Freeze what a hello probe offered and what the server picked."""
    h = wire.handshake()
    offered_versions = tuple(h.versions_offered) + (
        (h.client_legacy_version,) if h.client_legacy_version is not None else ()
    )
    return HelloFacts(
        wire.name,
        tuple(h.ciphers_offered),
        offered_versions,
        h.cipher_selected,
        h.version_selected,
    )


def _x25519_public() -> bytes:
    return (
        X25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


class _Scanner:
    def __init__(self, options: ScanOptions, pool: ThreadPoolExecutor) -> None:
        self.o = options
        self.pool = pool
        self.scan = ServerScan(options.target)
        self.key_share = _x25519_public()
        self.all_codes = tuple(s.code for s in all_suites())
        self.profile_codes = tuple(s.code for s in options.profile.suites)

    def hello(self, name: str, version: int, ciphers: tuple[int, ...], **kw: bool) -> Wire:
        spec = HelloSpec(
            version,
            ciphers,
            server_name=self.o.target.host,
            x25519_public=self.key_share,
            **kw,
        )
        return hello_probe(self.o.target, name, spec, timeout=self.o.timeout)

    # -- phase 1
    def probe_versions(self) -> None:
        jobs: dict[str, Future[Wire]] = {}
        for name, code in TLS_VERSION_CODES.items():
            ordered = offerable(self.profile_codes, code) + tuple(
                c for c in offerable(self.all_codes, code) if c not in self.profile_codes
            )
            jobs[name] = self.pool.submit(
                self.hello, f"version {name}", code, ordered, deflate=code == TLS12
            )
        self.scan.versions = {name: f.result() for name, f in jobs.items()}

    # -- phase 2
    def single(self, version: str, code: int) -> SuiteProbe:
        wire = self.hello(f"suite {code:#06x} {version}", TLS_VERSION_CODES[version], (code,))
        accepted: bool | None
        if (wire.error and not wire.s2c) or hello_violation(hello_facts(wire)):
            accepted = None  # no answer, or a protocol violation (not a refusal)
        else:
            accepted = wire.handshake().cipher_selected == code
        return SuiteProbe(code, version, accepted, wire)

    def batch(self, version: str) -> list[SuiteProbe]:
        """Offer every non-profile suite at once; while the server picks one, note it
        and ask again without it."""
        vcode = TLS_VERSION_CODES[version]
        remaining = [c for c in offerable(self.all_codes, vcode) if c not in self.profile_codes]
        found: list[SuiteProbe] = []
        wires: list[Wire] = []
        for round_no in range(MAX_BATCH_ROUNDS):
            if not remaining:
                break
            wire = self.hello(f"batch {round_no} {version}", vcode, tuple(remaining))
            wires.append(wire)
            picked = wire.handshake().cipher_selected if wire.s2c else None
            if picked is None or picked not in remaining:
                break
            found.append(SuiteProbe(picked, version, True, wire))
            remaining.remove(picked)
        self.scan.batches[version] = wires
        self.scan.forbidden_accepted[version] = [p.code for p in found]
        return found

    def preference(self, version: str, codes: list[int]) -> tuple[bool | None, tuple[int, ...]]:
        vcode = TLS_VERSION_CODES[version]
        if len(codes) < 2:
            return None, tuple(codes)
        first = self.hello(f"order {version} forward", vcode, tuple(codes))
        back = self.hello(f"order {version} reverse", vcode, tuple(reversed(codes)))
        self.scan.batches.setdefault(f"order {version}", []).extend([first, back])
        a, b = first.handshake().cipher_selected, back.handshake().cipher_selected
        if a is None or b is None:
            return None, ()
        if a != b:
            return False, tuple(codes)  # the server follows the client's order
        order = [a]
        rest = [c for c in codes if c != a]
        while len(rest) > 1:
            wire = self.hello(f"order {version} {len(order)}", vcode, tuple(rest))
            self.scan.batches[f"order {version}"].append(wire)
            pick = wire.handshake().cipher_selected
            if pick is None or pick not in rest:
                break
            order.append(pick)
            rest.remove(pick)
        order += rest
        return True, tuple(order)

    def tls_client(self, credentials: Credentials | None, version: int) -> TlsClient:
        return TlsClient(
            self.o.target,
            versions=(version, version),
            credentials=credentials,
            timeout=self.o.timeout,
        )

    def client_auth_job(self, kind: str, creds: Credentials, version: int) -> tuple[str, Wire]:
        wire, _ = self.tls_client(creds, version).handshake(f"client-auth {kind}")
        return kind, wire

    def psk_job(self, kind: str, creds: Credentials, version: int) -> tuple[str, Wire]:
        psk_names = ":".join(
            s.openssl for s in self.o.profile.suites if s.authentication == "psk" and not s.tls13
        )
        client = TlsClient(
            self.o.target,
            versions=(version, version),
            ciphers=f"{psk_names or 'PSK'}:@SECLEVEL=0",
            credentials=creds,
            timeout=self.o.timeout,
        )
        wire, _ = client.handshake(f"psk {kind}")
        return kind, wire

    def resumption_job(self, creds: Credentials, version: int) -> list[Wire]:
        client = self.tls_client(creds, version)
        first, session = client.handshake("resumption first")
        if session is None:
            return [first]
        second, _ = client.handshake("resumption second", session=session)
        return [first, second]

    def run(self) -> ServerScan:
        scan = self.scan
        scan.timeout = self.o.timeout
        sender, target = self.o.fix_compids
        plaintext = self.pool.submit(
            plaintext_logon_probe, self.o.target, sender, target, timeout=self.o.timeout
        )
        self.probe_versions()
        scan.plaintext = plaintext.result()
        scan.step_done("versions")
        if not scan.speaks_tls:
            errors = {w.error for w in scan.versions.values() if w.error}
            scan.errors.extend(sorted(errors))
            for step in STEPS[1:]:
                scan.step_done(step)  # nothing more to ask a server that is not TLS
            return scan
        accepted = scan.accepted_versions()
        suite_jobs: list[Future[SuiteProbe]] = []
        batch_jobs: list[Future[list[SuiteProbe]]] = []
        for version in accepted:
            vcode = TLS_VERSION_CODES[version]
            for code in offerable(self.profile_codes, vcode):
                suite_jobs.append(self.pool.submit(self.single, version, code))
            batch_jobs.append(self.pool.submit(self.batch, version))
        # Handshakes that must finish use the best version the profile allows.
        allowed = [v for v in accepted if self.o.profile.allows_version(v)] or accepted
        auth_jobs: list[Future[tuple[str, Wire]]] = []
        psk_jobs: list[Future[tuple[str, Wire]]] = []
        resumption: Future[list[Wire]] | None = None
        if allowed:
            auth_v = TLS12 if "TLSv1.2" in allowed else TLS_VERSION_CODES[allowed[-1]]
            scan.auth_version = auth_v
            creds = self.o.credentials
            own = Credentials(cert=creds.cert, key=creds.key)
            if self._wants_client_auth():
                auth_jobs.append(
                    self.pool.submit(self.client_auth_job, "none", Credentials(), auth_v)
                )
                if creds.cert is not None:
                    auth_jobs.append(self.pool.submit(self.client_auth_job, "valid", own, auth_v))
                for kind, pair in self._bad_certs().items():
                    c = Credentials(cert=pair.cert, key=pair.key)
                    auth_jobs.append(self.pool.submit(self.client_auth_job, kind, c, auth_v))
            if creds.psk_identity is not None and creds.psk_key is not None:
                psk_jobs.append(self.pool.submit(self.psk_job, "valid", creds, auth_v))
                wrong = Credentials(
                    psk_identity=creds.psk_identity, psk_key=os.urandom(len(creds.psk_key))
                )
                psk_jobs.append(self.pool.submit(self.psk_job, "wrong-key", wrong, auth_v))
                unknown = Credentials(
                    psk_identity="fixs-harness-unknown-identity", psk_key=creds.psk_key
                )
                psk_jobs.append(self.pool.submit(self.psk_job, "unknown-identity", unknown, auth_v))
            if self.o.case != "2":
                resumption = self.pool.submit(self.resumption_job, own, auth_v)
        scan.suites = [f.result() for f in suite_jobs]
        for f in batch_jobs:
            scan.suites.extend(f.result())
        scan.step_done("suites")
        order_jobs: dict[str, Future[tuple[bool | None, tuple[int, ...]]]] = {}
        for version in accepted:
            codes = list(scan.accepted_suites(version))
            order_jobs[version] = self.pool.submit(self.preference, version, codes)
        scan.client_auth = dict(f.result() for f in auth_jobs)
        scan.psk = dict(f.result() for f in psk_jobs)
        if resumption is not None:
            scan.resumption = resumption.result()
        scan.preference = {v: f.result() for v, f in order_jobs.items()}
        scan.step_done("all")
        return scan

    def _wants_client_auth(self) -> bool:
        case = self.o.profile.use_case(self.o.case) if self.o.case else None
        if case is not None:
            return case.client_certificate_required
        return self.o.credentials.cert is not None

    def _bad_certs(self) -> dict[str, CertPair]:
        directory = self.o.workdir
        if directory is None:
            return {}
        pairs = make_bad_client_certs(directory / "must-refuse")
        if self.o.unpinned is not None:
            pairs["unpinned"] = self.o.unpinned
        return pairs


def scan_server(
    options: ScanOptions, *, progress: Callable[[str], None] | None = None
) -> ServerScan:
    """Run every probe against ``options.target`` (bounded concurrency) and return
    the raw facts. Never raises for anything the server does.

    A stop signal (raised here as :class:`harness.signals.Interrupted` in the main
    thread, or seen as :data:`harness.signals.STOPPING` in a worker thread) ends the
    scan: queued probes are cancelled, running ones give up within a fraction of a
    second, and the partial scan is returned with ``interrupted`` set."""
    pool = ThreadPoolExecutor(max_workers=max(1, options.concurrency), thread_name_prefix="certify")
    scanner = _Scanner(options, pool)
    try:
        scanner.run()
    except KeyboardInterrupt as exc:
        scanner.scan.interrupted = getattr(exc, "signame", "SIGINT")
    finally:
        # a later signal is only noted (harness.signals), so this wait completes
        pool.shutdown(wait=True, cancel_futures=True)
    scan = scanner.scan
    if scan.interrupted is None and signals.STOPPING.is_set():
        scan.interrupted = signals.stop_reason() or "SIGINT"
    return scan
