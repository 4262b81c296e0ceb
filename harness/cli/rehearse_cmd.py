"""``fixs-harness rehearse``: go-live rehearsal with your own stunnel.conf files.

    fixs-harness rehearse --client mine.conf[:SECTION] --server theirs.conf[:SECTION] \\
        --sender ME --target THEM [-p CLIENT:SERVER ...] [--local-pairs] [--matrix]
    fixs-harness rehearse --client mine.conf[:SECTION] --connect HOST:PORT \\
        --fix-settings session.cfg [--backend python|stunnel-local|stunnel-docker/SUITE]

The first form runs both files through the scenario machinery on backend pairs; the
second runs our client tunnel against the counterparty's endpoint (as given, not
rewritten), with capture, the TLS checks and a FIX Logon/Logout. Both write the same
reports as ``run``. Secrets (Password(554), RawData(96)) come only from environment
variables or a file of mode 0600. Exit codes as ``run``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli.common import REPORT_FORMATS, parse_formats, secret_from_env


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rehearse",
        help="rehearse go-live: your stunnel.conf files on backend pairs, or against an endpoint",
        description=(
            "Rehearse go-live with your own stunnel.conf files. With --client and --server "
            "(FILE or FILE:SECTION; relative paths inside a file resolve against its "
            "directory), both run on backend pairs through the whole scenario machinery: "
            "loopback rewrite, capture, checks, reports. With --client and --connect "
            "HOST:PORT, our client tunnel runs against the counterparty's endpoint, used "
            "as given: capture, the TLS checks and a FIX Logon/Logout (no orders). "
            "Exit 0 every check passed, 1 a check failed, 2 a harness or usage error or "
            "an inconclusive check."
        ),
    )
    p.add_argument("--client", required=True, metavar="FILE[:SECTION]", help="our client side")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--server", metavar="FILE[:SECTION]", help="the server side, from a file")
    target.add_argument(
        "--connect", metavar="HOST:PORT", help="the counterparty's real TLS endpoint"
    )
    f = p.add_argument_group("FIX session (flags win over --fix-settings)")
    f.add_argument(
        "--fix-settings",
        type=Path,
        metavar="FILE",
        help="QuickFIX-style settings: [DEFAULT] and [SESSION] with BeginString, "
        "SenderCompID, TargetCompID, HeartBtInt (Password/RawData only if the file is 0600)",
    )
    f.add_argument("--sender", metavar="COMPID", help="our SenderCompID(49)")
    f.add_argument("--target", metavar="COMPID", help="their CompID, our TargetCompID(56)")
    f.add_argument("--begin-string", choices=("FIX.4.2", "FIX.4.4", "FIXT.1.1"))
    f.add_argument("--heartbeat", type=int, metavar="SECONDS", help="HeartBtInt(108)")
    f.add_argument("--username", help="Username(553)")
    f.add_argument("--password-env", metavar="VAR", help="Password(554) from this variable")
    f.add_argument("--raw-data-env", metavar="VAR", help="RawData(96) from this variable")
    f.add_argument(
        "--credentials-file",
        type=Path,
        metavar="FILE",
        help="Username=/Password=/RawData= lines, mode 0600",
    )
    r = p.add_argument_group("run")
    r.add_argument(
        "-p",
        "--backend-pair",
        action="append",
        dest="pairs",
        metavar="CLIENT:SERVER",
        help="with --server: backend pair, repeatable (default python:python)",
    )
    r.add_argument("--local-pairs", action="store_true", help="with --server: the four local pairs")
    r.add_argument(
        "--matrix", action="store_true", help="with --server: every python/stunnel-docker pair"
    )
    r.add_argument(
        "--backend",
        default="python",
        help="with --connect: our tunnel's backend (python, stunnel-local, "
        "stunnel-docker/SUITE; default python)",
    )
    r.add_argument("--profile", default="stunnel-guide-2017", help="policy (name or file)")
    from harness.runner.rehearse_options import AUTH_CHOICES

    r.add_argument(
        "--expect-auth",
        choices=AUTH_CHOICES,
        default="auto",
        help="authentication to expect (auto: what the configs set up)",
    )
    r.add_argument(
        "--orders", type=int, default=3, help="with --server: orders to round-trip (default 3)"
    )
    r.add_argument("--report-dir", type=Path, default=Path("reports"))
    r.add_argument("--format", default=",".join(REPORT_FORMATS))
    r.add_argument("--capture", choices=("auto", "tap", "sniff"), default="auto")
    r.add_argument("--timeout", type=float, default=10.0, help="longest wait of one FIX step")
    p.set_defaults(func=run)


def _endpoint(text: str) -> tuple[str, int]:
    from harness.errors import HarnessError

    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise HarnessError(f"--connect wants HOST:PORT with a port 1-65535, got {text!r}")
    return host, int(port)


def run(args: argparse.Namespace) -> int:
    from harness.cli.run_cmd import _pairs, print_run
    from harness.errors import HarnessError
    from harness.profiles import load_profile
    from harness.report import write_reports
    from harness.runner.pairs import make_backend
    from harness.runner.rehearse import (
        ConfRef,
        EndpointRunner,
        conf_secrets,
        endpoint_pair,
        load_credentials_file,
        load_fix_settings,
        rehearsal_scenario,
        session_spec,
    )
    from harness.runner.run import Item, Runner, verdict_exit_code

    formats = parse_formats(args.format)
    load_profile(args.profile)
    if args.orders < 0:
        raise HarnessError("--orders must be >= 0")
    spec = session_spec(
        settings=load_fix_settings(args.fix_settings) if args.fix_settings else None,
        secrets=load_credentials_file(args.credentials_file) if args.credentials_file else None,
        sender=args.sender,
        target=args.target,
        begin_string=args.begin_string,
        heartbeat=args.heartbeat,
        username=args.username,
        password=secret_from_env(args.password_env, "--password-env")
        if args.password_env
        else None,
        raw_data=secret_from_env(args.raw_data_env, "--raw-data-env")
        if args.raw_data_env
        else None,
    )
    endpoint = _endpoint(args.connect) if args.connect else None
    scenario = rehearsal_scenario(
        ConfRef.parse(args.client),
        ConfRef.parse(args.server) if args.server else None,
        spec,
        endpoint=endpoint,
        profile=args.profile,
        auth=args.expect_auth,
        orders=args.orders,
    )
    runner: Runner
    if endpoint is not None:
        if args.pairs or args.local_pairs or args.matrix:
            raise HarnessError("with --connect, choose our tunnel with --backend, not pairs")
        pairs = [endpoint_pair(args.backend, endpoint)]
        runner = EndpointRunner(
            args.report_dir, endpoint, capture=args.capture, timeout=args.timeout, workers=1
        )
    else:
        pairs, notes = _pairs(args)
        for note in notes:
            print(f"note: {note}")
        runner = Runner(args.report_dir, capture=args.capture, timeout=args.timeout, workers=2)
    try:
        for pair in pairs:
            for name in {pair.client} if endpoint else {pair.client, pair.server}:
                avail = make_backend(name).check()
                if not avail.ok:
                    raise HarnessError(f"backend {name} cannot run here: {avail.reason}")
        runner.secrets.update(conf_secrets(scenario))  # our PSK keys never reach a report
        path = Path(str(ConfRef.parse(args.client).path))
        items = [Item(path, scenario, pair) for pair in pairs]
        result = runner.run(items)
        written = write_reports(result, args.report_dir, formats, secrets=sorted(runner.secrets))
    finally:
        runner.close()  # the private work directory (keys, real configs) goes
    print_run(result, written, [scenario])
    if result.interrupted:
        print(f"fixs-harness: interrupted by {result.interrupted}", file=sys.stderr)
    return verdict_exit_code(result)
