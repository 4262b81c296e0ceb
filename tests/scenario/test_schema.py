"""The scenario JSON Schema (for editors and other tools) accepts what the loader accepts."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from harness.located_yaml import load_located_yaml
from harness.scenario import scenario_json_schema

EXAMPLES = sorted((Path(__file__).parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_validate_against_the_schema(path: Path) -> None:
    data = load_located_yaml(path).data
    jsonschema.Draft202012Validator(scenario_json_schema()).validate(data)


def test_schema_rejects_unknown_keys_and_bad_outcomes() -> None:
    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    data = load_located_yaml(EXAMPLES[0]).data
    assert validator.is_valid(data)
    assert not validator.is_valid({**data, "colour": "blue"})
    assert not validator.is_valid({**data, "expect": {"auth": "kerberos"}})
