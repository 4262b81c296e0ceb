"""stunnel's log, read back into facts: one parser for every backend.

The Python tunnel writes the same lines as stunnel 5.45+; stunnel 5.41-5.44 wrote
``Negotiated TLSv1.2 ciphersuite X (256-bit encryption)`` instead of
``TLSv1.2 ciphersuite: X (256-bit encryption)``; both are read. Lines are grouped by
connection id (the ``[n]`` after the level).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE = re.compile(
    r"^(?:\d{4}\.\d\d\.\d\d \d\d:\d\d:\d\d )?LOG(?P<level>\d)\[(?P<ident>[^\]]+)\]: (?P<text>.*)$"
)
_BOUND = re.compile(r"^Service \[(?P<svc>[^\]]+)\] \(FD=\d+\) bound to (?P<addr>\S+)$")
_CIPHER_NEW = re.compile(
    r"^(?P<ver>\S+) ciphersuite: (?P<cipher>\S+) \((?P<bits>\d+)-bit encryption\)$"
)
_CIPHER_OLD = re.compile(
    r"^Negotiated (?P<ver>\S+) ciphersuite:? (?P<cipher>\S+) \((?P<bits>\d+)-bit encryption\)$"
)
_ACCEPTED = re.compile(r"^Service \[(?P<svc>[^\]]+)\] accepted connection from (?P<addr>\S+)$")
_CERT_OK = re.compile(r"^Certificate accepted at depth=(?P<depth>\d+): (?P<subject>.*)$")
_CERT_REJ = re.compile(r"^Rejected by (?P<by>CERT|OCSP) at depth=(?P<depth>\d+): (?P<subject>.*)$")
_PSK_SRV = re.compile(r'^Key configured for PSK identity "(?P<id>.*)"$')
_PSK_CLI = re.compile(r'^PSK client configured for identity "(?P<id>.*)"$')
_CLOSED = re.compile(
    r"^Connection (?P<how>closed/reset|reset/closed|closed|reset): (?P<tls>\d+) byte\(s\) sent to TLS, "
    r"(?P<sock>\d+) byte\(s\) sent to socket$"
)


@dataclass
class ConnectionFacts:
    """What the log says about one connection."""

    ident: str
    service: str | None = None
    role: str | None = None  # "client" (TLS connected) or "server" (TLS accepted)
    reused: bool | None = None
    version: str | None = None
    cipher: str | None = None  # OpenSSL name
    bits: int | None = None
    peer_certificates: list[tuple[int, str]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    psk_identity: str | None = None
    errors: list[str] = field(default_factory=list)
    # every warning and error line (levels 3 and 4) verbatim, in order: the root
    # cause of a refused handshake (CERT: Subject checks failed, no shared cipher...)
    decisive: list[str] = field(default_factory=list)
    closed: str | None = None  # "closed", "reset", "reset/closed" or "closed/reset"
    bytes_to_tls: int | None = None
    bytes_to_socket: int | None = None

    @property
    def negotiated(self) -> bool:
        return self.cipher is not None


@dataclass
class LogFacts:
    bound: dict[str, list[str]] = field(default_factory=dict)
    connections: dict[str, ConnectionFacts] = field(default_factory=dict)
    startup_errors: list[str] = field(default_factory=list)
    configuration_failed: bool = False

    def negotiated(self) -> list[ConnectionFacts]:
        return [c for c in self.connections.values() if c.negotiated]

    def bound_addresses(self) -> dict[str, list[tuple[str, int]]]:
        """``bound to`` addresses as (host, port); an IPv6 host keeps its colons."""
        out: dict[str, list[tuple[str, int]]] = {}
        for service, addrs in self.bound.items():
            for addr in addrs:
                host, _, port = addr.rpartition(":")
                if port.isdigit():
                    out.setdefault(service, []).append((host.strip("[]"), int(port)))
        return out


def parse_log(text: str) -> LogFacts:
    facts = LogFacts()
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("[!]"):
            facts.startup_errors.append(line[3:].strip())
            if "Configuration failed" in line:
                facts.configuration_failed = True
            continue
        m = _LINE.match(line)
        if not m:
            continue
        ident, text_ = m.group("ident"), m.group("text")
        level = int(m.group("level"))
        if ident in ("ui", "cron"):
            if b := _BOUND.match(text_):
                facts.bound.setdefault(b.group("svc"), []).append(b.group("addr"))
            elif level <= 3:
                facts.startup_errors.append(text_)
                if "Configuration failed" in text_:
                    facts.configuration_failed = True
            continue
        conn = facts.connections.setdefault(ident, ConnectionFacts(ident))
        if level <= 4:
            conn.decisive.append(text_)
        if a := _ACCEPTED.match(text_):
            conn.service = a.group("svc")
        elif text_.startswith("TLS connected: ") or text_.startswith("TLS accepted: "):
            conn.role = "client" if text_.startswith("TLS connected") else "server"
            conn.reused = "reused" in text_
        elif c := (_CIPHER_NEW.match(text_) or _CIPHER_OLD.match(text_)):
            conn.version, conn.cipher, conn.bits = (
                c.group("ver"),
                c.group("cipher"),
                int(c.group("bits")),
            )
        elif k := _CERT_OK.match(text_):
            conn.peer_certificates.append((int(k.group("depth")), k.group("subject")))
        elif _CERT_REJ.match(text_):
            conn.rejected.append(text_)
        elif p := (_PSK_SRV.match(text_) or _PSK_CLI.match(text_)):
            conn.psk_identity = p.group("id")
        elif cl := _CLOSED.match(text_):
            conn.closed = cl.group("how")
            conn.bytes_to_tls, conn.bytes_to_socket = int(cl.group("tls")), int(cl.group("sock"))
        elif level <= 3:
            conn.errors.append(text_)
    return facts
