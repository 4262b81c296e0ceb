"""``fixs-harness init DIR --counterparty NAME``: scaffold a certification project.

Scenarios for the chosen guide cases and their negative controls, a profile copy to
adapt, ``pytest.ini``/``conftest.py`` so that ``pytest DIR`` runs it in CI, and a
README. Exit 0 written, 2 usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "init",
        help="scaffold a certification project for one counterparty (pytest-ready)",
        description=(
            "Write DIR with the scenarios of the chosen guide cases (positives and the "
            "negative controls that must fail for them), a copy of the profile to adapt, "
            "pytest.ini and conftest.py so that 'pytest DIR' runs it, and a README. With "
            "--client-conf and --server-conf, also a scenario that runs those files."
        ),
    )
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument("--counterparty", required=True, metavar="NAME")
    p.add_argument(
        "--case",
        action="append",
        dest="cases",
        choices=("1a", "1b", "2", "3a", "3b"),
        help="guide use case, repeatable (default: all five)",
    )
    p.add_argument("--profile", default="stunnel-guide-2017", help="base profile to copy")
    p.add_argument("--client-conf", metavar="FILE[:SECTION]", help="your client stunnel.conf")
    p.add_argument("--server-conf", metavar="FILE[:SECTION]", help="the server stunnel.conf")
    p.add_argument("--sender", default="US", help="SenderCompID for the conf-file scenario")
    p.add_argument("--target", help="TargetCompID for the conf-file scenario")
    p.add_argument("--force", action="store_true", help="write into a non-empty directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness.scenario.scaffold import init_project

    result = init_project(
        args.directory,
        args.counterparty,
        cases=tuple(dict.fromkeys(args.cases or ("1a", "1b", "2", "3a", "3b"))),
        profile=args.profile,
        client_conf=args.client_conf,
        server_conf=args.server_conf,
        sender=args.sender,
        target=args.target,
        force=args.force,
    )
    for rel in result.files:
        print(f"wrote {result.directory / rel}")
    print(f"run it: pytest {result.directory}  (see {result.directory / 'README.md'})")
    return 0
