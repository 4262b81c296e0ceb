"""``fixs-harness fix``: a standalone mock FIX initiator or acceptor.

    fixs-harness fix initiator --connect HOST:PORT [session options] [--script FILE]
    fixs-harness fix acceptor  --listen  HOST:PORT [session options] [--script FILE]

For pre-go-live tests against a real counterparty (or each other from two shells).
Session settings come from flags, a settings file (YAML/JSON, the keys of
``SessionSettings.from_mapping``), or both (flags win). Secrets are read from
environment variables (``--password-env``, ``--raw-data-env``) or the file, never
from the command line, where ``ps`` would show them. The transcript is printed live
with secrets redacted. Without ``--script`` the conversation is: logon, ``--orders``
NewOrderSingle/ExecutionReport round trips, logout.

``fix acceptor --sessions N`` serves N sessions in turn (0: until stopped), runs the
script once per session and judges each on its own (one ``session K: OK|FAILED`` line
each); connections whose first frame is not a Logon are logged, never judged, so the
acceptor can sit behind stunnel through a whole ``certify server`` run.

Exit codes: 0 every expectation held (in every session), 1 one did not, 2 usage or
connection error (or no session at all).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from harness.cli.common import secret_from_env


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fix",
        help="run a mock FIX initiator or acceptor (standalone, against a counterparty)",
        description="Run a mock FIX initiator or acceptor with a conversation script.",
    )
    sub = parser.add_subparsers(dest="fix_role", metavar="ROLE")
    init = sub.add_parser(
        "initiator",
        help="connect to HOST:PORT, log on and run the script",
        description="Connect to a FIX acceptor, log on, run the conversation script.",
    )
    init.add_argument("--connect", required=True, metavar="HOST:PORT", help="the acceptor")
    _session_options(init)
    init.set_defaults(func=_initiator)
    acc = sub.add_parser(
        "acceptor",
        help="listen on HOST:PORT and run the script against the initiator that connects",
        description=(
            "Listen for a FIX initiator, accept its Logon (CompIDs and credentials "
            "checked), answer NewOrderSingle with ExecutionReport, run the script."
        ),
    )
    acc.add_argument("--listen", required=True, metavar="HOST:PORT", help="port 0 = any free port")
    acc.add_argument(
        "--accept-timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait for the initiator to connect (default 300)",
    )
    acc.add_argument(
        "--sessions",
        type=int,
        default=1,
        metavar="N",
        help="serve N sessions one after another, each judged on its own; 0 = until "
        "stopped (Ctrl-C or SIGTERM). Connections that never send a Logon (e.g. a TLS "
        "probe behind stunnel) are logged and ignored (default 1)",
    )
    _session_options(acc)
    acc.set_defaults(func=_acceptor)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _session_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("session")
    g.add_argument("--settings", metavar="FILE", help="session settings file (YAML or JSON)")
    g.add_argument("--sender", metavar="COMPID", help="our SenderCompID(49)")
    g.add_argument("--target", metavar="COMPID", help="the peer's CompID, our TargetCompID(56)")
    g.add_argument("--begin-string", choices=("FIX.4.2", "FIX.4.4", "FIXT.1.1"))
    g.add_argument("--appl-ver-id", metavar="ID", help="DefaultApplVerID(1137) for FIXT.1.1")
    g.add_argument("--heartbeat", type=int, metavar="SECONDS", help="HeartBtInt(108)")
    g.add_argument(
        "--reset", action="store_true", default=None, help="ResetSeqNumFlag(141)=Y on logon"
    )
    g.add_argument("--username", help="Username(553) (initiator: sent; acceptor: required)")
    g.add_argument("--password-env", metavar="VAR", help="Password(554) from this variable")
    g.add_argument(
        "--raw-data-env", metavar="VAR", help="RawData(96) credentials from this variable"
    )
    c = p.add_argument_group("conversation")
    c.add_argument(
        "--script", metavar="FILE", help="conversation script (default: logon, orders, logout)"
    )
    c.add_argument(
        "--orders", type=int, default=10, metavar="N", help="orders in the default script"
    )
    c.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="longest wait of one step"
    )
    c.add_argument(
        "--json", metavar="FILE", help="also write the result (transcript included) as JSON"
    )
    c.add_argument("--quiet", action="store_true", help="do not print the transcript live")


def _host_port(text: str, flag: str) -> tuple[str, int]:
    from harness.errors import HarnessError

    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise HarnessError(f"{flag} wants HOST:PORT, got {text!r}")
    return host, int(port)


def _settings(args: argparse.Namespace) -> Any:
    from pathlib import Path

    import yaml

    from harness.errors import HarnessError, SourceLocation
    from harness.fix.settings import SessionSettings

    data: dict[str, Any] = {}
    origin = SourceLocation("<command line>")
    if args.settings:
        path = Path(args.settings)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise HarnessError(f"cannot read settings file {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise HarnessError(f"{path}: not valid YAML/JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise HarnessError(f"{path}: settings must be a mapping")
        data.update(loaded)
        origin = SourceLocation(str(path))
    for flag, key in (
        ("sender", "sender_comp_id"),
        ("target", "target_comp_id"),
        ("begin_string", "begin_string"),
        ("appl_ver_id", "default_appl_ver_id"),
        ("heartbeat", "heartbeat_interval"),
        ("reset", "reset_on_logon"),
    ):
        value = getattr(args, flag)
        if value is not None:
            data[key] = value

    creds = dict(data.get("credentials") or {})
    if args.username:
        creds["username"] = args.username
    if args.password_env:
        creds["password"] = secret_from_env(args.password_env, "--password-env")
    if args.raw_data_env:
        creds.pop("password", None)
        creds.pop("username", None)
        creds["raw_data"] = secret_from_env(args.raw_data_env, "--raw-data-env")
    if creds:
        data["credentials"] = creds
    return SessionSettings.from_mapping(data, origin=origin)


def _script(args: argparse.Namespace, *, acceptor: bool) -> Any:
    from pathlib import Path

    from harness.errors import HarnessError, SourceLocation
    from harness.fixnet.script import default_script, parse_script

    if not args.script:
        if args.orders < 0:
            raise HarnessError("--orders must be >= 0")
        return default_script(args.orders, acceptor=acceptor)
    path = Path(args.script)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"cannot read script {path}: {exc.strerror}") from None
    return parse_script(text, origin=SourceLocation(str(path), 1))


def _printer(quiet: bool) -> Any:
    if quiet:
        return None

    def show(line: str) -> None:
        print(line, flush=True)

    return show


def _finish(result: Any, args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    for failure in result.failures:
        print(f"FAILED {failure}", file=sys.stderr)
    if result.error:
        print(f"fixs-harness: error: {result.error}", file=sys.stderr)
        return 2
    print("OK: every expectation held" if result.ok else "FAILED", flush=True)
    return 0 if result.ok else 1


def _initiator(args: argparse.Namespace) -> int:
    import asyncio

    from harness.fixnet.conversation import run_initiator

    host, port = _host_port(args.connect, "--connect")
    settings = _settings(args)
    script = _script(args, acceptor=False)
    result = asyncio.run(
        run_initiator(
            settings, script, host, port, timeout=args.timeout, observer=_printer(args.quiet)
        )
    )
    return _finish(result, args)


def _acceptor(args: argparse.Namespace) -> int:
    import asyncio

    from harness.errors import HarnessError
    from harness.fixnet.acceptor import MockAcceptor, run_acceptor_script

    host, port = _host_port(args.listen, "--listen")
    settings = _settings(args)
    script = _script(args, acceptor=True)
    if args.sessions < 0:
        raise HarnessError("--sessions must be >= 0 (0 = until stopped)")
    forever = args.sessions == 0

    async def main() -> list[Any]:
        acceptor = MockAcceptor(settings, observer=_printer(args.quiet), logon_only=True)
        bound = await acceptor.start(host, port)
        print(f"listening on {bound[0]}:{bound[1]}", flush=True)
        results: list[Any] = []
        stop = _stop_on_signals(asyncio.current_task())
        try:
            while forever or len(results) < args.sessions:
                result = await run_acceptor_script(
                    acceptor,
                    script,
                    timeout=args.timeout,
                    accept_timeout=1e9 if forever else args.accept_timeout,
                )
                results.append(result)
                if args.sessions != 1:
                    _session_line(len(results), result)
                if result.error:
                    break
        except asyncio.CancelledError:
            print(f"stopped after {len(results)} session(s)", flush=True)
        finally:
            stop()
            for line in acceptor.ignored:
                print(f"ignored connection without a Logon: {line}", flush=True)
            await acceptor.stop()
        return results

    results = asyncio.run(main())
    if args.sessions == 1 and results:
        return _finish(results[0], args)
    return _finish_many(results, args)


def _stop_on_signals(task: Any) -> Any:
    """SIGINT/SIGTERM/SIGHUP cancel the serving task, so the sessions so far are
    judged and printed; the signal is recorded as the harness's stop signal, so the
    command then exits 128 + its number ("interrupted by ...")."""
    import asyncio

    from harness import signals

    loop = asyncio.get_running_loop()
    installed = []

    def stop(sig: int) -> None:
        if signals.note_signal(sig):
            task.cancel()

    for sig in signals.STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, stop, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    def remove() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return remove


def _session_line(n: int, result: Any) -> None:
    verdict = "OK" if result.ok else "ERROR" if result.error else "FAILED"
    why = f": {result.error or (result.failures[0] if result.failures else '')}"
    print(f"session {n}: {verdict}" + (why if verdict != "OK" else ""), flush=True)


def _finish_many(results: list[Any], args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    judged = [r for r in results if not r.error]
    if args.json:
        doc = {"sessions": [r.to_dict() for r in results]}
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    failed = [i for i, r in enumerate(results, 1) if not r.ok and not r.error]
    print(
        f"{len(judged)} session(s) judged, {len(failed)} failed"
        + (f" (session {', '.join(map(str, failed))})" if failed else ""),
        flush=True,
    )
    if not judged:
        for r in results:
            if r.error:
                print(f"fixs-harness: error: {r.error}", file=sys.stderr)
        return 2
    return 1 if failed else 0
