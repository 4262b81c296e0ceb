"""Self-test judgement: did exactly the checks a self-test scenario names fail?

A self-test scenario (``selftest: {must_fail: [...]}``) states expectations that
contradict its own configuration, so that named checks must fail on the live system.
Like tlsfuzzer's expected failures, the item then passes only when the failure
happens as announced and nothing else goes wrong:

- every ``must_fail`` id is present with verdict ``fail`` (a pass, a warning or an
  absent check means the expected failure did not happen: the self-test fails);
- no other check failed (an unexpected failure fails the self-test);
- nothing is left unknown: a harness error, an inconclusive check (a ``must_fail``
  one included) or a ``not-reached`` check that is not a consequence of an expected
  failure makes the self-test inconclusive, never a pass.

Warnings and not-applicable checks of other ids do not count. The judgement is a
pure function of the result's checks and error; the runner stores its outcome on the
:class:`ScenarioResult`, whose ``verdict`` is then the self-test's.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.checks.model import ScenarioResult, Verdict


@dataclass(frozen=True)
class SelfTestOutcome:
    """How a self-test went: its verdict and what contributed to it.

    ``missing`` pairs each expected failure that did not happen with what was seen
    instead (``pass``, ``warn``, ``absent``...). ``unexpected`` lists other checks
    that failed; ``unknown`` the checks (or ``error``) that leave it inconclusive.
    """

    must_fail: tuple[str, ...]
    verdict: Verdict
    expected_failed: tuple[str, ...] = ()
    missing: tuple[tuple[str, str], ...] = ()
    unexpected: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    @property
    def held(self) -> bool:
        return self.verdict is Verdict.PASS

    def summary(self) -> str:
        """One line for tables and reports."""
        n = len(self.expected_failed)
        if self.held:
            return f"selftest ok: {n} expected failure{'s' if n != 1 else ''}"
        parts = []
        if self.missing:
            parts.append(
                "expected failure did not happen: "
                + ", ".join(f"{i} ({seen})" for i, seen in self.missing)
            )
        if self.unexpected:
            parts.append("unexpected failure: " + ", ".join(self.unexpected))
        if self.unknown:
            parts.append("not judged: " + ", ".join(self.unknown))
        word = "failed" if self.verdict is Verdict.FAIL else "inconclusive"
        return f"selftest {word}: " + "; ".join(parts)


def judge_selftest(result: ScenarioResult, must_fail: tuple[str, ...]) -> SelfTestOutcome:
    """Judge ``result`` as a self-test whose ``must_fail`` checks must fail, and only those.

    Precedence: a failure that should not have happened, or an expected one that
    did not happen (a pass, a warning, an absent check), is ``fail``; otherwise an
    error, an inconclusive check or an unexplained not-reached check is
    ``inconclusive``; otherwise ``pass``.
    """
    if result.error is not None:
        # nothing was observed: the expected failures are unknown, not missing
        return SelfTestOutcome(tuple(must_fail), Verdict.INCONCLUSIVE, unknown=("error",))
    wanted = set(must_fail)
    by_id: dict[str, list[Verdict]] = {}
    for c in result.checks:
        by_id.setdefault(c.id, []).append(c.verdict)
    expected_failed: list[str] = []
    missing: list[tuple[str, str]] = []
    unknown: list[str] = []
    for check_id in must_fail:
        verdicts = by_id.get(check_id)
        if not verdicts:
            missing.append((check_id, "absent"))
        elif Verdict.FAIL in verdicts:
            expected_failed.append(check_id)
        elif Verdict.INCONCLUSIVE in verdicts or Verdict.NOT_REACHED in verdicts:
            unknown.append(check_id)
        else:
            missing.append((check_id, "/".join(dict.fromkeys(v.value for v in verdicts))))
    unexpected = tuple(
        dict.fromkeys(
            c.id for c in result.checks if c.verdict is Verdict.FAIL and c.id not in wanted
        )
    )
    for c in result.checks:
        if c.id in wanted:
            continue
        if c.verdict is Verdict.INCONCLUSIVE or (
            c.verdict is Verdict.NOT_REACHED and c.consequence_of not in expected_failed
        ):
            unknown.append(c.id)
    if missing or unexpected:
        verdict = Verdict.FAIL
    elif unknown:
        verdict = Verdict.INCONCLUSIVE
    else:
        verdict = Verdict.PASS
    return SelfTestOutcome(
        must_fail=tuple(must_fail),
        verdict=verdict,
        expected_failed=tuple(expected_failed),
        missing=tuple(missing),
        unexpected=unexpected,
        unknown=tuple(dict.fromkeys(unknown)),
    )
