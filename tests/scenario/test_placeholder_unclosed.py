"""A placeholder without its closing brace is an error at load time, at its line
(it used to pass as literal text and surface later as a missing file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import LocatedError
from harness.scenario import load_scenario

GUIDE = Path(__file__).resolve().parents[2] / "scenarios" / "guide" / "1a-mutual-leaf-pinning.yaml"


def test_unclosed_placeholder_named_at_its_line(tmp_path: Path) -> None:
    text = GUIDE.read_text()
    broken = text.replace("cert = {pki.server_rsa.pem}", "cert = {pki.server_rsa.pem", 1)
    assert broken != text
    line = next(
        n
        for n, t in enumerate(broken.splitlines(), 1)
        if "{pki.server_rsa.pem" in t and "}" not in t
    )
    path = tmp_path / "s.yaml"
    path.write_text(broken)
    with pytest.raises(LocatedError) as exc:
        load_scenario(path)
    assert exc.value.location.line == line
    assert "no closing" in str(exc.value)


def test_closed_placeholders_still_load(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(GUIDE.read_text())
    assert load_scenario(path).id == "guide-1a"
