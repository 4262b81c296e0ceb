"""Say what is on the port when no TLS handshake happened (``certify``, ``pin``).

Theory of operation. A scan's version probes each send a ClientHello; when no
ServerHello came back, the bytes (or their absence) and how each connection ended
tell what the port holds. One more probe, :func:`plaintext_logon_probe`, sends a
FIX Logon *in plaintext*: a FIX engine listening without TLS answers it with FIX,
and that is a finding (FIX without TLS on a counterparty port), while a TLS server
answers with an alert, closes or stays silent.

The reading itself is pure: :func:`probe_facts` freezes what one probe saw and
:func:`diagnose` folds the facts into one :class:`PortDiagnosis`: its ``kind`` and a
one-line ``text`` for the headline and the failing check. The kinds, most telling
first: ``plaintext-fix``, ``http``, ``not-tls``, ``alert``, ``closed``, ``silent``,
``unreachable``; ``tls`` when some probe got a ServerHello.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

from harness.certify.probe import Target, Wire, _connect, _recv
from harness.fix.codec import encode

#: Bytes of the server's answer kept as evidence.
EVIDENCE_BYTES = 120
#: Most bytes the plaintext probe reads (a FIX answer is a few hundred bytes).
PLAINTEXT_READ_CAP = 16 * 1024

KINDS = ("plaintext-fix", "http", "not-tls", "alert", "closed", "silent", "unreachable")


@dataclass(frozen=True)
class ProbeFacts:
    """What one probe connection showed, frozen (the input of :func:`diagnose`)."""

    name: str
    connected: bool
    end: str | None
    first_bytes: bytes
    answered_bytes: int
    server_hello: bool
    server_alert: str | None
    error: str | None = None


@dataclass(frozen=True)
class PortDiagnosis:
    """What is on the port: ``kind`` (see :data:`KINDS`, or ``tls``) and one line."""

    kind: str
    text: str
    evidence: tuple[str, ...] = ()

    @property
    def is_tls(self) -> bool:
        return self.kind == "tls"


def probe_facts(wire: Wire) -> ProbeFacts:
    """Freeze what ``wire`` showed (the dissector is asked only for TLS answers)."""
    data = b"".join(d for _, d in wire.s2c)
    hello = False
    alert: str | None = None
    if data and wire.end != "not-tls" and data[0] in range(20, 25):
        h = wire.handshake()
        hello = h.version_selected is not None or h.hello_retry
        a = next((a for a in h.alerts if a.sender == "server"), None)
        if a is not None:
            alert = f"{a.name}({a.description})"
    return ProbeFacts(
        name=wire.name,
        connected=wire.connected,
        end=wire.end,
        first_bytes=data[:EVIDENCE_BYTES],
        answered_bytes=len(data),
        server_hello=hello,
        server_alert=alert,
        error=wire.error,
    )


def _quote(data: bytes) -> str:
    text = data.replace(b"\x01", b"|").decode("latin-1")
    printable = "".join(c if 32 <= ord(c) < 127 else "." for c in text)
    return printable


def _status_line(data: bytes) -> str:
    return data.split(b"\r\n", 1)[0].split(b"\n", 1)[0][:100].decode("latin-1").strip()


def _fix_summary(data: bytes) -> str:
    fields = dict(
        (p.split(b"=", 1)[0], p.split(b"=", 1)[1]) for p in data.split(b"\x01") if b"=" in p
    )
    msg_type = fields.get(b"35", b"?").decode("latin-1")
    name = {"A": "Logon", "5": "Logout", "3": "Reject", "0": "Heartbeat"}.get(msg_type, msg_type)
    text = fields.get(b"58")
    return f"{fields.get(b'8', b'FIX').decode('latin-1')} {name}(35={msg_type})" + (
        f" Text(58)={text.decode('latin-1')!r}" if text else ""
    )


def diagnose(facts: Sequence[ProbeFacts], timeout: float) -> PortDiagnosis:
    """Fold the probes' facts into one diagnosis (pure)."""
    if any(f.server_hello for f in facts):
        return PortDiagnosis("tls", "a TLS server answered")
    connected = [f for f in facts if f.connected]
    if not connected:
        errors = sorted({f.error for f in facts if f.error})
        return PortDiagnosis(
            "unreachable", "unreachable: " + ("; ".join(errors) or "no connection")
        )
    for f in connected:
        if f.first_bytes.startswith(b"8=FIX"):
            return PortDiagnosis(
                "plaintext-fix",
                "a FIX engine answered in plaintext (no TLS on this port): "
                + _fix_summary(f.first_bytes),
                (f"{f.name}: {_quote(f.first_bytes)}",),
            )
    for f in connected:
        if f.first_bytes.startswith(b"HTTP/"):
            line = _status_line(f.first_bytes)
            return PortDiagnosis(
                "http",
                f'plaintext HTTP answered, not TLS: "{line}"',
                (f"{f.name}: {_quote(f.first_bytes)}",),
            )
        if f.first_bytes.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
            # An HTTP/0.9-style answer: the page without a status line.
            return PortDiagnosis(
                "http",
                "plaintext HTTP answered, not TLS (an HTML page without a status line: "
                f'"{_status_line(f.first_bytes.lstrip())}")',
                (f"{f.name}: {_quote(f.first_bytes)}",),
            )
    for f in connected:
        if (
            f.answered_bytes
            and not f.server_alert
            and (f.end == "not-tls" or f.first_bytes[:1] not in [bytes([t]) for t in range(20, 25)])
        ):
            return PortDiagnosis(
                "not-tls",
                f"the server answered {f.answered_bytes} byte(s) that are not TLS: "
                f"{_quote(f.first_bytes[:40])!r} ({f.first_bytes[:16].hex()})",
                (f"{f.name}: {f.first_bytes[:40].hex()}",),
            )
    alerted = [f for f in connected if f.server_alert]
    if alerted and all(f.server_alert or not f.answered_bytes for f in connected):
        names = sorted({f.server_alert for f in alerted if f.server_alert})
        return PortDiagnosis(
            "alert",
            f"a TLS alert to every ClientHello ({', '.join(names)}): nothing in common",
            tuple(f"{f.name}: {f.server_alert}" for f in alerted[:5]),
        )
    if any(f.end in ("eof", "reset") and not f.answered_bytes for f in connected):
        return PortDiagnosis(
            "closed",
            "TCP accepted, then the connection was closed right after the ClientHello "
            "(no TLS reply)",
        )
    return PortDiagnosis(
        "silent",
        f"silent: TCP accepted but no TLS reply within {timeout:g} s",
    )


def plaintext_logon(sender: str, target: str, begin_string: str = "FIX.4.4") -> bytes:
    """A plaintext FIX Logon (no credentials) as bytes."""
    stamp = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime())
    return encode(
        begin_string,
        [(35, "A"), (49, sender), (56, target), (34, "1"), (52, stamp), (98, "0"), (108, "30")],
    ).raw


def plaintext_logon_probe(
    target: Target, sender: str, target_comp_id: str, *, timeout: float = 5.0
) -> Wire:
    """Send a plaintext FIX Logon to the port, read what comes back (capped), hang up.

    On a TLS port the server must give no FIX answer (FIXS: no plaintext bypass).
    """
    wire = Wire("plaintext FIX Logon")
    sock = _connect(target, timeout, wire)
    if sock is None:
        return wire
    deadline = time.monotonic() + timeout
    try:
        logon = plaintext_logon(sender, target_comp_id)
        try:
            sock.sendall(logon)
        except OSError as exc:
            wire.error = f"send: {exc.strerror or exc}"
            return wire
        wire.c2s.append((time.time(), logon))
        size = 0
        while size < PLAINTEXT_READ_CAP:
            data = _recv(sock, deadline, wire)
            if not data:
                break
            wire.s2c.append((time.time(), data))
            size += len(data)
            if data.startswith(b"8=FIX") or b"\x0110=" in b"".join(d for _, d in wire.s2c):
                wire.end = "answered"
                break
    finally:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
    return wire
