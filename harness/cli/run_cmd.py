"""``fixs-harness run``: scenarios × backend pairs → checks → reports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from harness.checks.model import RunResult
    from harness.evidence.pack import PackResult
    from harness.runner.pairs import BackendPair
    from harness.scenario import Scenario

from harness.cli.common import REPORT_FORMATS, add_evidence_flags, check_evidence, parse_formats


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
    p.add_argument(
        "--selftest",
        action="store_true",
        help=(
            "also run the self-test scenarios found in selftest/ directories (a directory "
            "search leaves them out; naming their directory or file runs them anyway)"
        ),
    )
    p.add_argument("--list", action="store_true", help="list the items that would run, then exit")
    add_evidence_flags(p, default="none unless given")
    p.add_argument(
        "--keep-keys",
        action="store_true",
        help="keep the TLS key logs (mode 0600) in the run's private work directory, "
        "outside the report directory, and name them in the report (default: deleted "
        "when the run ends)",
    )
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
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from harness.checks.model import ScenarioResult
    from harness.errors import HarnessError
    from harness.profiles import load_profile
    from harness.report import write_reports
    from harness.runner.pairs import make_backend
    from harness.runner.run import Item, Runner, collect, verdict_exit_code

    console = Console(stderr=True)
    formats = parse_formats(args.format)
    if args.workers < 1:
        raise HarnessError("--workers must be at least 1")
    if (args.sign_key or args.include_keys) and args.evidence is None:
        raise HarnessError("--sign-key and --include-keys need --evidence DIR")
    check_evidence(
        args.evidence, args.sign_key, include_keys=args.include_keys, report_dir=args.report_dir
    )
    pairs, notes = _pairs(args)
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")
    for pair in pairs:
        for name in {pair.client, pair.server}:
            avail = make_backend(name).check()
            if not avail.ok:
                raise HarnessError(f"backend {name} cannot run here: {avail.reason}")
    paths = args.paths or [Path("scenarios")]
    left_out: list[Path] = []
    items = collect(paths, pairs, selftest=args.selftest, left_out=left_out)
    if left_out:
        console.print(
            f"[yellow]note:[/] {len(left_out)} self-test scenario(s) in selftest/ left out "
            "(they fail on purpose; --selftest or name the directory to run them)"
        )
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

        done = [0]

        def observer(item: Item, result: ScenarioResult | None) -> None:
            progress.advance(task)
            if not console.is_terminal and result is not None:
                # no progress bar in a CI log: one line per finished item instead
                done[0] += 1
                label = "error" if result.error else result.verdict.value
                console.print(
                    f"[{done[0]}/{len(items)}] {escape(item.id)}: {label} "
                    f"({result.duration_s:.1f} s)",
                    highlight=False,
                )

        runner = Runner(
            args.report_dir,
            capture=args.capture,
            timeout=args.timeout,
            workers=args.workers,
            observer=observer,
            keep_keys=args.keep_keys,
        )
        try:
            result = runner.run(items)
        except BaseException:
            runner.close()
            raise
    # the key logs live in the run's private work directory, which close() removes
    keylogs = runner.dirs.keylog_texts() if args.evidence is not None and args.include_keys else []
    try:
        written = write_reports(result, args.report_dir, formats, secrets=sorted(runner.secrets))
    finally:
        kept = runner.close()

    out = print_run(result, written, [i.scenario for i in items if i.scenario])
    if args.evidence is not None:
        from harness.evidence.collect import pack_run

        pack = pack_run(
            args.evidence,
            result,
            args.report_dir,
            written,
            scenario_paths=[i.path for i in items],
            secrets=runner.secrets,
            include_keys=args.include_keys,
            keylogs=keylogs,
            sign_key=args.sign_key,
        )
        out.print(_pack_line(pack), highlight=False)
    if kept:
        out.print(
            f"{len(kept)} TLS key log(s) kept (mode 0600, outside the report directory) "
            f"under {runner.dirs.work_dir}"
        )
    if result.interrupted:
        console.print(
            f"fixs-harness: interrupted by {result.interrupted}: "
            f"{len(result.results)} of {len(items)} item(s) finished and are reported"
        )
    return verdict_exit_code(result)


def print_run(
    result: RunResult, written: dict[str, Path], loaded: Sequence[Scenario] = ()
) -> Console:
    """The result table, each failed or inconclusive check at the file:line of its
    expectation (``loaded``: the scenarios, to find those lines), the totals and where
    the reports are; ``run`` and ``rehearse`` print the same. Returns the console."""
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
            if r.selftest is not None and not r.error:
                label = r.selftest.summary() if r.selftest.held else f"selftest {label}"
            row.append(f"[{colour.get(r.verdict.value, 'white')}]{escape(label)}[/]")
        table.add_row(*row)
    out = Console(width=None if Console().is_terminal else 160)
    out.print(table)
    from harness.scenario.locate import expectation_location

    scenarios = {s.id: s for s in loaded}
    for r in result.results:
        # README: "file:line: scenario ID on PAIR: verdict", then per failing check the
        # file:line of the expectation it compares against (the scenario's own line
        # when the profile, not the scenario, set the expectation)
        scenario = scenarios.get(r.scenario_id)
        if r.verdict.value == "pass" and not r.error:
            continue
        out.print(
            escape(f"{r.source}: scenario {r.scenario_id} on {r.backend_pair}: {r.verdict.value}"),
            highlight=False,
            soft_wrap=True,
        )
        if r.error:
            out.print(
                f"  [red]error[/] {escape(r.error.splitlines()[0])}",
                highlight=False,
                soft_wrap=True,
            )
        expected = set(r.selftest.expected_failed) if r.selftest is not None else set()
        if r.selftest is not None and not r.selftest.held:
            out.print(f"  [red]SELFTEST[/] {escape(r.selftest.summary())}", highlight=False)
        for c in r.checks:
            if c.verdict.value not in ("fail", "inconclusive"):
                continue
            if c.id in expected and c.verdict.value == "fail":
                continue  # a self-test's expected failure: shown in the table, not a defect
            section = f" (guide {c.guide_section})" if c.guide_section else ""
            line = expectation_location(scenario, c.id, r.backend_pair) if scenario else None
            detail = (
                f"{line or r.source}: [{c.verdict.value}] {c.id}{section}: "
                f"expected {c.expected}; observed {c.observed}"
            )
            if c.reason:
                detail += f" ({c.reason})"
            out.print(f"  {escape(detail)}", highlight=False, soft_wrap=True)
            if c.remedy:
                out.print(f"    fix: {escape(c.remedy)}", highlight=False, soft_wrap=True)
            for evidence in c.evidence:
                out.print(f"    {escape(evidence)}", highlight=False, soft_wrap=True)
    # an item that errored (a scenario that did not load, a tunnel that would not
    # start or died) is counted as an error, apart from the inconclusive ones
    tally = result.tally()
    held = sum(1 for r in result.results if r.selftest is not None and r.selftest.held)
    summary = (
        f"{tally['pass']} passed, {tally['fail']} failed, {tally['inconclusive']} inconclusive, "
        f"{tally['error']} error(s)"
        + (f" ({held} of the passes are self-tests whose failures were expected)" if held else "")
    )
    # checks counted apart: consequences of a failure above, and warnings that do not fail
    apart = {"not-reached": "check(s) not reached (consequences)", "warn": "warning(s)"}
    for verdict, words in apart.items():
        n = sum(1 for r in result.results for c in r.checks if c.verdict.value == verdict)
        if n:
            summary += f"; {n} {words}"
    out.print(summary)
    for fmt, path in written.items():
        out.print(f"{fmt:9} report: {path}")
    return out


def _pack_line(pack: PackResult) -> str:
    signed = "signed" if pack.signed else "unsigned"
    keys = "WITH TLS session keys (0600)" if pack.includes_keys else "no secrets"
    return f"evidence  pack: {pack.directory} ({len(pack.files)} files, {signed}, {keys})"
