"""The built-in profiles load without pydantic (harness.profiles.builtin) into exactly
the Profile the pydantic loader builds from the same file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.errors import LocatedError
from harness.located_yaml import load_located_yaml
from harness.profiles import builtin
from harness.profiles.builtin import list_profiles, load_profile, trusted_profile
from harness.profiles.loader import profile_from_file
from harness.tools.profile_twins import render_twin

BUILTIN_DIR = Path(builtin.__file__).parent


@pytest.mark.parametrize("name", list_profiles())
def test_builtin_profile_is_the_pydantic_loaders(name: str) -> None:
    path = BUILTIN_DIR / f"{name}.yaml"
    fast = trusted_profile(load_located_yaml(path))
    checked = profile_from_file(path)
    # repr, not ==: it tells True from 1 and "16" from 16
    assert repr(fast) == repr(checked)
    assert repr(load_profile(name)) == repr(checked)


def test_the_comparison_tells_a_changed_field_and_a_changed_type() -> None:
    """Negative controls: the comparison above fails for a fast path that filled a
    field differently, or with 1 where pydantic gives True (which == would miss)."""
    path = BUILTIN_DIR / "stunnel-guide-2017.yaml"
    checked = profile_from_file(path)
    loc = load_located_yaml(path)
    loc.data["expiry_horizon_days"] = 31
    assert repr(trusted_profile(loc)) != repr(checked)
    loc = load_located_yaml(path)
    assert loc.data["suites"][0]["forward_secret"] is True
    loc.data["suites"][0]["forward_secret"] = 1
    fast = trusted_profile(loc)
    assert fast == checked  # equal to ==, told apart by repr
    assert repr(fast) != repr(checked)


def test_a_broken_builtin_is_reported_by_the_pydantic_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A built-in that does not fit the fast path's mould gets the loader's error
    (file and line), not a KeyError."""
    pkg = tmp_path / "profiles"
    pkg.mkdir()
    text = (BUILTIN_DIR / "fixs-1.0.yaml").read_text()
    assert "\npsk_min_key_bytes:" in text
    broken = "\n".join(
        line for line in text.splitlines() if not line.startswith("psk_min_key_bytes:")
    )
    (pkg / "fixs-broken.yaml").write_text(broken.replace("name: fixs-1.0", "name: fixs-broken"))
    shutil.copy(BUILTIN_DIR / "fixs-1.0.yaml", pkg / "fixs-1.0.yaml")
    monkeypatch.setattr(builtin, "_builtin_dir", lambda: pkg)
    builtin._builtin_profile.cache_clear()
    try:
        with pytest.raises(LocatedError) as err:
            load_profile("fixs-broken")
        assert "fixs-broken.yaml" in str(err.value)
        assert "psk_min_key_bytes" in str(err.value)
    finally:
        builtin._builtin_profile.cache_clear()


@pytest.mark.parametrize("name", list_profiles())
def test_every_json_twin_is_current(name: str) -> None:
    path = BUILTIN_DIR / f"{name}.yaml"
    assert builtin.twin_path(path).read_text(encoding="utf-8") == render_twin(path), (
        f"{builtin.twin_path(path)} is stale: run python -m harness.tools.profile_twins"
    )


def _copy_builtin(tmp_path: Path, name: str) -> Path:
    pkg = tmp_path / "profiles"
    (pkg / "compiled").mkdir(parents=True)
    shutil.copy(BUILTIN_DIR / f"{name}.yaml", pkg / f"{name}.yaml")
    shutil.copy(BUILTIN_DIR / "compiled" / f"{name}.json", pkg / "compiled" / f"{name}.json")
    return pkg


def test_the_twin_is_read_and_a_stale_twin_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "stunnel-guide-2017"
    pkg = _copy_builtin(tmp_path, name)
    monkeypatch.setattr(builtin, "_builtin_dir", lambda: pkg)
    twin = pkg / "compiled" / f"{name}.json"
    doc = json.loads(twin.read_text())
    doc["data"]["title"] = "read from the twin"
    twin.write_text(json.dumps(doc))
    builtin._builtin_profile.cache_clear()
    try:
        # the twin matches the YAML text: it is what is read
        assert load_profile(name).title == "read from the twin"
        # the YAML edited after the twin was made: the twin is stale, the YAML is read
        yaml_path = pkg / f"{name}.yaml"
        yaml_path.write_text(yaml_path.read_text() + "\n# edited\n")
        builtin._builtin_profile.cache_clear()
        assert load_profile(name).title != "read from the twin"
        assert repr(load_profile(name)).replace(str(pkg), "") == repr(
            profile_from_file(yaml_path)
        ).replace(str(pkg), "")
    finally:
        builtin._builtin_profile.cache_clear()
