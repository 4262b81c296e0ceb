"""Benchmark: wall time of a full ``certify server`` of one TLS 1.2 endpoint on loopback.

The endpoint is ``openssl s_server`` configured as the guide's server (TLS 1.2 only,
the guide's twelve suites, RSA certificate with its chain, client certificates
verified): compliant for use case 1a. Each run is the whole command as a user runs it
in-process (probes, judgement, pcap, reports). sslyze and testssl.sh are timed on
the same endpoint when installed (``sslyze`` on PATH, ``testssl.sh``/``testssl``);
otherwise the script says so.

    .venv/bin/python bench/bench_certify.py [--runs 11] [--case 1a|3b] [--json out.json]

Bounded: at most 50 runs, loopback only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.certify import Credentials, ServerRequest, TrustOptions, certify_server
from harness.pki import TestPKI
from harness.profiles import load_profile
from harness.report import write_reports
from tests.certify.peers import s_server, server_args


def time_external(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, timeout=300, check=False)
        times.append(time.perf_counter() - t0)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--case", choices=("1a", "3b"), default="1a")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    runs = max(1, min(args.runs, 50))
    profile = load_profile("stunnel-guide-2017")
    results: dict[str, object] = {"runs": runs, "case": args.case}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pki = TestPKI.create(work / "pki")
        mutual = pki.root_ca_path if args.case == "1a" else None
        with s_server(server_args(pki, mutual_pin=mutual), work / "s.log") as port:
            creds = (
                Credentials(cert=pki.client_rsa.pem_path) if args.case == "1a" else Credentials()
            )
            times, connections, codes = [], 0, set()
            for i in range(runs):
                t0 = time.perf_counter()
                outcome = certify_server(
                    ServerRequest("127.0.0.1", port, profile, case=args.case, credentials=creds,
                                  trust=TrustOptions(cafile=pki.root_ca_path)),
                    work / f"run{i}",
                )  # fmt: skip
                write_reports(outcome.run, work / f"run{i}")
                times.append(time.perf_counter() - t0)
                connections = len(outcome.scan.all_wires())
                codes.add(outcome.exit_code)
            results["fixs-harness"] = {
                "median_s": statistics.median(times),
                "min_s": min(times),
                "max_s": max(times),
                "connections": connections,
                "exit_codes": sorted(codes),
            }
            sslyze = shutil.which("sslyze")
            if sslyze:
                t = time_external([sslyze, f"127.0.0.1:{port}"], min(runs, 5))
                results["sslyze"] = {"median_s": statistics.median(t)}
            else:
                results["sslyze"] = "not installed"
            testssl = shutil.which("testssl.sh") or shutil.which("testssl")
            if testssl:
                t = time_external([testssl, "--quiet", f"127.0.0.1:{port}"], 1)
                results["testssl.sh"] = {"median_s": statistics.median(t)}
            else:
                results["testssl.sh"] = "not installed"
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
