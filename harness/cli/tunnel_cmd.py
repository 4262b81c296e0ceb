"""``fixs-harness tunnel -c stunnel.conf``: the Python tunnel as a drop-in for stunnel."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tunnel",
        help="run the Python TLS tunnel from a stunnel.conf (foreground)",
        description=(
            "Run the embedded Python TLS proxy with a stunnel.conf, in the foreground, as "
            "a drop-in for stunnel: client and server services, verifyChain/verifyPeer, "
            "check*, CRL, OCSP, PSK, HTTP CONNECT. Logs in stunnel's format. Options "
            "stunnel accepts but this tunnel does not implement are refused with file and "
            "line. Stops on SIGINT, SIGTERM or SIGHUP (exit 130, 143, 129)."
        ),
    )
    p.add_argument("config_file", nargs="?", metavar="FILE", help="stunnel.conf (as for stunnel)")
    p.add_argument("-c", "--config", dest="config", metavar="FILE", help="stunnel.conf")
    p.add_argument(
        "--check",
        action="store_true",
        help="only check the configuration (and its files), then exit",
    )
    p.add_argument(
        "--keylog",
        metavar="FILE",
        help="append TLS secrets in NSS key log format (for Wireshark); mode 0600",
    )
    p.add_argument(
        "--psk-keys",
        choices=("hex", "ascii"),
        default="hex",
        help="how PSK keys that look like hex are read: hex = stunnel >= 5.51 (default), "
        "ascii = stunnel 5.41-5.50",
    )
    p.add_argument(
        "--max-clients",
        type=int,
        metavar="N",
        help="concurrent connections accepted, all services together (default 500); "
        "past it a connection is closed and logged 'Connection rejected: too many clients'",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness.errors import HarnessError
    from harness.tunnel import runtime

    path = args.config or args.config_file
    if not path:
        raise HarnessError("tunnel: a configuration file is required (-c FILE)")
    if args.max_clients is not None and args.max_clients < 1:
        raise HarnessError(f"tunnel: --max-clients must be 1 or more, not {args.max_clients}")
    options = runtime.TunnelOptions(
        keylog_path=args.keylog,
        hex_psk_keys=args.psk_keys == "hex",
        max_clients=args.max_clients,
    )
    if args.check:
        from harness.tunnel.log import StunnelLog
        from harness.tunnel.tlsctx import ServiceTLS

        resolved = runtime.load(path)
        quiet = StunnelLog(level=0)
        for svc in resolved.services:
            ServiceTLS(svc, quiet, hex_psk_keys=options.hex_psk_keys)
        print(f"{path}: configuration OK ({len(resolved.services)} service(s))")
        return 0
    return runtime.run(path, options)
