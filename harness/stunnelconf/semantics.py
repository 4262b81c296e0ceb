"""What a parsed stunnel.conf means, with stunnel 5.68 semantics.

Theory of operation: options are applied in file order, global section first (its
service-level options are defaults for every service), then each service's own
options. Later options override earlier ones, which is how ``requireCert = no`` after
``verifyPeer = yes`` switches the client-certificate *requirement* back off while the
certificate is still requested and verified when present. Cross-option rules that
stunnel checks at start-up (``checkIP`` needs ``verifyChain``/``verifyPeer``, verify
needs a CA, a server needs a certificate unless it uses PSK) are checked here, with
stunnel's wording and the file:line of the option concerned.

Everything here is pure: files named by the config are not opened (see
:func:`parse_psk_secrets` for the PSK file's text).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from harness.errors import SourceLocation
from harness.stunnelconf.model import Option, Section, StunnelConfig
from harness.stunnelconf.options import (
    OPTIONS,
    parse_debug,
    parse_socket_option,
    ssl_option,
)
from harness.stunnelconf.parser import ConfigError
from harness.tls.versions import stunnel_version

#: stunnel's default ``ciphers`` since 5.46 (TLS 1.2 and below).
DEFAULT_CIPHERS = "HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK"
#: stunnel's default ``ciphersuites`` (TLS 1.3).
DEFAULT_CIPHERSUITES = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"
#: stunnel's default socket options (a = accepting, l = local accepted, r = remote).
DEFAULT_SOCKET_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("l", "TCP_NODELAY", "1"),
    ("r", "TCP_NODELAY", "1"),
    ("a", "SO_REUSEADDR", "1"),
)
#: Minimum PSK key length stunnel enforces, in bytes.
PSK_MIN_KEY_BYTES = 16
PSK_MAX_IDENTITY = 127


@dataclass(frozen=True)
class Address:
    """``[host:]port`` as stunnel writes it; ``host is None`` means stunnel's default
    (all interfaces for ``accept``, localhost for ``connect``)."""

    host: str | None
    port: str

    @classmethod
    def parse(cls, text: str) -> Address:
        text = text.strip()
        if text.startswith("[") and "]:" in text:  # [::1]:port
            host, _, port = text[1:].partition("]:")
            return cls(host, port)
        if ":" in text:
            host, _, port = text.rpartition(":")
            return cls(host or None, port)
        return cls(None, text)

    def render(self) -> str:
        if self.host is None:
            return self.port
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"

    @property
    def port_number(self) -> int:
        return int(self.port)

    def is_loopback(self) -> bool:
        if self.host is None:
            return False
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


@dataclass(frozen=True)
class SocketOption:
    target: str  # "a" accepting, "l" local accepted, "r" remote outgoing
    name: str
    value: str


@dataclass(frozen=True)
class GlobalSettings:
    foreground: str = "no"
    output: str | None = None
    pid: str | None = None
    setuid: str | None = None
    setgid: str | None = None
    chroot: str | None = None
    syslog: bool = True
    debug_level: int = 5
    engine: str | None = None
    location: SourceLocation = field(default_factory=lambda: SourceLocation("<string>"))


@dataclass(frozen=True)
class ServiceSettings:
    """Everything one ``[service]`` means, after defaults and option order."""

    name: str
    location: SourceLocation
    client: bool = False
    accept: tuple[Address, ...] = ()
    connect: tuple[Address, ...] = ()
    protocol: str | None = None
    protocol_host: str | None = None
    protocol_username: str | None = None
    protocol_password: str | None = None
    protocol_authentication: str = "basic"
    version_min: int | None = None  # None: OpenSSL's default range
    version_max: int | None = None
    ciphers: str = DEFAULT_CIPHERS
    ciphersuites: str = DEFAULT_CIPHERSUITES
    security_level: int | None = None
    curves: str | None = None
    cert: str | None = None
    key: str | None = None
    request_cert: bool = False
    require_cert: bool = False
    verify_chain: bool = False
    verify_peer: bool = False
    ca_file: str | None = None
    ca_path: str | None = None
    crl_file: str | None = None
    crl_path: str | None = None
    check_host: tuple[str, ...] = ()
    check_ip: tuple[str, ...] = ()
    check_email: tuple[str, ...] = ()
    ocsp_url: str | None = None
    ocsp_aia: bool = False
    ocsp_nonce: bool = False
    psk_identity: str | None = None
    psk_secrets: str | None = None
    sni: str | None = None
    socket_options: tuple[SocketOption, ...] = ()
    debug_level: int = 5
    renegotiation: bool = True
    session_resume: bool = True
    session_cache_size: int = 1000
    session_cache_timeout: int = 300
    delay: bool = False
    #: ``options = [-]NAME`` lines in order: (set?, OpenSSL option name)
    ssl_options: tuple[tuple[bool, str], ...] = ()
    failover: str = "prio"
    timeout_busy: int = 300
    timeout_close: int = 60
    timeout_connect: int = 10
    timeout_idle: int = 43200
    timeout_ocsp: int = 5
    setuid: str | None = None
    setgid: str | None = None
    options: tuple[Option, ...] = ()
    locations: Mapping[str, SourceLocation] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )

    def where(self, option: str) -> SourceLocation:
        """The file:line of an option's last occurrence (or of the section)."""
        return self.locations.get(option.lower(), self.location)

    def socket_option(self, target: str, name: str) -> str | None:
        value = None
        for opt in self.socket_options:
            if opt.target == target and opt.name == name:
                value = opt.value
        return value


@dataclass(frozen=True)
class ResolvedConfig:
    globals: GlobalSettings
    services: tuple[ServiceSettings, ...]
    source: StunnelConfig

    def service(self, name: str) -> ServiceSettings:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(name)


def _yes(value: str) -> bool:
    return value.lower() == "yes"


def _apply(state: dict[str, object], opt: Option) -> None:
    """Apply one option to the service state, in order (stunnel's CMD_SET_VALUE)."""
    k = opt.key
    v = opt.value
    if k == "client":
        state["client"] = _yes(v)
    elif k in ("accept", "connect"):
        lst = state.setdefault(k, [])
        assert isinstance(lst, list)
        address = Address.parse(v)
        if address.port.isdigit() and int(address.port) > 65535:
            # stunnel 5.68 takes the number modulo 65536 (99999 binds 34463): refused
            # here, a port that is not the one written is never what was meant
            raise ConfigError(
                opt.location, f"Invalid port {address.port} in {opt.name} = {v} (1 to 65535)"
            )
        lst.append(address)
    elif k in ("checkhost", "checkip", "checkemail"):
        attr = {"checkhost": "check_host", "checkip": "check_ip", "checkemail": "check_email"}[k]
        lst2 = state.setdefault(attr, [])
        assert isinstance(lst2, list)
        lst2.append(v)
    elif k == "socket":
        target, name, value = parse_socket_option(v)
        lst3 = state.setdefault("socket_options", [])
        assert isinstance(lst3, list)
        lst3.append(SocketOption(target, name, value))
    elif k == "sslversion":
        state["version_min"] = stunnel_version(v)
        state["version_max"] = stunnel_version(v)
    elif k == "sslversionmin":
        state["version_min"] = stunnel_version(v)
    elif k == "sslversionmax":
        state["version_max"] = stunnel_version(v)
    elif k == "verifychain":
        state["verify_chain"] = _yes(v)
        if _yes(v):
            state["request_cert"] = state["require_cert"] = True
    elif k == "verifypeer":
        state["verify_peer"] = _yes(v)
        if _yes(v):
            state["request_cert"] = state["require_cert"] = True
    elif k == "requirecert":
        if _yes(v):
            state["request_cert"] = state["require_cert"] = True
        else:
            state["require_cert"] = False
    elif k == "verify":  # the pre-5.34 numeric form, still accepted
        level = v.lower()
        state.update(request_cert=False, require_cert=False, verify_chain=False, verify_peer=False)
        if level != "none":
            n = int(level)
            state["request_cert"] = True
            state["require_cert"] = n >= 2
            state["verify_chain"] = n in (1, 2, 3)
            state["verify_peer"] = n >= 3
    elif k == "debug":
        state["debug_level"] = parse_debug(v)
    elif k == "options":
        lst4 = state.setdefault("ssl_options", [])
        assert isinstance(lst4, list)
        lst4.append(ssl_option(v))
    elif k in _BOOL_ATTRS:
        state[_BOOL_ATTRS[k]] = _yes(v)
    elif k in _INT_ATTRS:
        state[_INT_ATTRS[k]] = int(v)
    elif k in _STR_ATTRS:
        state[_STR_ATTRS[k]] = v


_BOOL_ATTRS = {
    "ocspaia": "ocsp_aia",
    "ocspnonce": "ocsp_nonce",
    "renegotiation": "renegotiation",
    "sessionresume": "session_resume",
    "delay": "delay",
}
_INT_ATTRS = {
    "securitylevel": "security_level",
    "sessioncachesize": "session_cache_size",
    "sessioncachetimeout": "session_cache_timeout",
    "timeoutbusy": "timeout_busy",
    "timeoutclose": "timeout_close",
    "timeoutconnect": "timeout_connect",
    "timeoutidle": "timeout_idle",
    "timeoutocsp": "timeout_ocsp",
}
_STR_ATTRS = {
    "protocol": "protocol",
    "protocolhost": "protocol_host",
    "protocolusername": "protocol_username",
    "protocolpassword": "protocol_password",
    "protocolauthentication": "protocol_authentication",
    "ciphers": "ciphers",
    "ciphersuites": "ciphersuites",
    "curves": "curves",
    "cert": "cert",
    "key": "key",
    "cafile": "ca_file",
    "capath": "ca_path",
    "crlfile": "crl_file",
    "crlpath": "crl_path",
    "ocsp": "ocsp_url",
    "pskidentity": "psk_identity",
    "psksecrets": "psk_secrets",
    "sni": "sni",
    "setuid": "setuid",
    "setgid": "setgid",
    "failover": "failover",
}

_SETTING_FIELDS = set(ServiceSettings.__dataclass_fields__)


def _resolve_globals(section: Section) -> GlobalSettings:
    kw: dict[str, object] = {"location": section.location}
    for opt in section.options:
        k = opt.key
        if k == "foreground":
            kw["foreground"] = opt.value.lower()
        elif k in ("output", "pid", "setuid", "setgid", "chroot", "engine"):
            kw[k] = opt.value
        elif k == "syslog":
            kw["syslog"] = _yes(opt.value)
        elif k == "debug":
            kw["debug_level"] = parse_debug(opt.value)
    return GlobalSettings(**kw)  # type: ignore[arg-type]


def _service_error(svc: ServiceSettings, option: str, message: str) -> ConfigError:
    return ConfigError(svc.where(option), f"Service [{svc.name}]: {message}")


def validate_service(svc: ServiceSettings) -> None:
    """stunnel's start-up checks of one service (``Configuration failed`` cases)."""
    if not svc.accept:
        raise _service_error(svc, "connect", "Each service must define two endpoints")
    if not svc.connect and not (svc.protocol == "connect" and svc.protocol_host):
        raise _service_error(svc, "accept", "Each service must define two endpoints")
    if (svc.check_host or svc.check_ip or svc.check_email) and not (
        svc.verify_chain or svc.verify_peer
    ):
        opt = "checkIP" if svc.check_ip else "checkHost" if svc.check_host else "checkEmail"
        raise _service_error(svc, opt, 'Either "verifyChain" or "verifyPeer" has to be enabled')
    if (svc.verify_chain or svc.verify_peer) and not (svc.ca_file or svc.ca_path):
        opt = "verifyPeer" if svc.verify_peer else "verifyChain"
        raise _service_error(
            svc, opt, 'Either "CAengine", "CAfile" or "CApath" has to be configured'
        )
    if not svc.client and not svc.cert and not svc.psk_secrets:
        raise _service_error(svc, "accept", "TLS server needs a certificate")
    if svc.version_min and svc.version_max and svc.version_min > svc.version_max:
        raise _service_error(svc, "sslVersionMin", "Invalid protocol version range")


def resolve(config: StunnelConfig, *, validate: bool = True) -> ResolvedConfig:
    """Give the parsed config its meaning (defaults, option order) and check it.

    Raises:
        ConfigError: for start-up errors stunnel reports as ``Configuration failed``.
    """
    defaults: dict[str, object] = {}
    default_locs: dict[str, SourceLocation] = {}
    for opt in config.global_section.options:
        if OPTIONS[opt.key].scope.value != "global":
            _apply(defaults, opt)
            default_locs[opt.key] = opt.location
    services = []
    for section in config.services:
        state: dict[str, object] = {
            k: list(v) if isinstance(v, list) else v for k, v in defaults.items()
        }
        locs = dict(default_locs)
        for opt in section.options:
            _apply(state, opt)
            locs[opt.key] = opt.location
        kw = {k: tuple(v) if isinstance(v, list) else v for k, v in state.items()}
        kw = {k: v for k, v in kw.items() if k in _SETTING_FIELDS}
        socket_opts = tuple(SocketOption(*t) for t in DEFAULT_SOCKET_OPTIONS) + tuple(
            kw.pop("socket_options", ())  # type: ignore[arg-type]
        )
        assert section.name is not None
        svc = ServiceSettings(
            name=section.name,
            location=section.location,
            socket_options=socket_opts,
            options=tuple(config.global_section.options) + section.options,
            locations=MappingProxyType(locs),
            **kw,  # type: ignore[arg-type]
        )
        if validate:
            validate_service(svc)
        services.append(svc)
    if validate and not services:
        raise ConfigError(
            SourceLocation(config.path), "No service defined (a [service] section is needed)"
        )
    return ResolvedConfig(_resolve_globals(config.global_section), tuple(services), config)


# --- PSK secrets files

_HEX_RE = re.compile(r"^(?:[0-9A-Fa-f]{2}:?)+$")


@dataclass(frozen=True)
class PskEntry:
    identity: str
    key: bytes = field(repr=False)  # never printed
    line: int
    hex_decoded: bool

    def describe(self) -> str:
        kind = "hex" if self.hex_decoded else "ASCII"
        return f'{len(self.key)}-byte {kind} key configured for identity "{self.identity}"'


def decode_psk_key(text: str, *, hex_keys: bool = True) -> tuple[bytes, bool]:
    """stunnel ≥ 5.51: a key that is valid hex (colons allowed) is binary; otherwise
    ASCII. Before 5.51 (``hex_keys=False``) every key is ASCII."""
    if hex_keys and _HEX_RE.match(text) and len(text.replace(":", "")) % 2 == 0:
        return bytes.fromhex(text.replace(":", "")), True
    return text.encode(), False


def parse_psk_secrets(text: str, *, path: str = "<psk>", hex_keys: bool = True) -> list[PskEntry]:
    """Parse a PSKsecrets file (``IDENTITY:KEY`` a line, split at the first colon).

    Raises:
        ConfigError: with stunnel's wording (``Not in identity:key format``, ``Key
            shorter than 16 bytes``, ...) and the PSK file's line. Key material never
            appears in the message.
    """
    entries: list[PskEntry] = []
    for index, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        loc = SourceLocation(path, index)
        identity, sep, key_text = line.partition(":")
        if not sep or not identity:
            raise ConfigError(loc, f"PSKsecrets line {index}: Not in identity:key format")
        if len(identity) > PSK_MAX_IDENTITY:
            raise ConfigError(
                loc, f"PSKsecrets line {index}: Identity longer than {PSK_MAX_IDENTITY} characters"
            )
        key, was_hex = decode_psk_key(key_text, hex_keys=hex_keys)
        if len(key) < PSK_MIN_KEY_BYTES:
            raise ConfigError(
                loc, f"PSKsecrets line {index}: Key shorter than {PSK_MIN_KEY_BYTES} bytes"
            )
        entries.append(PskEntry(identity, key, index, was_hex))
    if not entries:
        raise ConfigError(SourceLocation(path), "PSKsecrets: no identity:key line found")
    return entries
