"""TLS alert descriptions (IANA "TLS Alerts" registry): names, codes, and which side
usually sends each one.

The names are :mod:`harness.tls.registry`'s (the table the dissector names captured
alerts with), so a scenario accepts exactly the alerts a capture can show. The
registry marks withdrawn alerts ``..._RESERVED`` (``no_certificate_RESERVED`` = 41);
old peers still send them, and users may name them with or without the suffix.

:data:`USUAL_SENDER` says who sends an alert in the normal course of RFC 8446 /
RFC 5246 (``certificate_required`` only ever comes from a server, a refused server
certificate's ``unknown_ca`` from a client): it helps word a finding and lint a
scenario, and is never used to decide who sent an alert on the wire, which the
capture shows.
"""

from __future__ import annotations

from typing import Literal

from harness.tls.registry import alert_name

__all__ = ["ALERTS", "USUAL_SENDER", "alert_code", "usual_sender"]

Side = Literal["client", "server", "either"]

#: An alert description is one byte (RFC 8446 6); every assigned one, by code, named
#: without the ``_RESERVED`` mark.
ALERTS: dict[int, str] = {
    code: name.removesuffix("_RESERVED")
    for code in range(256)
    if not (name := alert_name(code)).startswith("unknown(")
}

_BY_NAME = {name: code for code, name in ALERTS.items()}

#: Alerts one side sends in the normal course of the protocol; every other assigned
#: alert is ``either``.
USUAL_SENDER: dict[int, Side] = {
    49: "server",  # access_denied: a server refusing an authenticated client
    70: "server",  # protocol_version: a server that supports none of the offered versions
    71: "server",  # insufficient_security: a server wanting stronger suites
    86: "server",  # inappropriate_fallback: a server seeing TLS_FALLBACK_SCSV
    110: "client",  # unsupported_extension: a client seeing an extension it never offered
    112: "server",  # unrecognized_name: a server without the SNI host
    113: "client",  # bad_certificate_status_response: a client judging an OCSP staple
    115: "server",  # unknown_psk_identity: a server without the client's PSK identity
    116: "server",  # certificate_required: a server whose client sent no certificate
    120: "server",  # no_application_protocol: a server with no common ALPN protocol
    121: "client",  # ech_required: a client whose ECH offer was refused
}


def usual_sender(code: int) -> Side:
    """Who usually sends alert ``code`` (``either`` when both sides do)."""
    return USUAL_SENDER.get(code, "either")


def alert_code(value: object) -> int:
    """The registry code of an alert given by name or number.

    Accepts the registry name (``handshake_failure``; any case, dashes or blanks for
    underscores; withdrawn alerts with or without ``_RESERVED``) and the code as an
    int or decimal text (``40``, ``"40"``).

    Raises:
        ValueError: unknown name or number, or neither text nor int.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value in ALERTS:
            return value
        raise ValueError(f"unknown TLS alert code {value}")
    if isinstance(value, str):
        key = value.strip().lower().replace("-", "_").replace(" ", "_").removesuffix("_reserved")
        if key in _BY_NAME:
            return _BY_NAME[key]
        if key.isdigit() and int(key) in ALERTS:
            return int(key)
    raise ValueError(f"unknown TLS alert {value!r} (use a registry name like handshake_failure)")
