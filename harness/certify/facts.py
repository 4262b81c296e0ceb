"""What certify's checks judge: frozen facts, built once from the probes.

Theory of operation
-------------------
``certify server`` probes (:mod:`.scan`) and ``certify client`` rounds
(:mod:`.client`) record wires; :func:`server_facts` and :func:`client_facts` read
them once (through the dissector) into the frozen records below, and every judge of
:mod:`.catalogue` is a pure function of those records. All I/O that judging needs
happens here, before any judge runs: reading ``--cafile``/``--pin``/``--crl``,
asking the ``--ocsp`` responder, and the FIX Logon probe's sessions
(:func:`.fixlogon.fix_logon_facts`). The clock is a fact too (``now``), so a table
test can place a certificate in or out of its validity period.

Table tests (tests/checks/certify_cases.py) build these records by hand: no network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from cryptography import x509

from harness.certify.diagnose import PortDiagnosis, ProbeFacts, probe_facts
from harness.certify.probe import MAX_FLIGHT_BYTES, Wire
from harness.certify.rules import HelloFacts, LogonFacts
from harness.certify.scan import ServerScan
from harness.dissect import Handshake, alert_summary
from harness.profiles import Profile
from harness.profiles.model import UseCase
from harness.tls.registry import is_grease, suite_label
from harness.tls.versions import TLS_VERSIONS
from harness.tunnel import x509util

Stage = Literal["unreachable", "not-tls", "no-handshake", "tls"]


class Trust(Protocol):
    """The user's trust options (:class:`.policy.TrustOptions`)."""

    @property
    def cafile(self) -> Path | None: ...

    @property
    def pin(self) -> Path | None: ...

    @property
    def crl(self) -> Path | None: ...

    @property
    def ocsp_url(self) -> str | None: ...


@dataclass(frozen=True)
class Attempt:
    """One probe connection's outcome as the judges read it.

    ``refused``: True refused, False accepted (handshake completed), None cannot
    tell; ``how`` says how, in words. ``error``: the probe failed before any byte
    came back. ``certificate_request``: did the server ask for a certificate.
    ``psk_suite``: the negotiated suite is a PSK suite; ``psk_identity``: the
    identity on the wire.
    """

    refused: bool | None
    how: str
    error: str | None = None
    certificate_request: bool | None = None
    psk_suite: bool = False
    psk_identity: str | None = None


@dataclass(frozen=True)
class VersionProbe:
    """The hand-built hello for one protocol version: ``accepted`` (None: the probe
    failed or the answer broke the protocol), the suite picked and the alerts."""

    name: str
    accepted: bool | None
    suite: str = "no suite"
    alerts: str = ""
    error: str | None = None


@dataclass(frozen=True)
class SuiteFacts:
    """The single-suite and batched probes: which suites were accepted (at which
    versions), which were probed or failed, the server's key types, and whether the
    batched probes for suites outside the profile ran to the end."""

    accepted: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    probed: frozenset[int] = frozenset()
    failed: frozenset[int] = frozenset()
    key_types: frozenset[str] = frozenset()
    batches_ran: bool = False
    batches_ok: bool = False


@dataclass(frozen=True)
class TrustFacts:
    """The user's trust material, read: CA file anchors, pinned certificates, CRLs
    (or why they could not be read), and the OCSP responder's answer."""

    cafile: str | None = None
    anchors: tuple[x509.Certificate, ...] = ()
    pin: str | None = None
    pinned: tuple[x509.Certificate, ...] = ()
    crl_given: bool = False
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    crl_error: str | None = None
    ocsp_given: bool = False
    #: (status, text) from the responder; None when not asked (no issuer sent)
    ocsp: tuple[str, str] | None = None


@dataclass(frozen=True)
class FixFacts:
    """The FIX Logon probe's sessions (:func:`.fixlogon.fix_logon_facts`).

    ``start_error``: our local TLS client could not start (nothing tried).
    ``bad``: the wrong-credential Logon (None: no credentials given). ``foreign``:
    the Logon under ``foreign_sender``. ``other``: the Logon over a session
    authenticated with ``--other-cert`` (``other_start_error``: that tunnel could not
    start).
    """

    logon: LogonFacts | None = None
    start_error: str | None = None
    bad: LogonFacts | None = None
    foreign_sender: str | None = None
    foreign: LogonFacts | None = None
    other_given: bool = False
    other: LogonFacts | None = None
    other_start_error: str | None = None


@dataclass(frozen=True)
class ServerFacts:
    """Everything ``certify server``'s checks judge (one run, frozen)."""

    profile: Profile
    case: str | None
    use_case: UseCase | None
    target_host: str
    target_label: str
    now: datetime
    reachable: bool = True
    errors: tuple[str, ...] = ()
    diagnosis: PortDiagnosis = field(default_factory=lambda: PortDiagnosis("tls", "TLS"))
    plaintext: ProbeFacts | None = None
    hellos: tuple[HelloFacts, ...] = ()
    flight: tuple[tuple[str, str | None, int], ...] = ()
    flight_cap: int = MAX_FLIGHT_BYTES
    versions: tuple[VersionProbe, ...] = ()
    suites: SuiteFacts = field(default_factory=SuiteFacts)
    dh_bits: tuple[tuple[int, int], ...] = ()
    tls12_accepted: bool = False
    compression: int | None = None
    chain: tuple[x509.Certificate, ...] = ()
    chain_error: str | None = None
    trust: TrustFacts = field(default_factory=TrustFacts)
    client_auth: Mapping[str, Attempt] = field(default_factory=dict)
    psk: Mapping[str, Attempt] = field(default_factory=dict)
    fix: FixFacts | None = None

    @property
    def stage(self) -> Stage:
        """How far the probes got: which checks can be judged at all."""
        if not self.reachable:
            return "unreachable"
        if not self.diagnosis.is_tls:
            return "not-tls"
        if not self.accepted_versions:
            return "no-handshake"
        return "tls"

    @property
    def accepted_versions(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.versions if v.accepted)

    def version(self, name: str) -> VersionProbe | None:
        return next((v for v in self.versions if v.name == name), None)

    @property
    def psk_only(self) -> bool:
        """Use case 2, or a server with no certificate that accepted PSK suites."""
        from harness.tls.registry import suite_by_code

        return self.case == "2" or (
            not self.suites.key_types
            and any((s := suite_by_code(c)) is not None and s.psk for c in self.suites.accepted)
        )


@dataclass(frozen=True)
class ClientFacts:
    """Everything ``certify client``'s checks judge: the valid round's ClientHello
    (grease and signalling suites removed) and each round's outcome (None: the
    client did not connect for that round)."""

    profile: Profile
    rounds: Mapping[str, Attempt | None]
    first_bytes: bytes = b""
    versions_offered: tuple[int, ...] = ()
    suites_offered: tuple[int, ...] = ()

    @property
    def connected(self) -> bool:
        return self.rounds.get("valid") is not None


# -- building the facts from the wires ------------------------------------------------


def _suite(h: Handshake) -> str:
    return suite_label(h.cipher_selected) if h.cipher_selected is not None else "no suite"


def probe_error(wire: Wire | None) -> str | None:
    if wire is None:
        return "probe did not run"
    if wire.error and not wire.s2c:
        return wire.error
    return None


def server_refusal(h: Handshake) -> tuple[bool | None, str]:
    """Did the server refuse this handshake? (None: cannot tell) and how.

    :attr:`Handshake.refusal` reads the wire; from this seat (we are the client) a
    refusal by the client is our own probe giving up, which says nothing of the
    server."""
    r = h.refusal
    if r.by == "server" and r.alert is not None:
        if r.alert.description is None:
            return True, "refused: the server sent an (encrypted) alert"
        return True, f"refused: server sent {r.alert.name}({r.alert.description})"
    if r.by == "client":
        return None, f"our client gave up: {r.how}"
    if r.refused is False:
        return False, f"accepted: handshake completed ({h.version_name}, {_suite(h)})"
    if r.refused:
        return True, "refused: the server closed the connection without finishing"
    return None, f"cannot tell: {h.incomplete_reason or 'outcome not visible'}"


def server_attempt(wire: Wire) -> Attempt:
    h = wire.handshake()
    refused, how = server_refusal(h)
    suite = h.cipher_suite
    return Attempt(
        refused,
        how,
        probe_error(wire),
        h.certificate_request,
        psk_suite=bool(suite is not None and suite.psk),
        psk_identity=h.psk_identity,
    )


def _version_probe(scan: ServerScan, name: str) -> VersionProbe | None:
    wire = scan.versions.get(name)
    if wire is None:
        return None
    state = scan.version_accepted(name)
    h = wire.handshake()
    return VersionProbe(name, state, _suite(h), alert_summary(h), probe_error(wire))


def _suite_facts(scan: ServerScan) -> SuiteFacts:
    batches_ok = all(
        wires and not (wires[-1].error and not wires[-1].s2c)
        for v, wires in scan.batches.items()
        if not v.startswith("order")
    )
    return SuiteFacts(
        accepted={c: tuple(v) for c, v in scan.accepted_suites().items()},
        probed=frozenset(p.code for p in scan.suites if p.accepted is not None),
        failed=frozenset(p.code for p in scan.suites if p.accepted is None),
        key_types=frozenset(scan.server_key_types()),
        batches_ran=bool(scan.batches),
        batches_ok=batches_ok,
    )


def _dh_bits(scan: ServerScan) -> tuple[tuple[int, int], ...]:
    out = []
    for p in scan.suites:
        if p.accepted and p.wire.s2c:
            bits = p.wire.handshake().dh_prime_bits
            if bits:
                out.append((bits, p.code))
    return tuple(out)


def _load_crls(path: Path) -> tuple[tuple[x509.CertificateRevocationList, ...], str | None]:
    data = path.read_bytes()
    try:
        if b"BEGIN X509 CRL" in data:
            return tuple(
                x509.load_pem_x509_crl(b"-----BEGIN X509 CRL-----" + part)
                for part in data.split(b"-----BEGIN X509 CRL-----")[1:]
            ), None
        return (x509.load_der_x509_crl(data),), None
    except ValueError as exc:
        return (), str(exc)


def trust_facts(
    cafile: Path | None,
    pin: Path | None,
    crl: Path | None,
    ocsp_url: str | None,
    chain: tuple[x509.Certificate, ...],
) -> TrustFacts:
    """Read the trust material and, for OCSP, ask the responder (the only network
    I/O of judging; done here so the judges stay pure)."""
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    crl_error = None
    if crl is not None:
        crls, crl_error = _load_crls(crl)
    ocsp_answer = None
    if crl is None and ocsp_url and len(chain) >= 2:
        from harness.tunnel import ocsp

        outcome = ocsp.check(chain[0], chain[1], ocsp_url, timeout=5.0)
        ocsp_answer = (outcome.status, outcome.text)
    return TrustFacts(
        cafile=cafile.name if cafile is not None else None,
        anchors=tuple(x509util.load_pem_certificates(cafile.read_bytes())) if cafile else (),
        pin=pin.name if pin is not None else None,
        pinned=tuple(x509util.load_pem_certificates(pin.read_bytes())) if pin else (),
        crl_given=crl is not None,
        crls=crls,
        crl_error=crl_error,
        ocsp_given=bool(ocsp_url),
        ocsp=ocsp_answer,
    )


def server_facts(
    scan: ServerScan,
    profile: Profile,
    case: str | None,
    trust: Trust,
    *,
    fix: FixFacts | None = None,
    now: datetime | None = None,
) -> ServerFacts:
    """Freeze what the scan saw, reading the trust material once."""
    versions = tuple(v for name in TLS_VERSIONS if (v := _version_probe(scan, name)) is not None)
    chain: tuple[x509.Certificate, ...] = ()
    chain_error = None
    if case != "2":
        wire = scan.certificate_wire()
        ders = wire.server_certificates_der() if wire else ()
        try:
            chain = tuple(x509.load_der_x509_certificate(d) for d in ders)
        except ValueError as exc:
            chain_error = f"unparseable: {exc}"
    tls12 = scan.versions.get("TLSv1.2")
    tls12_ok = tls12 is not None and bool(scan.version_accepted("TLSv1.2"))
    reachable = scan.reachable
    return ServerFacts(
        profile=profile,
        case=case,
        use_case=profile.use_case(case) if case else None,
        target_host=scan.target.host,
        target_label=scan.target.label,
        now=now or datetime.now(UTC),
        reachable=reachable,
        errors=tuple(scan.errors),
        diagnosis=scan.diagnosis() if reachable else PortDiagnosis("unreachable", "unreachable"),
        plaintext=probe_facts(scan.plaintext) if scan.plaintext is not None else None,
        hellos=tuple(scan.hello_facts()),
        flight=tuple((w.name, w.end, sum(len(d) for _, d in w.s2c)) for w in scan.hello_wires()),
        versions=versions,
        suites=_suite_facts(scan),
        dh_bits=_dh_bits(scan),
        tls12_accepted=tls12_ok,
        compression=tls12.handshake().compression_selected
        if tls12 is not None and tls12_ok
        else None,
        chain=chain,
        chain_error=chain_error,
        trust=trust_facts(trust.cafile, trust.pin, trust.crl, trust.ocsp_url, chain)
        if chain
        else TrustFacts(),
        client_auth={k: server_attempt(w) for k, w in scan.client_auth.items()},
        psk={k: server_attempt(w) for k, w in scan.psk.items()},
        fix=fix,
    )


def client_facts(
    profile: Profile,
    wires: Mapping[str, Wire | None],
    refusal: Callable[[Handshake, str | None], tuple[bool | None, str]],
) -> ClientFacts:
    """Freeze the client rounds; ``refusal(handshake, end)`` reads a round's outcome."""
    rounds: dict[str, Attempt | None] = {}
    for kind, wire in wires.items():
        if wire is None:
            rounds[kind] = None
            continue
        refused, how = refusal(wire.handshake(), wire.end)
        rounds[kind] = Attempt(refused, how)
    valid = wires.get("valid")
    if valid is None:
        return ClientFacts(profile, rounds)
    h = valid.handshake()
    return ClientFacts(
        profile,
        rounds,
        first_bytes=b"".join(d for _, d in valid.c2s)[:120],
        versions_offered=tuple(v for v in h.versions_offered if not is_grease(v)),
        suites_offered=tuple(
            c for c in h.ciphers_offered if not is_grease(c) and c not in (0x00FF, 0x5600)
        ),
    )
