"""``lint``: a stunnel.conf read against the guide and a profile, finding by finding.

Theory of operation. The file is parsed with :mod:`harness.stunnelconf` (so every
option keeps its file:line) and given stunnel 5.68's meaning with ``resolve``
(defaults and option order, without refusing the file for start-up errors, which
are findings here). Each rule looks at one service (or at the global section) and
yields :class:`Finding` s: a rule id, a severity, the line, what is wrong, and the
guide section it comes from. A file the parser refuses is not the end: the
guide's PDF wraps long ``ciphers`` values over several lines, which stunnel
refuses (``No '=' found``); each wrapped line is a finding, and the lines are
joined so that the rest of the file is still checked.

Rules deliberately stay quiet where stunnel's defaults already do the right thing
(``TCP_NODELAY`` is on by default for local and remote sockets since long before
5.41, so only a config that turns it off is a finding), and never judge files they
cannot read (a missing PSK secrets file is not looked into).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache

from harness.errors import SourceLocation
from harness.profiles import Profile
from harness.profiles.codes import TLS_VERSION_CODES
from harness.stunnelconf import (
    ConfigError,
    ServiceSettings,
    StunnelConfig,
    parse_config,
    parse_psk_secrets,
    resolve,
)
from harness.stunnelconf.semantics import GlobalSettings
from harness.tls.registry import suite_by_openssl_name, suite_label


class Severity(StrEnum):
    ERROR = "error"  # stunnel refuses it, or it defeats authentication
    WARNING = "warning"  # works, but against the guide or the profile
    INFO = "info"  # a recommendation of the guide not followed


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    location: SourceLocation
    message: str
    guide_section: str | None = None
    not_after: str | None = None  # cert.expiry-horizon: the certificate's end (ISO 8601)

    def render(self) -> str:
        section = f" (guide {self.guide_section})" if self.guide_section else ""
        return f"{self.location}: {self.severity.value}: [{self.rule}] {self.message}{section}"

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.location.path,
            "line": self.location.line,
            "message": self.message,
            "guide_section": self.guide_section,
        }
        if self.not_after:
            out["not_after"] = self.not_after
        return out


def _is_continuation(line: str, previous_value: str | None) -> bool:
    stripped = line.strip()
    return (
        previous_value is not None
        and previous_value.endswith(("-", ":"))
        and bool(stripped)
        and "=" not in stripped
        and not stripped.startswith((";", "#", "["))
    )


def _join_wrapped(text: str, path: str) -> tuple[str, list[Finding]]:
    """Join lines the guide's PDF wrapped; one finding per wrapped line. Line
    numbers are kept: a joined line leaves an empty line in its place."""
    lines = text.splitlines()
    out: list[str] = []
    findings: list[Finding] = []
    last_option: int | None = None  # index in ``out`` of the last name = value line
    for number, raw in enumerate(lines, start=1):
        previous = out[last_option].partition("=")[2].strip() if last_option is not None else None
        if last_option is not None and _is_continuation(raw, previous):
            out[last_option] = out[last_option].rstrip() + raw.strip()
            out.append("")
            name = out[last_option].partition("=")[0].strip()
            findings.append(
                Finding(
                    "config.wrapped-value",
                    Severity.ERROR,
                    SourceLocation(path, number),
                    f"\"{raw.strip()}\": No '=' found: this continues the '{name}' value of "
                    "an earlier line (wrapped as in the guide's PDF); stunnel refuses the "
                    "file; join the lines",
                    "3.1.2",
                )
            )
            continue
        out.append(raw)
        stripped = raw.strip()
        if "=" in stripped and not stripped.startswith((";", "#", "[")):
            last_option = len(out) - 1
        elif stripped.startswith("["):
            last_option = None
    return "\n".join(out) + "\n", findings


@cache
def _openssl_knows(name: str) -> bool:
    """Does the local OpenSSL match anything for this single cipher-list entry?"""
    from OpenSSL import SSL

    ctx = SSL.Context(SSL.TLS_METHOD)
    try:
        ctx.set_cipher_list(f"{name}:@SECLEVEL=0".encode())
    except SSL.Error:
        return False
    return True


def _cipher_names(value: str) -> list[str]:
    return [n.strip() for n in value.replace(",", ":").replace(" ", ":").split(":") if n.strip()]


class _Linter:
    def __init__(self, config: StunnelConfig, profile: Profile) -> None:
        self.config = config
        self.profile = profile

    def service_rules(self, svc: ServiceSettings) -> Iterator[Finding]:
        yield from self.version(svc)
        yield from self.ciphers(svc)
        yield from self.verification(svc)
        yield from self.psk(svc)
        yield from self.sockets(svc)

    def version(self, svc: ServiceSettings) -> Iterator[Finding]:
        newest = TLS_VERSION_CODES[self.profile.newest_version]
        oldest = min(TLS_VERSION_CODES[v] for v in self.profile.tls_versions)
        if svc.version_max is None or svc.version_max > newest:
            where = svc.where("sslVersionMax") if svc.version_max else svc.where("ciphers")
            message = f"[{svc.name}] no sslVersion/sslVersionMax cap"
            if newest < TLS_VERSION_CODES["TLSv1.3"]:
                message += (
                    ": TLS 1.3 is negotiable with a modern peer, and 'ciphers' does not "
                    "apply to TLS 1.3 (its suites are 'ciphersuites')"
                )
            fix = "sslVersion" if len(self.profile.tls_versions) == 1 else "sslVersionMax"
            message += (
                f"; the profile allows {', '.join(self.profile.tls_versions)}: "
                f"set {fix} = {self.profile.newest_version}"
            )
            yield Finding("tls.version-not-capped", Severity.WARNING, where, message, "2.2")
        if svc.version_min is not None and svc.version_min < oldest:
            yield Finding(
                "tls.version-too-old",
                Severity.WARNING,
                svc.where("sslVersionMin"),
                f"[{svc.name}] versions below {min(self.profile.tls_versions)} enabled",
                "2.2",
            )

    def ciphers(self, svc: ServiceSettings) -> Iterator[Finding]:
        opt = next((o for o in reversed(svc.options) if o.key == "ciphers"), None)
        if opt is None:
            yield Finding(
                "ciphers.not-set",
                Severity.WARNING,
                svc.location,
                f"[{svc.name}] no 'ciphers': stunnel's default list "
                "(HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK) includes suites outside the profile",
                "3.1.2",
            )
            return
        names = _cipher_names(opt.value)
        plain = [n for n in names if not n.startswith(("!", "-", "+", "@"))]
        unknown = [n for n in plain if not _openssl_knows(n)]
        for name in unknown:
            hint = ""
            if suite_by_openssl_name(f"ECDHE-{name}") is not None:
                hint = f" (the guide's table spelling; OpenSSL's name is ECDHE-{name})"
            yield Finding(
                "ciphers.unknown-name",
                Severity.ERROR if len(unknown) == len(plain) else Severity.WARNING,
                opt.location,
                f"[{svc.name}] '{name}' matches no cipher in OpenSSL: "
                + (
                    "stunnel refuses the list"
                    if len(unknown) == len(plain)
                    else "silently dropped from the list"
                )
                + hint,
                "2.3.1",
            )
        outside = []
        errata: dict[str, list[str]] = {}
        for name in plain:
            suite = suite_by_openssl_name(name)
            if suite is None:
                continue
            if not self.profile.allows_suite(suite.code):
                outside.append(f"{name} ({suite_label(suite.code)})")
            erratum = self.profile.erratum_for(suite.code)
            if erratum is not None:
                errata.setdefault(erratum.id, []).append(f"{name} = {suite_label(suite.code)}")
        if outside:
            yield Finding(
                "ciphers.not-in-profile",
                Severity.WARNING,
                opt.location,
                f"[{svc.name}] suites outside profile {self.profile.name}: {', '.join(outside)}",
                "2.3",
            )
        for eid, used in errata.items():
            erratum = next(e for e in self.profile.errata if e.id == eid)
            other = [
                suite_label(c) for c in erratum.codes if not any(suite_label(c) in u for u in used)
            ]
            yield Finding(
                f"ciphers.erratum.{eid}",
                Severity.WARNING,
                opt.location,
                f"[{svc.name}] {erratum.title}: this list gives {', '.join(used)}; a peer "
                f"configured from the guide's table offers {', '.join(other)} instead, and "
                "the two share no suite ('no shared cipher')",
                "2.3.1",
            )

    def verification(self, svc: ServiceSettings) -> Iterator[Finding]:
        verifies = svc.verify_chain or svc.verify_peer
        if svc.client and not verifies and not svc.psk_secrets:
            yield Finding(
                "verify.client-without-verification",
                Severity.ERROR,
                svc.location,
                f"[{svc.name}] client without verifyChain or verifyPeer: any server "
                "certificate is accepted (man in the middle)",
                "2.4.1.5",
            )
        if verifies and not (svc.crl_file or svc.crl_path or svc.ocsp_url or svc.ocsp_aia):
            option = "verifyPeer" if svc.verify_peer else "verifyChain"
            yield Finding(
                "verify.no-revocation",
                Severity.WARNING,
                svc.where(option),
                f"[{svc.name}] {option} without a revocation check "
                "(CRLfile/CRLpath, OCSP or OCSPaia): a revoked certificate is accepted",
                "2.4.1.6",
            )
        if (
            svc.client
            and svc.verify_chain
            and not svc.verify_peer
            and not (svc.check_host or svc.check_ip or svc.check_email)
        ):
            yield Finding(
                "verify.no-subject-check",
                Severity.WARNING,
                svc.where("verifyChain"),
                f"[{svc.name}] verifyChain without checkHost/checkIP: any certificate "
                "the CA issued, for any host, is accepted",
                "2.4.1.5.2",
            )

    def psk(self, svc: ServiceSettings) -> Iterator[Finding]:
        path = svc.psk_secrets
        if not path or not os.path.isfile(path):
            return  # not our file to guess about
        where = svc.where("PSKsecrets")
        mode = os.stat(path).st_mode
        if mode & (stat.S_IROTH | stat.S_IWOTH):
            yield Finding(
                "psk.file-permissions",
                Severity.ERROR,
                where,
                f"[{svc.name}] {path} is world-{'readable' if mode & stat.S_IROTH else 'writable'} "
                f"(mode {stat.S_IMODE(mode):04o}); chmod 600",
                "2.4.2",
            )
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            return
        try:
            entries = parse_psk_secrets(text, path=path)
        except ConfigError as exc:
            yield Finding(
                "psk.file-invalid",
                Severity.ERROR,
                exc.location,
                f"[{svc.name}] stunnel refuses the secrets file: {exc.message}",
                "2.4.2",
            )
            return
        need = self.profile.psk_min_key_bytes
        for entry in entries:
            if len(entry.key) < need:
                yield Finding(
                    "psk.key-short",
                    Severity.ERROR,
                    SourceLocation(path, entry.line),
                    f"[{svc.name}] key for identity '{entry.identity}' is {len(entry.key)} "
                    f"bytes; the profile wants at least {need}",
                    "2.4.2",
                )

    def sockets(self, svc: ServiceSettings) -> Iterator[Finding]:
        for target in ("l", "r", "a"):
            value = svc.socket_option(target, "TCP_NODELAY")
            if value is not None and value.strip() == "0":
                opt = next(
                    o
                    for o in reversed(svc.options)
                    if o.key == "socket" and o.value.replace(" ", "").startswith(f"{target}:")
                )
                yield Finding(
                    "socket.nodelay-off",
                    Severity.WARNING,
                    opt.location,
                    f"[{svc.name}] {target}:TCP_NODELAY=0 turns Nagle's algorithm back on "
                    "(latency for FIX messages)",
                    "2.1.4",
                )

    def global_rules(self, glob: GlobalSettings) -> Iterator[Finding]:
        if glob.setuid is None and glob.engine != "capi":
            yield Finding(
                "privileges.no-drop",
                Severity.INFO,
                SourceLocation(self.config.path, 1),
                "no setuid/setgid: stunnel keeps root privileges if started as root",
                "2.6.2",
            )
        if glob.engine is not None and glob.engine.lower() == "capi":
            yield Finding(
                "engine.capi",
                Severity.WARNING,
                glob.location,
                "engine = capi is Windows-only (stunnel fails to start elsewhere)",
                "2.5.1",
            )


def lint_text(
    text: str, profile: Profile, *, path: str = "<string>", expiry_days: int | None = None
) -> list[Finding]:
    """Every finding for one stunnel.conf text, in line order. Certificate files the
    config names are held against ``expiry_days`` (default: the profile's horizon)."""
    findings: list[Finding] = []
    try:
        config = parse_config(text, path=path)
    except ConfigError:
        joined, wrapped = _join_wrapped(text, path)
        findings.extend(wrapped)
        try:
            config = parse_config(joined, path=path)
        except ConfigError as exc:
            findings.append(
                Finding("config.invalid", Severity.ERROR, exc.location, exc.message, None)
            )
            return sorted(findings, key=lambda f: f.location.line)
    try:
        resolved = resolve(config, validate=False)
    except ConfigError as exc:
        return [*findings, Finding("config.invalid", Severity.ERROR, exc.location, exc.message)]
    linter = _Linter(config, profile)
    from harness.certify.expiry import lint_expiry
    from harness.stunnelconf.semantics import validate_service

    horizon = profile.expiry_horizon_days if expiry_days is None else expiry_days
    now = datetime.now(UTC)

    for svc in resolved.services:
        try:
            validate_service(svc)
        except ConfigError as exc:
            findings.append(
                Finding("config.start-up", Severity.ERROR, exc.location, exc.message, None)
            )
        findings.extend(linter.service_rules(svc))
        findings.extend(lint_expiry(svc, horizon, now))
    findings.extend(linter.global_rules(resolved.globals))
    # the same service-level default may trip a rule once per service: keep one
    unique = list(dict.fromkeys(findings))
    return sorted(unique, key=lambda f: (f.location.path, f.location.line, f.rule))


def lint_file(path: str, profile: Profile, *, expiry_days: int | None = None) -> list[Finding]:
    """Read and lint one file (an unreadable file is a HarnessError)."""
    from harness.errors import HarnessError

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise HarnessError(f"cannot read {path}: {exc.strerror}") from None
    return lint_text(text, profile, path=path, expiry_days=expiry_days)
