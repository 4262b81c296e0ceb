"""The ``fixs-harness`` command line.

Each sub-command lives in its own module ``harness.cli.<name>`` with two functions:
``register(subparsers)`` adds its parser (cheap: no heavy imports at module level),
and the parser's ``func`` default runs it and returns the exit code. The registry
below is explicit; nothing is discovered by import side effects.

Exit codes: 0 success, 1 a check or expectation failed, 2 usage or harness error
(bad input, missing tool, unreachable peer, or an internal error: one line on
stderr, the traceback only with ``-v``); interrupted by a signal: 128 + its
number (130 SIGINT, 143 SIGTERM, 129 SIGHUP), after every process, thread and
container the command started has been stopped (:mod:`harness.signals`).
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import logging
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from harness import __version__
from harness.errors import HarnessError

#: Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "rehearse",
    "scenario",
    "init",
    "tunnel",
    "pki",
    "fix",
    "dissect",
    "ciphers",
    "images",
    "certify",
    "lint",
    "pin",
    "verify",
    "diff",
)


def _command_word(argv: Sequence[str]) -> str | None:
    """The sub-command an argument list names: its first word that is not an option
    (the top-level options, ``-v`` and ``--version``, take no value). None when the
    top-level help is asked for before it (``fixs-harness -h run`` lists every
    command)."""
    for word in argv:
        if word in ("-h", "--help"):
            return None
        if not word.startswith("-"):
            return word
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line, or, given the arguments of a run that names a known
    sub-command, only that sub-command's parser: start-up is part of the product
    (docs/architecture.md), and registering every command imports every command
    module. Usage errors and help of a sub-command read the same either way; a
    missing or unknown command gets the full parser and its list of commands."""
    wanted = _command_word(argv) if argv is not None else None
    names = (wanted,) if wanted in COMMAND_MODULES else COMMAND_MODULES
    parser = argparse.ArgumentParser(
        prog="fixs-harness",
        description="Conformance and interoperability tests for FIX sessions over TLS.",
    )
    parser.add_argument("--version", action="version", version=f"fixs-harness {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show the harness's own log messages"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in names:
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
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(words)
        args = parser.parse_args(words)
    except Exception as exc:  # a command module that fails to import: still exit 2
        return _internal_error(exc, verbose="-v" in words or "--verbose" in words)
    _configure_logging(bool(getattr(args, "verbose", False)))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from harness import signals

    try:
        # SIGINT, SIGTERM and SIGHUP all stop the command the Ctrl-C way: clean-up
        # on every path, exit 128 + signal (harness.signals)
        with signals.stop_on_signals():
            code = int(args.func(args))
        stopped = signals.stop_exit_code()
        if stopped is not None and code != stopped:
            # a command that judged what it had before stopping (fix acceptor)
            print(f"fixs-harness: interrupted by {signals.stop_reason()}", file=sys.stderr)
            return stopped
        return code
    except HarnessError as exc:
        if signals.stop_reason() is not None:
            # an error raised while stopping (e.g. a half-started tunnel): the stop wins
            print(f"fixs-harness: interrupted by {signals.stop_reason()}", file=sys.stderr)
            return signals.stop_exit_code() or 130
        print(f"fixs-harness: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        name = getattr(exc, "signame", "SIGINT")
        print(f"fixs-harness: interrupted by {name}", file=sys.stderr)
        return signals.exit_code_for(exc)
    except BrokenPipeError:
        # output piped into head(1) and closed: not an error of ours
        sys.stderr.close()
        return 0
    except Exception as exc:  # a harness bug: still exit 2 (harness error), never 1
        return _internal_error(exc, verbose=bool(getattr(args, "verbose", False)))
    finally:
        signals.ignore_further_if_stopped()


def run() -> NoReturn:
    """The ``fixs-harness`` command (and ``python -m harness``): :func:`main`, then
    :func:`exit_now`."""
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """Exit with ``code`` once the command's own work is done, without the
    interpreter's teardown of every loaded module.

    That teardown does nothing a finished command needs (every file the harness
    writes is closed where it is written) and took a fifth of a whole ``certify
    server`` process (about 0.2 s of 1.1 s). What an exit must do is still done: the
    standard streams are flushed and the ``atexit`` callbacks run (the clean-up
    registry that stops any process or container still registered, logging's
    flush). A thread that is not a daemon still running means someone is waiting
    for it: then the ordinary exit, which joins it, is taken instead."""
    if any(
        t is not threading.main_thread() and not t.daemon and t.is_alive()
        for t in threading.enumerate()
    ):
        sys.exit(code)
    _flush_streams()
    atexit._run_exitfuncs()
    _flush_streams()
    os._exit(code)


def _flush_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and not stream.closed:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass


def _internal_error(exc: Exception, *, verbose: bool) -> int:
    """An exception nobody expected: one line naming it (the traceback with ``-v``),
    exit 2. A traceback's exit status 1 would read as "non-compliant" to CI."""
    text = str(exc).strip()
    detail = f": {text.splitlines()[0]}" if text else ""
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" (at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno})"
    hint = "" if verbose else "; run with -v for the traceback"
    print(
        f"fixs-harness: internal error: {type(exc).__name__}{detail}{where}{hint}", file=sys.stderr
    )
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    run()
