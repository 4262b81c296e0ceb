"""``fixs-harness diff A.json B.json``: what changed from one saved report to another.

Works on ``run`` and ``certify`` reports alike (see :mod:`harness.certify.drift`).
Exit codes, as diff(1): 0 no change, 1 changes, 2 unreadable or not a report.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diff",
        help="what changed between two saved report.json files (run or certify)",
        description=(
            "Compare two report.json files, the baseline first: versions and suites added "
            "or removed, preference order, certificate (fingerprint, issuer, key, SANs, "
            "expiry), client-certificate and PSK behaviour, FIX logon behaviour, verdicts, "
            "negotiated parameters. Exit 0 no change, 1 changes, 2 bad input."
        ),
    )
    p.add_argument("before", type=Path, metavar="A.json", help="the baseline report")
    p.add_argument("after", type=Path, metavar="B.json", help="the later report")
    p.add_argument("--json", action="store_true", help="print the changes as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness.certify.drift import compare, drift_lines, load_report

    before = load_report(args.before)
    after = load_report(args.after)
    section = compare(before, after, baseline=str(args.before))
    if args.json:
        from harness.report.jsondoc import drift_doc

        print(json.dumps(drift_doc(section), indent=2))
    else:
        print(f"{args.before} ({before.started}) → {args.after} ({after.started})")
        for line in drift_lines(section):
            print(f"  {line}")
    return 1 if section.changes else 0
