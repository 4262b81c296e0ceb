"""``fixs-harness certify fleet inventory.yaml``: certify every counterparty of an
inventory, with bounded concurrency and a gentle mode, one report per counterparty
and a fleet dashboard. A role of ``certify`` (certify_cmd registers it), not a
command of its own.

Exit code: the worst verdict (1 any non-compliant, else 2 any inconclusive, else 0);
2 also for a bad inventory (file:line) or bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.cli.common import REPORT_FORMATS, parse_formats


def register_role(roles: argparse._SubParsersAction) -> None:
    f = roles.add_parser(
        "fleet",
        help="certify every counterparty of an inventory file",
        description=(
            "Certify each counterparty listed in INVENTORY.yaml (name, HOST:PORT, use case, "
            "profile, trust files, PSK, FIX CompIDs, credentials from environment variables "
            "or 0600 files, optional baseline) like 'certify server', at most --concurrency "
            "at once; one that hangs or crashes is reported and never stops the others. "
            "Writes REPORT_DIR/NAME/ per counterparty and a dashboard (fleet.html, "
            "fleet.json, fleet.md). Exit: the worst verdict."
        ),
    )
    f.add_argument("inventory", type=Path, metavar="INVENTORY.yaml")
    f.add_argument("--concurrency", type=int, default=4, help="counterparties at once (default: 4)")
    f.add_argument(
        "--probe-concurrency",
        type=int,
        default=8,
        help="probe connections at once per counterparty (default: 8)",
    )
    f.add_argument(
        "--gentle",
        action="store_true",
        help="for every counterparty: one probe connection at a time per host, 0.25 s "
        "apart (counterparties that rate-limit; the inventory can mark single ones "
        "'gentle: true')",
    )
    f.add_argument(
        "--per-host-limit",
        type=int,
        metavar="N",
        help="most probe connections open at once to one host (counterparties sharing "
        "it run one after another)",
    )
    f.add_argument(
        "--per-host-delay",
        type=float,
        metavar="S",
        default=0.0,
        help="seconds between two connection starts to one gentle host (default with "
        "--gentle: 0.25)",
    )
    f.add_argument(
        "--deadline",
        type=float,
        default=300.0,
        help="seconds one counterparty may take before it is given up as inconclusive "
        "(default: 300)",
    )
    f.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports/fleet"),
        help="where reports go (default: reports/fleet)",
    )
    f.add_argument(
        "--format",
        default=",".join(REPORT_FORMATS),
        help=f"report formats per counterparty (default: {','.join(REPORT_FORMATS)}); "
        "the dashboard is written as json, html and markdown among them",
    )
    f.add_argument("--no-progress", action="store_true", help="no progress bar")
    f.set_defaults(func=run_fleet_cmd)


def preload_writers(formats: Iterable[str]) -> None:
    """Import the writers of the report formats asked for before the fleet forks
    (harness.report loads a writer only for its format; the children inherit what the
    parent has loaded, and certify, orchestration, does not import the output layer)."""
    import importlib

    from harness.report import writer_modules

    for name in writer_modules(formats):
        importlib.import_module(name)


def run_fleet_cmd(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from harness.certify.fleet import FleetOptions, load_inventory, run_fleet
    from harness.errors import HarnessError
    from harness.report import write_reports
    from harness.report.fleet import write_fleet_dashboard

    formats = parse_formats(args.format)
    preload_writers(formats)
    if args.concurrency < 1 or args.probe_concurrency < 1:
        raise HarnessError("--concurrency and --probe-concurrency must be at least 1")
    if args.per_host_limit is not None and args.per_host_limit < 1:
        raise HarnessError("--per-host-limit must be at least 1")
    if args.per_host_delay < 0 or args.deadline <= 0:
        raise HarnessError("--per-host-delay must be 0 or more and --deadline more than 0")
    counterparties = load_inventory(args.inventory)
    options = FleetOptions(
        report_dir=args.report_dir,
        formats=tuple(formats),
        concurrency=args.concurrency,
        probe_concurrency=args.probe_concurrency,
        per_host_limit=args.per_host_limit,
        per_host_delay=args.per_host_delay,
        gentle_all=args.gentle,
        deadline=args.deadline,
    )
    err = Console(stderr=True)
    progress = Progress(
        TextColumn("certify fleet"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        disable=args.no_progress,
        auto_refresh=False,  # no refresh thread: counterparties run in forked children
    )
    colour = {"pass": "green", "fail": "red", "inconclusive": "yellow"}

    def observer(event: str, row: Any) -> None:
        if event == "done" and row is not None:
            progress.update(
                task, advance=1, description=f"[{colour[row.verdict]}]{row.name}: {row.verdict}[/]"
            )
            progress.refresh()

    with progress:
        task = progress.add_task("", total=len(counterparties))
        fleet = run_fleet(
            counterparties,
            options,
            write=write_reports,
            observer=observer,
            inventory=str(args.inventory),
        )
    secrets = [s for cp in counterparties for s in cp.secrets]
    written = write_fleet_dashboard(fleet, args.report_dir, formats, secrets=secrets)
    out = Console()
    for row in fleet.rows:
        detail = ", ".join(row.defects) or row.error or ""
        expiry = (
            f" expires {row.soonest.not_after[:10]} ({row.soonest.days_left} d)"
            if row.soonest
            else ""
        )
        drift = f" drift {row.drift}" if row.drift else ""
        out.print(
            f"[{colour[row.verdict]}]{row.verdict.upper():12}[/] {row.name} {row.target}"
            f"{expiry}{drift}" + (f": {detail}" if detail else ""),
            highlight=False,
        )
    counts = fleet.counts()
    out.print(
        f"{len(fleet.rows)} counterparties: {counts['pass']} compliant, {counts['fail']} "
        f"non-compliant, {counts['inconclusive']} inconclusive in {fleet.duration_s:.1f} s",
        highlight=False,
    )
    for fmt, path in written.items():
        out.print(f"{fmt:9} dashboard: {path}", highlight=False)
    if fleet.interrupted:
        done = sum(1 for r in fleet.rows if not (r.error or "").startswith(("not run", "inter")))
        print(
            f"fixs-harness: interrupted by {fleet.interrupted}: {done} of "
            f"{len(counterparties)} counterparties finished before it",
            file=sys.stderr,
        )
    return fleet.exit_code
