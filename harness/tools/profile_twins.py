"""Regenerate the built-in profiles' JSON twins: ``python -m harness.tools.profile_twins``.

Each ``harness/profiles/NAME.yaml`` has a twin ``harness/profiles/compiled/NAME.json``
(its data and the hash of the text it was made from) that the built-in loader reads
instead of the YAML (harness.profiles.builtin). Run this after editing a built-in
profile; tests/profiles/test_builtin_fast.py fails while a twin is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from harness.profiles.builtin import _builtin_dir as builtin_dir
from harness.profiles.builtin import list_profiles, twin_of, twin_path


def render_twin(path: Path) -> str:
    return json.dumps(twin_of(path), indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    del argv
    for name in list_profiles():
        path = builtin_dir() / f"{name}.yaml"
        twin = twin_path(path)
        twin.parent.mkdir(exist_ok=True)
        twin.write_text(render_twin(path), encoding="utf-8")
        print(twin)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
