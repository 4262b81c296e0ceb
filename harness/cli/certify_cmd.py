"""``fixs-harness certify server|client``: certify a counterparty's TLS endpoint.

Exit codes: 0 compliant, 1 non-compliant (a check failed), 2 inconclusive
(unreachable, no handshake possible, a requirement that could not be checked, or a
usage error); 130 / 143 / 129 stopped by SIGINT / SIGTERM / SIGHUP after writing a
report marked interrupted (harness.certify.server, harness.certify.client).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.cli.common import (
    REPORT_FORMATS,
    add_evidence_flags,
    check_evidence,
    parse_formats,
    secret_from_env,
)
from harness.cli.fleet_cmd import register_role as register_fleet
from harness.cli.watch_opts import (
    add_watch_arguments,
    drift_exit,
    load_output_meanwhile,
    watch_fields,
)

CASES = ("1a", "1b", "2", "3a", "3b")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile",
        default="stunnel-guide-2017",
        help="policy to hold the peer to: a built-in name or a file (default: stunnel-guide-2017)",
    )
    p.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports/certify"),
        help="where reports go (default: reports/certify)",
    )
    p.add_argument(
        "--format",
        default=",".join(REPORT_FORMATS),
        help=f"comma-separated report formats (default: {','.join(REPORT_FORMATS)})",
    )
    p.add_argument(
        "--timeout", type=float, default=5.0, help="seconds per probe connection (default: 5)"
    )
    add_evidence_flags(p, default="default: REPORT_DIR/evidence")
    p.add_argument("--no-evidence", action="store_true", help="do not write an evidence pack")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "certify",
        help="certify a counterparty's TLS server or client against a profile",
        description=(
            "Probe a counterparty's FIX-over-TLS endpoint and judge what the wire shows "
            "against a profile. Exit 0 compliant, 1 non-compliant, 2 inconclusive."
        ),
    )
    roles = p.add_subparsers(dest="role", metavar="ROLE")
    s = roles.add_parser(
        "server",
        help="probe a TLS server (the counterparty's acceptor side)",
        description=(
            "Probe HOST:PORT: TLS versions, every cipher suite by IANA code (profile "
            "suites one by one, all others batched), preference order, certificate "
            "(validity, key, signature, SAN/IP, chain, pin, revocation), client "
            "authentication (missing, self-signed, unrelated-CA, expired certificates), "
            "PSK, compression, DHE sizes, resumption. Each verdict comes from the "
            "dissected wire bytes."
        ),
    )
    s.add_argument("address", metavar="HOST:PORT", help="the server (a name or an address)")
    s.add_argument(
        "--case",
        choices=CASES,
        help="guide use case the connection follows (decides which authentication checks are requirements)",
    )
    s.add_argument("--cert", type=Path, help="our client certificate chain (PEM), for mutual TLS")
    s.add_argument("--key", type=Path, help="its private key (PEM; default: in --cert)")
    s.add_argument("--cafile", type=Path, help="CA certificates the server's chain must reach")
    s.add_argument("--pin", type=Path, help="pinned server certificate(s) (PEM), e.g. from 'pin'")
    s.add_argument("--crl", type=Path, help="CRL (PEM or DER) to check the server's leaf against")
    s.add_argument("--ocsp", metavar="URL", help="OCSP responder to ask about the server's leaf")
    s.add_argument("--psk-identity", help="PSK identity (default: the secrets file's first line)")
    s.add_argument("--psk-secrets", type=Path, help="stunnel PSKsecrets file (IDENTITY:KEY lines)")
    s.add_argument(
        "--unpinned-cert",
        type=Path,
        help="a client certificate from the server's CA that the server does not pin (must be refused)",
    )
    s.add_argument("--unpinned-key", type=Path, help="its private key")
    s.add_argument(
        "--concurrency", type=int, default=8, help="most probe connections at once (default: 8)"
    )
    s.add_argument("--no-pcap", action="store_true", help="do not save the probes' pcap")
    s.add_argument(
        "--scope",
        choices=("full", "tls"),
        default="full",
        help="full (default): every check that defines --case must run and pass; tls: "
        "certify the TLS layer only (the FIX Logon checks of cases 3a/3b are left out, "
        "and the headline says so)",
    )
    fix = s.add_argument_group(
        "FIX Logon probe (optional)",
        "With --sender and --target, a FIX session logs on through the TLS endpoint "
        "(our Python tunnel as the TLS client, with the TLS credentials above); with a "
        "password or RawData, a second session with a wrong one must be refused.",
    )
    fix.add_argument("--sender", metavar="COMPID", help="our SenderCompID(49)")
    fix.add_argument(
        "--target", metavar="COMPID", help="the counterparty's CompID, our TargetCompID(56)"
    )
    fix.add_argument("--username", help="Username(553)")
    fix.add_argument(
        "--password",
        help="Password(554) (visible to other users in the process list: prefer --password-env)",
    )
    fix.add_argument(
        "--password-env", metavar="VAR", help="Password(554) from this environment variable"
    )
    fix.add_argument(
        "--raw-data-env",
        metavar="VAR",
        help="RawData(96) credentials from this environment variable (FIXS)",
    )
    fix.add_argument(
        "--foreign-sender",
        metavar="COMPID",
        help="another counterparty's SenderCompID: a Logon with our credentials under it "
        "must be refused (fix.logon.compid-bound, FIXS)",
    )
    fix.add_argument(
        "--other-cert",
        type=Path,
        help="a certificate (PEM) the server trusts for another counterparty: our Logon over "
        "TLS with it must be refused at the handshake or the Logon "
        "(fix.logon.other-identity-refused)",
    )
    fix.add_argument("--other-key", type=Path, help="its private key (default: in --other-cert)")
    fix.add_argument(
        "--begin-string",
        default="FIX.4.4",
        choices=("FIX.4.2", "FIX.4.4", "FIXT.1.1"),
        help="BeginString (default: FIX.4.4)",
    )
    _common(s)
    add_watch_arguments(s)
    s.set_defaults(func=run_server)

    c = roles.add_parser(
        "client",
        help="be the server for a counterparty's TLS client and judge it",
        description=(
            "Listen on --listen; the counterparty's initiator connects once per round: "
            "1) a valid certificate (its ClientHello is recorded: versions, suites in "
            "order, SNI, groups; and whether it presents a client certificate), then "
            "certificates it must refuse: 2) for another host/IP, 3) from an unrelated "
            "CA, 4) expired."
        ),
    )
    c.add_argument(
        "--listen", required=True, metavar="HOST:PORT", help="loopback address to listen on"
    )
    c.add_argument(
        "--pki",
        type=Path,
        help="test PKI directory (from 'fixs-harness pki init') whose root the client trusts, "
        "used where it is; default: a new one in a private work directory, deleted after "
        "the run, its root certificate copied to REPORT_DIR/root-ca.pem",
    )
    c.add_argument(
        "--wait",
        type=float,
        default=60.0,
        help="seconds to wait for each connection (default: 60)",
    )
    _common(c)
    c.set_defaults(func=run_client)
    register_fleet(roles)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def parse_hostport(text: str) -> tuple[str, int]:
    from harness.errors import HarnessError

    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise HarnessError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def _existing(path: Path | None, flag: str) -> Path | None:
    from harness.errors import HarnessError

    if path is not None and not path.is_file():
        raise HarnessError(f"{flag} {path}: no such file")
    return path


def _psk(args: argparse.Namespace) -> tuple[str | None, bytes | None, list[str]]:
    """(identity, key, secrets-to-redact) from --psk-secrets/--psk-identity."""
    from harness.errors import HarnessError

    if args.psk_secrets is None:
        if args.psk_identity:
            raise HarnessError("--psk-identity needs --psk-secrets")
        return None, None, []
    from harness.stunnelconf import ConfigError, parse_psk_secrets

    path = _existing(args.psk_secrets, "--psk-secrets")
    assert path is not None
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        entries = parse_psk_secrets(text, path=str(path))
    except ConfigError as exc:
        raise HarnessError(str(exc)) from None
    secrets = [line.partition(":")[2].strip() for line in text.splitlines() if ":" in line]
    wanted = args.psk_identity or entries[0].identity
    match = next((e for e in entries if e.identity == wanted), None)
    if match is None:
        raise HarnessError(f"--psk-identity {wanted!r} is not in {path}")
    return match.identity, match.key, [s for s in secrets if s]


def _summary(run: Any, written: dict[str, Path], code: int, headline: str | None = None) -> None:
    from harness.cli.lines import Lines

    out = Lines()
    result = run.results[0]
    colour = {
        "pass": "green",
        "fail": "red",
        "inconclusive": "yellow",
        "warn": "yellow",
        "not-applicable": "dim",
        "not-reached": "dim",
    }
    for check in result.checks:
        if check.verdict.value == "pass":
            continue
        v = check.verdict.value
        section = f" (guide {check.guide_section})" if check.guide_section else ""
        text = f"{check.id}: expected {check.expected}; observed {check.observed}{section}" + (
            f" [{check.reason}]" if check.reason else ""
        )
        out.print((f"{v.upper():12}", colour[v]), " ", text)
        if check.remedy:
            out.print(f"             fix: {check.remedy}")
    counts = dict.fromkeys(colour, 0)
    for check in result.checks:
        counts[check.verdict.value] += 1
    verdict = {0: ("COMPLIANT", "green"), 1: ("NON-COMPLIANT", "red")}.get(
        code, ("INCONCLUSIVE", "yellow")
    )
    if run.interrupted:  # never "compliant": only part of the checks ran
        verdict = (f"INTERRUPTED by {run.interrupted}", "yellow")
    out.print(
        verdict,
        f" {result.title}: {counts['pass']} passed, {counts['fail']} failed, "
        f"{counts['inconclusive']} inconclusive, {counts['not-applicable']} not applicable "
        f"in {result.duration_s:.2f} s",
    )
    if headline:
        out.print((headline, "bold"))
    elif result.error:
        out.print(("error:", "yellow"), f" {result.error}")
    for fmt, path in written.items():
        out.print(f"{fmt:9} report: {path}")


def _check_evidence_flags(args: argparse.Namespace) -> None:
    from harness.errors import HarnessError

    if args.no_evidence and (args.evidence or args.sign_key or args.include_keys):
        raise HarnessError("--no-evidence excludes --evidence, --sign-key and --include-keys")
    check_evidence(
        None if args.no_evidence else args.evidence or args.report_dir / "evidence",
        args.sign_key,
        include_keys=args.include_keys,
        report_dir=args.report_dir,
    )


def _fix_logon(args: argparse.Namespace) -> Any:
    """The FIX Logon probe's settings from the flags (None when not asked for)."""
    from harness.certify.badcerts import CertPair
    from harness.errors import HarnessError

    wanted = [args.username, args.password, args.password_env, args.raw_data_env]
    if args.sender is None and args.target is None:
        if any(w is not None for w in wanted):
            raise HarnessError("FIX credentials need --sender and --target")
        if args.foreign_sender is not None or args.other_cert is not None:
            raise HarnessError("--foreign-sender and --other-cert need --sender and --target")
        return None
    # the FIX probe (our tunnel, asyncio, the FIX engine) loads only when asked for
    from harness.certify.fixlogon import FixLogon

    if not args.sender or not args.target:
        raise HarnessError("the FIX Logon probe needs both --sender and --target")
    if args.password is not None and args.password_env is not None:
        raise HarnessError("give --password or --password-env, not both")
    password = args.password
    if args.password_env is not None:
        password = secret_from_env(args.password_env, "--password-env")
    raw = None
    if args.raw_data_env is not None:
        raw = secret_from_env(args.raw_data_env, "--raw-data-env").encode()
    other = None
    if args.other_cert is not None:
        cert = _existing(args.other_cert, "--other-cert")
        key = _existing(args.other_key, "--other-key") or cert
        assert cert is not None and key is not None
        other = CertPair("other", cert, key)
    elif args.other_key is not None:
        raise HarnessError("--other-key needs --other-cert")
    logon = FixLogon(
        sender_comp_id=args.sender,
        target_comp_id=args.target,
        begin_string=args.begin_string,
        username=args.username,
        password=password,
        raw_data=raw,
        foreign_sender=args.foreign_sender,
        other=other,
    )
    logon.settings()  # validates the CompIDs now, as a usage error
    return logon


def run_server(args: argparse.Namespace) -> int:
    from harness.certify.badcerts import CertPair
    from harness.certify.policy import TrustOptions
    from harness.certify.probe import Credentials
    from harness.certify.server import ServerRequest, certify_server
    from harness.errors import HarnessError
    from harness.profiles import load_profile

    host, port = parse_hostport(args.address)
    formats = parse_formats(args.format)
    _check_evidence_flags(args)
    profile = load_profile(args.profile)
    if args.concurrency < 1:
        raise HarnessError("--concurrency must be at least 1")
    if args.key is not None and args.cert is None:
        raise HarnessError("--key needs --cert")
    identity, psk_key, secrets = _psk(args)
    credentials = Credentials(
        cert=_existing(args.cert, "--cert"),
        key=_existing(args.key, "--key"),
        psk_identity=identity,
        psk_key=psk_key,
    )
    unpinned = None
    if args.unpinned_cert is not None:
        cert = _existing(args.unpinned_cert, "--unpinned-cert")
        key = _existing(args.unpinned_key, "--unpinned-key") or cert
        assert cert is not None and key is not None
        unpinned = CertPair("unpinned", cert, key)
    trust = TrustOptions(
        cafile=_existing(args.cafile, "--cafile"),
        pin=_existing(args.pin, "--pin"),
        crl=_existing(args.crl, "--crl"),
        ocsp_url=args.ocsp,
    )
    fix = _fix_logon(args)
    if fix is not None:
        secrets += [x for x in (fix.password, fix.raw_data.decode() if fix.raw_data else None) if x]
    request = ServerRequest(
        fix=fix,
        host=host,
        port=port,
        profile=profile,
        case=args.case,
        credentials=credentials,
        trust=trust,
        unpinned=unpinned,
        concurrency=args.concurrency,
        timeout=args.timeout,
        pcap=not args.no_pcap,
        scope=args.scope,
        **watch_fields(args),
    )
    load_output_meanwhile(formats)
    try:
        outcome = certify_server(request, args.report_dir)
    except OSError as exc:
        raise HarnessError(f"certify server: {exc}") from None
    from harness.report import write_reports  # loaded while the probes ran

    written = write_reports(outcome.run, args.report_dir, formats, secrets=secrets)
    _summary(outcome.run, written, outcome.exit_code, outcome.headline)
    request_text = {
        k: v for k, v in sorted(vars(args).items()) if k not in ("func", "password")
    } | {"role": "server", "password": "<redacted>" if args.password else None}
    public = {
        "cert": args.cert,
        "cafile": args.cafile,
        "pin": args.pin,
        "unpinned-cert": args.unpinned_cert,
    }
    _evidence(args, outcome.run, written, request_text, public, outcome.scan.all_wires(), secrets)
    if outcome.run.interrupted:
        # the report holds the checks that finished; exit 128 + the signal
        print(f"fixs-harness: {outcome.headline}", file=sys.stderr)
        return int(outcome.exit_code)
    return drift_exit(outcome.run, outcome.exit_code, args)


def _evidence(
    args: argparse.Namespace,
    run: Any,
    written: dict[str, Path],
    request: dict[str, Any],
    public: dict[str, Path | None],
    wires: Any,
    secrets: list[str],
) -> None:
    """The evidence pack, by default REPORT_DIR/evidence (--no-evidence: none)."""
    from harness.cli.lines import Lines
    from harness.evidence.collect import pack_certify

    if args.no_evidence:
        return
    pack = pack_certify(
        args.evidence or args.report_dir / "evidence",
        run,
        args.report_dir,
        written,
        request=request,
        public_files=public,
        wires=list(wires),
        secrets=secrets,
        include_keys=args.include_keys,
        sign_key=args.sign_key,
    )
    signed = "signed" if pack.signed else "unsigned"
    keys = "WITH TLS session keys (0600)" if pack.includes_keys else "no secrets"
    Lines().print(f"evidence  pack: {pack.directory} ({len(pack.files)} files, {signed}, {keys})")


def run_client(args: argparse.Namespace) -> int:
    from harness.certify.client import ClientRequest, certify_client
    from harness.errors import HarnessError
    from harness.profiles import load_profile
    from harness.report import write_reports

    host, port = parse_hostport(args.listen)
    formats = parse_formats(args.format)
    _check_evidence_flags(args)
    profile = load_profile(args.profile)
    if args.pki is not None and not (args.pki / "manifest.json").is_file():
        raise HarnessError(f"--pki {args.pki}: not a test PKI directory (no manifest.json)")
    from harness.cli.lines import Lines

    console = Lines(stderr=True)

    def ready(address: tuple[str, int], root: Path) -> None:
        console.print(f"listening on {address[0]}:{address[1]}; the client must trust {root}")

    request = ClientRequest(
        listen=(host, port),
        profile=profile,
        pki_dir=args.pki,
        wait=args.wait,
        handshake_timeout=args.timeout,
    )
    # the test PKI lives in a private work directory, deleted when this returns; the
    # report directory gets only the public root-ca.pem (harness.certify.client)
    outcome = certify_client(request, args.report_dir, ready=ready)
    written = write_reports(outcome.run, args.report_dir, formats)
    _summary(outcome.run, written, outcome.exit_code)
    request_text = {k: v for k, v in sorted(vars(args).items()) if k != "func"} | {"role": "client"}
    _evidence(args, outcome.run, written, request_text, {}, outcome.wires.values(), [])
    if outcome.run.interrupted:
        console.print(
            f"fixs-harness: interrupted by {outcome.run.interrupted}: "
            f"{len(outcome.wires)} of 4 round(s) finished and are reported"
        )
    return outcome.exit_code
