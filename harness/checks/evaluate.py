"""``evaluate()``: the checks of ``fixs-harness run`` folded over one observation.

The checks themselves are registered units in :mod:`harness.checks.catalogue`
(:data:`~harness.checks.catalogue.RUN_CHECKS`); the registry's fold is described in
:mod:`harness.checks.registry`.
"""

from __future__ import annotations

from harness.checks import catalogue
from harness.checks.catalogue import RunFacts
from harness.checks.model import CheckResult
from harness.checks.observation import Observation
from harness.profiles import Profile
from harness.scenario.model import Expectations


def evaluate(expect: Expectations, profile: Profile, obs: Observation) -> list[CheckResult]:
    """Every applicable check's result for one scenario on one backend pair, in
    report order; a check that only failed because an earlier one did is
    ``not-reached`` and names it."""
    # read the registry at call time: the mutation gate swaps in mutants
    return catalogue.RUN_CHECKS.evaluate(RunFacts(expect, profile, obs))
