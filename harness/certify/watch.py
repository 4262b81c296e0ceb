"""What ``certify server`` adds for watching a counterparty over time.

After the scan has been judged (:mod:`.policy`) and packaged (:mod:`.result`),
:func:`annotate` adds three things to the one result:

* the endpoint facts drift compares (versions, suites per version, preference
  order: :func:`endpoint_facts`);
* the ``cert.expiry-horizon`` check (:mod:`.expiry`) over the served chain and the
  pin/CA files given, and each certificate's ``not_after`` (``result.expiry``);
* with a baseline report, the changes since it (:mod:`.drift`) as ``run.drift``.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness.certify.expiry import check_expiry_horizon, gather
from harness.certify.policy import TrustOptions
from harness.certify.scan import ServerScan
from harness.checks.model import RunResult
from harness.checks.watch import EndpointFacts, SuiteOrder
from harness.profiles import Profile
from harness.tls.codes import format_code

if TYPE_CHECKING:
    from harness.certify.drift import Snapshot


def endpoint_facts(scan: ServerScan) -> EndpointFacts:
    """What the server accepted, in the form two reports can be compared by."""
    versions = tuple(scan.accepted_versions())
    return EndpointFacts(
        versions=versions,
        suites=tuple(
            (v, tuple(sorted(format_code(c) for c in scan.accepted_suites(v)))) for v in versions
        ),
        preference=tuple(
            (v, SuiteOrder(server_order, tuple(format_code(c) for c in order)))
            for v, (server_order, order) in scan.preference.items()
        ),
    )


def annotate(
    run: RunResult,
    scan: ServerScan,
    *,
    profile: Profile,
    case: str | None,
    trust: TrustOptions,
    expiry_days: int | None = None,
    baseline: Path | None = None,
    before: Snapshot | None = None,
    now: datetime | None = None,
) -> RunResult:
    """``run`` with endpoint facts, the expiry check and (with a baseline) drift.

    ``before`` is the baseline report already read (the caller reads it before the
    report directory, where it may lie, is claimed); without it ``baseline`` is
    read here."""
    result = run.results[0]
    if scan.reachable and scan.accepted_versions():
        wire = scan.certificate_wire()
        chain = wire.server_certificates_der() if wire is not None else ()
        files = [("pin file", p) for p in (trust.pin,) if p is not None]
        files += [("CA file", p) for p in (trust.cafile,) if p is not None]
        facts = gather(
            chain,
            files,
            now or datetime.now(UTC),
            profile.expiry_horizon_days if expiry_days is None else expiry_days,
            chain_expected=case != "2",
        )
        result = dataclasses.replace(
            result,
            checks=(*result.checks, check_expiry_horizon(facts)),
            expiry=facts.certificates,
            endpoint=endpoint_facts(scan),
        )
    out = dataclasses.replace(run, results=(result, *run.results[1:]))
    if baseline is not None:
        from harness.certify.drift import compare, load_report, snapshot_of_run

        old = before if before is not None else load_report(baseline)
        drift = compare(old, snapshot_of_run(out), baseline=str(baseline))
        out = dataclasses.replace(out, drift=drift)
    return out
