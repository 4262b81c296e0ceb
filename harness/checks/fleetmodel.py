"""The result of ``certify fleet``: one dashboard row per counterparty.

Kept apart from :mod:`harness.checks.watch` so that a single ``certify server`` does
not pay for classes only a fleet uses (start-up time is measured: bench/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.checks.watch import CertExpiry


@dataclass(frozen=True)
class FleetRow:
    """One counterparty of a fleet run, as the dashboard shows it.

    ``verdict`` is pass, fail or inconclusive; ``exit_code`` what ``certify
    server`` alone would have returned; ``defects`` the ids of the failed checks;
    ``soonest`` the certificate expiring first (None: none seen); ``drift`` the
    number of changes since the baseline (None: no baseline); ``error`` why the
    counterparty could not be certified (unreachable, timed out, harness crash);
    ``report_dir`` its reports, relative to the fleet's report directory.
    """

    name: str
    target: str
    case: str | None
    profile: str
    verdict: str
    exit_code: int
    defects: tuple[str, ...] = ()
    soonest: CertExpiry | None = None
    drift: int | None = None
    duration_s: float = 0.0
    error: str | None = None
    report_dir: str = ""
    source: str = ""  # inventory file:line of the counterparty


@dataclass(frozen=True)
class FleetResult:
    """A whole fleet run: every counterparty's row, in inventory order."""

    inventory: str
    started: str  # ISO 8601
    finished: str
    duration_s: float
    rows: tuple[FleetRow, ...]
    #: the stop signal that ended the run early ("SIGTERM"...), None when it ran out
    interrupted: str | None = None

    @property
    def exit_code(self) -> int:
        """The worst verdict: 1 if any counterparty is non-compliant (a failure
        outranks inconclusive, as in certify), else 2 if any is inconclusive, else
        0; an empty fleet is 2 (nothing was shown to hold). An interrupted run:
        128 + the signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP)."""
        if self.interrupted:
            import signal

            return 128 + signal.Signals[self.interrupted]
        codes = {r.exit_code for r in self.rows}
        if 1 in codes:
            return 1
        if not self.rows or codes - {0}:
            return 2
        return 0

    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "inconclusive": 0}
        for r in self.rows:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out
