"""The ``fixs-harness`` command line.

Each sub-command lives in its own module ``harness.cli.<name>`` with two functions:
``register(subparsers)`` adds its parser (cheap: no heavy imports at module level),
and the parser's ``func`` default runs it and returns the exit code. The registry
below is explicit; nothing is discovered by import side effects.

Exit codes: 0 success, 1 a check or expectation failed, 2 usage or harness error
(bad input, missing tool, unreachable peer), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from harness import __version__
from harness.errors import HarnessError

#: Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "tunnel",
    "pki",
    "fix",
    "dissect",
    "ciphers",
    "images",
    "certify",
    "lint",
    "pin",
    "diff",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fixs-harness",
        description="Conformance and interoperability tests for FIX sessions over TLS.",
    )
    parser.add_argument("--version", action="version", version=f"fixs-harness {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show the harness's own log messages"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"harness.cli.{name}_cmd")
        except ModuleNotFoundError as exc:
            if exc.name == f"harness.cli.{name}_cmd":
                continue  # not built yet
            raise
        module.register(sub)
    return parser


def _configure_logging(verbose: bool) -> None:
    """Library loggers stay quiet unless asked: what a command shows is its own output
    (transcripts, tables), not the libraries' warnings. scapy's chatter about
    loopback link types is never useful here."""
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("harness").setLevel(logging.INFO if verbose else logging.ERROR)
    for name in ("scapy", "scapy.runtime", "scapy.loading"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(bool(getattr(args, "verbose", False)))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except HarnessError as exc:
        print(f"fixs-harness: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fixs-harness: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # output piped into head(1) and closed: not an error of ours
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
