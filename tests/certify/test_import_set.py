"""Start-up guard for ``certify server`` without timing: what a run imports.

Issue 14 item 4 wants a whole ``certify server`` process fast; speed is measured in
bench/bench_certify.py, never asserted. What a test can hold without a clock is the
set of modules the command loads: pydantic (the profile loader's and the JSON
report's models), scapy (live capture, foreign pcaps), the FIX probe stack and the
report writers of formats not asked for must stay out of a TLS-only run. Each run
is a fresh interpreter (a subprocess) against a real ``openssl s_server`` on
loopback; the module list is printed after the command returned.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harness.pki import TestPKI
from tests.certify.peers import s_server, server_args

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import json, sys
from harness.cli import main
code = main(sys.argv[1:])
print("MODULES " + json.dumps(sorted(sys.modules)))
print("EXIT", code)
"""

#: never needed by a TLS-only certify server run, whatever its report formats
HEAVY = (
    "pydantic",
    "yaml",
    "rich",
    "scapy",
    "asyncio",
    "harness.profiles.loader",
    "harness.certify.fixlogon",
    "harness.fixnet",
    "harness.report.jsonout",
)


def _modules(pki: TestPKI, port: int, report_dir: Path, formats: str) -> tuple[set[str], int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    args = ["certify", "server", f"127.0.0.1:{port}", "--case", "3b", "--scope", "tls",
            "--cafile", str(pki.root_ca_path), "--report-dir", str(report_dir),
            "--format", formats]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", PROGRAM, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
        check=False,
    )
    lines = proc.stdout.splitlines()
    listed = [line for line in lines if line.startswith("MODULES ")]
    assert listed, proc.stdout + proc.stderr
    code = int(next(line for line in lines if line.startswith("EXIT ")).split()[1])
    return set(json.loads(listed[0].removeprefix("MODULES "))), code


def _loaded(modules: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_certify_server_imports_only_what_the_run_needs(pki: TestPKI, tmp_path: Path) -> None:
    with s_server(server_args(pki), tmp_path / "s.log") as port:
        without_json, code = _modules(pki, port, tmp_path / "a", "junit,markdown,html")
        assert code == 0
        assert sorted(n for n in HEAVY if _loaded(without_json, n)) == []
        assert (tmp_path / "a" / "report.html").is_file()
        assert (tmp_path / "a" / "evidence").is_dir()  # the pack too, without scapy

        # report.json is written without pydantic (harness/report/jsondoc.py)
        json_only, code = _modules(pki, port, tmp_path / "b", "json")
        assert code == 0
        assert (tmp_path / "b" / "report.json").is_file()
        assert sorted(n for n in HEAVY if _loaded(json_only, n)) == []
        # negative control: the same check sees what a run does import: asking for
        # JSON loads its writer and not the HTML writer, which the other run loaded
        assert _loaded(json_only, "harness.report.jsondoc")
        assert not _loaded(json_only, "harness.report.html")
        assert _loaded(without_json, "harness.report.html")
        assert not _loaded(without_json, "harness.report.jsondoc")


def test_a_fleet_preloads_the_writers_of_its_formats_before_forking() -> None:
    """harness.report loads writers lazily, so the fleet's parent must name the
    formats' writers for the forked children to inherit them (negative control: a
    format not asked for stays unloaded)."""
    program = (
        "import json, sys\n"
        "from harness.cli.fleet_cmd import preload_writers\n"
        "preload_writers(('json', 'markdown'))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        cwd=ROOT,
        check=True,
    )
    modules = set(json.loads(proc.stdout.splitlines()[-1]))
    assert {
        "harness.report.jsondoc",
        "harness.report.markdown",
    } <= modules
    assert "harness.report.html" not in modules
    assert "harness.report.junit" not in modules
