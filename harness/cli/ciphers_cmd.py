"""``fixs-harness ciphers``: the guide's appendix 4.2, keyed by IANA code.

    fixs-harness ciphers [--profile P] [--all] [--json]

The stunnel guide lists ciphers with ``openssl ciphers -v -s HIGH``; that shows
OpenSSL names only, which is how its table came to mix up two PSK pairs. This
command lists each suite by IANA code with both names, key exchange, MAC and
minimum version, and whether the local OpenSSL can negotiate it (``openssl
ciphers -s -psk``: enabled at the configured security level). With ``--profile``
it lists the profile's suites, marking required ones and errata.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ciphers",
        help="list cipher suites by IANA code with OpenSSL names and local support",
        description=(
            "List TLS cipher suites by IANA code with both names, key exchange, MAC, "
            "minimum version, and whether the local OpenSSL can negotiate each "
            "(the stunnel guide's appendix 4.2, made unambiguous)."
        ),
    )
    parser.add_argument(
        "--profile", default=None, help="list this profile's suites (name or YAML path)"
    )
    parser.add_argument(
        "--all", action="store_true", help="every IANA suite, not only those OpenSSL knows"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def local_negotiable() -> tuple[set[int] | None, str]:
    """Codes the local OpenSSL enables (any version, PSK included), and its version."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None, "openssl not found"
    try:
        out = subprocess.run(
            [openssl, "ciphers", "-s", "-psk", "-V", "ALL:COMPLEMENTOFALL"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip
        version = subprocess.run(
            [openssl, "version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"openssl failed: {exc}"
    from harness.tls.registry import parse_code

    codes = set()
    for line in out.splitlines():
        # "0xC0,0x30 - ECDHE-RSA-AES256-GCM-SHA384 TLSv1.2 Kx=ECDH ..."
        with contextlib.suppress(ValueError, IndexError):
            codes.add(parse_code(line.split()[0]))
    return codes, version


def run(args: argparse.Namespace) -> int:
    from harness.tls.registry import CipherSuite, all_suites, format_code, suite_by_code

    local, openssl_version = local_negotiable()
    rows: list[dict[str, Any]] = []
    title: str

    def add(suite: CipherSuite | None, code: int, extra: dict[str, Any]) -> None:
        rows.append(
            {
                "code": format_code(code),
                "iana_name": suite.iana_name if suite else extra.pop("iana", None),
                "openssl_name": suite.openssl_name if suite else extra.pop("openssl", None),
                "kex": suite.kex if suite else None,
                "auth": suite.auth if suite else None,
                "enc": suite.enc if suite else None,
                "mac": suite.mac if suite else None,
                "min_version": suite.min_version if suite else None,
                "forward_secret": suite.forward_secret if suite else None,
                "local_openssl": None if local is None else code in local,
                **extra,
            }
        )

    if args.profile:
        from harness.profiles import load_profile

        profile = load_profile(args.profile)
        title = f"profile {profile.name}: {profile.title}"
        for entry in profile.suites:
            extra: dict[str, Any] = {"required": entry.code in profile.required_suites}
            erratum = profile.erratum_for(entry.code)
            if erratum is not None:
                extra["erratum"] = erratum.id
            add(suite_by_code(entry.code), entry.code, extra)
    else:
        suites = [s for s in all_suites() if args.all or s.openssl_name]
        title = "all IANA cipher suites" if args.all else "cipher suites known to OpenSSL"
        for suite in suites:
            add(suite, suite.code, {})

    if args.json:
        json.dump(
            {"title": title, "openssl": openssl_version, "suites": rows}, sys.stdout, indent=2
        )
        sys.stdout.write("\n")
        return 0
    print(f"{title} ({openssl_version})")
    headers = ["code", "IANA name", "OpenSSL name", "kx", "au", "MAC", "min", "local"]
    table = [
        [
            r["code"],
            r["iana_name"] or "?",
            r["openssl_name"] or "-",
            r["kex"] or "?",
            r["auth"] or "?",
            r["mac"] or "?",
            r["min_version"] or "?",
            "?" if r["local_openssl"] is None else ("yes" if r["local_openssl"] else "no"),
        ]
        + (["required"] if r.get("required") else [])
        + ([f"erratum {r['erratum']}"] if r.get("erratum") else [])
        for r in rows
    ]
    widths = [
        max(len(h), *(len(t[i]) for t in table)) if table else len(h) for i, h in enumerate(headers)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for t in table:
        cells = [c.ljust(w) for c, w in zip(t, widths, strict=False)] + t[len(widths) :]
        print("  ".join(cells).rstrip())
    return 0
