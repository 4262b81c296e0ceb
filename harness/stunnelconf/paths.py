"""Relative file paths in a stunnel.conf, and picking one section out of a file.

stunnel resolves a relative ``cert = my.pem`` against its working directory; a
user who keeps ``stunnel.conf`` beside its certificates expects the files next to
the config. The harness runs tunnels from other directories (and in containers), so
it resolves every relative path against a base directory the caller chooses: the
directory of the stunnel.conf file for a file on disk, the scenario file's directory
for text embedded in a scenario. Pure functions; nothing is opened.
"""

from __future__ import annotations

import os
from dataclasses import replace

from harness.errors import LocatedError, SourceLocation
from harness.stunnelconf.model import StunnelConfig

#: Options that name files or directories stunnel opens while it runs a service.
FILE_OPTIONS = ("cert", "key", "CAfile", "CApath", "CRLfile", "CRLpath", "PSKsecrets")


def absolutize_paths(config: StunnelConfig, base_dir: str) -> StunnelConfig:
    """Every relative path of :data:`FILE_OPTIONS` made absolute against ``base_dir``.

    Absolute paths and empty values are kept as written; line numbers are kept.
    """
    out = config

    def fix(value: str) -> str:
        if not value or os.path.isabs(value):
            return value
        return os.path.normpath(os.path.join(base_dir, value))

    for name in [None, *config.service_names]:
        for option in FILE_OPTIONS:
            out = out.map_values(name, option, fix)
    return out


def select_section(config: StunnelConfig, section: str, where: SourceLocation) -> StunnelConfig:
    """The config with its global options and the one ``[section]`` only.

    Raises:
        LocatedError: no such section (the message lists those there are).
    """
    if section not in config.service_names:
        known = ", ".join(f"[{n}]" for n in config.service_names) or "none"
        raise LocatedError(where, f"no section [{section}] in {config.path} (sections: {known})")
    return replace(config, services=tuple(s for s in config.services if s.name == section))


def split_conf_ref(text: str) -> tuple[str, str | None]:
    """``mine.conf:SECTION`` → (``mine.conf``, ``SECTION``); ``mine.conf`` → (it, None).

    A path that exists as written wins over a split (a file name may hold a colon).
    """
    if os.path.exists(text) or ":" not in text:
        return text, None
    path, _, section = text.rpartition(":")
    if not path or not section:
        return text, None
    return path, section
