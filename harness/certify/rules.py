"""Pure judging functions of certify's newer checks (frozen facts in, a
:class:`~harness.checks.model.CheckResult` out), and the use-case-defining step.

The registered units that call them are in :mod:`.catalogue`; titles and sections
come from :mod:`.specs` (the one place naming them). No I/O here: every function's
inputs are frozen dataclasses or tuples, and each returns pass, fail or inconclusive
(not-applicable where the rule cannot apply), never raises on odd facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from harness.certify.diagnose import PortDiagnosis, ProbeFacts
from harness.certify.specs import BY_ID
from harness.checks.model import CheckResult, Verdict
from harness.checks.registry import CheckSpec
from harness.profiles.model import UseCase
from harness.tls.registry import format_code, version_name
from harness.tls.versions import TLS13, TLS_VERSION_CODES

PASS, FAIL, INCONCLUSIVE = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE


#: Every fixed certify id's spec (title, section): :mod:`.specs` is the one place.
SPECS: dict[str, CheckSpec] = BY_ID


def _result(
    cid: str,
    verdict: Verdict,
    expected: str,
    observed: str,
    reason: str | None = None,
    evidence: tuple[str, ...] = (),
) -> CheckResult:
    return SPECS[cid].result(verdict, expected, observed, reason, evidence=evidence)


# -- what is on the port --------------------------------------------------------


def endpoint_tls(diagnosis: PortDiagnosis) -> CheckResult:
    """Plaintext FIX on the port fails (FIX without TLS); anything else that is not
    TLS is inconclusive (nothing could be certified); TLS passes."""
    expected = "a TLS ServerHello to a ClientHello"
    if diagnosis.is_tls:
        return _result("endpoint.tls", PASS, expected, diagnosis.text)
    verdict = FAIL if diagnosis.kind == "plaintext-fix" else INCONCLUSIVE
    return _result(
        "endpoint.tls",
        verdict,
        expected,
        diagnosis.text,
        None if verdict is FAIL else f"{diagnosis.kind}: no TLS handshake, nothing certified",
        diagnosis.evidence,
    )


def plaintext_refused(facts: ProbeFacts | None) -> CheckResult:
    """A plaintext FIX Logon sent to the TLS port must get no FIX answer."""
    expected = "no FIX answer to a plaintext Logon"
    if facts is None or not facts.connected:
        return _result(
            "fix.plaintext-refused",
            INCONCLUSIVE,
            expected,
            "not tried",
            (facts.error if facts else None) or "the probe did not connect",
        )
    if facts.first_bytes.startswith(b"8=FIX"):
        text = facts.first_bytes.replace(b"\x01", b"|")[:100].decode("latin-1")
        return _result(
            "fix.plaintext-refused",
            FAIL,
            expected,
            "a FIX answer in plaintext",
            evidence=(text,),
        )
    if not facts.answered_bytes:
        how = {"timeout": "no answer (silent)", "eof": "closed", "reset": "reset"}.get(
            facts.end or "", facts.end or "no answer"
        )
    else:
        how = f"{facts.answered_bytes} non-FIX byte(s) ({facts.first_bytes[:8].hex()})"
    return _result("fix.plaintext-refused", PASS, expected, how)


# -- the server's answers ----------------------------------------------------------


@dataclass(frozen=True)
class HelloFacts:
    """What one hello probe offered and what the ServerHello picked."""

    name: str
    offered_ciphers: tuple[int, ...]
    offered_versions: tuple[int, ...]
    selected_cipher: int | None
    selected_version: int | None


_KNOWN_VERSIONS = tuple(TLS_VERSION_CODES.values())


def hello_violation(f: HelloFacts) -> str | None:
    """Why this ServerHello breaks the protocol, or None when it does not."""
    if f.selected_version is None:
        return None
    problems = []
    top = max(f.offered_versions, default=0)
    if f.selected_version not in _KNOWN_VERSIONS or f.selected_version > top:
        problems.append(
            f"version {version_name(f.selected_version)} ({f.selected_version:#06x}) "
            f"not offered (offered up to {version_name(top) if top else 'nothing'})"
        )
    elif f.selected_version == TLS13 and TLS13 not in f.offered_versions:
        problems.append("TLS 1.3 without the client offering it")
    if f.selected_cipher is not None and f.selected_cipher not in f.offered_ciphers:
        problems.append(f"suite {format_code(f.selected_cipher)} not offered")
    return "; ".join(problems) or None


def server_hello_valid(facts: Sequence[HelloFacts]) -> CheckResult:
    """A ServerHello naming a suite or version the client never offered is a protocol
    violation (never a refusal)."""
    expected = "version and suite from the ClientHello's offer"
    answered = [f for f in facts if f.selected_version is not None]
    bad = [(f.name, v) for f in answered if (v := hello_violation(f))]
    if bad:
        return _result(
            "tls.server-hello.valid",
            FAIL,
            expected,
            f"{len(bad)} ServerHello(s) outside the offer: {bad[0][0]}: {bad[0][1]}",
            evidence=tuple(f"{n}: {v}" for n, v in bad[:5]),
        )
    if not answered:
        return _result(
            "tls.server-hello.valid", INCONCLUSIVE, expected, "no ServerHello", "nothing to judge"
        )
    return _result(
        "tls.server-hello.valid", PASS, expected, f"{len(answered)} ServerHello(s) within the offer"
    )


def server_flight_bounded(ends: Sequence[tuple[str, str | None, int]], cap: int) -> CheckResult:
    """``ends``: (probe, how its reading ended, bytes read) per hello probe."""
    expected = f"a first flight under {cap // 1024} KiB"
    over = [(n, size) for n, end, size in ends if end == "oversize"]
    if over:
        return _result(
            "tls.server-flight.bounded",
            FAIL,
            expected,
            f"{over[0][0]}: more than {cap // 1024} KiB without the flight ending "
            "(an endless Certificate?); reading stopped",
            evidence=tuple(f"{n}: {s} bytes read" for n, s in over[:5]),
        )
    if any(end == "flight" for _, end, _ in ends):
        return _result("tls.server-flight.bounded", PASS, expected, "every flight ended in bounds")
    return _result(
        "tls.server-flight.bounded", INCONCLUSIVE, expected, "no flight ended", "no TLS answer"
    )


def required_applicable(
    required: int, not_applicable: Sequence[str], psk_case: bool
) -> CheckResult:
    """A run whose required suites are all not applicable is not compliant on that
    account (in the PSK case the PSK checks take their place)."""
    cid = "tls.cipher.required-applicable"
    expected = "at least one required suite the server's key can serve"
    if required == 0:
        return _result(
            cid, Verdict.NOT_APPLICABLE, expected, "the profile requires no suite",
            "no required suites",
        )  # fmt: skip
    if psk_case:
        return _result(
            cid, Verdict.NOT_APPLICABLE, expected,
            f"{len(not_applicable)} of {required} not applicable",
            "use case 2: the PSK checks define the case",
        )  # fmt: skip
    if len(not_applicable) < required:
        return _result(
            cid, PASS, expected, f"{required - len(not_applicable)} of {required} applicable"
        )
    return _result(
        cid,
        FAIL,
        expected,
        f"all {required} required suites are not applicable",
        not_applicable[0] if not_applicable else None,
    )


# -- use-case-defining checks ---------------------------------------------------------


def apply_defining_checks(
    checks: Sequence[CheckResult], case: UseCase | None, scope: str = "full"
) -> list[CheckResult]:
    """Every check that defines ``case`` must have run and passed.

    A defining check that did not run is added as inconclusive naming the flag to
    add; one that ran but was not applicable (or not reached) becomes inconclusive
    (the case is not shown to hold). ``scope == "tls"`` leaves out the ``fix`` ones.
    """
    out = list(checks)
    if case is None:
        return out
    index = {c.id: i for i, c in enumerate(out)}
    for d in case.defining_checks:
        if scope == "tls" and d.layer == "fix":
            continue
        why = f"defines use case {case.id}"
        i = index.get(d.id)
        if i is None:
            spec = SPECS.get(d.id)
            hint = f"add {d.needs}" if d.needs else "it could not run"
            out.append(
                CheckResult(
                    d.id,
                    spec.title if spec else d.id,
                    spec.section if spec else case.section,
                    INCONCLUSIVE,
                    "checked and passed",
                    "not checked",
                    f"incomplete: {why}; {hint}"
                    + ("" if d.layer == "tls" else " (or certify the TLS layer only: --scope tls)"),
                )
            )
            index[d.id] = len(out) - 1
            continue
        c = out[i]
        if c.verdict in (Verdict.NOT_APPLICABLE, Verdict.NOT_REACHED):
            out[i] = replace(
                c,
                verdict=INCONCLUSIVE,
                reason=f"{why} but was {c.verdict.value}" + (f": {c.reason}" if c.reason else ""),
            )
    return out


def missing_flags(checks: Sequence[CheckResult], case: UseCase | None, scope: str) -> list[str]:
    """The flags named by defining checks that did not run (for the headline)."""
    if case is None:
        return []
    ran = {c.id for c in checks if c.observed not in _NOT_RUN}
    return [
        d.needs
        for d in case.defining_checks
        if d.needs and d.id not in ran and not (scope == "tls" and d.layer == "fix")
    ]


#: How a check that did not run for want of a flag reads ("not tested": policy.py).
_NOT_RUN = frozenset({"not checked", "not tested"})


# -- certify client -------------------------------------------------------------------


def client_plaintext(first_bytes: bytes | None) -> CheckResult:
    """A client that sends a plaintext FIX Logon to our TLS port is a finding."""
    expected = "a TLS ClientHello"
    if not first_bytes:
        return _result(
            "client.plaintext-fix", INCONCLUSIVE, expected, "nothing received", "no bytes"
        )
    if first_bytes.startswith(b"8=FIX"):
        return _result(
            "client.plaintext-fix",
            FAIL,
            expected,
            "a plaintext FIX message",
            evidence=(first_bytes.replace(b"\x01", b"|")[:80].decode("latin-1"),),
        )
    if first_bytes[:1] == b"\x16":
        return _result("client.plaintext-fix", PASS, expected, "a TLS handshake record")
    return _result(
        "client.plaintext-fix",
        INCONCLUSIVE,
        expected,
        f"{first_bytes[:8].hex()}...",
        "neither TLS nor FIX",
    )


# -- FIX logon facts --------------------------------------------------------------------


@dataclass(frozen=True)
class LogonFacts:
    """What one FIX Logon attempt through the tunnel showed."""

    accepted: bool
    error: str | None = None
    logout_text: str | None = None
    explanation: str | None = None  # the tunnel/engine diagnosis when no Logon reply


def must_be_refused(cid: str, expected: str, facts: LogonFacts | None, skip: str) -> CheckResult:
    """For refusal probes (compid-bound, other identity): a Logon must not succeed."""
    if facts is None:
        return _result(cid, INCONCLUSIVE, expected, "not tried", skip)
    if facts.accepted:
        return _result(cid, FAIL, expected, "the Logon was accepted: a session was established")
    if facts.logout_text is not None:
        return _result(cid, PASS, expected, f"refused with Logout Text(58)={facts.logout_text!r}")
    if facts.error and not facts.explanation:
        return _result(cid, INCONCLUSIVE, expected, facts.error, "the probe could not run")
    return _result(cid, PASS, expected, f"refused: {facts.explanation or 'no session'}")


def logon_accepted(facts: LogonFacts) -> CheckResult:
    """Our Logon must be answered with a Logon; otherwise say why (pure)."""
    expected = "Logon answered with Logon"
    spec = SPECS["fix.logon.accepted"]
    if facts.accepted:
        verdict, observed, reason = Verdict.PASS, "accepted", None
    elif facts.error:
        verdict, observed, reason = Verdict.INCONCLUSIVE, facts.error, "the probe could not run"
    elif facts.logout_text is not None:
        verdict, observed, reason = (
            Verdict.FAIL,
            f"Logon refused: Logout Text(58)={facts.logout_text!r}",
            None,
        )
    else:
        verdict, observed, reason = Verdict.FAIL, facts.explanation or "no Logon reply", None
    return spec.result(verdict, expected, observed, reason)


def bad_credentials_refused(facts: LogonFacts) -> CheckResult:
    """A Logon with a wrong password/RawData must get no session (pure)."""
    spec = SPECS["fix.logon.bad-credentials-refused"]
    expected = "Logout or disconnect, no session"
    if facts.accepted:
        verdict, observed = Verdict.FAIL, "a wrong credential was accepted"
    elif facts.error:
        verdict, observed = Verdict.INCONCLUSIVE, facts.error
    elif facts.logout_text is not None:
        verdict, observed = Verdict.PASS, f"refused with Logout Text={facts.logout_text!r}"
    else:
        verdict, observed = Verdict.PASS, f"refused ({facts.explanation or 'disconnected'})"
    return spec.result(verdict, expected, observed)


def missing(cid: str, expected: str, why: str) -> CheckResult:
    return _result(cid, INCONCLUSIVE, expected, "not checked", why)


def version_label(code: int | None) -> str:
    return version_name(code) if code is not None else "none"
