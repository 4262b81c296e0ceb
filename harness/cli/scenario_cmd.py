"""``fixs-harness scenario from-conf``: write a scenario file from two stunnel.conf files.

    fixs-harness scenario from-conf --client ours.conf[:SECTION] \\
        --server theirs.conf[:SECTION] --sender ME --target THEM -o my-rehearsal.yaml

The scenario references the files (``stunnel_file:``, relative to the scenario) and
states the expectations ``rehearse`` would check. It is loaded back before it is
kept. Exit 0 written, 2 usage error (bad file, existing output without --force).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scenario",
        help="scenario files: write one from two stunnel.conf files",
        description="Work with scenario files.",
    )
    verbs = p.add_subparsers(dest="scenario_verb", metavar="VERB")
    fc = verbs.add_parser(
        "from-conf",
        help="write a scenario that runs two stunnel.conf files (stunnel_file:)",
        description=(
            "Write a scenario file whose tunnels are two stunnel.conf files on disk "
            "(FILE or FILE:SECTION), with the expectations rehearse checks: a suite of "
            "the profile, the authentication the configs set up, FIX Logon accepted, "
            "orders round-trip. The file is loaded back before it is kept."
        ),
    )
    fc.add_argument("--client", required=True, metavar="FILE[:SECTION]")
    fc.add_argument("--server", required=True, metavar="FILE[:SECTION]")
    fc.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.yaml")
    fc.add_argument("--id", help="scenario id (default: from the output file name)")
    fc.add_argument("--title", help="scenario title")
    fc.add_argument("--sender", required=True, metavar="COMPID", help="SenderCompID(49)")
    fc.add_argument("--target", required=True, metavar="COMPID", help="TargetCompID(56)")
    fc.add_argument("--begin-string", default="FIX.4.4", choices=("FIX.4.2", "FIX.4.4", "FIXT.1.1"))
    fc.add_argument("--heartbeat", type=int, default=30, metavar="SECONDS")
    fc.add_argument("--profile", default="stunnel-guide-2017")
    fc.add_argument("--orders", type=int, default=3)
    fc.add_argument("--force", action="store_true", help="overwrite an existing output file")
    fc.set_defaults(func=from_conf)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def from_conf(args: argparse.Namespace) -> int:
    from harness.errors import HarnessError
    from harness.runner.rehearse import ConfRef, SessionSpec, rehearsal_scenario
    from harness.scenario import load_scenario
    from harness.scenario.from_conf import scenario_id_for, scenario_yaml

    out: Path = args.output
    if out.suffix not in (".yaml", ".yml"):
        raise HarnessError(f"{out}: a scenario file ends in .yaml or .yml")
    if out.exists() and not args.force:
        raise HarnessError(f"{out} exists (use --force to overwrite)")
    client, server = ConfRef.parse(args.client), ConfRef.parse(args.server)
    spec = SessionSpec(args.begin_string, args.sender, args.target, args.heartbeat)
    # the same reading of the files as rehearse: sections, client/server roles, auth
    scenario = rehearsal_scenario(client, server, spec, profile=args.profile, orders=args.orders)
    auth = scenario.expect.auth.outcome if scenario.expect.auth else None
    scenario_id = args.id or scenario_id_for(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = scenario_yaml(
        scenario_id=scenario_id,
        title=args.title or f"{client} against {server}",
        client=client.path,
        client_section=client.section,
        server=server.path,
        server_section=server.section,
        out_dir=out.parent,
        sender=args.sender,
        target=args.target,
        begin_string=args.begin_string,
        heartbeat_s=args.heartbeat,
        auth=auth,
        profile=args.profile,
        orders=args.orders,
    )
    previous = out.read_bytes() if out.exists() else None
    out.write_text(text, encoding="utf-8")
    try:
        load_scenario(out)
    except HarnessError:
        if previous is None:
            out.unlink()
        else:
            out.write_bytes(previous)
        raise
    print(f"wrote {out} (scenario {scenario_id}; run it: fixs-harness run {out})")
    return 0
