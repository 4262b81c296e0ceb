"""``fixs-harness run``: scenarios × backend pairs → checks → reports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.checks.model import RunResult
    from harness.runner.pairs import BackendPair

from harness.cli.common import REPORT_FORMATS, parse_formats


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run scenario files on backend pairs and write compliance reports",
        description=(
            "Run each scenario (a guide use case or a negative control) on each backend "
            "pair (CLIENT:SERVER, e.g. python:stunnel-local): start both tunnels, the "
            "mock FIX acceptor and initiator, capture the TLS leg, check what the wire "
            "showed against the scenario's expectations and profile, and write reports. "
            "Exit 0 when every check passed, 1 when any failed, 2 on a harness or usage "
            "error or an inconclusive result."
        ),
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="scenario files or directories (default: scenarios/)",
    )
    p.add_argument(
        "--backend-pair",
        "-p",
        action="append",
        dest="pairs",
        metavar="CLIENT:SERVER",
        help="backend pair, repeatable (python, stunnel-local, stunnel-docker/SUITE); default python:python",
    )
    p.add_argument(
        "--local-pairs",
        action="store_true",
        help="python:python, and all four pairs of python and stunnel-local when stunnel is installed",
    )
    p.add_argument(
        "--matrix",
        action="store_true",
        help="every pair of {python, stunnel-docker/bullseye, /bookworm, /trixie}",
    )
    p.add_argument("--profile", help="check every scenario against this profile (name or file)")
    p.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        help="where reports go (default: reports/)",
    )
    p.add_argument(
        "--format",
        default=",".join(REPORT_FORMATS),
        help=f"comma-separated report formats (default: {','.join(REPORT_FORMATS)})",
    )
    p.add_argument(
        "--capture",
        choices=("auto", "tap", "sniff"),
        default="auto",
        help="capture method (default: auto)",
    )
    p.add_argument("--workers", type=int, default=2, help="scenarios run in parallel (default: 2)")
    p.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds any one FIX step may wait (default: 10)",
    )
    p.add_argument("--list", action="store_true", help="list the items that would run, then exit")
    p.set_defaults(func=run)


def _pairs(args: argparse.Namespace) -> tuple[list[BackendPair], list[str]]:
    """The requested pairs; with --local-pairs, stunnel-local pairs are dropped with a
    note when stunnel is not installed (the main job still runs python:python)."""
    from harness.runner.pairs import make_backend, select_pairs

    pairs = select_pairs(args.pairs or [], local=args.local_pairs, matrix=args.matrix)
    notes: list[str] = []
    if args.local_pairs:
        avail = make_backend("stunnel-local").check()
        if not avail.ok:
            explicit = set(args.pairs or [])
            pairs = [
                p
                for p in pairs
                if "stunnel-local" not in (p.client, p.server) or p.name in explicit
            ]
            notes.append(f"stunnel-local pairs skipped: {avail.reason}")
    return pairs, notes


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from harness.errors import HarnessError
    from harness.profiles import load_profile
    from harness.report import write_reports
    from harness.runner.pairs import make_backend
    from harness.runner.run import Item, Runner, collect, verdict_exit_code

    console = Console(stderr=True)
    formats = parse_formats(args.format)
    if args.workers < 1:
        raise HarnessError("--workers must be at least 1")
    pairs, notes = _pairs(args)
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")
    for pair in pairs:
        for name in {pair.client, pair.server}:
            avail = make_backend(name).check()
            if not avail.ok:
                raise HarnessError(f"backend {name} cannot run here: {avail.reason}")
    paths = args.paths or [Path("scenarios")]
    items = collect(paths, pairs)
    if args.profile:
        load_profile(args.profile)  # fail early on a bad profile
        items = [
            dataclasses.replace(i, scenario=dataclasses.replace(i.scenario, profile=args.profile))
            if i.scenario
            else i
            for i in items
        ]
    if not items:
        raise HarnessError(f"no scenario files under {', '.join(map(str, paths))}")
    if args.list:
        # a file that does not load is listed with its error (once, not per pair)
        # and makes the listing exit 2: it would be an error in the run too
        broken: dict[Path, str] = {}
        for item in items:
            if item.load_error is not None:
                broken.setdefault(item.path, str(item.load_error))
            else:
                print(item.id)
        for message in broken.values():
            print(f"error: {message}")
        return 2 if broken else 0

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("running scenarios", total=len(items))

        def observer(item: Item, result: object) -> None:
            progress.advance(task)

        runner = Runner(
            args.report_dir,
            capture=args.capture,
            timeout=args.timeout,
            workers=args.workers,
            observer=observer,
        )
        result = runner.run(items)
    written = write_reports(result, args.report_dir, formats, secrets=sorted(runner.secrets))
    print_run(result, written)
    return verdict_exit_code(result)


def print_run(result: RunResult, written: dict[str, Path]) -> None:
    """The result table, each failed or inconclusive check, the totals and where the
    reports are (``run`` and ``rehearse`` print the same)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=f"fixs-harness: {len(result.results)} result(s) in {result.duration_s:.1f} s"
    )
    table.add_column("scenario")
    pair_names = list(result.backend_pairs)
    for name in pair_names:
        table.add_column(name)
    colour = {
        "pass": "green",
        "fail": "red",
        "inconclusive": "yellow",
        "warn": "yellow",
        "not-applicable": "dim",
        "not-reached": "dim",
    }
    for sid in result.scenario_ids:
        row = [sid]
        for name in pair_names:
            match = [r for r in result.results if r.scenario_id == sid and r.backend_pair == name]
            if not match:
                row.append("-")
                continue
            r = match[0]
            label = "error" if r.error else r.verdict.value
            row.append(f"[{colour.get(r.verdict.value, 'white')}]{label}[/]")
        table.add_row(*row)
    out = Console(width=None if Console().is_terminal else 160)
    out.print(table)
    for r in result.results:
        where = escape(f"{r.scenario_id} [{r.backend_pair}]")
        if r.error:
            out.print(f"[red]error[/] {where}: {escape(r.error.splitlines()[0])}")
        for c in r.checks:
            if c.verdict.value == "pass":
                continue
            label = "[red]FAIL[/]" if c.verdict.value == "fail" else "[yellow]INCONCLUSIVE[/]"
            section = f" (guide {c.guide_section})" if c.guide_section else ""
            detail = f"{c.id}{section}: expected {c.expected}; observed {c.observed}"
            if c.reason:
                detail += f" [{c.reason}]"
            out.print(f"{label} {where} {escape(detail)}")
    # an item that errored (a scenario that did not load, a tunnel that would not
    # start) is counted as an error, apart from the inconclusive ones
    tally = result.tally()
    out.print(
        f"{tally['pass']} passed, {tally['fail']} failed, {tally['inconclusive']} inconclusive, "
        f"{tally['error']} error(s)"
    )
    for fmt, path in written.items():
        out.print(f"{fmt:9} report: {path}")
