"""``fixs-harness init`` output runs under ``pytest DIR``, and ``pytest any.yaml`` works
outside this repository with the same default pairs (the four local pairs).

Every run here is a subprocess started outside the repository (pytester's directory
or a temporary one), so the repository's pyproject (``--fixs-local-pairs``) plays no
part: the defaults seen are the plugin's own. Each positive run has a control that
must fail (a profile that forbids what the scenarios negotiate) or must not collect
(a YAML file that was not named).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.backends.stunnel_local import LocalStunnelBackend

REPO = Path(__file__).resolve().parents[2]
HAVE_STUNNEL = LocalStunnelBackend().check().ok


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _init(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "init", str(directory), *args],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _counts(out: str) -> dict[str, int]:
    last = out.strip().splitlines()[-1]
    return {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|error)", last)}


@pytest.mark.skipif(not HAVE_STUNNEL, reason="the default pairs include stunnel-local")
def test_init_project_passes_pytest_dir_on_the_four_default_pairs(tmp_path: Path) -> None:
    project = tmp_path / "acme"
    made = _init(project, "--counterparty", "Acme Broker", "--case", "2")
    assert made.returncode == 0, made.stderr
    for rel in ("pytest.ini", "conftest.py", "README.md", "profiles/acme-broker.yaml"):
        assert (project / rel).is_file(), rel
    files = sorted(p.relative_to(project) for p in (project / "scenarios").rglob("*.yaml"))
    assert [str(f) for f in files] == [
        "scenarios/guide/2-psk.yaml",
        "scenarios/negative/client-suite-outside-profile.yaml",
        "scenarios/negative/client-tls11-only.yaml",
        "scenarios/negative/unknown-psk-identity.yaml",
        "scenarios/negative/wrong-psk-key.yaml",
    ]
    elsewhere = tmp_path / "ci"
    elsewhere.mkdir()
    proc = _pytest(elsewhere, str(project), "--fixs-capture", "tap")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert _counts(proc.stdout) == {"passed": 5 * 4}
    assert "fixs-harness project: Acme Broker" in proc.stdout


def test_init_negative_control_a_stricter_profile_fails(tmp_path: Path) -> None:
    """The scenarios really use the project's profile copy: forbid TLS 1.2 there and
    the positive case fails."""
    project = tmp_path / "acme"
    assert _init(project, "--counterparty", "acme", "--case", "2").returncode == 0
    profile = project / "profiles" / "acme.yaml"
    text = profile.read_text()
    profile.write_text(re.sub(r"^tls_versions: .*$", "tls_versions: [TLSv1.3]", text, flags=re.M))
    proc = _pytest(
        project,
        "scenarios/guide/2-psk.yaml",
        "--fixs-pair",
        "python:python",
        "--fixs-capture",
        "tap",
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "tls.version.in-profile" in proc.stdout


def test_init_refuses_a_non_empty_directory_and_unknown_cases(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    proc = _init(tmp_path / "x", "--counterparty", "acme")
    assert proc.returncode == 2 and "not empty" in proc.stderr
    proc = _init(tmp_path / "y", "--counterparty", "acme", "--case", "9z")
    assert proc.returncode == 2


def test_pytest_any_yaml_outside_the_repository_collects_the_four_pairs(tmp_path: Path) -> None:
    shutil.copy(REPO / "scenarios" / "guide" / "2-psk.yaml", tmp_path / "mine.yaml")
    shutil.copy(REPO / "scenarios" / "guide" / "2-psk.yaml", tmp_path / "other.yaml")
    proc = _pytest(tmp_path, "mine.yaml", "--collect-only", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    items = [line for line in proc.stdout.splitlines() if "::" in line]
    assert sorted(items) == sorted(
        f"mine.yaml::guide-2[{pair}]"
        for pair in (
            "python:python",
            "python:stunnel-local",
            "stunnel-local:python",
            "stunnel-local:stunnel-local",
        )
    )
    # control: the directory holds other.yaml too, not named and not under scenarios/
    assert not any("other.yaml" in line for line in proc.stdout.splitlines())
    # and the same file under the directory form is not a scenario either
    proc = _pytest(tmp_path, ".", "--collect-only", "-q")
    assert "mine.yaml" not in proc.stdout


def test_pytest_any_yaml_runs_and_an_explicit_pair_replaces_the_default(tmp_path: Path) -> None:
    shutil.copy(REPO / "scenarios" / "guide" / "2-psk.yaml", tmp_path / "mine.yaml")
    proc = _pytest(tmp_path, "mine.yaml", "--fixs-pair", "python:python", "--fixs-capture", "tap")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert _counts(proc.stdout) == {"passed": 1}
