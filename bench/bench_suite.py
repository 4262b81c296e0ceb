"""Wall time of the shipped scenario suite per backend pair.

    .venv/bin/python bench/bench_suite.py [--suite guide=scenarios/guide ...]
        [--capture auto|tap|sniff] [--workers 2] [--repeat 1] [--json out.json]

For each suite (default: the guide's use cases in scenarios/guide, and every shipped
scenario in scenarios/) and each pair of python and stunnel-local (the latter only
when stunnel is installed), one ``Runner.run`` of all its items is timed, then all
pairs together in one run (what ``fixs-harness run --local-pairs`` does), and finally
the whole command line end to end (process start, imports, test PKI, run, reports)
for the guide suite on all pairs. The issue's target: the five guide use cases ×
four pairs in at most 30 s on 2 cores.

Timed: ``Runner.run`` only (the PKI is made once per Runner, timed separately as
"pki"). Every item's verdict is counted, so a fast but failing run shows as such.
Bounded: ``--repeat`` runs (default 1, at most 5) of a fixed item list; loopback
only; every tunnel and process is stopped by the runner itself.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.checks.model import Verdict  # noqa: E402
from harness.runner.pairs import BackendPair, all_pairs, make_backend  # noqa: E402
from harness.runner.run import Runner, collect  # noqa: E402


def pairs_here() -> tuple[list[BackendPair], str | None]:
    avail = make_backend("stunnel-local").check()
    if not avail.ok:
        return [BackendPair("python", "python")], avail.reason
    return all_pairs(["python", "stunnel-local"]), None


def time_run(
    paths: list[Path], pairs: list[BackendPair], *, capture: str, workers: int
) -> dict[str, Any]:
    items = collect(paths, pairs)
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        t0 = time.perf_counter()
        runner = Runner(Path(tmp), capture=capture, workers=workers)
        t1 = time.perf_counter()
        try:
            result = runner.run(items)
        finally:
            runner.close()  # the run's private work directory (keys, key logs)
        t2 = time.perf_counter()
    counts = result.counts()
    return {
        "items": len(items),
        "pass": counts[Verdict.PASS],
        "fail": counts[Verdict.FAIL],
        "inconclusive": counts[Verdict.INCONCLUSIVE],
        "errors": sum(1 for r in result.results if r.error),
        "pki_s": t1 - t0,
        "run_s": t2 - t1,
    }


def time_cli(paths: list[Path], pairs: list[BackendPair], *, capture: str, workers: int) -> float:
    pair_args = [a for p in pairs for a in ("-p", p.name)]
    with tempfile.TemporaryDirectory(prefix="bench-suite-cli-") as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "harness", "run", *map(str, paths), *pair_args,
             "--capture", capture, "--workers", str(workers), "--report-dir", tmp],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
        elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"fixs-harness run failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--suite",
        action="append",
        metavar="NAME=PATH",
        help="suite to time (repeatable; default guide=scenarios/guide, all=scenarios)",
    )
    parser.add_argument("--capture", choices=("auto", "tap", "sniff"), default="auto")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    repeat = max(1, min(args.repeat, 5))
    suites: dict[str, list[Path]] = {}
    for spec in args.suite or ["guide=scenarios/guide", "all=scenarios"]:
        name, _, path = spec.partition("=")
        suites[name] = [REPO / path]
    pairs, missing = pairs_here()
    if missing:
        print(f"note: stunnel-local pairs skipped: {missing}", file=sys.stderr)

    rows: list[dict[str, Any]] = []
    for suite, paths in suites.items():
        groups = [[p] for p in pairs] + ([pairs] if len(pairs) > 1 else [])
        for group in groups:
            label = group[0].name if len(group) == 1 else f"all {len(group)} pairs, one run"
            runs = [
                time_run(paths, group, capture=args.capture, workers=args.workers)
                for _ in range(repeat)
            ]
            row = dict(runs[0])
            row["run_s"] = statistics.median(float(r["run_s"]) for r in runs)
            row["pki_s"] = statistics.median(float(r["pki_s"]) for r in runs)
            rows.append({"suite": suite, "pairs": label, **row})
            print(
                f"  {suite:6} {label:30} {row['items']:4} items  {row['run_s']:6.2f} s",
                file=sys.stderr,
            )
    guide = suites.get("guide") or next(iter(suites.values()))
    cli_s = statistics.median(
        time_cli(guide, pairs, capture=args.capture, workers=args.workers) for _ in range(repeat)
    )

    print(
        f"\nfixs-harness suite wall time (capture={args.capture}, workers={args.workers}, "
        f"median of {repeat}, {os.cpu_count()} CPUs)\n"
    )
    print("| suite | pairs | items | pass | fail | inconcl. | errors | run s | per item ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        per_item = 1000 * float(r["run_s"]) / max(1, int(r["items"]))
        print(
            f"| {r['suite']} | {r['pairs']} | {r['items']} | {r['pass']} | {r['fail']} | "
            f"{r['inconclusive']} | {r['errors']} | {float(r['run_s']):.2f} | {per_item:.0f} |"
        )
    pki = statistics.median(float(r["pki_s"]) for r in rows)
    print(f"\ntest PKI per run: {pki:.2f} s (median)")
    print(
        f"command line end to end, guide suite on {len(pairs)} pair(s): {cli_s:.2f} s "
        "(target: five guide cases × four pairs ≤ 30 s on 2 cores)"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"rows": rows, "pki_s": pki, "cli_guide_all_pairs_s": cli_s}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
