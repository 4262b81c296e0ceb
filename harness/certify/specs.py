"""The one place naming every check id ``certify`` reports: title, guide section,
what it judges, requirement or recommendation.

Each id is a :class:`~harness.checks.registry.CheckSpec`; :mod:`.catalogue` pairs
each with its judge into the certify registries. Two families are parametric and
built per run from the profile and the facts by :func:`required_suite` and
:func:`chain_validity` (one registered unit per concrete id); the others are fixed.
Some sections depend on the run: the client-certificate checks of a use case carry
that case's section (:func:`.catalogue.server_checks` sets it), and
``cert.revocation`` cites 2.4.1.7 when judged by OCSP rather than a CRL (2.4.1.6).
"""

from __future__ import annotations

from harness.checks.registry import CheckSpec
from harness.tls.registry import format_code, suite_label

S = CheckSpec

# -- what is on the port ------------------------------------------------------------
CONNECT = S("connect", "server reachable", None, "probe: a TCP connection to the target")
ENDPOINT_TLS = S(
    "endpoint.tls", "a TLS server answers on the port", "2.2", "probe: what answers a ClientHello"
)
HANDSHAKE = S(
    "tls.handshake", "a TLS handshake is possible", None, "probe: a ServerHello for some version"
)
PLAINTEXT_REFUSED = S(
    "fix.plaintext-refused",
    "a plaintext FIX Logon gets no FIX answer (FIXS)",
    None,
    "probe: a plaintext FIX Logon to the TLS port",
)

# -- the server's answers -------------------------------------------------------------
SERVER_HELLO_VALID = S(
    "tls.server-hello.valid",
    "ServerHello picks only what the client offered",
    None,
    "wire: each ServerHello against its ClientHello",
)
SERVER_FLIGHT_BOUNDED = S(
    "tls.server-flight.bounded",
    "the server's first flight is of bounded size",
    None,
    "wire: bytes read before the server's flight ended",
)

# -- versions (one unit per version the hand-built hellos can offer) ------------------
VERSION_SUPPORTED = S(
    "tls.version.supported", "a profile version is accepted", "2.2", "profile.tls_versions"
)


def version_refused(name: str, vid: str) -> CheckSpec:
    """``tls.version.<vid>.refused``: judged when the profile does not allow ``name``."""
    return S(f"tls.version.{vid}.refused", f"{name} refused", "2.2", "profile.tls_versions")


# -- cipher suites --------------------------------------------------------------------
def required_suite(code: int) -> CheckSpec:
    """``tls.cipher.required.<0xCODE>``: one unit per suite the profile requires."""
    return S(
        f"tls.cipher.required.{format_code(code)}",
        f"required suite {suite_label(code)} accepted",
        "2.3.1",
        "profile.required_suites",
    )


REQUIRED_APPLICABLE = S(
    "tls.cipher.required-applicable",
    "some required suite can be served with the server's key type",
    "2.3.1",
    "profile.required_suites against the server's key type",
)
FORBIDDEN_ACCEPTED = S(
    "tls.cipher.forbidden-accepted",
    "no suite outside the profile is accepted",
    "2.3",
    "profile.suites",
)
DHE_BITS = S("tls.kx.dhe-bits", "DHE group large enough", None, "profile.min_key_bits.dhe")
COMPRESSION = S(
    "tls.compression.refused",
    "TLS compression refused (CRIME)",
    None,
    "wire: the TLS 1.2 ServerHello's compression method",
)

# -- the server certificate -----------------------------------------------------------
CERT_PRESENT = S(
    "cert.present", "server certificate presented", "2.4.1.3", "wire: the Certificate message"
)
CERT_VALIDITY = S(
    "cert.validity",
    "leaf certificate within its validity period",
    "2.4.1.5.1",
    "wire: the leaf's validity dates",
)


def chain_validity(i: int) -> CheckSpec:
    """``cert.validity.chain-<i>``: one unit per certificate above the leaf; it
    reports only a certificate out of its validity period."""
    return S(
        f"cert.validity.chain-{i}",
        f"chain certificate {i} within its validity period",
        "2.4.1.5.1",
        "wire: the chain's validity dates",
    )


KEY_SIZE = S("cert.key-size", "certificate key large enough", None, "profile.min_key_bits")
SIGNATURE = S(
    "cert.signature-algorithm",
    "no MD5/SHA-1 signatures in the chain",
    None,
    "wire: the chain's signature hashes",
)
SAN = S(
    "cert.san-matches",
    "certificate names the host connected to",
    "3.4.2",
    "the target host (checkIP / checkHost)",
)
CHAIN = S("cert.chain-complete", "chain complete up to a trusted CA", "2.4.1.5.1", "--cafile")
PIN = S("cert.pin-matches", "server leaf matches the pinned certificate", "2.4.1.5.2", "--pin")
REVOCATION = S("cert.revocation", "leaf not revoked", "2.4.1.6", "--crl or --ocsp")

# -- client authentication ------------------------------------------------------------
CLIENT_CERT_REQUIRED = S(
    "auth.client-certificate.required",
    "client certificate required",
    "2.4.1.4",
    "use case: client_certificate_required",
)
CLIENT_CERT_ACCEPTED = S(
    "auth.client-certificate.accepted", "our client certificate accepted", "3.2", "--cert/--key"
)
BAD_CLIENT_CERTS = ("self-signed", "unrelated-ca", "expired", "unpinned")


def bad_client_cert(kind: str) -> CheckSpec:
    """``auth.client-certificate.<kind>.refused``: a must-refuse certificate."""
    return S(
        f"auth.client-certificate.{kind}.refused",
        f"{kind} client certificate refused",
        "2.4.1.5",
        "generated must-refuse certificates"
        if kind != "unpinned"
        else "--unpinned-cert/--unpinned-key",
    )


PSK_ACCEPTED = S(
    "auth.psk.accepted", "PSK handshake completes", "3.3", "--psk-identity/--psk-secrets"
)
BAD_PSKS = ("wrong-key", "unknown-identity")


def bad_psk(kind: str) -> CheckSpec:
    """``auth.psk.<kind>.refused``."""
    return S(
        f"auth.psk.{kind}.refused",
        f"PSK with {kind.replace('-', ' ')} refused",
        "2.4.2",
        "--psk-identity/--psk-secrets",
    )


# -- the FIX Logon probe ----------------------------------------------------------------
LOGON_ACCEPTED = S(
    "fix.logon.accepted", "FIX Logon through the TLS session", "3.4", "--sender/--target"
)
BAD_CREDENTIALS = S(
    "fix.logon.bad-credentials-refused",
    "A wrong FIX credential is refused (no session)",
    "3.4",
    "--password-env or --raw-data-env",
)
COMPID_BOUND = S(
    "fix.logon.compid-bound",
    "a Logon with another counterparty's SenderCompID is refused (FIXS)",
    "3.4",
    "--foreign-sender",
)
OTHER_IDENTITY = S(
    "fix.logon.other-identity-refused",
    "another counterparty's certificate cannot log on as us (FIXS)",
    "3.4",
    "--other-cert/--other-key",
)

# -- certify client -----------------------------------------------------------------------
CLIENT_CONNECTED = S(
    "client.connected", "the client connected", None, "the client: a connection for round 1"
)
CLIENT_PLAINTEXT = S(
    "client.plaintext-fix",
    "the client speaks TLS, not plaintext FIX",
    None,
    "wire: the client's first bytes",
)
VERSION_OFFERED = S(
    "tls.version.offered", "only profile versions offered", "2.2", "profile.tls_versions"
)
OFFERED_FORBIDDEN = S(
    "tls.cipher.offered-forbidden", "no suite outside the profile offered", "2.3", "profile.suites"
)
OFFERED_ALLOWED = S(
    "tls.cipher.offered-allowed", "a profile suite offered", "2.3", "profile.suites"
)
VALID_SERVER_CERT = S(
    "auth.server-certificate.valid.accepted",
    "valid server certificate accepted",
    "2.4.1.5",
    "round valid: a certificate chained to the test root",
)
BAD_SERVER_CERTS = ("wrong-host", "unrelated-ca", "expired")


def bad_server_cert(kind: str) -> CheckSpec:
    """``auth.server-certificate.<kind>.refused`` (wrong-host: guide 3.4.2 checkIP)."""
    return S(
        f"auth.server-certificate.{kind}.refused",
        f"{kind} server certificate refused",
        "3.4.2" if kind == "wrong-host" else "2.4.1.5",
        f"round {kind}",
    )


#: Every fixed spec by id (the parametric families are built per run): what a report
#: names for a defining check that did not run.
BY_ID: dict[str, CheckSpec] = {
    s.id: s
    for s in (
        CONNECT, ENDPOINT_TLS, HANDSHAKE, PLAINTEXT_REFUSED, SERVER_HELLO_VALID,
        SERVER_FLIGHT_BOUNDED, VERSION_SUPPORTED, REQUIRED_APPLICABLE, FORBIDDEN_ACCEPTED,
        DHE_BITS, COMPRESSION, CERT_PRESENT, CERT_VALIDITY, KEY_SIZE, SIGNATURE, SAN, CHAIN,
        PIN, REVOCATION, CLIENT_CERT_REQUIRED, CLIENT_CERT_ACCEPTED,
        *(bad_client_cert(k) for k in BAD_CLIENT_CERTS), PSK_ACCEPTED,
        *(bad_psk(k) for k in BAD_PSKS), LOGON_ACCEPTED, BAD_CREDENTIALS, COMPID_BOUND,
        OTHER_IDENTITY, CLIENT_CONNECTED, CLIENT_PLAINTEXT, VERSION_OFFERED,
        OFFERED_FORBIDDEN, OFFERED_ALLOWED, VALID_SERVER_CERT,
        *(bad_server_cert(k) for k in BAD_SERVER_CERTS),
    )
}  # fmt: skip
