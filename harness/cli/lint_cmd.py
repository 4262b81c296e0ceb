"""``fixs-harness lint stunnel.conf``: findings with line numbers against the guide and a profile.

Exit codes: 0 no findings, 1 findings, 2 unreadable file or bad usage.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lint",
        help="check stunnel.conf files against the guide and a profile",
        description=(
            "Report what in a stunnel.conf goes against the Stunnel Implementation Guide "
            "for FIX Applications (2017) and the profile: TLS version not capped, cipher "
            "names OpenSSL does not know, suites outside the profile, the guide's PSK "
            "table mismatch, a client without verification, verification without "
            "revocation, short or world-readable PSK keys, TCP_NODELAY turned off, no "
            "privilege drop, lines wrapped as in the guide's PDF, referenced files that are "
            "missing, do not parse or leave a private key readable by others, and what "
            "depends on the stunnel version (--stunnel). Each finding has a "
            "line, a severity and the guide section. Exit 0 clean, 1 findings, 2 error."
        ),
    )
    p.add_argument("files", nargs="+", type=Path, metavar="stunnel.conf")
    p.add_argument(
        "--profile",
        default="stunnel-guide-2017",
        help="profile name or file (default: stunnel-guide-2017)",
    )
    p.add_argument(
        "--stunnel",
        default="5.68",
        metavar="VERSION",
        help="the stunnel version the findings are for: 5.56, 5.68 (default) or 5.74 "
        "(default ciphers, deprecated options, hex PSK keys, OCSP defaults)",
    )
    p.add_argument(
        "--no-files",
        action="store_true",
        help="do not check the files the config names (cert, key, CAfile, CRLfile, ...)",
    )
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument(
        "--expiry-days",
        type=int,
        metavar="N",
        help="cert.expiry-horizon: a cert/CAfile certificate expiring within N days is an "
        "error (default: the profile's, 30 for stunnel-guide-2017)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from harness.certify.lint import STUNNEL_VERSIONS, lint_file
    from harness.errors import HarnessError
    from harness.profiles import load_profile

    if args.stunnel not in STUNNEL_VERSIONS:
        raise HarnessError(f"--stunnel must be one of {', '.join(STUNNEL_VERSIONS)}")
    profile = load_profile(args.profile)
    findings = []
    for path in args.files:
        findings.extend(
            lint_file(
                str(path),
                profile,
                stunnel=args.stunnel,
                check_files=not args.no_files,
                expiry_days=args.expiry_days,
            )
        )
    if args.json:
        print(json.dumps([f.to_dict() for f in findings], indent=2))
    else:
        for f in findings:
            print(f.render())
        files = len(args.files)
        print(f"{len(findings)} finding(s) in {files} file(s) (profile {profile.name})")
    return 1 if findings else 0
