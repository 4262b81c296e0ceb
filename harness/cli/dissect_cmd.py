"""``fixs-harness dissect``: show what TLS handshakes a capture file contains.

    fixs-harness dissect FILE.pcap [--port PORT] [--keylog FILE] [--json]

One block per TCP connection: versions and cipher suites offered and selected (IANA
code with both names), SNI, groups, key exchange, certificates of both sides,
CertificateRequest, PSK identity, alerts with their sender, resumption, whether
application data flowed, and the message ladder. ``FILE.keylog`` next to the
capture is used for TLS 1.3 decryption when present.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dissect",
        help="show the TLS handshakes in a pcap (table or JSON)",
        description=(
            "Dissect the TLS handshakes in a pcap/pcapng file: one Handshake per TCP "
            "connection, as a table or JSON."
        ),
    )
    parser.add_argument("pcap", metavar="FILE.pcap", help="capture file (pcap or pcapng)")
    parser.add_argument(
        "--port", type=int, default=None, help="only connections to/from this (TLS server) port"
    )
    parser.add_argument(
        "--keylog",
        default=None,
        help="NSS key log (SSLKEYLOGFILE format) to decrypt TLS 1.3 handshakes "
        "(default: FILE.keylog beside the capture, if present)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def _suite(d: dict[str, Any] | None) -> str:
    if d is None:
        return "-"
    iana, ossl = d["iana_name"], d["openssl_name"]
    names = " / ".join(dict.fromkeys(n for n in (iana, ossl) if n)) or "unknown"
    return f"{d['code']} {names}"


def _certs(certs: list[dict[str, Any]] | None) -> list[str]:
    if certs is None:
        return ["(not visible: encrypted)"]
    if not certs:
        return ["(none)"]
    out = []
    for c in certs:
        key = f"{c['key_type']} {c['key_bits'] or '?'}" + (
            f" {c['key_curve']}" if c["key_curve"] else ""
        )
        out.append(f"{c['subject'] or '(unparseable)'}  [issuer {c['issuer']}]")
        out.append(f"    key {key}; valid {c['not_before'][:10]}..{c['not_after'][:10]}")
        if c["sans"]:
            out.append(f"    SAN {', '.join(c['sans'])}")
        out.append(f"    sha256 {c['sha256']}")
    return out


def _yn(v: bool | None) -> str:
    return "unknown" if v is None else ("yes" if v else "no")


def render_text(index: int, d: dict[str, Any]) -> str:
    """A human-readable block for one Handshake's ``to_dict()``."""
    rows: list[tuple[str, str]] = []

    def row(k: str, v: object) -> None:
        rows.append((k, str(v)))

    status = "complete" if d["complete"] else f"INCOMPLETE: {d['incomplete_reason']}"
    row("connection", f"#{index} {d['client'] or '?'} -> {d['server'] or '?'}")
    row("capture", status)
    row("negotiated", _yn(d["negotiated"]))
    row("version selected", d["version_selected"] or "-")
    row("versions offered", ", ".join(d["versions_offered"]) or "-")
    row("cipher selected", _suite(d["cipher_selected"]))
    row("ciphers offered", f"{len(d['ciphers_offered'])} suites")
    for s in d["ciphers_offered"]:
        row("", _suite(s))
    row("SNI", d["sni"] or "-")
    row("groups offered", ", ".join(g["name"] for g in d["groups_offered"]) or "-")
    row("sigalgs offered", ", ".join(g["name"] for g in d["sigalgs_offered"]) or "-")
    kx = []
    if d["kx_group"]:
        kx.append(f"group {d['kx_group']['name']}")
    if d["dh_prime_bits"]:
        kx.append(f"DH prime {d['dh_prime_bits']} bits")
    if d["psk_identity_hint"] is not None:
        kx.append(f"PSK hint {d['psk_identity_hint']!r}")
    row("key exchange", "; ".join(kx) or "-")
    row("PSK identity", d["psk_identity"] if d["psk_identity"] is not None else "-")
    for i, line in enumerate(_certs(d["server_certificates"])):
        row("server certificates" if i == 0 else "", line)
    cr = d["certificate_request"]
    row("certificate request", _yn(cr))
    for name in d["certificate_request_ca_names"]:
        row("", f"CA {name}")
    for i, line in enumerate(_certs(d["client_certificates"])):
        row("client certificates" if i == 0 else "", line)
    row("resumed", _yn(d["resumed"]))
    alerts = [
        f"{a['sender']} {a['level'] or '?'} {a['name']}"
        + (f"({a['description']})" if a["description"] is not None else "")
        + (" [encrypted]" if a["encrypted"] else "")
        for a in d["alerts"]
    ]
    row("alerts", "; ".join(alerts) or "-")
    ad = d["application_data"]
    row(
        "application data",
        f"client {ad['client_records']} records/{ad['client_bytes']} B, "
        f"server {ad['server_records']} records/{ad['server_bytes']} B"
        + (" (inferred without keylog)" if ad["inferred"] else ""),
    )
    row("decrypted with keylog", _yn(d["decrypted"]))
    t0 = d["messages"][0]["time"] if d["messages"] else 0.0
    for i, m in enumerate(d["messages"]):
        arrow = "->" if m["sender"] == "client" else "<-"
        flag = " (decrypted)" if m["decrypted"] else (" (encrypted)" if m["encrypted"] else "")
        detail = f" {m['detail']}" if m["detail"] else ""
        row(
            "messages" if i == 0 else "",
            f"{(m['time'] - t0) * 1000:9.3f} ms {arrow} {m['type']}{detail}{flag} [{m['length']} B]",
        )
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from harness.dissect import dissect_pcap
    from harness.errors import HarnessError

    pcap = Path(args.pcap)
    if not pcap.exists():
        raise HarnessError(f"no such capture file: {pcap}")
    keylog = Path(args.keylog) if args.keylog else None
    handshakes = dissect_pcap(pcap, server_port=args.port, keylog=keylog)
    dicts = [h.to_dict() for h in handshakes]
    if args.json:
        json.dump({"pcap": str(pcap), "handshakes": dicts}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not dicts:
        print(f"{pcap}: no TCP connections" + (f" on port {args.port}" if args.port else ""))
        return 0
    print("\n\n".join(render_text(i + 1, d) for i, d in enumerate(dicts)))
    return 0
