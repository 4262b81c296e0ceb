"""Certify runs as the project's result model, so ``run``'s report writers serve them.

A certify run is a :class:`~harness.checks.model.RunResult` whose single
:class:`~harness.checks.model.ScenarioResult` holds the checks;
``backend_pair`` is ``certify-server:HOST:PORT`` or ``certify-client:HOST:PORT``.
Exit codes: 0 compliant, 1 non-compliant (a check failed), 2 inconclusive (a
requirement could not be checked, the peer was unreachable, no handshake was
possible).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from harness import __version__
from harness.checks.facts import certificates_of, host_facts, negotiated_of
from harness.checks.guidance import annotate
from harness.checks.model import (
    CheckResult,
    Note,
    RunResult,
    ScenarioResult,
    Verdict,
)
from harness.dissect import Handshake
from harness.errors import SourceLocation


def build_run(
    *,
    scenario_id: str,
    title: str,
    pair: str,
    profile: str,
    checks: Sequence[CheckResult],
    notes: Sequence[Note],
    reference: Handshake | None,
    started: datetime,
    finished: datetime,
    artifacts: dict[str, str] | None = None,
    error: str | None = None,
    section: str | None = None,
) -> RunResult:
    result = ScenarioResult(
        scenario_id=scenario_id,
        title=title,
        source=SourceLocation(f"fixs-harness {scenario_id.replace('-', ' ')}"),
        backend_pair=pair,
        checks=annotate(checks),
        guide_section=section,
        profile=profile,
        handshake=reference.to_dict() if reference is not None else None,
        certificates=certificates_of(reference),
        negotiated=negotiated_of(reference),
        artifacts=dict(artifacts or {}),
        notes=tuple(notes),
        duration_s=(finished - started).total_seconds(),
        error=error,
    )
    return RunResult(started, finished, __version__, host_facts(), (result,))


def exit_code(run: RunResult) -> int:
    """0 compliant, 1 non-compliant, 2 inconclusive."""
    verdict = run.verdict
    if any(r.error for r in run.results) and verdict is not Verdict.FAIL:
        return 2
    return {Verdict.PASS: 0, Verdict.FAIL: 1}.get(verdict, 2)
