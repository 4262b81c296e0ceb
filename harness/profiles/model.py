"""Profiles: a policy a counterparty's TLS setup is held to, as frozen data.

A profile answers the questions the checks ask: which protocol versions are allowed,
which cipher suites (by IANA code) are allowed and which must be supported, how big
keys must be, and how each of the guide's use cases authenticates each side. It also
carries *errata*: places where the source document contradicts itself, with the
choice this profile made, so a report can quote both what was seen on the wire and
what the document says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from harness.errors import SourceLocation
from harness.tls.codes import format_code, is_tls13_code
from harness.tls.versions import TLS_VERSIONS

#: ``any`` is for TLS 1.3 suites, which no longer fix the authentication method.
Authentication = Literal["certificate", "psk", "any"]


@dataclass(frozen=True)
class Suite:
    """One allowed cipher suite: the IANA code is the identity, names are labels."""

    code: int
    iana: str
    openssl: str
    authentication: Authentication
    forward_secret: bool
    erratum: str | None = None
    note: str | None = None

    @property
    def hex(self) -> str:
        return format_code(self.code)

    @property
    def tls13(self) -> bool:
        return is_tls13_code(self.code)


@dataclass(frozen=True)
class Erratum:
    """A contradiction in the profile's source and the choice the profile made."""

    id: str
    title: str
    text: str
    codes: tuple[int, ...]


@dataclass(frozen=True)
class KeySizes:
    """Minimum key sizes in bits for certificates and ephemeral DH groups."""

    rsa: int
    ecdsa: int
    dhe: int


#: Which layer a defining check belongs to: ``certify --scope tls`` leaves out ``fix``.
CheckLayer = Literal["tls", "fix"]


@dataclass(frozen=True)
class DefiningCheck:
    """A check without which a use case is not shown to hold (``certify server``).

    ``id`` is a certify check id; ``needs`` names the flag(s) the user must give for
    the check to run (empty when certify can always run it); ``layer`` is ``fix``
    for checks made by a FIX Logon, which ``--scope tls`` knowingly leaves out.
    """

    id: str
    needs: str = ""
    layer: CheckLayer = "tls"


@dataclass(frozen=True)
class UseCase:
    """One of the guide's / FIXS's authentication use cases (1a, 1b, 2, 3a, 3b).

    ``defining_checks``: the checks that define the case; certify calls a server
    compliant with the case only when each of them ran and passed.
    """

    id: str
    title: str
    section: str
    server_auth: str
    client_auth: str
    client_certificate_required: bool
    defining_checks: tuple[DefiningCheck, ...] = ()


#: requirement: a miss fails the run; recommendation: a miss fails too unless the
#: profile keeps it a warning (``when_not_met: warn``).
RuleKind = Literal["requirement", "recommendation"]


@dataclass(frozen=True)
class SocketRule:
    """A socket option the live data sockets must carry, whatever the config says.

    ``sockets`` are stunnel's targets: ``l`` (the socket a tunnel accepted from its
    local side) and ``r`` (the socket it opened to its remote peer). The check
    reads the option off the four live sockets of a FIX link (``socket.nodelay.*``)
    and compares it with ``value``.
    """

    option: Literal["TCP_NODELAY"]
    value: int
    sockets: tuple[Literal["l", "r"], ...]
    rule: RuleKind
    when_not_met: Literal["fail", "warn"]
    section: str | None
    text: str = ""


@dataclass(frozen=True)
class Profile:
    """A policy: versions, suites, key sizes, use cases, errata, and its source."""

    name: str
    title: str
    source: str
    tls_versions: tuple[str, ...]
    suites: tuple[Suite, ...]
    required_suites: tuple[int, ...]
    min_key_bits: KeySizes
    psk_min_key_bytes: int
    use_cases: tuple[UseCase, ...]
    errata: tuple[Erratum, ...]
    notes: str
    location: SourceLocation
    socket_rules: tuple[SocketRule, ...] = ()
    # cert.expiry-horizon: certificates expiring within this many days fail
    expiry_horizon_days: int = 30

    def suite(self, code: int) -> Suite | None:
        """The profile's entry for ``code``, or None when the suite is not allowed."""
        for s in self.suites:
            if s.code == code:
                return s
        return None

    def allows_suite(self, code: int) -> bool:
        return self.suite(code) is not None

    def allows_version(self, version: str) -> bool:
        return version in self.tls_versions

    def suites_for(
        self, authentication: Authentication | None = None, *, tls13: bool | None = None
    ) -> tuple[Suite, ...]:
        """Allowed suites usable with ``authentication`` (TLS 1.3 ``any`` suites included),
        optionally only TLS 1.3 or only TLS 1.2-and-below ones."""
        return tuple(
            s
            for s in self.suites
            if (authentication is None or s.authentication in (authentication, "any"))
            and (tls13 is None or s.tls13 == tls13)
        )

    def erratum_for(self, code: int) -> Erratum | None:
        """The erratum a report should quote when ``code`` is seen, if any."""
        for e in self.errata:
            if code in e.codes:
                return e
        return None

    def use_case(self, case_id: str) -> UseCase | None:
        for u in self.use_cases:
            if u.id == case_id:
                return u
        return None

    def socket_rule(self, option: str) -> SocketRule | None:
        """The profile's rule for a live socket option (``TCP_NODELAY``), if any."""
        for r in self.socket_rules:
            if r.option == option:
                return r
        return None

    @property
    def newest_version(self) -> str:
        return max(self.tls_versions, key=TLS_VERSIONS.index)
