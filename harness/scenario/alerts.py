"""TLS alert descriptions (IANA "TLS Alerts" registry), by code and by name.

Scenarios name the alert a refused handshake must end with; users write either the
registry name (``handshake_failure``, dashes allowed) or the number (``40``).

The table is :mod:`harness.tls.registry`'s (the one the dissector names alerts
with), so a scenario accepts exactly the alerts a capture can show. The registry
marks withdrawn alerts ``..._RESERVED`` (``no_certificate_RESERVED`` = 41); old
peers still send them, and scenarios name them without the suffix.
"""

from __future__ import annotations

from harness.tls.registry import alert_name

#: An alert description is one byte (RFC 8446 6); every assigned one, by code.
ALERTS: dict[int, str] = {
    code: name.removesuffix("_RESERVED")
    for code in range(256)
    if not (name := alert_name(code)).startswith("unknown(")
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
