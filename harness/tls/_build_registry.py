"""Regenerate ``harness/tls/data/registry.json`` (a developer tool, run by hand).

    .venv/bin/python -m harness.tls._build_registry

Inputs, both authoritative and both checked in or on the machine:

* ``data/iana_cipher_suites.txt``: the IANA "TLS Cipher Suites" registry (code and
  IANA name of every assigned suite);
* ``openssl ciphers -V -stdname ALL:COMPLEMENTOFALL`` from the local OpenSSL, which
  gives the OpenSSL name and minimum protocol version of every suite OpenSSL knows.

The smaller IANA tables (TLS versions, alert descriptions, named groups, signature
schemes, extension types, handshake types) are written out below from the IANA
"Transport Layer Security (TLS) Parameters" and "TLS ExtensionType Values"
registries. The generated JSON is checked in so the harness never needs OpenSSL to
name a cipher; ``tests/tls/test_registry.py`` fails when the local OpenSSL
disagrees with it.

This module runs OpenSSL and writes a file, so it is not imported by the package.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

HERE = Path(__file__).parent
DATA = HERE / "data"

VERSIONS: dict[int, str] = {
    0x0002: "SSLv2",
    0x0300: "SSLv3",
    0x0301: "TLSv1",
    0x0302: "TLSv1.1",
    0x0303: "TLSv1.2",
    0x0304: "TLSv1.3",
}

ALERTS: dict[int, str] = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    21: "decryption_failed_RESERVED",
    22: "record_overflow",
    30: "decompression_failure_RESERVED",
    40: "handshake_failure",
    41: "no_certificate_RESERVED",
    42: "bad_certificate",
    43: "unsupported_certificate",
    44: "certificate_revoked",
    45: "certificate_expired",
    46: "certificate_unknown",
    47: "illegal_parameter",
    48: "unknown_ca",
    49: "access_denied",
    50: "decode_error",
    51: "decrypt_error",
    60: "export_restriction_RESERVED",
    70: "protocol_version",
    71: "insufficient_security",
    80: "internal_error",
    86: "inappropriate_fallback",
    90: "user_canceled",
    100: "no_renegotiation_RESERVED",
    109: "missing_extension",
    110: "unsupported_extension",
    111: "certificate_unobtainable_RESERVED",
    112: "unrecognized_name",
    113: "bad_certificate_status_response",
    114: "bad_certificate_hash_value_RESERVED",
    115: "unknown_psk_identity",
    116: "certificate_required",
    120: "no_application_protocol",
    121: "ech_required",
}

NAMED_GROUPS: dict[int, str] = {
    1: "sect163k1",
    2: "sect163r1",
    3: "sect163r2",
    4: "sect193r1",
    5: "sect193r2",
    6: "sect233k1",
    7: "sect233r1",
    8: "sect239k1",
    9: "sect283k1",
    10: "sect283r1",
    11: "sect409k1",
    12: "sect409r1",
    13: "sect571k1",
    14: "sect571r1",
    15: "secp160k1",
    16: "secp160r1",
    17: "secp160r2",
    18: "secp192k1",
    19: "secp192r1",
    20: "secp224k1",
    21: "secp224r1",
    22: "secp256k1",
    23: "secp256r1",
    24: "secp384r1",
    25: "secp521r1",
    26: "brainpoolP256r1",
    27: "brainpoolP384r1",
    28: "brainpoolP512r1",
    29: "x25519",
    30: "x448",
    31: "brainpoolP256r1tls13",
    32: "brainpoolP384r1tls13",
    33: "brainpoolP512r1tls13",
    34: "GC256A",
    35: "GC256B",
    36: "GC256C",
    37: "GC256D",
    38: "GC512A",
    39: "GC512B",
    40: "GC512C",
    41: "curveSM2",
    256: "ffdhe2048",
    257: "ffdhe3072",
    258: "ffdhe4096",
    259: "ffdhe6144",
    260: "ffdhe8192",
    512: "MLKEM512",
    513: "MLKEM768",
    514: "MLKEM1024",
    0x11EB: "SecP256r1MLKEM768",
    0x11EC: "X25519MLKEM768",
    0x11ED: "SecP384r1MLKEM1024",
    0x6399: "X25519Kyber768Draft00",
    0xFF01: "arbitrary_explicit_prime_curves",
    0xFF02: "arbitrary_explicit_char2_curves",
}

SIGNATURE_SCHEMES: dict[int, str] = {
    0x0201: "rsa_pkcs1_sha1",
    0x0203: "ecdsa_sha1",
    0x0401: "rsa_pkcs1_sha256",
    0x0501: "rsa_pkcs1_sha384",
    0x0601: "rsa_pkcs1_sha512",
    0x0403: "ecdsa_secp256r1_sha256",
    0x0503: "ecdsa_secp384r1_sha384",
    0x0603: "ecdsa_secp521r1_sha512",
    0x0804: "rsa_pss_rsae_sha256",
    0x0805: "rsa_pss_rsae_sha384",
    0x0806: "rsa_pss_rsae_sha512",
    0x0807: "ed25519",
    0x0808: "ed448",
    0x0809: "rsa_pss_pss_sha256",
    0x080A: "rsa_pss_pss_sha384",
    0x080B: "rsa_pss_pss_sha512",
    0x081A: "ecdsa_brainpoolP256r1tls13_sha256",
    0x081B: "ecdsa_brainpoolP384r1tls13_sha384",
    0x081C: "ecdsa_brainpoolP512r1tls13_sha512",
    0x0904: "mldsa44",
    0x0905: "mldsa65",
    0x0906: "mldsa87",
}

# TLS 1.2 (RFC 5246) HashAlgorithm x SignatureAlgorithm pairs not named above.
_HASHES = {1: "md5", 2: "sha1", 3: "sha224", 4: "sha256", 5: "sha384", 6: "sha512"}
_SIGS = {1: "rsa", 2: "dsa", 3: "ecdsa"}

EXTENSIONS: dict[int, str] = {
    0: "server_name",
    1: "max_fragment_length",
    2: "client_certificate_url",
    3: "trusted_ca_keys",
    4: "truncated_hmac",
    5: "status_request",
    6: "user_mapping",
    7: "client_authz",
    8: "server_authz",
    9: "cert_type",
    10: "supported_groups",
    11: "ec_point_formats",
    12: "srp",
    13: "signature_algorithms",
    14: "use_srtp",
    15: "heartbeat",
    16: "application_layer_protocol_negotiation",
    17: "status_request_v2",
    18: "signed_certificate_timestamp",
    19: "client_certificate_type",
    20: "server_certificate_type",
    21: "padding",
    22: "encrypt_then_mac",
    23: "extended_master_secret",
    24: "token_binding",
    25: "cached_info",
    27: "compress_certificate",
    28: "record_size_limit",
    35: "session_ticket",
    41: "pre_shared_key",
    42: "early_data",
    43: "supported_versions",
    44: "cookie",
    45: "psk_key_exchange_modes",
    47: "certificate_authorities",
    48: "oid_filters",
    49: "post_handshake_auth",
    50: "signature_algorithms_cert",
    51: "key_share",
    57: "quic_transport_parameters",
    0xFE0D: "encrypted_client_hello",
    0xFF01: "renegotiation_info",
}

HANDSHAKE_TYPES: dict[int, str] = {
    0: "HelloRequest",
    1: "ClientHello",
    2: "ServerHello",
    3: "HelloVerifyRequest",
    4: "NewSessionTicket",
    5: "EndOfEarlyData",
    8: "EncryptedExtensions",
    11: "Certificate",
    12: "ServerKeyExchange",
    13: "CertificateRequest",
    14: "ServerHelloDone",
    15: "CertificateVerify",
    16: "ClientKeyExchange",
    20: "Finished",
    21: "CertificateURL",
    22: "CertificateStatus",
    24: "KeyUpdate",
    25: "CompressedCertificate",
    254: "MessageHash",
}

_OPENSSL_LINE = re.compile(
    r"^\s*0x([0-9A-F]{2}),0x([0-9A-F]{2})\s+-\s+(\S+)\s+-\s+(\S+)\s+(\S+)\s+"
    r"Kx=(\S+)\s+Au=(\S+)\s+Enc=(\S+)\s+Mac=(\S+)"
)


def openssl_suites() -> dict[int, dict[str, str]]:
    """Every suite the local OpenSSL knows, keyed by code."""
    out = subprocess.run(
        ["openssl", "ciphers", "-V", "-stdname", "ALL:COMPLEMENTOFALL"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    suites: dict[int, dict[str, str]] = {}
    for line in out.splitlines():
        m = _OPENSSL_LINE.match(line)
        if m:
            code = int(m.group(1) + m.group(2), 16)
            suites[code] = {
                "iana_name": m.group(3),
                "openssl_name": m.group(4),
                "version": m.group(5),
            }
    return suites


def split_iana_name(name: str) -> tuple[str, str, str, str]:
    """(kex, auth, enc, mac) from an IANA suite name, in IANA's own vocabulary.

    ``TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`` → ("ECDHE", "RSA", "AES_256_GCM", "AEAD");
    TLS 1.3 names (no ``_WITH_``) negotiate key exchange and authentication
    separately, so both are "any" as in OpenSSL.
    """
    body = name.removeprefix("TLS_")
    if "_WITH_" not in body:
        if name in ("TLS_EMPTY_RENEGOTIATION_INFO_SCSV", "TLS_FALLBACK_SCSV"):
            return ("SCSV", "SCSV", "NULL", "NULL")
        if body.startswith("GOSTR341112_256_"):
            return ("GOSTR341112_256", "GOSTR341012", body.removeprefix("GOSTR341112_256_"), "AEAD")
        if body in ("SHA256_SHA256", "SHA384_SHA384"):
            return ("any", "any", "NULL", body.split("_")[0])
        enc, _, _prf = body.rpartition("_")
        return ("any", "any", enc, "AEAD")
    kx_au, enc_mac = body.split("_WITH_", 1)
    kx_parts = kx_au.split("_")
    if kx_au == "GOSTR341112_256":
        kex, auth = kx_au, "GOSTR341012"
    elif kx_au in ("RSA", "PSK", "ECCPWD", "KRB5", "NULL"):
        kex, auth = kx_au, kx_au
    elif kx_au == "SRP_SHA":
        kex, auth = "SRP", "SRP"
    elif kx_au.startswith("SRP_SHA_"):
        kex, auth = "SRP", kx_au.removeprefix("SRP_SHA_")
    elif kx_au.endswith("_EXPORT") or kx_au.endswith("_EXPORT1024"):
        kex, auth = kx_au, kx_parts[-2] if len(kx_parts) > 2 else kx_parts[0]
    elif kx_au in ("RSA_PSK", "DHE_PSK", "ECDHE_PSK", "PSK_DHE"):
        kex = "DHE_PSK" if kx_au == "PSK_DHE" else kx_au
        auth = "RSA" if kx_au == "RSA_PSK" else "PSK"
    elif len(kx_parts) == 2:
        kex, auth = kx_parts
    else:
        kex, auth = kx_au, kx_au
    if enc_mac.endswith(("_CCM", "_CCM_8")) and "_SHA" not in enc_mac:
        return (kex, auth, enc_mac, "AEAD")
    enc, _, mac = enc_mac.rpartition("_")
    aead = any(tag in enc for tag in ("GCM", "CCM", "POLY1305"))
    return (kex, auth, enc, "AEAD" if aead else mac)


def min_version(name: str, enc: str, mac: str, openssl_version: str | None) -> str:
    if openssl_version is not None:
        return "TLSv1.3" if openssl_version == "TLSv1.3" else openssl_version
    if name.endswith("_SCSV"):
        return "SSLv3"
    if "_WITH_" not in name:
        return "TLSv1.3"
    if "GOSTR" in name:
        return "TLSv1.2"
    if mac in ("SHA256", "SHA384", "AEAD") or "GCM" in enc or "CCM" in enc:
        return "TLSv1.2"
    return "SSLv3"


def build() -> dict[str, object]:
    local = openssl_suites()
    version_out = subprocess.run(
        ["openssl", "version"], check=True, capture_output=True, text=True, timeout=30
    ).stdout.strip()
    suites = []
    for line in (DATA / "iana_cipher_suites.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        code_s, name = line.split()
        code = int(code_s, 16)
        ossl = local.get(code)
        if ossl is not None and ossl["iana_name"] != name:
            raise SystemExit(f"{code_s}: IANA {name} but OpenSSL says {ossl['iana_name']}")
        kex, auth, enc, mac = split_iana_name(name)
        tls13 = "_WITH_" not in name and not name.endswith("_SCSV")
        suites.append(
            {
                "code": code,
                "iana_name": name,
                "openssl_name": ossl["openssl_name"] if ossl else None,
                "kex": kex,
                "auth": auth,
                "enc": enc,
                "mac": mac,
                "min_version": min_version(name, enc, mac, ossl["version"] if ossl else None),
                "tls13": tls13,
            }
        )
    missing = set(local) - {s["code"] for s in suites}
    if missing:
        raise SystemExit(f"OpenSSL knows suites missing from the IANA list: {sorted(missing)}")
    sigs = dict(SIGNATURE_SCHEMES)
    for h, hn in _HASHES.items():
        for s, sn in _SIGS.items():
            sigs.setdefault((h << 8) | s, f"{sn}_{hn}")
    return {
        "generated_from": {
            "iana": "https://www.iana.org/assignments/tls-parameters/",
            "openssl": version_out,
            "openssl_command": "openssl ciphers -V -stdname ALL:COMPLEMENTOFALL",
        },
        "cipher_suites": suites,
        "versions": {f"0x{k:04X}": v for k, v in VERSIONS.items()},
        "alerts": {str(k): v for k, v in ALERTS.items()},
        "named_groups": {f"0x{k:04X}": v for k, v in sorted(NAMED_GROUPS.items())},
        "signature_schemes": {f"0x{k:04X}": v for k, v in sorted(sigs.items())},
        "extensions": {f"0x{k:04X}": v for k, v in sorted(EXTENSIONS.items())},
        "handshake_types": {str(k): v for k, v in HANDSHAKE_TYPES.items()},
    }


def main() -> None:
    data = build()
    (DATA / "registry.json").write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {DATA / 'registry.json'}: {len(data['cipher_suites'])} cipher suites")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
