"""The built-in profiles load without pydantic (harness.profiles.builtin) into exactly
the Profile the pydantic loader builds from the same file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.errors import LocatedError
from harness.located_yaml import load_located_yaml
from harness.profiles import builtin
from harness.profiles.builtin import list_profiles, load_profile, trusted_profile
from harness.profiles.loader import profile_from_file

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
