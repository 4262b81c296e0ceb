"""The evidence pack's package versions, read from the installed distributions'
directory names, are importlib.metadata's answers."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

from harness.evidence.collect import PACKAGES, package_versions


def test_every_installed_distribution_has_importlib_metadatas_version() -> None:
    names = sorted({d.metadata["Name"] for d in importlib.metadata.distributions()})
    assert set(PACKAGES) <= set(names)
    ours = package_versions(names)
    assert {n: ours[n] for n in names} == {n: importlib.metadata.version(n) for n in names}


def test_a_distribution_not_installed_is_none() -> None:
    assert package_versions(["no-such-distribution-xyz"]) == {"no-such-distribution-xyz": None}


def test_the_first_on_the_path_wins_and_names_are_normalised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a shadowing install earlier on sys.path, spelt differently: importlib.metadata
    # would import that one, and so must the evidence say
    (tmp_path / "pyyaml-0.0.1.dist-info").mkdir()
    (tmp_path / "pyyaml-0.0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: PyYAML\nVersion: 0.0.1\n"
    )
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    assert package_versions(["PyYAML"]) == {"PyYAML": "0.0.1"}
    assert package_versions(["pyyaml"])["pyyaml"] == importlib.metadata.version("pyyaml")


def test_the_directory_names_answer_without_importlib_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # without this, a scan that never matched would pass the tests above through the
    # importlib.metadata fallback
    expected = {n: importlib.metadata.version(n) for n in PACKAGES}

    def refuse(name: str) -> str:
        raise AssertionError(f"importlib.metadata asked for {name}")

    monkeypatch.setattr(importlib.metadata, "version", refuse)
    assert package_versions(PACKAGES) == expected


def test_an_empty_or_doubled_record_is_left_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyyaml-0.0.1.dist-info").mkdir()  # no METADATA: not an install
    (tmp_path / "rich-1.0.dist-info").mkdir()
    (tmp_path / "rich-1.0.dist-info" / "METADATA").write_text("Name: rich\nVersion: 1.0\n")
    (tmp_path / "rich-2.0.dist-info").mkdir()
    (tmp_path / "rich-2.0.dist-info" / "METADATA").write_text("Name: rich\nVersion: 2.0\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    asked: list[str] = []
    real = importlib.metadata.version

    def spy(name: str) -> str:
        asked.append(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "version", spy)
    got = package_versions(["PyYAML", "rich"])
    assert got["PyYAML"] != "0.0.1"  # the empty directory was passed over
    assert asked == ["rich"]  # two records side by side: importlib.metadata decides
