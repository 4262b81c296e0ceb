"""stunnel.conf model (pure, no I/O): parse, give meaning, validate, render.

- :mod:`.options`: the option table of stunnel 5.68 (names, scopes, value kinds,
  which ones the Python tunnel implements).
- :mod:`.parser`: text → :class:`StunnelConfig`, with file:line on every option and
  stunnel's own error wording for what stunnel refuses.
- :mod:`.semantics`: defaults and option order → :class:`ServiceSettings`; start-up
  checks; PSK secrets files.
"""

from harness.stunnelconf.model import Option, Section, StunnelConfig
from harness.stunnelconf.parser import ConfigError, parse_config, parse_file
from harness.stunnelconf.semantics import (
    Address,
    GlobalSettings,
    PskEntry,
    ResolvedConfig,
    ServiceSettings,
    SocketOption,
    parse_psk_secrets,
    resolve,
)

__all__ = [
    "Address",
    "ConfigError",
    "GlobalSettings",
    "Option",
    "PskEntry",
    "ResolvedConfig",
    "Section",
    "ServiceSettings",
    "SocketOption",
    "StunnelConfig",
    "parse_config",
    "parse_file",
    "parse_psk_secrets",
    "resolve",
]
