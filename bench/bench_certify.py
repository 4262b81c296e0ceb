"""Benchmark: a full ``certify server`` of one TLS 1.2 endpoint on loopback.

The endpoint is ``openssl s_server`` configured as the guide's server (TLS 1.2 only,
the guide's twelve suites, RSA certificate with its chain; with ``--case 1a`` client
certificates are verified): compliant for the case. Two figures:

* **process**: the whole command as a user runs it, ``python -m harness certify
  server ...`` in a fresh process, start to exit (interpreter start-up, imports,
  probes, judgement, pcap, four report formats, the summary), with bytecode caching
  on as for an installed package (a warm-up run writes the ``.pyc`` files first);
  CPU time of the child beside the wall time;
* **in-process**: ``certify_server`` + ``write_reports`` in an already started
  interpreter (the scan alone, as in a fleet).

sslyze's full scan of the same endpoint is timed beside it when an ``sslyze``
command is found (``--sslyze PATH``, ``$SSLYZE``, PATH, or /tmp/sslyze-venv; install
with ``python3 -m venv /tmp/sslyze-venv && /tmp/sslyze-venv/bin/pip install
sslyze``: it pins its own cryptography/pydantic, so keep it out of the project's
venv), with ``--cert/--key`` for case 1a. testssl.sh likewise when on PATH.

    .venv/bin/python bench/bench_certify.py [--runs 11] [--case 1a|3b] [--json out.json]

Bounded: at most 50 runs, loopback only. The load average is printed beside the
figures: on a shared machine they are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def time_external(
    cmd: list[str], runs: int, env: dict[str, str] | None = None
) -> tuple[list[float], list[float], set[int]]:
    """Wall and CPU (user + system) seconds of each run of ``cmd``, and exit codes."""
    times, cpu, codes = [], [], set()
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, timeout=300, check=False, env=env)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        codes.add(proc.returncode)
    return times, cpu, codes


def find_sslyze(given: str | None) -> str | None:
    for candidate in (given, os.environ.get("SSLYZE"), shutil.which("sslyze"),
                      "/tmp/sslyze-venv/bin/sslyze"):  # fmt: skip
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def summary(times: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--case", choices=("1a", "3b"), default="1a")
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--sslyze", help="the sslyze command (default: $SSLYZE, PATH, /tmp/sslyze-venv)"
    )
    args = ap.parse_args()
    runs = max(1, min(args.runs, 50))
    profile = load_profile("stunnel-guide-2017")
    results: dict[str, object] = {"runs": runs, "case": args.case, "load_before": loadavg()}
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pki = TestPKI.create(work / "pki")
        mutual = pki.root_ca_path if args.case == "1a" else None
        # s_server stops after -naccept connections (400 in the test helper); a
        # benchmark run makes thousands (each certify ~30, sslyze hundreds): the last
        # -naccept given wins
        flags = [*server_args(pki, mutual_pin=mutual), "-naccept", "100000000"]
        with s_server(flags, work / "s.log") as port:
            creds = (
                Credentials(cert=pki.client_rsa.pem_path) if args.case == "1a" else Credentials()
            )
            # 1a pins the server's certificate (cert.pin-matches defines it): the pin is
            # given, so that a compliant endpoint is judged compliant, not inconclusive
            pin = pki.server_rsa.pin_path if args.case == "1a" else None
            trust = TrustOptions(cafile=pki.root_ca_path, pin=pin)
            times, connections, codes = [], 0, set()
            for i in range(runs):
                t0 = time.perf_counter()
                outcome = certify_server(
                    ServerRequest("127.0.0.1", port, profile, case=args.case, credentials=creds,
                                  trust=trust, scope="tls"),
                    work / f"run{i}",
                )  # fmt: skip
                write_reports(outcome.run, work / f"run{i}")
                times.append(time.perf_counter() - t0)
                connections = len(outcome.scan.all_wires())
                codes.add(outcome.exit_code)
            results["in-process"] = {
                **summary(times),
                "connections": connections,
                "exit_codes": sorted(codes),
            }
            cli = [sys.executable, "-m", "harness", "certify", "server", f"127.0.0.1:{port}",
                   "--case", args.case, "--scope", "tls", "--cafile", str(pki.root_ca_path),
                   "--report-dir", str(work / "cli")]  # fmt: skip
            # the endpoint is a TLS server with no FIX engine: certify its TLS layer
            if args.case == "1a":
                cli += ["--cert", str(pki.client_rsa.pem_path), "--pin", str(pin)]
            time_external(cli, 1, env)  # warm-up: writes the bytecode caches
            wall, cpu, codes = time_external(cli, runs, env)
            results["process"] = {
                **summary(wall),
                "cpu_median_s": round(statistics.median(cpu), 3),
                "exit_codes": sorted(codes),
            }
            start, _, _ = time_external([sys.executable, "-c", "pass"], 5, env)
            floor, _, _ = time_external([sys.executable, "-m", "harness", "--version"], 5, env)
            results["python_start_s"] = round(statistics.median(start), 3)
            results["harness_version_s"] = round(statistics.median(floor), 3)
            sslyze = find_sslyze(args.sslyze)
            if sslyze:
                cmd = [sslyze, f"127.0.0.1:{port}"]
                if args.case == "1a":
                    cmd += ["--cert", str(pki.client_rsa.cert_path),
                            "--key", str(pki.client_rsa.key_path)]  # fmt: skip
                t, c, _ = time_external(cmd, min(runs, 5))
                check = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
                results["sslyze"] = {
                    **summary(t),
                    "cpu_median_s": round(statistics.median(c), 3),
                    "scan_completed": "SCANS COMPLETED" in check.stdout,
                    "connect_errors": check.stdout.count("Connection rejected")
                    + check.stdout.count("Could not connect"),
                }
            else:
                results["sslyze"] = "not found (see --sslyze)"
            testssl = shutil.which("testssl.sh") or shutil.which("testssl")
            if testssl:
                t, _, _ = time_external([testssl, "--quiet", f"127.0.0.1:{port}"], 1)
                results["testssl.sh"] = summary(t)
            else:
                results["testssl.sh"] = "not installed"
    results["load_after"] = loadavg()
    # the endpoint is compliant for the case: a run that did not say so timed the
    # wrong thing (an inconclusive scan stops early), whatever its speed
    codes = [results[k]["exit_codes"] for k in ("in-process", "process")]  # type: ignore[index]
    results["valid"] = all(c == [0] for c in codes)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if not results["valid"]:
        print(f"bench_certify: exit codes {codes}, not [0]: the figures are not valid",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
