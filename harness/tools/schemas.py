"""Regenerate the checked-in JSON Schemas: ``python -m harness.tools.schemas [DIR]``.

docs/schemas/ holds the schemas of the file formats users and tools read or write
(scenario, profile, report, fleet dashboard). Tests fail when a checked-in file
differs from the models, so the docs cannot drift; this command rewrites them after
a change. It is a developer tool (top layer): it reads the scenario, profile and
report models at once, which no layer of the product may do.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from harness.profiles import profile_json_schema
from harness.report.fleet import fleet_json_schema
from harness.report.jsonout import report_json_schema
from harness.scenario import scenario_json_schema

SCHEMAS: dict[str, Any] = {
    "scenario.schema.json": scenario_json_schema,
    "profile.schema.json": profile_json_schema,
    "report.schema.json": report_json_schema,
    "fleet.schema.json": fleet_json_schema,
}


def render_schema(name: str) -> str:
    return json.dumps(SCHEMAS[name](), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else Path("docs/schemas")
    directory.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        (directory / name).write_text(render_schema(name), encoding="utf-8")
        print(directory / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
