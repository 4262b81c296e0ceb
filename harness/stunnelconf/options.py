"""The stunnel 5.68 option table: every option name stunnel accepts, where, and how
its value is checked.

Theory of operation: stunnel reads ``name = value`` lines; the global section (before
the first ``[service]``) holds global options and *defaults* for service-level
options; each ``[service]`` holds service-level options. An option name stunnel does
not know, or one used in the wrong section, is refused with "Specified option name is
not valid here". Values are checked per kind (yes/no, address, protocol version, ...)
with stunnel's own error texts, so that our errors read like stunnel's.

``python`` marks what the embedded Python tunnel implements. An option stunnel accepts
but the Python tunnel does not is an explicit "unsupported" error from the Python
backend (never silently ignored); the stunnel backends take it as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from harness.tls.versions import stunnel_version


class Scope(Enum):
    GLOBAL = "global"
    SERVICE = "service"
    BOTH = "both"  # service-level option that may also stand in the global section


class Kind(Enum):
    BOOL = "yes/no"
    STRING = "string"
    PATH = "path"
    ADDRESS = "[host:]port"
    INT = "integer"
    VERSION = "protocol version"
    SOCKET = "socket option"
    DEBUG = "debug level"
    PROTOCOL = "protocol"
    FOREGROUND = "yes/no/quiet"
    VERIFY_LEVEL = "verify level"
    URL = "url"
    ENGINE = "engine"
    SSL_OPTION = "TLS option"


@dataclass(frozen=True)
class OptionSpec:
    name: str
    scope: Scope
    kind: Kind
    python: bool = False
    repeatable: bool = False
    note: str = ""


def _s(name: str, kind: Kind = Kind.STRING, **kw: object) -> OptionSpec:
    return OptionSpec(name, Scope.SERVICE, kind, **kw)  # type: ignore[arg-type]


def _b(name: str, kind: Kind = Kind.STRING, **kw: object) -> OptionSpec:
    return OptionSpec(name, Scope.BOTH, kind, **kw)  # type: ignore[arg-type]


def _g(name: str, kind: Kind = Kind.STRING, **kw: object) -> OptionSpec:
    return OptionSpec(name, Scope.GLOBAL, kind, **kw)  # type: ignore[arg-type]


P = True  # implemented by the Python tunnel

_SPECS: tuple[OptionSpec, ...] = (
    # --- global options
    _g("chroot", Kind.PATH, python=P),
    _g("compression", Kind.STRING, note="Debian's 5.68 (OpenSSL 3) refuses it"),
    _g("EGD", Kind.PATH),
    _g("engine", Kind.ENGINE, note="hardware/CAPI engines; engine = capi is Windows-only"),
    _g("engineCtrl", Kind.STRING),
    _g("engineDefault", Kind.STRING),
    _g("fips", Kind.BOOL, note="FIPS builds only; Debian's 5.68 refuses it"),
    _g("foreground", Kind.FOREGROUND, python=P),
    _g("iconActive", Kind.PATH),
    _g("iconError", Kind.PATH),
    _g("iconIdle", Kind.PATH),
    _g("log", Kind.STRING, python=P, note="append/overwrite"),
    _g("output", Kind.PATH, python=P),
    _g("pid", Kind.PATH, python=P),
    _g("RNDbytes", Kind.INT),
    _g("RNDfile", Kind.PATH),
    _g("RNDoverwrite", Kind.BOOL),
    _g("syslog", Kind.BOOL, python=P),
    _g("taskbar", Kind.BOOL),
    # --- options valid in both places (service-level, global = defaults)
    _b("debug", Kind.DEBUG, python=P),
    _b("setuid", Kind.STRING, python=P),
    _b("setgid", Kind.STRING, python=P),
    _b("socket", Kind.SOCKET, python=P, repeatable=True),
    # --- service-level options (in the global section they set defaults)
    _b("accept", Kind.ADDRESS, python=P, repeatable=True),
    _b("CAengine", Kind.STRING),
    _b("CApath", Kind.PATH, python=P),
    _b("CAfile", Kind.PATH, python=P),
    _b("cert", Kind.PATH, python=P),
    _b("checkEmail", Kind.STRING, python=P, repeatable=True),
    _b("checkHost", Kind.STRING, python=P, repeatable=True),
    _b("checkIP", Kind.STRING, python=P, repeatable=True),
    _b("ciphers", Kind.STRING, python=P),
    _b("ciphersuites", Kind.STRING, python=P),
    _b("client", Kind.BOOL, python=P),
    _b("config", Kind.STRING, repeatable=True),
    _b("connect", Kind.ADDRESS, python=P, repeatable=True),
    _b("CRLpath", Kind.PATH, python=P),
    _b("CRLfile", Kind.PATH, python=P),
    _b("curves", Kind.STRING, python=P),
    _b(
        "delay",
        Kind.BOOL,
        python=P,
        note="the Python tunnel resolves connect addresses per connection either way",
    ),
    _b("engineId", Kind.STRING),
    _b("engineNum", Kind.INT),
    _b("exec", Kind.PATH),
    _b("execArgs", Kind.STRING),
    _b("failover", Kind.STRING, python=P, note="prio (addresses in order); rr is refused"),
    _b("ident", Kind.STRING),
    _b("include", Kind.PATH),
    _b("key", Kind.PATH, python=P),
    _b("libwrap", Kind.BOOL, python=P, note="no only: TCP wrappers are not consulted"),
    _b("local", Kind.STRING),
    _b("logId", Kind.STRING, python=P, note="sequential only (the default)"),
    _b("OCSP", Kind.URL, python=P),
    _b("OCSPaia", Kind.BOOL, python=P),
    _b("OCSPflag", Kind.STRING, repeatable=True),
    _b("OCSPnonce", Kind.BOOL, python=P),
    _b("OCSPrequire", Kind.BOOL, note="stunnel 5.71+; 5.68 refuses it"),
    _b("options", Kind.SSL_OPTION, python=P, repeatable=True),
    _b("protocol", Kind.PROTOCOL, python=P),
    _b("protocolAuthentication", Kind.STRING, python=P),
    _b("protocolDomain", Kind.STRING),
    _b("protocolHost", Kind.STRING, python=P),
    _b("protocolPassword", Kind.STRING, python=P),
    _b("protocolUsername", Kind.STRING, python=P),
    _b("PSKidentity", Kind.STRING, python=P),
    _b("PSKsecrets", Kind.PATH, python=P),
    _b("pty", Kind.BOOL),
    _b("redirect", Kind.ADDRESS, repeatable=True),
    _b("renegotiation", Kind.BOOL, python=P),
    _b("requireCert", Kind.BOOL, python=P),
    _b("reset", Kind.BOOL),
    _b("retry", Kind.BOOL, python=P, note="only acts with exec, which is refused"),
    _b("securityLevel", Kind.INT, python=P),
    _b("service", Kind.STRING),
    _b("sessionCacheSize", Kind.INT, python=P),
    _b("sessionCacheTimeout", Kind.INT, python=P),
    _b("sessionResume", Kind.BOOL, python=P),
    _b("sessiond", Kind.ADDRESS),
    _b("sni", Kind.STRING, python=P),
    _b("sslVersion", Kind.VERSION, python=P),
    _b("sslVersionMax", Kind.VERSION, python=P),
    _b("sslVersionMin", Kind.VERSION, python=P),
    _b("stack", Kind.INT),
    _b("ticketKeySecret", Kind.STRING),
    _b("ticketMacSecret", Kind.STRING),
    _b("TIMEOUTbusy", Kind.INT, python=P),
    _b("TIMEOUTclose", Kind.INT, python=P),
    _b("TIMEOUTconnect", Kind.INT, python=P),
    _b("TIMEOUTidle", Kind.INT, python=P),
    _b("transparent", Kind.STRING),
    _b("verify", Kind.VERIFY_LEVEL, python=P),
    _b("verifyChain", Kind.BOOL, python=P),
    _b("verifyPeer", Kind.BOOL, python=P),
)

#: Option specs by lower-cased name (stunnel compares option names case-insensitively).
OPTIONS: dict[str, OptionSpec] = {spec.name.lower(): spec for spec in _SPECS}

DEBUG_LEVELS: dict[str, int] = {
    "emerg": 0,
    "alert": 1,
    "crit": 2,
    "err": 3,
    "warning": 4,
    "notice": 5,
    "info": 6,
    "debug": 7,
}

PROTOCOLS: frozenset[str] = frozenset(
    {
        "cifs",
        "capwin",
        "capwinctrl",
        "connect",
        "imap",
        "ldap",
        "nntp",
        "pgsql",
        "pop3",
        "proxy",
        "smtp",
        "socks",
    }
)

#: Socket option names stunnel 5.68 knows on Linux (socket = a|l|r:NAME=VALUE).
SOCKET_OPTIONS: frozenset[str] = frozenset(
    {
        "SO_DEBUG",
        "SO_DONTROUTE",
        "SO_KEEPALIVE",
        "SO_LINGER",
        "SO_OOBINLINE",
        "SO_RCVBUF",
        "SO_SNDBUF",
        "SO_RCVLOWAT",
        "SO_SNDLOWAT",
        "SO_RCVTIMEO",
        "SO_SNDTIMEO",
        "SO_REUSEADDR",
        "SO_REUSEPORT",
        "SO_BINDTODEVICE",
        "SO_MARK",
        "TCP_KEEPCNT",
        "TCP_KEEPIDLE",
        "TCP_KEEPINTVL",
        "TCP_FASTOPEN",
        "TCP_MAXSEG",
        "TCP_NODELAY",
        "IP_FREEBIND",
        "IP_TOS",
        "IP_TTL",
        "IPV6_V6ONLY",
    }
)

#: ``options = NAME`` / ``options = -NAME``: OpenSSL's SSL_OP_* names as stunnel 5.68
#: (built against OpenSSL 3.0) knows them, with OpenSSL 3.0's values. Names whose
#: value is 0 are accepted and do nothing (OpenSSL dropped what they did: SSLv2,
#: per-handshake DH keys are always fresh, old bug workarounds).
SSL_OPTIONS: dict[str, int] = {
    "NO_EXTENDED_MASTER_SECRET": 1 << 0,
    "CLEANSE_PLAINTEXT": 1 << 1,
    "LEGACY_SERVER_CONNECT": 1 << 2,
    "ENABLE_KTLS": 1 << 3,
    "TLSEXT_PADDING": 1 << 4,
    "SAFARI_ECDHE_ECDSA_BUG": 1 << 6,
    "IGNORE_UNEXPECTED_EOF": 1 << 7,
    "ALLOW_CLIENT_RENEGOTIATION": 1 << 8,
    "DISABLE_TLSEXT_CA_NAMES": 1 << 9,
    "ALLOW_NO_DHE_KEX": 1 << 10,
    "DONT_INSERT_EMPTY_FRAGMENTS": 1 << 11,
    "NO_QUERY_MTU": 1 << 12,
    "COOKIE_EXCHANGE": 1 << 13,
    "NO_TICKET": 1 << 14,
    "CISCO_ANYCONNECT": 1 << 15,
    "NO_SESSION_RESUMPTION_ON_RENEGOTIATION": 1 << 16,
    "NO_COMPRESSION": 1 << 17,
    "ALLOW_UNSAFE_LEGACY_RENEGOTIATION": 1 << 18,
    "NO_ENCRYPT_THEN_MAC": 1 << 19,
    "ENABLE_MIDDLEBOX_COMPAT": 1 << 20,
    "PRIORITIZE_CHACHA": 1 << 21,
    "CIPHER_SERVER_PREFERENCE": 1 << 22,
    "TLS_ROLLBACK_BUG": 1 << 23,
    "NO_ANTI_REPLAY": 1 << 24,
    "NO_SSLv3": 1 << 25,
    "NO_TLSv1": 1 << 26,
    "NO_TLSv1_2": 1 << 27,
    "NO_TLSv1_1": 1 << 28,
    "NO_TLSv1_3": 1 << 29,
    "NO_DTLSv1": 1 << 26,
    "NO_DTLSv1_2": 1 << 27,
    "NO_RENEGOTIATION": 1 << 30,
    "CRYPTOPRO_TLSEXT_BUG": 1 << 31,
    "ALL": (1 << 31) | (1 << 11) | (1 << 2) | (1 << 4) | (1 << 6),
    # value 0 in OpenSSL 3.0: accepted, no effect
    "MICROSOFT_SESS_ID_BUG": 0,
    "NETSCAPE_CHALLENGE_BUG": 0,
    "NETSCAPE_REUSE_CIPHER_CHANGE_BUG": 0,
    "SSLREF2_REUSE_CERT_TYPE_BUG": 0,
    "MICROSOFT_BIG_SSLV3_BUFFER": 0,
    "MSIE_SSLV2_RSA_PADDING": 0,
    "SSLEAY_080_CLIENT_DH_BUG": 0,
    "TLS_D5_BUG": 0,
    "TLS_BLOCK_PADDING_BUG": 0,
    "SINGLE_ECDH_USE": 0,
    "SINGLE_DH_USE": 0,
    "EPHEMERAL_RSA": 0,
    "NO_SSLv2": 0,
    "PKCS1_CHECK_1": 0,
    "PKCS1_CHECK_2": 0,
    "NETSCAPE_CA_DN_BUG": 0,
    "NETSCAPE_DEMO_CIPHER_CHANGE_BUG": 0,
}
_SSL_OPTIONS_FOLDED = {name.upper(): name for name in SSL_OPTIONS}


def ssl_option(value: str) -> tuple[bool, str]:
    """``NO_SSLv3`` → (True, ``NO_SSLv3``); ``-NO_TICKET`` → (False, ``NO_TICKET``).

    Raises:
        ValueError_: a name stunnel does not know ("Illegal TLS option").
    """
    text = value.strip()
    clear = text.startswith("-")
    name = _SSL_OPTIONS_FOLDED.get(text.lstrip("-").upper())
    if name is None:
        raise ValueError_("Illegal TLS option")
    return not clear, name


_SOCKET_RE = re.compile(r"^([alr]):([A-Za-z0-9_]+)=(.*)$")


class ValueError_(Exception):
    """A value stunnel would refuse; the message is stunnel's own wording."""


def check_value(spec: OptionSpec, value: str) -> None:
    """Refuse a value the way stunnel 5.68 does (raises ValueError_ with its text)."""
    kind = spec.kind
    low = value.lower()
    if kind is Kind.BOOL:
        if low not in ("yes", "no"):
            raise ValueError_("The argument needs to be either 'yes' or 'no'")
    elif kind is Kind.FOREGROUND:
        if low not in ("yes", "no", "quiet"):
            raise ValueError_("The argument needs to be either 'yes', 'quiet' or 'no'")
    elif kind is Kind.INT:
        if not re.fullmatch(r"-?\d+", value):
            raise ValueError_("Illegal number")
        if spec.name == "securityLevel" and not 0 <= int(value) <= 5:
            raise ValueError_("Invalid security level; valid values are 0-5")
    elif kind is Kind.VERSION:
        try:
            stunnel_version(value)
        except ValueError:
            raise ValueError_("Invalid protocol version") from None
    elif kind is Kind.DEBUG:
        level = low.split(".", 1)[1] if "." in low else low
        if not (level in DEBUG_LEVELS or (level.isdigit() and 0 <= int(level) <= 7)):
            raise ValueError_("Illegal debug argument")
    elif kind is Kind.SOCKET:
        m = _SOCKET_RE.match(value)
        if not m or m.group(2).upper() not in SOCKET_OPTIONS:
            raise ValueError_("Illegal socket option")
    elif kind is Kind.PROTOCOL:
        if low not in PROTOCOLS:
            raise ValueError_("Unknown protocol")
    elif kind is Kind.VERIFY_LEVEL:
        if low not in ("0", "1", "2", "3", "4", "none"):
            raise ValueError_("Bad verify level")
    elif kind is Kind.ADDRESS:
        if not value.strip():
            raise ValueError_("Failed to resolve accepting address")
    elif kind is Kind.URL:
        if not low.startswith("http://"):
            raise ValueError_("Failed to parse OCSP URL")
    elif kind is Kind.SSL_OPTION:
        ssl_option(value)


def parse_socket_option(value: str) -> tuple[str, str, str]:
    """``l:TCP_NODELAY=1`` → (``"l"``, ``"TCP_NODELAY"``, ``"1"``)."""
    m = _SOCKET_RE.match(value)
    if not m:
        raise ValueError_("Illegal socket option")
    return m.group(1), m.group(2).upper(), m.group(3)


def parse_debug(value: str) -> int:
    """``debug = [facility.]level`` → the numeric level (0..7)."""
    level = value.lower().split(".", 1)[-1]
    return int(level) if level.isdigit() else DEBUG_LEVELS[level]


#: What the Python tunnel does with values of options it implements only in part.
PARTIAL: dict[str, str] = {
    "protocol": "connect only",
    "protocolAuthentication": "basic only",
    "socket": "the socket options Python can set; others refused",
    "options": "every name; clearing one that is on (-NO_SSLv3) is refused",
    "sessionCacheSize": "accepted; OpenSSL's cache size (20480) is kept, with a notice",
    "foreground": "always foreground",
    "syslog": "never syslog: logs to stderr or output",
    "failover": "prio; rr refused",
    "libwrap": "no; yes refused",
    "logId": "sequential; others refused",
    "engine": "refused (capi is Windows-only)",
}


def option_status_table() -> str:
    """Markdown table of every stunnel 5.68 option and what the Python tunnel does
    with it (docs/tunnel.md embeds it; a test keeps the two equal)."""
    rows = ["| option | where | value | Python tunnel | note |", "|---|---|---|---|---|"]
    for spec in sorted(_SPECS, key=lambda s: s.name.lower()):
        where = {"global": "global", "service": "service", "both": "service/global"}[
            spec.scope.value
        ]
        status = "implemented" if spec.python else "refused (unsupported)"
        if spec.python and spec.name in PARTIAL:
            status = "implemented, in part"
        note = PARTIAL.get(spec.name, "") if spec.name in PARTIAL else ""
        note = "; ".join(n for n in (note, spec.note) if n)
        rows.append(f"| `{spec.name}` | {where} | {spec.kind.value} | {status} | {note} |")
    return "\n".join(rows) + "\n"
