"""``fixs-harness verify DIR``: check an evidence pack (hashes, listing, signature).

Exit 0: every file matches SHA256SUMS, none is missing or unlisted, and the
signature (when present) is valid; 1: the pack was changed; 2: not a pack, or a
usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify",
        help="verify an evidence pack written with --evidence",
        description=(
            "Recompute the SHA-256 of every file of an evidence pack against its "
            "SHA256SUMS, refuse missing and unlisted files, and check the detached "
            "signature SHA256SUMS.sig. With --key the signature must be by that key "
            "(a PEM public key or certificate); without it, by the public key in the "
            "pack, which proves the pack is unchanged since signing but not who signed. "
            "Exit 0 intact, 1 changed, 2 not a pack or usage error."
        ),
    )
    p.add_argument("directory", type=Path, metavar="DIR", help="the evidence pack")
    p.add_argument("--key", type=Path, help="the signer's public key or certificate (PEM)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness.errors import HarnessError
    from harness.evidence import verify_pack

    if not args.directory.is_dir():
        raise HarnessError(f"{args.directory}: no such directory")
    result = verify_pack(args.directory, key=args.key)
    for problem in result.problems:
        print(f"{args.directory}: {problem}")
    if result.signer is not None:
        how = "the given key" if result.signer_pinned else "the pack's own key (not pinned)"
        print(f"signature by {how}, SHA-256 {result.signer}")
    else:
        print("not signed")
    verdict = "intact" if result.ok else "CHANGED"
    print(f"{verdict}: {result.checked} file(s) listed in SHA256SUMS")
    return 0 if result.ok else 1
