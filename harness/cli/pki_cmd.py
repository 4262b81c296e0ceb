"""``fixs-harness pki``: make or inspect the test PKI.

    fixs-harness pki init DIR [--force] [--ocsp-port PORT | --ocsp-url URL] [--json]
    fixs-harness pki show DIR [--json]

``init`` writes fresh keys under deterministic names and lists what it made; it
refuses a non-empty directory unless ``--force``. ``show`` reads ``manifest.json``
back. Neither ever prints secret content: key and PSK files are only named.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pki",
        help="make or inspect the test PKI (CAs, leaves, CRLs, OCSP index, PSK files)",
        description="Make or inspect the test PKI used by scenarios.",
    )
    sub = parser.add_subparsers(dest="pki_command", metavar="ACTION")

    init = sub.add_parser(
        "init",
        help="generate a fresh PKI into DIR",
        description=(
            "Generate root and intermediate CAs, RSA and ECDSA server and client leaves, "
            "an unrelated CA, self-signed, expired, not-yet-valid and revoked leaves, "
            "CRLs, an OpenSSL ca index for 'openssl ocsp', pinning files and PSK "
            "secrets, all in files stunnel can use directly."
        ),
    )
    init.add_argument("directory", metavar="DIR", help="where to write (created if missing)")
    init.add_argument(
        "--force", action="store_true", help="write into a non-empty directory, replacing files"
    )
    aia = init.add_mutually_exclusive_group()
    aia.add_argument(
        "--ocsp-port",
        type=int,
        metavar="PORT",
        help="put http://127.0.0.1:PORT into the leaves' AIA OCSP field (for OCSPaia)",
    )
    aia.add_argument("--ocsp-url", metavar="URL", help="AIA OCSP URL (loopback http:// only)")
    init.add_argument("--json", action="store_true", help="print the manifest as JSON")
    init.set_defaults(func=_init)

    show = sub.add_parser("show", help="list the files of an existing PKI directory")
    show.add_argument("directory", metavar="DIR")
    show.add_argument("--json", action="store_true", help="print the manifest as JSON")
    show.set_defaults(func=_show)

    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from harness.errors import HarnessError
    from harness.pki import TestPKI

    url: str | None = args.ocsp_url
    if args.ocsp_port is not None:
        if not 0 < args.ocsp_port < 65536:
            raise HarnessError(f"--ocsp-port must be 1-65535, not {args.ocsp_port}")
        url = f"http://127.0.0.1:{args.ocsp_port}"
    pki = TestPKI.create(Path(args.directory), ocsp_url=url, force=args.force)
    _print(pki, as_json=args.json, verb="made")
    return 0


def _show(args: argparse.Namespace) -> int:
    from pathlib import Path

    from harness.pki import TestPKI

    _print(TestPKI.load(Path(args.directory)), as_json=args.json, verb="holds")
    return 0


def _print(pki: object, *, as_json: bool, verb: str) -> None:
    from harness.pki import TestPKI

    assert isinstance(pki, TestPKI)
    if as_json:
        print(json.dumps(pki.manifest(), indent=2))
        return
    print(f"{pki.directory} {verb} {len(pki.files) + 1} files:")
    width = max(len(f.path) for f in pki.files)
    for f in pki.files:
        mark = "0600" if f.secret else "    "
        print(f"  {f.path:<{width}}  {mark}  {f.description}")
    print(f"  {'manifest.json':<{width}}        what each file is (no secrets)")
    if pki.ocsp_url:
        print(f"AIA OCSP URL in the intermediate's leaves: {pki.ocsp_url}")
    print(f"PSK identities: {', '.join(pki.psk.identities)}")
    print(f"generated in {pki.generation_seconds:.2f} s")
