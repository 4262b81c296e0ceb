"""The mutation gate (scripts/mutation-gate) kills every mutant of the shipped table,
and reports a survivor when a table lacks the rows that would notice."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType

from harness.checks.catalogue import RUN_CHECKS
from harness.checks.model import Verdict
from tests.checks.catalogue_cases import CASES

GATE = Path(__file__).resolve().parents[2] / "scripts" / "mutation-gate"


def _gate() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("mutation_gate", str(GATE))
    spec = importlib.util.spec_from_loader("mutation_gate", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_gate_passes_on_the_shipped_table(capsys: object) -> None:
    assert _gate().main([]) == 0


def test_a_check_with_only_pass_rows_survives_always_pass() -> None:
    # negative control: keep only fix.script's pass rows
    thin = [c for c in CASES if c.id != "fix.script" or c.verdict is Verdict.PASS]
    total, survivors = _gate().run_gate(RUN_CHECKS, thin)
    assert total > len(RUN_CHECKS)
    assert survivors == ["fix.script always-pass"]


def test_a_certify_check_with_only_pass_rows_survives_always_pass() -> None:
    # negative control for the certify half: keep only tls.compression.refused's pass rows
    from tests.checks import certify_cases

    cid = "tls.compression.refused"
    thin = [c for c in certify_cases.CASES if c.id != cid or c.verdict is Verdict.PASS]
    checks, total, survivors = _gate().run_certify_gate(thin)
    assert total > checks
    assert survivors == [f"{cid} always-pass"]
