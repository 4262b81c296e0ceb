"""What each check enforces, in the guide's or FIXS's own words, and how to fix it.

Theory of operation
-------------------
A failed check is a defect a reader must act on. Its card in a report says which
text it breaks (quoted verbatim from the *Stunnel Implementation Guide for FIX
Applications* (2017), or from the project's FIXS notes where the guide is silent)
and the stunnel.conf line to add or change. That knowledge lives here, in one
table keyed by check id (a regular expression, so ``tls.version.tls1_1.refused``
and ``socket.nodelay.client.r`` share one entry each), for every id that ``run``
(:mod:`harness.checks.evaluate`) and ``certify`` (:mod:`harness.certify.policy`,
``.client``, ``.fixlogon``) produce.

:func:`annotate` is the one step that copies an entry onto the
:class:`~harness.checks.model.CheckResult` s that did not pass (``quote``,
``quote_source``, ``remedy``); the runner and certify's result building call it
where they build results, so report writers only read result objects. A check
that passed, was not applicable or was not reached carries no card.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from harness.checks.model import CheckResult, Verdict

GUIDE = "Stunnel Implementation Guide for FIX Applications (2017)"
FIXS = "FIXS Technical Standard, as summarised in the harness's FIXS notes"

#: The guide's sample ``ciphers =`` line (section 3.1.2), joined.
GUIDE_CIPHERS = (
    "DHE-RSA-AES128-SHA256:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA256:"
    "DHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA256:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
)

# Verbatim passages, by the section they are in.
Q_VERSION = (
    "Stunnel configuration should conform to the minimum TLS version recommended by the "
    "FIXS Technical Standard. Currently, only TLS 1.2 is recommended."
)
Q_CIPHERS = (
    "Override the default cipher suites by explicitly listing suites that are recommended "
    "by the current FIXS Technical Standard and are supported by the Stunnel engine."
)
Q_NODELAY = "For FIX, it is recommended to disable the Nagle algorithm of TCP to reduce latency."
Q_CERT = (
    "A certificate file provides the public key of a party and its chain of certificate "
    "authorities. It is transmitted to a peer during TLS negotiation. A server certificate "
    "is always required, while a client certificate is only needed for mutual authentication."
)
Q_REQUIRE = (
    "An X.509 certificate should always be required by clients from servers. A client "
    "certificate is only required by servers to implement mutual authentication in TLS."
)
Q_VERIFY = (
    "One of these options should always be specified for server certificate verification "
    "(client configuration), and for client verification in the case of mutual "
    "authentication (server configuration)."
)
Q_EXPIRY = (
    "One of the checks performed is whether any of the certificates in the chain has "
    "expired; no configuration is needed to activate that check."
)
Q_PIN = (
    "Subsequent uses match the public key to a stored value. However, it requires a check "
    "to make sure that the subject of the certificate matches the stored one."
)
Q_SUBJECT = (
    "More than one address may be configured. A certificate is verified successfully if "
    "there is at least one subject match."
)
Q_CRL = (
    "Certificates are occasionally revoked by a certificate authority so it is necessary "
    "to check whether a peer certificate is still valid."
)
Q_PSK = (
    "A client may be authenticated by a pre-shared secret key (PSK), or shared secret, "
    "instead of installing a certificate on the client side. PSK authentication is "
    "implemented with symmetric key encryption. Both peers must possess the key."
)
Q_PSK_CONF = "Leave `requireCert = no` by default, and set these options instead:"
Q_ROLES = (
    "If TLS client authentication is performed, then authentication at the FIX level is "
    "redundant since identity is already proven. On the other hand, if one-way "
    "authentication is performed in TLS, then the FIX initiator is obligated to send "
    "credentials in the FIX Logon message to prove identity at the application layer."
)
Q_CASE3 = (
    "In this use case, the server is authenticated by a certificate in TLS negotiation "
    "while the client is authenticated by credentials passed in the FIX Logon message "
    "after the TLS session has been established."
)
Q_FORWARD = (
    "When the TLS handshake is complete, Stunnel forwards any messages received on the "
    "local TCP connection to the remote host."
)
Q_PROXY = (
    "Stunnel supports HTTP Connect (RFC 2817) for client connection only. It makes it "
    "possible to tunnel through a firewall to an HTTP proxy that establishes a TCP "
    "connection to the ultimate destination."
)
Q_LOGGING = (
    "On UNIX, Stunnel logs to Syslog by default. The default log level is \u201cnotice\u201d, "
    "but it may be overridden with `debug = <LEVEL>`."
)
Q_CN = (
    "It is important that the Common Name (CN) matches the host as clients will access it, "
    "not by a local domain."
)
Q_FIXS_COMMON = (
    "Common to all: no anonymous suites, no RC4/RC2/MD5, no TLS compression, no "
    "renegotiation, a dedicated TLS port (no STARTTLS), RSA keys of at least 2048 bits, "
    "ECDSA keys of at least 256 bits, expired certificates rejected, session resumption "
    "supported for TLS 1.2."
)

V = r"(?P<version>[a-z0-9_]+)"

Remedy = str | Callable[["re.Match[str]"], str]


@dataclass(frozen=True)
class Guidance:
    """One rule's text and fix. ``remedy`` may use the id's named groups."""

    pattern: str
    section: str  # e.g. "2.2" or "Common to all"
    quote: str
    remedy: Remedy
    source: str = GUIDE

    def source_text(self) -> str:
        return f"{self.source}, {'§' if self.source == GUIDE else ''}{self.section}"


def _suite_line(m: re.Match[str]) -> str:
    from harness.tls.registry import suite_by_code

    code = int(m.group("code"), 16)
    suite = suite_by_code(code)
    name = suite.openssl_name if suite is not None and suite.openssl_name else m.group("code")
    return f"add {name} to `ciphers =` (the guide's list: `ciphers = {GUIDE_CIPHERS}`)"


def _nodelay(m: re.Match[str]) -> str:
    kind = m.group("kind")
    return f"`socket = {kind}:TCP_NODELAY=1` in the {m.group('tunnel')} tunnel's stunnel.conf"


_CIPHERS_FIX = (
    f"`ciphers = {GUIDE_CIPHERS}` (another profile: its OpenSSL names from "
    "`fixs-harness ciphers --profile P`)"
)
_VERSION_FIX = "`sslVersionMin = TLSv1.2` (or the guide's `sslVersion = TLSv1.2`)"
_VERIFY_FIX = (
    "`verifyPeer = yes` with `CAfile = <the pinned peer certificates>` (or `verifyChain = yes` "
    "with `CAfile = <the peer's CA>`)"
)

RULES: tuple[Guidance, ...] = (
    # ---- TLS version (run and certify)
    Guidance(r"tls\.version(\.in-profile|\.supported|\.offered)?", "2.2", Q_VERSION, _VERSION_FIX),
    Guidance(rf"tls\.version\.{V}\.refused", "2.2", Q_VERSION, _VERSION_FIX),
    # ---- cipher suites
    Guidance(
        r"tls\.cipher\.(expected|in-profile|offered-forbidden)", "3.1.2", Q_CIPHERS, _CIPHERS_FIX
    ),
    Guidance(
        r"tls\.cipher\.(forbidden-accepted|offered-allowed)", "3.1.2", Q_CIPHERS, _CIPHERS_FIX
    ),
    Guidance(r"tls\.cipher\.required\.(?P<code>0x[0-9A-Fa-f]{4})", "2.3", Q_CIPHERS, _suite_line),
    Guidance(
        r"tls\.compression\.refused",
        "Common to all",
        Q_FIXS_COMMON,
        "`options = NO_COMPRESSION` in the service section",
        FIXS,
    ),
    Guidance(
        r"tls\.kx\.dhe-bits",
        "Common to all",
        Q_FIXS_COMMON,
        "append 2048-bit DH parameters to the `cert =` file (`openssl dhparam 2048 >> "
        "stunnel.pem`), or drop the DHE-RSA suites from `ciphers =`",
        FIXS,
    ),
    # ---- the server's certificate (certify server)
    Guidance(
        r"cert\.present",
        "2.4.1.3",
        Q_CERT,
        "`cert = <file with the server certificate and its CA chain>` (and `key =`)",
    ),
    Guidance(
        r"cert\.validity(\.chain-\d+)?",
        "2.4.1.5.1",
        Q_EXPIRY,
        "`cert = <a currently valid certificate>`: renew the certificate",
    ),
    Guidance(
        r"cert\.key-size",
        "Common to all",
        Q_FIXS_COMMON,
        "`cert = <a certificate with an RSA key of 2048 bits or more, or ECDSA P-256>` "
        "(`openssl req -new -x509 -newkey rsa:2048 ...`)",
        FIXS,
    ),
    Guidance(
        r"cert\.signature-algorithm",
        "Common to all",
        Q_FIXS_COMMON,
        "`cert = <a certificate chain signed with SHA-256 or stronger>`: reissue it",
        FIXS,
    ),
    Guidance(
        r"cert\.san-matches",
        "4.1",
        Q_CN,
        "`cert = <a certificate whose subjectAltName holds the IP address or host name "
        "clients connect to>` (what their `checkIP =` / `checkHost =` names)",
    ),
    Guidance(
        r"cert\.chain-complete",
        "2.4.1.3",
        Q_CERT,
        "`cert = <file holding the leaf followed by its intermediate CA certificates>`",
    ),
    Guidance(
        r"cert\.pin-matches",
        "2.4.1.5.2",
        Q_PIN,
        "the server presents another certificate than the pinned one: refresh the pin "
        "(`fixs-harness pin HOST:PORT -o peer.pem`, then `CAfile = peer.pem` with "
        "`verifyPeer = yes`) after confirming the change with the counterparty",
    ),
    Guidance(
        r"cert\.revocation",
        "2.4.1.6",
        Q_CRL,
        "`cert = <a certificate that is not revoked>`: the server must replace it",
    ),
    # ---- client authentication, server side (run and certify server)
    Guidance(
        r"auth\.client-certificate\.required",
        "2.4.1.5",
        Q_VERIFY,
        f"in the server section: {_VERIFY_FIX}",
    ),
    Guidance(
        r"auth\.client-certificate\.accepted",
        "2.4.1.5",
        Q_VERIFY,
        "the server's `CAfile =` must hold our client certificate (`verifyPeer`) or its CA "
        "(`verifyChain`)",
    ),
    Guidance(
        r"auth\.client-certificate\.(?P<kind>[a-z-]+)\.refused",
        "2.4.1.5",
        Q_VERIFY,
        f"in the server section: {_VERIFY_FIX}; `requireCert = yes` alone checks nothing",
    ),
    Guidance(
        r"auth\.client-certificate",
        "2.4.1.4",
        Q_REQUIRE,
        "client section: `cert = <client certificate>`; server section: " + _VERIFY_FIX,
    ),
    Guidance(
        r"auth\.no-client-certificate",
        "3.4",
        Q_CASE3,
        "remove `cert =` from the client section: in use cases 3a/3b the FIX Logon "
        "authenticates the client",
    ),
    Guidance(
        r"auth\.server-certificate\.valid\.accepted",
        "2.4.1.5",
        Q_VERIFY,
        "the client's `CAfile =` must hold the server's certificate (`verifyPeer`) or its CA "
        "(`verifyChain`)",
    ),
    Guidance(
        r"auth\.server-certificate\.wrong-host\.refused",
        "2.4.1.5.2",
        Q_SUBJECT,
        "client section: `checkIP = <the server's address>` (or `checkHost = <its name>`) "
        "beside `verifyChain = yes` / `verifyPeer = yes`",
    ),
    Guidance(
        r"auth\.server-certificate\.(?P<kind>[a-z-]+)\.refused",
        "2.4.1.5",
        Q_VERIFY,
        f"client section: {_VERIFY_FIX}",
    ),
    Guidance(
        r"auth\.server-certificate",
        "2.4.1.3",
        Q_CERT,
        "server section: `cert = <server certificate chain>`",
    ),
    Guidance(
        r"auth\.refused-with-alert",
        "2.4.1.5",
        Q_VERIFY,
        f"the refusing side: {_VERIFY_FIX}; the client also `checkIP =` / `checkHost =`",
    ),
    # ---- PSK
    Guidance(
        r"auth\.psk-identity",
        "2.4.2",
        Q_PSK_CONF,
        "client section: `PSKidentity = <IDENTITY>` naming a line of `PSKsecrets =`",
    ),
    Guidance(
        r"auth\.(psk-suite|psk\.accepted)",
        "2.4.2",
        Q_PSK,
        "both sides: `PSKsecrets = <file of IDENTITY:KEY lines>` and "
        "`ciphers = PSK-AES256-CBC-SHA:PSK-AES128-CBC-SHA`",
    ),
    Guidance(
        r"auth\.psk\.(?P<kind>[a-z-]+)\.refused",
        "2.4.2",
        Q_PSK,
        "server section: `PSKsecrets =` must hold only the counterparties' identities and "
        "keys, and `ciphers =` only PSK suites",
    ),
    Guidance(
        r"auth\.no-certificates",
        "2.4.2",
        Q_PSK_CONF,
        "remove `cert =`, `verifyPeer =` and `verifyChain =`; keep `requireCert = no`, "
        "`PSKsecrets =` and PSK-only `ciphers =`",
    ),
    Guidance(
        r"auth\.(?P<outcome>[a-z+-]+)",
        "2.4",
        Q_VERIFY,
        "compare both sides' `cert =`, `CAfile =`, `verifyPeer =` / `verifyChain =` and "
        "`ciphers =` with the use case's configuration in guide section 3",
    ),
    # ---- FIX
    Guidance(
        r"fix\.no-session",
        "1.2",
        Q_ROLES,
        f"server section: {_VERIFY_FIX}, so a refused peer never reaches the FIX engine",
    ),
    Guidance(
        r"fix\.logon(\.accepted|\.bad-credentials-refused)?",
        "1.2",
        Q_ROLES,
        "not stunnel.conf: the FIX engines' Logon credentials (Username(553)/Password(554) "
        "or RawData(96)) and CompIDs",
    ),
    Guidance(
        r"fix\.(roundtrip|script)",
        "1.2.1.1",
        Q_FORWARD,
        "not stunnel.conf: see where the FIX conversation stopped; check `connect =` points "
        "at the FIX engine",
    ),
    Guidance(
        r"proxy\.connect",
        "2.1.1.2",
        Q_PROXY,
        "client section: `connect = <PROXY:PORT>`, `protocol = connect`, "
        "`protocolHost = <SERVER:PORT>`",
    ),
    # ---- tunnel logs, sockets
    Guidance(
        r"log\.matches-wire\.(?P<side>client|server)",
        "2.6.3",
        Q_LOGGING,
        "the tunnel logged something else than it did: keep `debug = 5` (notice) or more "
        "and report the disagreement to the tunnel's maintainers",
    ),
    Guidance(
        r"socket\.nodelay\.(?P<tunnel>client|server)\.(?P<kind>[alr])",
        "2.1.4",
        Q_NODELAY,
        _nodelay,
    ),
    Guidance(
        r"socket\.nodelay",
        "2.1.4",
        Q_NODELAY,
        "`socket = l:TCP_NODELAY=1` and `socket = r:TCP_NODELAY=1` in both tunnels",
    ),
)

_COMPILED = tuple((re.compile(g.pattern), g) for g in RULES)

#: The verdicts that get a card.
DEFECT_VERDICTS = (Verdict.FAIL, Verdict.WARN)


@dataclass(frozen=True)
class Advice:
    quote: str
    quote_source: str
    remedy: str


def guidance_for(check_id: str) -> Advice | None:
    """The quote and fix for a check id (first matching rule), or None."""
    for regex, g in _COMPILED:
        m = regex.fullmatch(check_id)
        if m is not None:
            remedy = g.remedy if isinstance(g.remedy, str) else g.remedy(m)
            return Advice(g.quote, g.source_text(), remedy)
    return None


def annotate(checks: Iterable[CheckResult]) -> tuple[CheckResult, ...]:
    """Copy the quote and fix onto every check that failed or warned."""
    out = []
    for c in checks:
        if c.verdict in DEFECT_VERDICTS and c.quote is None:
            advice = guidance_for(c.id)
            if advice is not None:
                c = dataclasses.replace(
                    c, quote=advice.quote, quote_source=advice.quote_source, remedy=advice.remedy
                )
        out.append(c)
    return tuple(out)
