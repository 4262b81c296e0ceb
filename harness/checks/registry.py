"""The check registry: each check id is one registered unit, a spec and a judge.

Theory of operation
-------------------
A *check* is a :class:`Check`: a frozen :class:`CheckSpec` (the stable id, the title
and guide section a report prints, what it judges — an expectation key such as
``expect.tls.version`` or a profile rule such as ``profile.socket_rules.TCP_NODELAY``
— whether that rule is a requirement or a recommendation, and which earlier checks
must have held for it to be reached) plus one small pure *judge*: a function from
frozen facts to a :class:`~harness.checks.model.CheckResult`, or ``None`` when the
check does not apply to this scenario. The judge builds its result with
:meth:`CheckSpec.result`, so the id, title, section and rule come from the spec: one
place names them.

A :class:`Registry` is an ordered, explicit list of checks over one type of facts
``F`` (nothing is discovered by import side effects). :meth:`Registry.evaluate`
folds it: it asks every judge in order, then marks consequences. A check that did
not hold (fail or inconclusive) while one of its ``after`` checks failed is
``not-reached`` with ``consequence_of`` naming the root failure (followed through
chains: FIX round trips after a FIX logon that never happened after a refused
handshake all name the handshake check), so one defect reads as one defect.

Shapes in use:

* ``fixs-harness run``: ``Registry[RunFacts]`` (:data:`harness.checks.catalogue.RUN_CHECKS`),
  facts = the scenario's expectations, its profile and the frozen
  :class:`~harness.checks.observation.Observation`.
* ``fixs-harness certify``: ``Registry[ServerFacts]`` built per run by
  :func:`harness.certify.catalogue.server_checks` (facts = the frozen scan, profile,
  use case, trust material and FIX probe; a family of parametric ids such as
  ``tls.cipher.required.<0xCODE>`` is one unit per concrete id) and
  ``Registry[ClientFacts]`` (:data:`harness.certify.catalogue.CLIENT_CHECKS`).

Every registered id has table tests (tests/checks/test_catalogue.py, and
tests/checks/test_certify_catalogue.py for certify) with at least
one pass, one fail and one inconclusive case, and the mutation gate
(scripts/mutation-gate) replaces each judge by "always pass" / "always
inconclusive" and requires a table test to notice (:meth:`Registry.with_judge`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Generic, Literal, TypeVar

from harness.checks.model import CheckResult, Verdict

Rule = Literal["requirement", "recommendation"]
F = TypeVar("F")


@dataclass(frozen=True)
class CheckSpec:
    """What one check is: stable id, title, guide section, what it judges.

    Attributes:
        id: the stable id reports, baselines and users refer to.
        title: the line a report prints.
        section: the guide section it enforces (``2.1.4``), or None.
        judges: what it compares the observation with: an expectation key
            (``expect.auth.outcome``), a profile rule (``profile.tls_versions``), or
            another observation (``wire`` for logs judged against the capture).
        rule: requirement (a miss fails the run) or recommendation (a profile may
            keep a miss a warning).
        after: ids of the checks that must have held for this one to be reached;
            when one of them failed and this one did not hold, this one is
            ``not-reached``.
    """

    id: str
    title: str
    section: str | None
    judges: str
    rule: Rule = "requirement"
    after: tuple[str, ...] = ()

    def result(
        self,
        verdict: Verdict,
        expected: str,
        observed: str,
        reason: str | None = None,
        *,
        evidence: tuple[str, ...] = (),
        rule: Rule | None = None,
    ) -> CheckResult:
        """This check's result; id, title, section and rule come from the spec."""
        return CheckResult(
            self.id,
            self.title,
            self.section,
            verdict,
            expected,
            observed,
            reason,
            rule=rule or self.rule,
            evidence=evidence,
        )


Judge = Callable[[CheckSpec, F], CheckResult | None]


@dataclass(frozen=True)
class Check(Generic[F]):
    """One registered unit: its spec and its judge."""

    spec: CheckSpec
    judge: Judge[F]

    def run(self, facts: F) -> CheckResult | None:
        result = self.judge(self.spec, facts)
        if result is not None and result.id != self.spec.id:
            raise AssertionError(f"check {self.spec.id} returned a result for {result.id}")
        return result


_HELD = frozenset({Verdict.PASS, Verdict.WARN, Verdict.NOT_APPLICABLE})


class Registry(Generic[F]):
    """An ordered set of checks over facts of type ``F``; ids are unique."""

    def __init__(self, name: str, checks: Sequence[Check[F]]) -> None:
        self.name = name
        self._checks: tuple[Check[F], ...] = tuple(checks)
        seen: set[str] = set()
        for c in self._checks:
            if c.spec.id in seen:
                raise ValueError(f"{name}: check id {c.spec.id} registered twice")
            for dep in c.spec.after:
                if dep not in seen:
                    raise ValueError(
                        f"{name}: {c.spec.id} comes after {dep}, which is not registered before it"
                    )
            seen.add(c.spec.id)

    def __iter__(self) -> Iterator[Check[F]]:
        return iter(self._checks)

    def __len__(self) -> int:
        return len(self._checks)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.spec.id for c in self._checks)

    def check(self, id: str) -> Check[F]:
        for c in self._checks:
            if c.spec.id == id:
                return c
        raise KeyError(id)

    def spec(self, id: str) -> CheckSpec:
        return self.check(id).spec

    def with_judge(self, id: str, judge: Judge[F]) -> Registry[F]:
        """A copy with the judge of ``id`` replaced (the mutation gate's mutants)."""
        self.check(id)
        return Registry(
            self.name,
            [Check(c.spec, judge) if c.spec.id == id else c for c in self._checks],
        )

    def evaluate(self, facts: F) -> list[CheckResult]:
        """Every applicable check's result, in registry order, consequences marked."""
        results: dict[str, CheckResult] = {}
        for c in self._checks:
            r = c.run(facts)
            if r is not None:
                results[c.spec.id] = r
        for c in self._checks:
            r = results.get(c.spec.id)
            if r is None or r.verdict in _HELD:
                continue
            root = self._root_cause(c.spec, results)
            if root is not None:
                results[c.spec.id] = replace(
                    r,
                    verdict=Verdict.NOT_REACHED,
                    consequence_of=root,
                    reason=f"not reached: consequence of {root}"
                    + (f" ({r.reason})" if r.reason else ""),
                )
        return list(results.values())

    def _root_cause(self, spec: CheckSpec, results: dict[str, CheckResult]) -> str | None:
        for dep in spec.after:
            r = results.get(dep)
            if r is None:
                continue
            if r.verdict is Verdict.FAIL:
                return dep
            if r.verdict is Verdict.NOT_REACHED and r.consequence_of is not None:
                return r.consequence_of
        return None
