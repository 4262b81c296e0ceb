"""Benchmark: ``fixs-harness certify fleet`` over 100 loopback endpoints.

Half the endpoints are the host's stunnel (one process each), half ``openssl
s_server``; 70 are compliant with the guide profile for use case 3b (TLS 1.2, the
guide's four ECDSA suites, a certificate valid 400 days) and 30 are defective, 5 of
each kind per server program:

* ``expiring``: a certificate that expires in 10 days → ``cert.expiry-horizon``;
* ``extra-suite``: also accepts 0xC009 (not in the profile) → ``tls.cipher.forbidden-accepted``;
* ``missing-suite``: lacks 0xC024 → ``tls.cipher.required.0xC024``.

The whole command runs as a user runs it (a fresh ``python -m harness`` process,
default report formats per counterparty, the dashboard), timed from start to exit,
then every row of fleet.json is compared with the expected verdict and defect.

    .venv/bin/python bench/bench_fleet.py [--endpoints 100] [--concurrency 16] [--runs 1] [--json out.json]

Bounded: at most 200 endpoints and 5 runs, loopback only; every server is stopped
on every path. The machine's load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.pki import TestPKI
from tests.certify.watchkit import (
    STUNNEL,
    free_port,
    issue_leaf,
    stop,
    stunnel_text,
    wait_listening,
)

FOUR = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384"
)
KINDS: dict[str, tuple[str, str | None]] = {
    # kind: (ciphers, expected failed check)
    "compliant": (FOUR, None),
    "expiring": (FOUR, "cert.expiry-horizon"),
    "extra-suite": (FOUR + ":ECDHE-ECDSA-AES128-SHA", "tls.cipher.forbidden-accepted"),
    "missing-suite": (FOUR.replace(":ECDHE-ECDSA-AES256-SHA384", ""), "tls.cipher.required.0xC024"),
}


@dataclass(frozen=True)
class Endpoint:
    name: str
    program: str  # stunnel | s_server
    kind: str
    port: int


def plan(count: int) -> list[tuple[str, str]]:
    """(program, kind) for each endpoint: 30 % defective, split evenly."""
    out = []
    per_program = count // 2
    defective_each = max(1, round(per_program * 0.1))
    for program in ("stunnel", "s_server"):
        kinds = ["expiring", "extra-suite", "missing-suite"]
        items = [k for k in kinds for _ in range(defective_each)]
        items += ["compliant"] * (per_program - len(items))
        out += [(program, k) for k in items]
    return out


@contextlib.contextmanager
def endpoints(work: Path, count: int) -> Iterator[tuple[list[Endpoint], Path]]:
    """The endpoints, started, and the CA file that anchors their certificates."""
    pki = TestPKI.create(work / "pki")
    good = issue_leaf(pki, work / "certs", "fix-server", days=400)
    soon = issue_leaf(pki, work / "certs", "fix-server-expiring", days=10)
    procs: list[subprocess.Popen[bytes]] = []
    made: list[Endpoint] = []
    try:
        for i, (program, kind) in enumerate(plan(count)):
            cert, key = soon if kind == "expiring" else good
            ciphers = KINDS[kind][0]
            port = free_port()
            if program == "stunnel":
                conf = work / f"ep{i}.conf"
                conf.write_text(stunnel_text(port, cert, key, ciphers, work / f"ep{i}.log"))
                cmd = [str(STUNNEL), str(conf)]
            else:
                # -cert reads the leaf only: the intermediate is served from -cert_chain
                # (without it the chain is incomplete, which cert.chain-complete fails)
                cmd = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-naccept",
                       "100000", "-cert", str(cert), "-key", str(key),
                       "-cert_chain", str(pki.intermediate.cert_path), "-cipher", ciphers,
                       "-tls1_2", "-quiet"]  # fmt: skip
            procs.append(
                subprocess.Popen(
                    cmd,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            made.append(Endpoint(f"{program}-{i:03d}-{kind}", program, kind, port))
        for ep, proc in zip(made, procs, strict=True):
            wait_listening(ep.port, proc, ep.program, 20.0)
        yield made, pki.root_ca_path
    finally:
        for proc in procs:
            stop(proc)


def write_inventory(path: Path, eps: list[Endpoint], cafile: Path) -> None:
    # the CA file lets certify check the served chain (cert.chain-complete defines use
    # case 3b: without it a compliant endpoint is rightly inconclusive)
    lines = [
        "defaults: {profile: stunnel-guide-2017, case: 3b, scope: tls, timeout: 5}",
        "counterparties:",
    ]
    lines += [
        f"  - {{name: {ep.name}, address: '127.0.0.1:{ep.port}', cafile: '{cafile}'}}" for ep in eps
    ]
    path.write_text("\n".join(lines) + "\n")


def check_verdicts(doc: dict[str, object], eps: list[Endpoint]) -> list[str]:
    """Every row's verdict and defect against the plan; returns the mismatches."""
    rows = {r["name"]: r for r in doc["counterparties"]}  # type: ignore[index,union-attr]
    wrong = []
    for ep in eps:
        row = rows.get(ep.name)
        expected_defect = KINDS[ep.kind][1]
        if row is None:
            wrong.append(f"{ep.name}: no row")
            continue
        want = "pass" if expected_defect is None else "fail"
        defects = list(row["defects"])
        if row["verdict"] != want or (expected_defect and defects != [expected_defect]):
            wrong.append(f"{ep.name}: {row['verdict']} {defects} {row['error'] or ''}")
    return wrong


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoints", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--format", default="json,junit,html,markdown")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    count = max(6, min(args.endpoints, 200))
    runs = max(1, min(args.runs, 5))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as an installed package runs: bytecode cached
    results: dict[str, object] = {"endpoints": count, "concurrency": args.concurrency}
    cpu: list[float] = []
    start = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as tmp, endpoints(Path(tmp), count) as (eps, cafile):
        work = Path(tmp)
        inventory = work / "inventory.yaml"
        write_inventory(inventory, eps, cafile)
        times, wrongs, codes = [], [], set()
        results["load_before"] = loadavg()
        for run in range(runs):
            out = work / f"run{run}"
            cmd = [sys.executable, "-m", "harness", "certify", "fleet", str(inventory),
                   "--concurrency", str(args.concurrency), "--report-dir", str(out),
                   "--format", args.format, "--no-progress"]  # fmt: skip
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, env=env, capture_output=True, timeout=600, check=False)
            times.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            codes.add(proc.returncode)
            doc = json.loads((out / "fleet.json").read_text())
            wrongs.append(check_verdicts(doc, eps))
        results["load_after"] = loadavg()
        results["wall_s"] = [round(t, 2) for t in times]
        results["median_s"] = round(statistics.median(times), 2)
        # CPU of the fleet command and its children (not the servers): on a quiet
        # 2-core machine the wall time cannot be below (this + the servers') / 2
        results["harness_cpu_s"] = [round(c, 2) for c in cpu]
        results["exit_codes"] = sorted(codes)
        results["wrong_verdicts"] = wrongs  # one list per run
        results["all_verdicts_right"] = not any(wrongs)
    end = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = end.ru_utime - start.ru_utime + end.ru_stime - start.ru_stime
    results["servers_cpu_s"] = round(total - sum(cpu), 2)  # stunnel + s_server, start-up included
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if results["all_verdicts_right"] else 1


if __name__ == "__main__":
    sys.exit(main())
