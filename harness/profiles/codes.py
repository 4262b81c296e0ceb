"""Spelling of TLS identifiers: kept importable from here for ``harness.profiles``'s
public API; the one home of these facts is :mod:`harness.tls` (``codes``, ``versions``)."""

from harness.tls.codes import format_code, is_tls13_code, parse_code
from harness.tls.versions import TLS_VERSION_CODES, TLS_VERSIONS, normalise_version

__all__ = [
    "TLS_VERSIONS",
    "TLS_VERSION_CODES",
    "format_code",
    "is_tls13_code",
    "normalise_version",
    "parse_code",
]
