"""The layers of docs/architecture.md are enforced, and the enforcement bites.

``lint-imports`` (import-linter) checks the contracts in pyproject.toml
(``[tool.importlinter]``); ``./bootstrap test`` runs it. Here the real tree must pass,
and each negative control copies ``harness/`` and ``pyproject.toml`` into a temporary
directory, adds the one import the architecture forbids (or a package no layer
names), and expects ``lint-imports`` to fail naming that contract and that import.
Imports inside functions and under ``TYPE_CHECKING`` are controls of their own:
they count, so hiding an import cannot pass the check.
"""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import harness
import harness.checks

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"
CONFIG: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
    "importlinter"
]
LAYERS = "layers: pure core < PKI < I/O edges < orchestration < output < entry points"
PROTECTED = "nothing imports the entry points (cli, pytest plugin) but python -m harness"
REPORT = "report reads only the result model, errors and lazy exports"
#: what harness.report may import: the result model, the error types and the
#: lazy-export helper (standard library only)
REPORT_MAY_IMPORT = {
    "harness.report",
    "harness.errors",
    "harness.lazy",
    "harness.checks",
    "harness.checks.model",
    "harness.checks.fleetmodel",
    "harness.checks.watch",
}


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    assert LINT.is_file(), f"{LINT} missing: pip install -e '.[dev]'"
    return subprocess.run(
        [str(LINT), "--no-cache", "--no-logo"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def tree_with(tmp_path: Path, module: str, source: str) -> Path:
    """A copy of harness/ and pyproject.toml with one module added (or replaced)."""
    shutil.copytree(
        ROOT / "harness", tmp_path / "harness", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path.joinpath(*module.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.parent != tmp_path / "harness" and not (path.parent / "__init__.py").exists():
        (path.parent / "__init__.py").write_text('"""A package no layer names."""\n')
    path.write_text(source)
    return tmp_path


def contract_lines(output: str) -> dict[str, str]:
    """Contract name → KEPT/BROKEN, from lint-imports' summary."""
    verdicts = {}
    for line in output.splitlines():
        for verdict in ("KEPT", "BROKEN"):
            if line.endswith(" " + verdict):
                verdicts[line.removesuffix(" " + verdict)] = verdict
    return verdicts


def test_the_tree_keeps_every_contract() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert contract_lines(done.stdout) == {LAYERS: "KEPT", PROTECTED: "KEPT", REPORT: "KEPT"}


def test_no_exception_list() -> None:
    """No contract carries ignore_imports: a violation is fixed, never excused."""
    for contract in CONFIG["contracts"]:
        assert "ignore_imports" not in contract, contract["name"]
        assert "ignore_imports" not in contract.get("options", {}), contract["name"]
    layers = next(c for c in CONFIG["contracts"] if c["name"] == LAYERS)
    assert layers["exhaustive"] is True  # a new package must be given a layer


def test_report_contract_names_every_module_but_the_result_model() -> None:
    """The report contract lists what report may not import; a new package or a new
    checks module is on that list from the day it is added, or this fails."""
    every = {
        f"harness.{m.name}" for m in pkgutil.iter_modules(harness.__path__) if m.name != "__main__"
    } | {f"harness.checks.{m.name}" for m in pkgutil.iter_modules(harness.checks.__path__)}
    report = next(c for c in CONFIG["contracts"] if c["name"] == REPORT)
    assert set(report["forbidden_modules"]) == every - REPORT_MAY_IMPORT


@pytest.mark.parametrize(
    ("module", "source", "broken", "named"),
    [
        pytest.param(
            "harness.fix._upward",
            "from harness.runner import run\n",
            {LAYERS},
            "harness.fix._upward -> harness.runner.run",
            id="pure-core-imports-orchestration",
        ),
        pytest.param(
            "harness.certify._output",
            "def write() -> None:\n    from harness.report import write_reports\n",
            {LAYERS},
            "harness.certify._output -> harness.report",
            id="lazy-import-inside-a-function-counts",
        ),
        pytest.param(
            "harness.pki._typing",
            "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
            "    from harness.tunnel import proxy\n",
            {LAYERS},
            "harness.pki._typing -> harness.tunnel.proxy",
            id="type-checking-import-counts",
        ),
        pytest.param(
            "harness.runner._entry",
            "import harness.cli\n",
            {LAYERS, PROTECTED},
            "harness.runner._entry -> harness.cli",
            id="orchestration-imports-cli",
        ),
        pytest.param(
            "harness.tools._plugin",
            "from harness import pytest_plugin\n",
            {LAYERS, PROTECTED},
            "harness.tools._plugin -> harness.pytest_plugin",
            id="a-tool-imports-the-pytest-plugin",
        ),
        pytest.param(
            "harness.report._judge",
            "from harness.checks.evaluate import evaluate\n",
            {REPORT},
            "harness.report._judge -> harness.checks.evaluate",
            id="report-imports-the-fold-not-the-model",
        ),
        pytest.param(
            "harness.report._profiles",
            "from harness.profiles import load_profile\n",
            {REPORT},
            "harness.report._profiles -> harness.profiles",
            id="report-imports-the-pure-core",
        ),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, source: str, broken: set[str], named: str
) -> None:
    done = lint(tree_with(tmp_path, module, source))
    assert done.returncode == 1, done.stdout + done.stderr
    verdicts = contract_lines(done.stdout)
    assert {name for name, v in verdicts.items() if v == "BROKEN"} == broken, done.stdout
    assert named in done.stdout


def test_a_package_without_a_layer_is_refused(tmp_path: Path) -> None:
    done = lint(tree_with(tmp_path, "harness.stray.mod", '"""Nobody placed me."""\n'))
    assert done.returncode == 1, done.stdout + done.stderr
    assert contract_lines(done.stdout)[LAYERS] == "BROKEN"
    assert "not listed as layers:\n\n- harness.stray\n" in done.stdout
