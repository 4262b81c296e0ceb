"""Profiles: the policies a FIX-over-TLS setup is checked against, kept as data.

Theory of operation
-------------------
A profile is a YAML file (the built-in ones sit beside this module:
``stunnel-guide-2017``, ``fixs-1.0``, ``fixs-1.1``, ``fixs-cipherlist-2021.1``).
Each lists the allowed TLS versions, the allowed cipher suites keyed by IANA code
(names are labels only: the wire carries codes), the suites that must be supported,
minimum key sizes, the PSK minimum key length, the use cases (1a … 3b) with how each
side authenticates, and *errata*: contradictions in the source document and the
choice the profile made (the guide's PSK table vs its configs is the main one). A
user's own profile is a file with the same schema, passed by path.

``load_profile(name_or_path)`` validates with pydantic at the edge and returns a
frozen :class:`Profile`; errors name the file and line. This package is pure data
(layer 1) so every layer above may use it. Its YAML is read by the line-keeping
loader :mod:`harness.located_yaml` (pure core, shared with the scenario loader).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness import lazy

if TYPE_CHECKING:
    from harness.profiles.builtin import list_profiles, load_profile
    from harness.profiles.codes import (
        TLS_VERSION_CODES,
        TLS_VERSIONS,
        format_code,
        is_tls13_code,
        normalise_version,
        parse_code,
    )
    from harness.profiles.loader import profile_json_schema
    from harness.profiles.model import Erratum, KeySizes, Profile, SocketRule, Suite, UseCase

# Start-up is part of the product (docs/architecture.md): importing this package, or
# one of its submodules such as ``harness.profiles.codes`` (which the check model
# needs), must not import the loader and its pydantic models. The names below are
# resolved on first use (PEP 562); the built-in profiles load without pydantic
# (harness.profiles.builtin, ``_builtin_profile``).
_LAZY = {
    "TLS_VERSIONS": "codes",
    "TLS_VERSION_CODES": "codes",
    "format_code": "codes",
    "is_tls13_code": "codes",
    "normalise_version": "codes",
    "parse_code": "codes",
    "list_profiles": "builtin",
    "load_profile": "builtin",
    "profile_json_schema": "loader",
    "Erratum": "model",
    "KeySizes": "model",
    "Profile": "model",
    "SocketRule": "model",
    "Suite": "model",
    "UseCase": "model",
}


def __getattr__(name: str) -> Any:
    return lazy.resolve(__name__, _LAZY, name)


def __dir__() -> list[str]:
    return lazy.names(__name__, _LAZY)


__all__ = [
    "TLS_VERSIONS",
    "TLS_VERSION_CODES",
    "Erratum",
    "KeySizes",
    "Profile",
    "SocketRule",
    "Suite",
    "UseCase",
    "format_code",
    "is_tls13_code",
    "list_profiles",
    "load_profile",
    "normalise_version",
    "parse_code",
    "profile_json_schema",
]
