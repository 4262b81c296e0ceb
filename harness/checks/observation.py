"""What a scenario run showed, as frozen typed facts: the only input of the checks.

The runner (:mod:`harness.runner.execute`) starts the tunnels, the mock FIX peers and
the capture, and distils what it saw into one :class:`Observation`; the checks
(:mod:`harness.checks.catalogue`) read nothing else. Every fact is a typed record,
never a formatted string read back: a proxy request is a :class:`ProxyRequest`
with its status code, a socket option read off a live socket is a
:class:`SocketReading`, a tunnel's log is the :class:`LoggedConnection` of its first
connection. ``None`` means "not observed" (the run did not get that far, or the
fact cannot be seen), which the checks turn into ``inconclusive`` with a reason,
never ``pass``.

The table tests build observations by hand (no network), so every field has a
default that means "nothing seen".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from harness.dissect import Handshake
from harness.tls.registry import alert_name

TunnelSide = Literal["client", "server"]
#: ``l``: the socket a tunnel accepted from its local application (or the client
#: tunnel); ``r``: the socket it opened to its remote peer. stunnel's ``socket = l:``
#: and ``socket = r:`` prefixes.
SocketKind = Literal["l", "r"]


@dataclass(frozen=True)
class LoggedConnection:
    """What a tunnel's log says about the connection the checks look at (its first).

    ``decisive`` holds the connection's warning and error lines (stunnel levels 3
    and 4) verbatim, in order: certificate verification errors with their depth,
    ``CERT: Subject checks failed``, an unknown PSK identity, ``no shared cipher``,
    a refused ``connect``. They are what a failed handshake check quotes.
    """

    version: str | None = None  # "TLSv1.2"
    cipher: str | None = None  # OpenSSL name, as the log spells it
    errors: tuple[str, ...] = ()
    decisive: tuple[str, ...] = ()

    @property
    def negotiated(self) -> bool:
        return self.cipher is not None


@dataclass(frozen=True)
class FixOutcome:
    """The mock initiator's conversation, reduced to what the checks judge."""

    ok: bool  # every script step held
    logon_accepted: bool
    logout_text: str | None = None  # Text(58) of the last Logout received
    failures: tuple[str, ...] = ()  # one line per failed script step
    error: str | None = None  # the peer could not be reached at all
    execution_reports: int = 0  # ExecutionReports (35=8) received by the initiator


@dataclass(frozen=True)
class SocketReading:
    """TCP_NODELAY read off one of the four data-carrying sockets of a live link.

    ``configured`` is the tunnel config's own value of ``socket = <kind>:TCP_NODELAY``
    (``None``: not set); ``nodelay`` is what ``getsockopt`` returned on the live
    socket (``None``: the socket could not be read; ``detail`` says why).
    """

    tunnel: TunnelSide
    kind: SocketKind
    configured: str | None
    nodelay: bool | None
    detail: str = ""


@dataclass(frozen=True)
class ProxyRequest:
    """One request the loopback HTTP CONNECT proxy answered (no credential)."""

    status: int
    method: str
    target: str
    username: str | None = None

    def describe(self) -> str:
        return f"{self.status} {self.method} {self.target} user={self.username}"


@dataclass(frozen=True)
class ProxyFacts:
    """The HTTP CONNECT proxy between the client tunnel and the server tunnel.

    ``requests`` is ``None`` when the proxy's record was not read.
    """

    expected_target: str  # host:port of the TLS server behind the proxy
    requests: tuple[ProxyRequest, ...] | None = ()


@dataclass(frozen=True)
class Observation:
    """Everything seen while one scenario ran on one backend pair."""

    handshake: Handshake | None = None
    handshake_missing: str | None = None  # why there is no handshake
    capture_gap: str | None = None  # frames the capture lost (kernel drops): not whole
    client_log: LoggedConnection | None = None  # None: no connection logged
    server_log: LoggedConnection | None = None
    fix: FixOutcome | None = None  # None: no conversation ran
    acceptor_orders: int = 0  # NewOrderSingles the mock acceptor received
    sockets: tuple[SocketReading, ...] = ()
    sockets_skipped: str | None = None  # why the live sockets were not read
    expected_psk_identity: str | None = None  # the client config's PSK identity
    proxy: ProxyFacts | None = None  # None: the scenario has no proxy

    def log(self, side: TunnelSide) -> LoggedConnection | None:
        return self.client_log if side == "client" else self.server_log

    def unusable(self) -> str | None:
        """Why the captured handshake cannot be judged, or None when it can."""
        if self.capture_gap:
            # a frame lost anywhere (the fatal alert, a FIN) may change what the
            # handshake seems to say: nothing on the wire can be judged
            return f"capture incomplete: {self.capture_gap}"
        hs = self.handshake
        if hs is None:
            return self.handshake_missing or "no handshake captured"
        if not hs.complete:
            if refused_before_hello(hs):
                return None  # the client's alert is the whole exchange: nothing is missing
            return f"capture incomplete: {hs.incomplete_reason}"
        return None

    def decisive_evidence(self) -> tuple[str, ...]:
        """The root cause of a refused or broken handshake, quoted: each tunnel's
        decisive log lines, then the alerts on the wire."""
        out: list[str] = []
        for side in ("client", "server"):
            conn = self.log(side)
            if conn is not None:
                out.extend(f"{side} log: {line}" for line in conn.decisive[:_MAX_LINES])
        hs = self.handshake
        if hs is not None:
            for a in hs.alerts:
                if a.description is None:
                    out.append(f"wire: encrypted alert from the {a.sender}")
                else:
                    level = "fatal" if a.fatal else "warning"
                    out.append(
                        f"wire: {level} alert {alert_name(a.description)}({a.description}) from the {a.sender}"
                    )
        return tuple(out)


_MAX_LINES = 6


def refused_before_hello(hs: Handshake) -> bool:
    """A client whose TLS library will not offer what it is configured for (e.g. TLS
    1.0 at OpenSSL 3.5's default security level) sends a fatal alert instead of a
    ClientHello: a complete, if short, story on the wire."""
    return (
        not hs.ciphers_offered
        and bool(hs.alerts)
        and all(a.sender == "client" or a.description is not None for a in hs.alerts)
        and any(a.sender == "client" and a.description is not None for a in hs.alerts)
    )
