"""``fixs-harness pin HOST:PORT -o peer.pem``: download a server certificate for pinning."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pin",
        help="download a server's leaf certificate and chain for pinning (guide 4.3)",
        description=(
            "Connect to HOST:PORT, take the certificate chain the server sends, print "
            "subject, SANs, validity, key and SHA-256 fingerprints, and write the PEM "
            "file (leaf first) for stunnel's CAfile with verifyPeer = yes."
        ),
    )
    p.add_argument("address", metavar="HOST:PORT")
    p.add_argument("-o", "--output", type=Path, required=True, help="PEM file to write")
    p.add_argument("--leaf-only", action="store_true", help="write only the leaf certificate")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds (default: 5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness.certify.pin import download_chain, write_pin_file
    from harness.certify.server import resolve_target
    from harness.cli.certify_cmd import parse_hostport
    from harness.errors import HarnessError

    host, port = parse_hostport(args.address)
    target = resolve_target(host, port)
    certs = download_chain(target, timeout=args.timeout)
    try:
        path = write_pin_file(certs, args.output, leaf_only=args.leaf_only)
    except OSError as exc:
        raise HarnessError(f"cannot write {args.output}: {exc.strerror}") from None
    for depth, cert in enumerate(certs):
        print(f"certificate {depth} ({'leaf' if depth == 0 else 'chain'}):")
        for line in cert.describe():
            print(f"  {line}")
    written = 1 if args.leaf_only else len(certs)
    print(f"wrote {written} certificate(s) to {path}: use it as CAfile with verifyPeer = yes")
    return 0
