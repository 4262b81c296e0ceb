"""The checked-in JSON Schemas equal what the models generate (no silent drift)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from harness.tools.schemas import SCHEMAS, render_schema

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_checked_in_schema_matches_model(name: str) -> None:
    path = DOCS / name
    assert path.is_file(), f"run: python -m harness.tools.schemas docs/schemas ({name} missing)"
    assert path.read_text() == render_schema(name), (
        f"{name} is stale; run: .venv/bin/python -m harness.tools.schemas docs/schemas"
    )
    jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))
