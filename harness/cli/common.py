"""Pieces several commands share (not a command: the registry does not list it).

Kept free of heavy imports, so that ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from harness.errors import HarnessError

#: Report formats, in the order reports are written (harness.report.FORMATS has
#: the writers; listed here so that a typo fails before a long run starts).
REPORT_FORMATS: tuple[str, ...] = ("json", "junit", "html", "markdown")


def parse_formats(text: str) -> list[str]:
    """``json,html`` → ``["json", "html"]``; an unknown format is a usage error."""
    formats = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in formats if f not in REPORT_FORMATS]
    if unknown:
        raise HarnessError(
            f"unknown report format(s): {', '.join(unknown)} (known: {', '.join(REPORT_FORMATS)})"
        )
    return formats


def secret_from_env(var: str, flag: str) -> str:
    """A secret named by ``--...-env VAR`` (secrets never come from argv)."""
    value = os.environ.get(var)
    if value is None:
        raise HarnessError(f"{flag}: environment variable {var} is not set")
    return value


def add_evidence_flags(p: argparse.ArgumentParser, *, default: str) -> None:
    """``--evidence DIR``, ``--sign-key KEY.pem``, ``--include-keys`` (run, certify)."""
    g = p.add_argument_group(
        "evidence pack",
        "A folder an auditor can check later with 'fixs-harness verify DIR': the reports, "
        "the capture as pcapng, the inputs with secrets redacted, the profile, component "
        "versions and a SHA256SUMS manifest. By default it holds no secret.",
    )
    g.add_argument(
        "--evidence", type=Path, metavar="DIR", help=f"write an evidence pack ({default})"
    )
    g.add_argument(
        "--sign-key",
        type=Path,
        metavar="KEY.pem",
        help="sign the pack's SHA256SUMS with this PEM private key (RSA, EC or Ed25519)",
    )
    g.add_argument(
        "--include-keys",
        action="store_true",
        help="put the TLS session keys into the pack's capture (decryption secrets, file 0600); "
        "the pack must then be outside the report directory",
    )


def check_evidence(
    evidence: Path | None,
    sign_key: Path | None,
    *,
    include_keys: bool = False,
    report_dir: Path | None = None,
) -> None:
    """Fail before a long run, not after it, on an unusable pack directory or an
    unreadable signing key.

    A pack with the TLS session keys (``--include-keys``) must live outside the report
    directory: that directory is attached to CI jobs and mailed to counterparties, and
    a key log beside a pcap gives away every FIX password in it.

    Raises:
        HarnessError: the pack cannot be written, the key is unusable, or session keys
            would land under the report directory.
    """
    if include_keys and evidence is not None and report_dir is not None:
        inside = evidence.resolve()
        if inside == report_dir.resolve() or report_dir.resolve() in inside.parents:
            from harness.errors import HarnessError

            raise HarnessError(
                f"--include-keys puts TLS session keys into the evidence pack, so it must "
                f"not be under the report directory {report_dir} (which is meant to be "
                f"shared): give --evidence a directory outside it"
            )
    if evidence is not None:
        from harness.evidence.pack import check_directory

        check_directory(evidence)
    if sign_key is not None:
        from harness.evidence.pack import load_signing_key

        load_signing_key(sign_key)
