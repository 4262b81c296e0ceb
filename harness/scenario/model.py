"""The scenario as the rest of the harness sees it: frozen, validated, located.

A :class:`Scenario` is one use case to run end to end: two stunnel sections (server
and client, verbatim text), a FIX session, a profile, and the expectations the
checks compare the wire against. Every piece of embedded text remembers the file
line of its first line, so an error found later (an unknown stunnel option, a bad
script line) can still point into the scenario file.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace
from typing import Literal

from harness.errors import SourceLocation
from harness.tls.codes import format_code

AuthOutcome = Literal[
    "mutual-certificate", "psk", "server-certificate+fix-credentials", "handshake-refused"
]
Side = Literal["client", "server"]


@dataclass(frozen=True)
class EmbeddedText:
    """A block of text embedded in a scenario; ``location.line`` is its FIRST line.

    Line ``i`` (0-based) of ``text`` is at file line ``location.line + i``.
    """

    text: str
    location: SourceLocation

    def location_of_line(self, index: int) -> SourceLocation:
        """File location of the 0-based ``index``-th line of the text."""
        return SourceLocation(self.location.path, self.location.line + index)


@dataclass(frozen=True)
class EmbeddedConf(EmbeddedText):
    """stunnel.conf text, verbatim as in the guide, with placeholders unresolved.

    ``base_dir`` is the directory relative file paths in the text resolve against
    (the stunnel.conf file's own directory for ``stunnel_file:``, the scenario
    file's directory for embedded text); ``None`` leaves them as written. ``section``
    names the one ``[service]`` to run from a text that holds several.
    """

    base_dir: str | None = None
    section: str | None = None


@dataclass(frozen=True)
class Alert:
    """A TLS alert by its registry code and name (``handshake_failure`` = 40)."""

    code: int
    name: str


@dataclass(frozen=True)
class CipherExpectation:
    """Exact code(s) expected, or any suite the profile allows (``codes`` empty)."""

    codes: tuple[int, ...] = ()
    any_in_profile: bool = False

    def describe(self) -> str:
        if self.any_in_profile:
            return "any suite in the profile"
        return " or ".join(format_code(c) for c in self.codes)


@dataclass(frozen=True)
class TlsExpectation:
    version: str | None = None
    cipher: CipherExpectation | None = None
    location: SourceLocation | None = None


@dataclass(frozen=True)
class AuthExpectation:
    """How the session must authenticate, or how the handshake must be refused.

    For ``handshake-refused``, ``alerts`` lists the acceptable alerts (TLS 1.2 and
    1.3 peers send different ones for the same fault) and ``refused_by`` the side
    that must send it.
    """

    outcome: AuthOutcome
    alerts: tuple[Alert, ...] = ()
    refused_by: Side | None = None
    location: SourceLocation | None = None


@dataclass(frozen=True)
class FixExpectation:
    logon: Literal["accepted", "rejected"]
    text: str | None = None
    location: SourceLocation | None = None


@dataclass(frozen=True)
class Expectations:
    """What must be observed. ``None`` means "not asserted" (checks say so)."""

    tls: TlsExpectation | None = None
    auth: AuthExpectation | None = None
    fix: FixExpectation | None = None
    messages: int | None = None
    messages_location: SourceLocation | None = None


@dataclass(frozen=True)
class Override:
    """Expectations that replace the base ones on matching backend pairs.

    ``backend_pair`` is a ``client:server`` glob (``stunnel-*:python``). Each
    top-level section given (tls, auth, fix, messages) replaces the base section.
    """

    backend_pair: str
    reason: str
    expect: Expectations
    location: SourceLocation

    def matches(self, backend_pair: str) -> bool:
        return fnmatch.fnmatchcase(backend_pair, self.backend_pair)


@dataclass(frozen=True)
class Credentials:
    """FIX Logon credentials: Username(553)/Password(554) and/or RawData(95)."""

    username: str | None = None
    password: str | None = None
    raw_data: str | None = None

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.password, self.raw_data) if s)


@dataclass(frozen=True)
class FixSession:
    """The FIX session run through the tunnels (initiator = TLS client side)."""

    version: str
    sender_comp_id: str
    target_comp_id: str
    heartbeat_s: int
    credentials: Credentials | None
    acceptor_credentials: Credentials | None
    script: EmbeddedText | None
    location: SourceLocation


@dataclass(frozen=True)
class Proxy:
    """An HTTP CONNECT proxy on loopback between the client tunnel and the server."""

    username: str | None
    password: str | None
    location: SourceLocation


@dataclass(frozen=True)
class Matrix:
    """Cipher matrix: one case per suite, forced on both sides.

    ``cipher_codes`` empty with ``from_profile`` true means "every profile suite
    usable with this scenario's authentication".
    """

    cipher_codes: tuple[int, ...]
    from_profile: bool
    location: SourceLocation


@dataclass(frozen=True)
class ForcedCipher:
    """The suite a matrix variant forces; the runner pins both sides' ciphers to it."""

    code: int
    openssl: str
    key_type: Literal["rsa", "ecdsa", "psk", "any"]


@dataclass(frozen=True)
class SelfTest:
    """A self-test: the scenario's expectations deliberately contradict its config.

    The item passes only when exactly the checks in ``must_fail`` fail (each present
    with verdict fail, no other check failed, nothing inconclusive): it shows that
    those checks can fail on the live system. ``misreport_log`` names a tunnel
    (``client`` or ``server``) whose logged cipher the harness replaces before the
    checks read it, the only way to show ``log.matches-wire`` failing against honest
    tunnels; the log file in the artifacts stays as written and a note says so.
    """

    must_fail: tuple[str, ...]
    location: SourceLocation
    misreport_log: Side | None = None


@dataclass(frozen=True)
class Scenario:
    """One use case to run on a backend pair. Build with ``load_scenario``."""

    id: str
    title: str
    guide_section: str | None
    description: str
    profile: str
    tags: tuple[str, ...]
    server_conf: EmbeddedConf
    client_conf: EmbeddedConf
    fix: FixSession
    proxy: Proxy | None
    expect: Expectations
    overrides: tuple[Override, ...]
    matrix: Matrix | None
    source: SourceLocation
    forced_cipher: ForcedCipher | None = None
    selftest: SelfTest | None = None

    def expectations_for(self, backend_pair: str) -> tuple[Expectations, tuple[Override, ...]]:
        """Expectations on ``backend_pair`` (``client:server``) and the overrides used.

        Overrides apply in file order; a later matching override wins per section.
        """
        result = self.expect
        used: list[Override] = []
        for o in self.overrides:
            if not o.matches(backend_pair):
                continue
            used.append(o)
            e = o.expect
            result = replace(
                result,
                tls=e.tls if e.tls is not None else result.tls,
                auth=e.auth if e.auth is not None else result.auth,
                fix=e.fix if e.fix is not None else result.fix,
                messages=e.messages if e.messages is not None else result.messages,
                messages_location=(
                    e.messages_location if e.messages is not None else result.messages_location
                ),
            )
        return result, tuple(used)

    def secrets(self) -> tuple[str, ...]:
        """Every secret given inline (FIX passwords, RawData, proxy password).

        Report writers refuse to write any of these; PSK keys and private keys are
        generated by the runner, which adds its own.
        """
        out: list[str] = []
        for creds in (self.fix.credentials, self.fix.acceptor_credentials):
            if creds is not None:
                out.extend(creds.secrets())
        if self.proxy is not None and self.proxy.password:
            out.append(self.proxy.password)
        return tuple(dict.fromkeys(out))
