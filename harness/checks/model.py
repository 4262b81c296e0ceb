"""The result model: what a run found, as frozen data (failures are data too).

A :class:`CheckResult` is one comparison of expected vs observed with a stable id
(``tls.version``, ``tls.cipher.expected``, ``auth.refused-with-alert``, ...), the
guide section it enforces and a :class:`Verdict`. ``inconclusive`` means "could not
be checked" and always carries the reason (sslyze style: a report says why something
was not checked instead of crashing). A :class:`ScenarioResult` holds every check of
one scenario on one backend pair plus the facts a report shows (negotiated
parameters, certificates, handshake ladder, redacted FIX transcript, artifact
paths). A :class:`RunResult` is a whole run with the host facts.

Report writers read only these objects; the runner and checks build them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from harness.checks.watch import CertExpiry, DriftSection, EndpointFacts
from harness.errors import SourceLocation
from harness.tls.codes import format_code

if TYPE_CHECKING:
    from harness.checks.selftest import SelfTestOutcome


class Verdict(StrEnum):
    """The outcome of one check (and, folded, of a scenario or a run).

    ``warn``: a rule the profile keeps as a recommendation (not a requirement) was
    not met; it is shown but does not fail the run. ``not-applicable``: the rule
    cannot apply here (an ECDSA suite against an RSA-only server), with the reason.
    ``not-reached``: the check did not run because an earlier one failed
    (``CheckResult.consequence_of`` names it), so one defect reads as one defect.
    Only pass, fail and inconclusive are ever the verdict of a scenario or a run.
    """

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    WARN = "warn"
    NOT_APPLICABLE = "not-applicable"
    NOT_REACHED = "not-reached"


# The verdicts a scenario, a certify run or a whole run can have.
RESULT_VERDICTS = (Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE)

# What counts as evidence that something was checked and held.
_POSITIVE = frozenset({Verdict.PASS, Verdict.WARN})


def combine(verdicts: list[Verdict], *, error: bool = False) -> Verdict:
    """fail if any fail; inconclusive if none fail but some are (or an error
    stopped the run); pass otherwise. No checks at all is inconclusive, not pass, and
    so is a list where nothing passed (only not-applicable / not-reached): nothing
    was shown to hold. A not-reached check without any failure is inconclusive too
    (it names a cause that did not fail). Warnings do not fail."""
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    if (
        error
        or Verdict.INCONCLUSIVE in verdicts
        or Verdict.NOT_REACHED in verdicts
        or not any(v in _POSITIVE for v in verdicts)
    ):
        return Verdict.INCONCLUSIVE
    return Verdict.PASS


@dataclass(frozen=True)
class CheckResult:
    """One check: stable id, what it enforces, expected vs observed, verdict."""

    id: str
    title: str
    guide_section: str | None
    verdict: Verdict
    expected: str
    observed: str
    reason: str | None = None
    # requirement (fails the run) or recommendation (a profile may keep it a warning)
    rule: Literal["requirement", "recommendation"] = "requirement"
    # for not-reached: the id of the failed check this one is a consequence of
    consequence_of: str | None = None
    # decisive facts quoted verbatim: tunnel log lines, the alert on the wire
    evidence: tuple[str, ...] = ()
    # filled by harness.checks.guidance.annotate for what did not pass: the guide or
    # FIXS text the check enforces (quoted verbatim), where it is, and the fix
    quote: str | None = None
    quote_source: str | None = None
    remedy: str | None = None


@dataclass(frozen=True)
class CipherInfo:
    """A cipher suite as seen on the wire: the code is the fact, names are labels."""

    code: int
    iana: str | None = None
    openssl: str | None = None

    @property
    def hex(self) -> str:
        return format_code(self.code)


@dataclass(frozen=True)
class Negotiated:
    """What the handshake settled on (None where it did not get that far)."""

    version: str | None = None
    cipher: CipherInfo | None = None
    key_exchange: str | None = None
    psk_identity: str | None = None
    resumed: bool | None = None
    client_certificate_requested: bool | None = None


@dataclass(frozen=True)
class CertificateInfo:
    """A certificate a side presented (never the key)."""

    side: Literal["client", "server"]
    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    key_type: str
    key_bits: int
    sha256: str
    san: tuple[str, ...] = ()
    depth: int = 0


@dataclass(frozen=True)
class Note:
    """A finding worth quoting that is not a check, e.g. a profile erratum or an
    expectation override applied on this backend pair."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class ScenarioResult:
    """All checks of one scenario on one backend pair (``client:server``).

    ``handshake`` is the dissector's ``Handshake.to_dict()``; its ``messages`` key is
    a list of ``{"time": float, "sender": "client"|"server", "type": str}``.
    ``fix_transcript`` entries are ``{"time", "direction", "msg_type", "text"}`` with
    secrets already redacted. ``artifacts`` maps a name (``pcap``, ``keylog``,
    ``server-log``...) to a path relative to the report directory.
    """

    scenario_id: str
    title: str
    source: SourceLocation
    backend_pair: str
    checks: tuple[CheckResult, ...] = ()
    guide_section: str | None = None
    profile: str | None = None
    handshake: dict[str, Any] | None = None
    certificates: tuple[CertificateInfo, ...] = ()
    negotiated: Negotiated | None = None
    fix_transcript: tuple[dict[str, Any], ...] = ()
    artifacts: dict[str, str] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    duration_s: float = 0.0
    error: str | None = None
    # set for a self-test scenario (harness.checks.selftest): its verdict is then the
    # self-test's (pass = exactly the expected checks failed), not the checks' fold
    selftest: SelfTestOutcome | None = None
    # certify server: what the endpoint accepted (compared by drift), expiry dates
    endpoint: EndpointFacts | None = None
    expiry: tuple[CertExpiry, ...] = ()

    @property
    def verdict(self) -> Verdict:
        if self.selftest is not None:
            return self.selftest.verdict
        return self.checks_verdict

    @property
    def checks_verdict(self) -> Verdict:
        """The checks folded (``combine``), whether or not this is a self-test."""
        return combine([c.verdict for c in self.checks], error=self.error is not None)

    @property
    def failed_checks(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.verdict is Verdict.FAIL)

    @property
    def client_backend(self) -> str:
        return self.backend_pair.split(":", 1)[0]

    @property
    def server_backend(self) -> str:
        return self.backend_pair.split(":", 1)[-1]


@dataclass(frozen=True)
class HostFacts:
    """Versions of what ran: the answers to "could this be a version difference?"."""

    python: str
    openssl: str | None = None
    stunnel: str | None = None
    platform: str | None = None


@dataclass(frozen=True)
class RunResult:
    """One run of the harness: when, what, where, and every scenario result."""

    started: datetime
    finished: datetime
    harness_version: str
    host: HostFacts
    results: tuple[ScenarioResult, ...]
    #: set when a signal stopped the run (``"SIGTERM"``): ``results`` holds only the
    #: items that finished before it
    interrupted: str | None = None
    # changes since a baseline report (--baseline), when one was given
    drift: DriftSection | None = None

    @property
    def verdict(self) -> Verdict:
        # A run with no results did not test anything.
        verdicts = [r.verdict for r in self.results]
        return combine(verdicts)

    def counts(self) -> dict[Verdict, int]:
        out = dict.fromkeys(RESULT_VERDICTS, 0)
        for r in self.results:
            out[r.verdict] += 1
        return out

    def tally(self) -> dict[str, int]:
        """Results by outcome for summaries: ``pass``, ``fail``, ``inconclusive`` and
        ``error`` (a scenario that did not load or whose tunnel would not start is
        an error, not an inconclusive result)."""
        out = {"pass": 0, "fail": 0, "inconclusive": 0, "error": 0}
        for r in self.results:
            out["error" if r.error else r.verdict.value] += 1
        return out

    @property
    def backend_pairs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.backend_pair for r in self.results))

    @property
    def scenario_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.scenario_id for r in self.results))

    @property
    def duration_s(self) -> float:
        return (self.finished - self.started).total_seconds()
