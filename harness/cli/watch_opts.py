"""``certify server`` flags for watching a counterparty over time (not a command:
the registry does not list it): ``--baseline``, ``--fail-on-drift``,
``--expiry-days``. Kept apart from certify_cmd so each can change on its own."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.errors import HarnessError


def add_watch_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "watching over time",
        "Compare with an earlier certification and look ahead at certificate expiry.",
    )
    g.add_argument(
        "--baseline",
        type=Path,
        metavar="REPORT.json",
        help="an earlier report.json of this counterparty: every report gets a "
        "'changes since <date>' section (versions, suites, preference, certificate, "
        "client-auth, FIX logon, verdict)",
    )
    g.add_argument(
        "--fail-on-drift",
        action="store_true",
        help="exit 1 when anything changed since --baseline (default: drift is reported only)",
    )
    g.add_argument(
        "--expiry-days",
        type=int,
        metavar="N",
        help="cert.expiry-horizon: fail a served, pinned or CA certificate expiring "
        "within N days (default: the profile's, 30 for stunnel-guide-2017)",
    )


def watch_fields(args: argparse.Namespace) -> dict[str, Any]:
    """ServerRequest fields from the flags; a bad baseline is a usage error now,
    before any probe runs."""
    if args.fail_on_drift and args.baseline is None:
        raise HarnessError("--fail-on-drift needs --baseline")
    if args.expiry_days is not None and args.expiry_days < 0:
        raise HarnessError("--expiry-days must be 0 or more")
    before = None
    if args.baseline is not None:  # read now: the report directory is claimed later
        from harness.certify.drift import load_report

        before = load_report(args.baseline)
    return {"baseline": args.baseline, "before": before, "expiry_days": args.expiry_days}


def load_output_meanwhile(formats: Iterable[str] = ()) -> None:
    """Load the report writers of ``formats`` and the console on a background
    thread, so that it happens while the probes wait on the network (on the second
    core, or in the first one's gaps) instead of before them; the command imports
    them again when it writes, which then costs nothing (or waits for this to
    finish)."""
    import importlib
    import threading

    from harness.report import writer_modules

    def load() -> None:
        for name in (*writer_modules(formats), "harness.cli.lines"):
            with contextlib.suppress(ImportError):  # the command's own import reports it
                importlib.import_module(name)

    threading.Thread(target=load, name="load-output", daemon=True).start()


def drift_exit(run: Any, code: int, args: argparse.Namespace) -> int:
    """Print the changes since the baseline; with --fail-on-drift a change is exit 1
    (a failure outranks inconclusive, as everywhere)."""
    drift = getattr(run, "drift", None)
    if drift is None:
        return code
    from harness.certify.drift import drift_lines

    print(f"changes since {drift.since} ({drift.baseline}):")
    for line in drift_lines(drift) if drift.changes else ["none"]:
        print(f"  {line}")
    if args.fail_on_drift and drift.changes:
        return 1
    return code
