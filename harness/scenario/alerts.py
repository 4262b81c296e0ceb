"""TLS alert descriptions (IANA "TLS Alerts" registry), by code and by name.

Scenarios name the alert a refused handshake must end with; users write either the
registry name (``handshake_failure``, dashes allowed) or the number (``40``).
"""

from __future__ import annotations

ALERTS: dict[int, str] = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    21: "decryption_failed",
    22: "record_overflow",
    30: "decompression_failure",
    40: "handshake_failure",
    41: "no_certificate",
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
    60: "export_restriction",
    70: "protocol_version",
    71: "insufficient_security",
    80: "internal_error",
    86: "inappropriate_fallback",
    90: "user_canceled",
    100: "no_renegotiation",
    109: "missing_extension",
    110: "unsupported_extension",
    111: "certificate_unobtainable",
    112: "unrecognized_name",
    113: "bad_certificate_status_response",
    114: "bad_certificate_hash_value",
    115: "unknown_psk_identity",
    116: "certificate_required",
    120: "no_application_protocol",
}

_BY_NAME = {name: code for code, name in ALERTS.items()}


def alert_code(value: object) -> int:
    """The registry code of an alert given by name or number.

    Raises:
        ValueError: unknown name or number.
    """
    if isinstance(value, bool):
        raise ValueError(f"unknown TLS alert {value!r}")
    if isinstance(value, int):
        if value in ALERTS:
            return value
        raise ValueError(f"unknown TLS alert code {value}")
    if isinstance(value, str):
        key = value.strip().lower().replace("-", "_").replace(" ", "_")
        if key in _BY_NAME:
            return _BY_NAME[key]
        if key.isdigit() and int(key) in ALERTS:
            return int(key)
    raise ValueError(f"unknown TLS alert {value!r} (use a registry name like handshake_failure)")
