"""Every registered check, table-driven: pass, fail and inconclusive rows for each id
(tests/checks/catalogue_cases.py), and the registry and the table must agree."""

from __future__ import annotations

from collections import defaultdict

import pytest

from harness.checks.catalogue import RUN_CHECKS
from harness.checks.model import Verdict
from tests.checks.catalogue_cases import CASES, Case, problem

REQUIRED = (Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE)


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_row(case: Case) -> None:
    assert problem(case) is None, problem(case)


def test_every_registered_check_has_pass_fail_and_inconclusive_rows() -> None:
    seen: dict[str, set[Verdict | None]] = defaultdict(set)
    for case in CASES:
        seen[case.id].add(case.verdict)
    missing = {
        id: [v.value for v in REQUIRED if v not in seen.get(id, set())]
        for id in RUN_CHECKS.ids
        if not all(v in seen.get(id, set()) for v in REQUIRED)
    }
    assert not missing, f"registered checks without table rows: {missing}"


def test_every_row_names_a_registered_check() -> None:
    unknown = sorted({c.id for c in CASES} - set(RUN_CHECKS.ids))
    assert not unknown, f"table rows for ids that are not registered: {unknown}"


def test_every_spec_says_what_it_judges() -> None:
    for check in RUN_CHECKS:
        spec = check.spec
        assert spec.title and spec.judges, spec
        assert spec.rule in ("requirement", "recommendation"), spec
