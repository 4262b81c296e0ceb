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
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache

from harness.errors import SourceLocation
from harness.profiles import Profile
from harness.stunnelconf import (
    ConfigError,
    ServiceSettings,
    StunnelConfig,
    parse_config,
    parse_psk_secrets,
    resolve,
)
from harness.stunnelconf.semantics import GlobalSettings
from harness.tls.registry import suite_by_code, suite_by_openssl_name, suite_label
from harness.tls.versions import TLS_VERSION_CODES


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
    continuations: dict[int, list[int]] = {}  # option's index in out → continuation lines
    last_option: int | None = None  # index in ``out`` of the last name = value line
    for number, raw in enumerate(lines, start=1):
        previous = out[last_option].partition("=")[2].strip() if last_option is not None else None
        if last_option is not None and _is_continuation(raw, previous):
            out[last_option] = out[last_option].rstrip() + raw.strip()
            out.append("")
            continuations.setdefault(last_option, []).append(number)
            continue
        out.append(raw)
        stripped = raw.strip()
        if "=" in stripped and not stripped.startswith((";", "#", "[")):
            last_option = len(out) - 1
        elif stripped.startswith("["):
            last_option = None
    # one finding per wrapped value, at its first continuation line (the line stunnel
    # refuses), naming every line the value spans
    findings: list[Finding] = []
    for index, numbers in continuations.items():
        name = out[index].partition("=")[0].strip()
        span = f"lines {index + 1}-{numbers[-1]}"
        findings.append(
            Finding(
                "config.wrapped-value",
                Severity.ERROR,
                SourceLocation(path, numbers[0]),
                f"\"{lines[numbers[0] - 1].strip()}\": No '=' found: the '{name}' value is "
                f"wrapped over {span} (as in the guide's PDF); stunnel refuses the file; "
                "join the lines",
                "3.1.2",
            )
        )
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


#: stunnel versions lint knows the behaviour of (``--stunnel``); others are refused.
STUNNEL_VERSIONS: tuple[str, ...] = ("5.56", "5.68", "5.74")
DEFAULT_STUNNEL = "5.68"


def parse_stunnel_version(text: str) -> tuple[int, int]:
    """``5.68`` → (5, 68).

    Raises:
        HarnessError: not MAJOR.MINOR.
    """
    from harness.errors import HarnessError

    major, dot, minor = text.partition(".")
    if not dot or not major.isdigit() or not minor.isdigit():
        raise HarnessError(f"--stunnel wants a version such as 5.68, got {text!r}")
    return int(major), int(minor)


def _file_problem(path: str, kind: str, *, has_key_option: bool) -> str | None:
    """Why stunnel could not use this file, or None."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    try:
        if kind in ("cert", "certs"):
            if not x509.load_pem_x509_certificates(data):
                return "no PEM certificate in it"
            if kind == "cert" and not has_key_option and b"PRIVATE KEY-----" not in data:
                return "no private key in it and no 'key' option"
        elif kind == "key":
            if b"ENCRYPTED" in data:
                return None  # stunnel asks for the pass phrase; nothing to judge here
            serialization.load_pem_private_key(data, password=None)
        elif kind == "crls":
            if b"-----BEGIN X509 CRL-----" not in data:
                return "no PEM CRL in it (stunnel refuses the file)"
            for part in data.split(b"-----BEGIN X509 CRL-----")[1:]:
                x509.load_pem_x509_crl(b"-----BEGIN X509 CRL-----" + part)
    except (ValueError, TypeError) as exc:
        return f"does not parse ({str(exc).splitlines()[0] if str(exc) else 'invalid PEM'})"
    return None


def _key_matches(cert_path: str, key_path: str) -> bool:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        with open(cert_path, "rb") as fh:
            cert = x509.load_pem_x509_certificates(fh.read())[0]
        with open(key_path, "rb") as fh:
            data = fh.read()
        if b"ENCRYPTED" in data:
            return True
        key = serialization.load_pem_private_key(data, password=None)
    except (OSError, ValueError, TypeError, IndexError):
        return True  # reported by the file rules
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return bool(cert.public_key().public_bytes(der, pub) == key.public_key().public_bytes(der, pub))


class _Linter:
    def __init__(
        self,
        config: StunnelConfig,
        profile: Profile,
        *,
        stunnel: tuple[int, int] = (5, 68),
        base_dir: str | None = None,
    ) -> None:
        self.config = config
        self.profile = profile
        self.stunnel = stunnel
        self.base_dir = base_dir  # None: referenced files are not looked at

    @property
    def version_text(self) -> str:
        return f"stunnel {self.stunnel[0]}.{self.stunnel[1]}"

    def since(self, major: int, minor: int) -> bool:
        return self.stunnel >= (major, minor)

    def service_rules(self, svc: ServiceSettings) -> Iterator[Finding]:
        yield from self.version(svc)
        yield from self.ciphers(svc)
        yield from self.verification(svc)
        yield from self.psk(svc)
        yield from self.sockets(svc)
        yield from self.version_rules(svc)
        if self.base_dir is not None:
            yield from self.files(svc)

    def _path(self, value: str) -> str:
        assert self.base_dir is not None
        return value if os.path.isabs(value) else os.path.join(self.base_dir, value)

    def files(self, svc: ServiceSettings) -> Iterator[Finding]:
        """Referenced files exist, parse, and keep private keys private."""
        for option, value, kind in (
            ("cert", svc.cert, "cert"),
            ("key", svc.key, "key"),
            ("CAfile", svc.ca_file, "certs"),
            ("CApath", svc.ca_path, "dir"),
            ("CRLfile", svc.crl_file, "crls"),
            ("CRLpath", svc.crl_path, "dir"),
            ("PSKsecrets", svc.psk_secrets, "file"),
        ):
            if not value:
                continue
            where = svc.where(option)
            path = self._path(value)
            if kind == "dir":
                if not os.path.isdir(path):
                    yield Finding(
                        "file.missing",
                        Severity.ERROR,
                        where,
                        f'[{svc.name}] "{option} = {value}": no such directory ({path})',
                    )
                continue
            if not os.path.isfile(path):
                yield Finding(
                    "file.missing",
                    Severity.ERROR,
                    where,
                    f'[{svc.name}] "{option} = {value}": no such file ({path})',
                )
                continue
            problem = _file_problem(path, kind, has_key_option=svc.key is not None)
            if problem:
                yield Finding(
                    "file.unreadable",
                    Severity.ERROR,
                    where,
                    f"[{svc.name}] {option} {path}: {problem}",
                )
                continue
            holds_key = kind == "key" or (kind == "cert" and svc.key is None)
            if holds_key:
                mode = os.stat(path).st_mode
                if mode & (stat.S_IRWXG | stat.S_IRWXO):
                    yield Finding(
                        "file.key-permissions",
                        Severity.ERROR,
                        where,
                        f"[{svc.name}] private key {path} is readable beyond its owner "
                        f"(mode {stat.S_IMODE(mode):04o}); chmod 600",
                        "2.6.2",
                    )
        if svc.cert and svc.key:
            cert, key = self._path(svc.cert), self._path(svc.key)
            if os.path.isfile(cert) and os.path.isfile(key) and not _key_matches(cert, key):
                yield Finding(
                    "file.key-mismatch",
                    Severity.ERROR,
                    svc.where("key"),
                    f"[{svc.name}] the private key {key} does not belong to the certificate "
                    f"{cert} (stunnel: 'Private key does not match the certificate')",
                )

    def version_rules(self, svc: ServiceSettings) -> Iterator[Finding]:
        """Findings whose truth depends on the stunnel version (``--stunnel``)."""
        v = self.version_text
        if not any(o.key == "ciphers" for o in svc.options) and self.since(5, 46):
            dhe = [
                suite_label(ps.code)
                for ps in self.profile.suites
                if (suite := suite_by_code(ps.code)) is not None and suite.kex == "DHE"
            ]
            if dhe:
                yield Finding(
                    "ciphers.default-drops-dhe",
                    Severity.WARNING,
                    svc.location,
                    f"[{svc.name}] {v}: the default 'ciphers' (since 5.46: "
                    f"HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK) drops every DHE suite the profile "
                    f"lists ({', '.join(dhe)}): a peer offering only those gets "
                    "'no shared cipher'",
                    "3.1.2",
                )
        opt = next((o for o in reversed(svc.options) if o.key == "sslversion"), None)
        if opt is not None and self.since(5, 45):
            yield Finding(
                "option.sslversion-deprecated",
                Severity.INFO,
                opt.location,
                f"[{svc.name}] {v}: 'sslVersion' is deprecated since 5.45 (it still sets "
                "both bounds); write sslVersionMin and sslVersionMax",
                "2.2",
            )
        if (
            svc.client
            and svc.verify_chain
            and self.since(5, 71)
            and not any(o.key == "ocsprequire" for o in svc.options)
        ):
            yield Finding(
                "verify.ocsp-stapling-5.71",
                Severity.INFO,
                svc.where("verifyChain"),
                f"[{svc.name}] {v}: since 5.71 verifyChain also requests OCSP stapling "
                "from the server and OCSPrequire defaults to yes (an inconclusive OCSP "
                "answer rejects the server); set OCSPrequire = no for the behaviour of "
                "earlier versions",
                "2.4.1.6",
            )

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
            # sslVersion is deprecated since 5.45: suggest the pair of bounds
            fix = (
                "sslVersionMin = sslVersionMax"
                if len(self.profile.tls_versions) == 1
                else "sslVersionMax"
            )
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
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            who = "world" if mode & stat.S_IRWXO else "group"
            how = "readable" if mode & (stat.S_IROTH | stat.S_IRGRP) else "writable"
            yield Finding(
                "psk.file-permissions",
                Severity.ERROR,
                where,
                f"[{svc.name}] {path} is {who}-{how} (mode {stat.S_IMODE(mode):04o}); chmod 600",
                "2.4.2",
            )
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            return
        hex_keys = self.since(5, 51)
        try:
            entries = parse_psk_secrets(text, path=path, hex_keys=hex_keys)
        except ConfigError as exc:
            yield Finding(
                "psk.file-invalid",
                Severity.ERROR,
                exc.location,
                f"[{svc.name}] stunnel refuses the secrets file: {exc.message}",
                "2.4.2",
            )
            return
        for entry in parse_psk_secrets(text, path=path, hex_keys=True):
            if entry.hex_decoded:
                ascii_len = len(text.splitlines()[entry.line - 1].strip().partition(":")[2])
                read = (
                    f"decodes it as hex ({len(entry.key)} bytes)"
                    if hex_keys
                    else f"uses its {ascii_len} characters as ASCII"
                )
                yield Finding(
                    "psk.hex-key",
                    Severity.INFO,
                    SourceLocation(path, entry.line),
                    f"[{svc.name}] the key for identity '{entry.identity}' looks like hex: "
                    f"{self.version_text} {read}; stunnel 5.51 and later decode it, earlier "
                    "versions do not, so peers on either side of 5.51 disagree",
                    "2.4.2",
                )
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
    text: str,
    profile: Profile,
    *,
    path: str = "<string>",
    stunnel: str = DEFAULT_STUNNEL,
    files_base: str | None = None,
    expiry_days: int | None = None,
) -> list[Finding]:
    """Every finding for one stunnel.conf text, in line order.

    Args:
        stunnel: the stunnel version the findings are for (defaults, deprecations).
        files_base: check the files the config names, relative paths resolved against
            this directory; None leaves them alone (the PSK secrets file excepted).
        expiry_days: certificate files the config names are held against this
            horizon (default: the profile's).
    """
    version = parse_stunnel_version(stunnel)
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
    linter = _Linter(config, profile, stunnel=version, base_dir=files_base)
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
    # the same service-level default (a global-section line) may trip a rule once per
    # service: one finding per rule and line, naming every service it concerns
    merged: dict[tuple[str, SourceLocation], Finding] = {}
    services: dict[tuple[str, SourceLocation], list[str]] = {}
    for f in dict.fromkeys(findings):
        key = (f.rule, f.location)
        name = f.message[1 : f.message.index("]")] if f.message.startswith("[") else None
        if key not in merged:
            merged[key] = f
            services[key] = [name] if name else []
        elif name and name not in services[key]:
            services[key].append(name)
    unique = []
    for key, f in merged.items():
        names = services[key]
        if len(names) > 1:
            f = replace(f, message=f"[{', '.join(names)}]" + f.message[len(names[0]) + 2 :])
        unique.append(f)
    return sorted(unique, key=lambda f: (f.location.path, f.location.line, f.rule))


def lint_file(
    path: str,
    profile: Profile,
    *,
    stunnel: str = DEFAULT_STUNNEL,
    check_files: bool = True,
    expiry_days: int | None = None,
) -> list[Finding]:
    """Read and lint one file.

    Raises:
        HarnessError: the file cannot be read; a ConfigError (file:line) when it is
            not UTF-8 text.
    """
    from harness.errors import HarnessError
    from harness.stunnelconf.parser import decode_config

    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise HarnessError(f"cannot read {path}: {exc.strerror}") from None
    base = os.path.dirname(os.path.abspath(path)) if check_files else None
    return lint_text(
        decode_config(data, path=path),
        profile,
        path=path,
        stunnel=stunnel,
        files_base=base,
        expiry_days=expiry_days,
    )
